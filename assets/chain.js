// Draws a person's chain of exposure from /api/v1/people/{id}/chain as an SVG: one column
// per hop (sources on the left, people exposed through them on the right), nodes coloured by
// level, each edge labelled with the date of the contact. No library and no network beyond
// this service.
(function () {
  "use strict";
  var COLOURS = { F0: "#d32f2f", F1: "#f57c00", F2: "#fbc02d", F3: "#1976d2" };
  var GREY = "#9e9e9e";
  var SVG = "http://www.w3.org/2000/svg";
  var COL_W = 220, ROW_H = 56, PAD = 40, R = 14;

  var params = new URLSearchParams(location.search);
  var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  var token = fragment.get("token") || "";
  // the token leaves the address bar (and the history) as soon as it is read
  if (fragment.has("token") && window.history && history.replaceState) {
    history.replaceState(null, "", location.pathname + location.search);
  }
  var form = document.getElementById("ask");
  var status = document.getElementById("status");
  document.getElementById("person").value = params.get("person") || "";
  document.getElementById("direction").value = params.get("direction") || "both";
  document.getElementById("depth").value = params.get("depth") || "3";
  document.getElementById("token").value = token;

  function say(text, error) {
    status.textContent = text;
    status.className = error ? "error" : "";
  }

  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function draw(chain) {
    var chart = document.getElementById("chart");
    chart.textContent = "";
    var columns = {};
    chain.nodes.forEach(function (n) {
      (columns[n.hop] = columns[n.hop] || []).push(n);
    });
    var hops = Object.keys(columns).map(Number).sort(function (a, b) { return a - b; });
    var minHop = hops.length ? hops[0] : 0;
    var tallest = 1;
    hops.forEach(function (h) { tallest = Math.max(tallest, columns[h].length); });
    var width = PAD * 2 + Math.max(1, hops.length) * COL_W;
    var height = PAD * 2 + tallest * ROW_H;
    var pos = {};
    hops.forEach(function (h) {
      var col = columns[h];
      col.sort(function (a, b) {
        return (a.level || "F9").localeCompare(b.level || "F9") || a.id.localeCompare(b.id);
      });
      var top = PAD + (tallest - col.length) * ROW_H / 2;
      col.forEach(function (n, i) {
        pos[n.id] = { x: PAD + (h - minHop) * COL_W + COL_W / 2, y: top + i * ROW_H + ROW_H / 2 };
      });
    });
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
      role: "img", "aria-label": "chain of exposure" });
    var defs = el("defs", {});
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
      markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse" });
    marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#666" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    chain.edges.forEach(function (e) {
      var a = pos[e.from], b = pos[e.to];
      if (!a || !b) return;
      var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
      var x1 = a.x + dx / len * R, y1 = a.y + dy / len * R;
      var x2 = b.x - dx / len * (R + 2), y2 = b.y - dy / len * (R + 2);
      var g = el("g", { "class": "edge-group", "data-contact": e.contact_id });
      g.appendChild(el("line", { "class": "edge", x1: x1, y1: y1, x2: x2, y2: y2,
        "marker-end": "url(#arrow)" }));
      var day = (e.first_at || "").slice(0, 10);
      g.appendChild(el("text", { "class": "edge-label", x: (x1 + x2) / 2,
        y: (y1 + y2) / 2 - 4, "text-anchor": "middle" }, day + " " + (e.setting || "")));
      svg.appendChild(g);
    });
    chain.nodes.forEach(function (n) {
      var p = pos[n.id];
      var g = el("g", { "class": "node" + (n.id === chain.root ? " root" : ""),
        "data-id": n.id, "data-level": n.level || "", transform: "translate(" + p.x + "," + p.y + ")" });
      g.appendChild(el("circle", { r: R, fill: COLOURS[n.level] || GREY, stroke: "#333" }));
      g.appendChild(el("text", { y: 4, "text-anchor": "middle", "font-weight": "bold" },
        (n.level || "?")));
      var name = n.full_name || ("#" + n.id.slice(0, 8) + " · " + n.unit_code);
      g.appendChild(el("text", { y: R + 14, "text-anchor": "middle" }, name));
      g.appendChild(el("title", {}, (n.full_name || n.id) + " — " + (n.level || "not classified") +
        (n.status ? " (" + n.status + ")" : "") + ", unit " + n.unit_code));
      svg.appendChild(g);
    });
    chart.appendChild(svg);
    document.body.setAttribute("data-state", "drawn");
    say(chain.nodes.length + " people, " + chain.edges.length + " contacts" +
      (chain.truncated ? " (cut short)" : ""));
  }

  function load() {
    var person = document.getElementById("person").value.trim();
    token = document.getElementById("token").value.trim() || token;
    if (!person || !token) return;
    var q = new URLSearchParams({
      direction: document.getElementById("direction").value,
      depth: document.getElementById("depth").value
    });
    say("Loading…");
    document.body.setAttribute("data-state", "loading");
    fetch("/api/v1/people/" + encodeURIComponent(person) + "/chain?" + q.toString(), {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" }
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.title + ": " + (body.detail || r.status));
        return body;
      });
    }).then(draw).catch(function (err) {
      document.body.setAttribute("data-state", "error");
      say(String(err.message || err), true);
    });
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
  load();
})();
