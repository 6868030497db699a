#!/usr/bin/env bash
# .ci/browser.sh - the chain-of-exposure page, drawn by a real headless browser.
#
# Starts the service (dev build) on a fresh SQLite database with the demo users, records a small
# chain over the API (an F0, two F1s, one F2), opens /chain?person=<F0>#token=<token> in
# Debian's chromium (installed with apt when missing), then checks:
#   - the DOM the page built: drawn, 4 nodes, levels F0 F1 F1 F2, 3 edges with dates;
#   - the screenshot: the F0's red, the F1s' orange and the F2's yellow are painted in the
#     chart area (pixels counted by a small PNG reader, no extra package).
# The screenshot is kept in target/ci-browser/chain.png.
#
# Called by .ci/run after schemathesis (which built the binary); can run alone.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

HOST=127.0.0.1
PORT=18081
BASE_URL="http://$HOST:$PORT"
BIN="$ROOT/target/debug/tracing-backend"
OUT="$ROOT/target/ci-browser"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

step() { printf -- '--- %s\n' "$*"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ci-browser.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
    echo "ERROR: $*" >&2
    [ -s "$WORK/server.log" ] && tail -n 50 "$WORK/server.log" >&2
    exit 1
}

# ---------------------------------------------------------------------------
step "chromium"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$WORK/apt.log" 2>&1 || {
        $SUDO apt-get update -q >>"$WORK/apt.log" 2>&1 &&
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$WORK/apt.log" 2>&1
    } || { cat "$WORK/apt.log" >&2; fail "could not install chromium"; }
    CHROMIUM=$(command -v chromium)
fi
"$CHROMIUM" --version

# a no-op after schemathesis built it; the page is compiled into the binary
cargo build

# ---------------------------------------------------------------------------
step "start the service on $BASE_URL"
export DATABASE_URL="sqlite://$WORK/browser.db"
export APP_ENV=development
export BIND_ADDR="$HOST:$PORT"
export METRICS_ADDR=off
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    fail "$HOST:$PORT is already in use"
fi
"$BIN" seed-demo --password 'Demo-Passw0rd!' >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; fail "seed-demo"; }
"$BIN" serve >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
healthy=""
for _ in $(seq 1 120); do
    if [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/healthz" || true)" = 200 ]; then
        healthy=yes
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the service exited"
    sleep 0.5
done
[ -n "$healthy" ] || fail "/healthz did not answer 200 within 60 s"

# ---------------------------------------------------------------------------
step "record a chain: F0 → two F1s → one F2"
api() { # method path [json]
    curl -s --noproxy '*' --max-time 30 -X "$1" "$BASE_URL/api/v1$2" \
        -H "authorization: Bearer ${TOKEN:-}" -H 'content-type: application/json' ${3:+-d "$3"}
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
TOKEN=$(api POST /auth/login '{"username":"demo.health","password":"Demo-Passw0rd!"}' | field '["access_token"]')
person() {
    api POST /people "{\"full_name\":\"$1\",\"residence_unit_code\":\"06994\"}" | field '["person"]["id"]'
}
F0=$(person "Nguyễn Văn Gốc")
A=$(person "Trần Thị An")
B=$(person "Lê Văn Bình")
C=$(person "Phạm Thị Chi")
TODAY=$(TZ=Asia/Ho_Chi_Minh date +%F)
api POST /cases "{\"person_id\":\"$F0\",\"confirmation_test\":\"rt_pcr\",\"test_ref\":\"CI-1\",\"sample_date\":\"$TODAY\"}" | field '["case"]["state"]'
FIRST=$(date -u -d '-1 day' +%FT%TZ)
LAST=$(date -u -d '-1 day +1 hour' +%FT%TZ)
contact() {
    api POST /contacts "{\"person_id\":\"$1\",\"contact_person_id\":\"$2\",\"first_at\":\"$FIRST\",\"last_at\":\"$LAST\",\"setting\":\"household\",\"proximity\":\"physical\"}" |
        field '["contact"]["id"]' >/dev/null
}
contact "$F0" "$A"
contact "$F0" "$B"
contact "$A" "$C"
api GET "/people/$F0/chain?direction=downstream&depth=3" |
    python3 -c 'import json,sys; c=json.load(sys.stdin); print(len(c["nodes"]), "nodes,", len(c["edges"]), "edges from the API")'

# ---------------------------------------------------------------------------
step "draw it in headless chromium"
mkdir -p "$OUT"
PAGE="$BASE_URL/chain?person=$F0&direction=downstream&depth=3#token=$TOKEN"
browse() {
    timeout --kill-after=10 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu \
        --disable-dev-shm-usage --no-first-run --no-default-browser-check \
        --force-color-profile=srgb \
        --user-data-dir="$WORK/profile-$1" --hide-scrollbars --window-size=1200,700 \
        --virtual-time-budget=15000 "${@:2}" "$PAGE"
}
browse dom --dump-dom >"$OUT/chain.html" 2>"$WORK/chromium-dom.log" || { cat "$WORK/chromium-dom.log" >&2; fail "chromium --dump-dom"; }
browse shot --screenshot="$OUT/chain.png" >/dev/null 2>"$WORK/chromium-shot.log" || { cat "$WORK/chromium-shot.log" >&2; fail "chromium --screenshot"; }
[ -s "$OUT/chain.png" ] || fail "no screenshot"

python3 - "$OUT/chain.html" "$OUT/chain.png" <<'PY'
import re, struct, sys, zlib

dom = open(sys.argv[1], encoding="utf-8").read()
assert 'data-state="drawn"' in dom, "the page did not draw the chain:\n" + dom[-2000:]
levels = sorted(re.findall(r'class="node[^"]*"[^>]*data-level="(F\d)"', dom))
assert levels == ["F0", "F1", "F1", "F2"], levels
edges = re.findall(r'class="edge-label"[^>]*>(\d{4}-\d\d-\d\d) household<', dom)
assert len(edges) == 3, edges
assert "Nguyễn Văn Gốc" in dom, "names inside the jurisdiction are shown"
print("DOM: drawn, nodes", levels, "edges dated", edges)

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows

w, h, bpp, rows = pixels(sys.argv[2])
colours = {"F0": (0xD3, 0x2F, 0x2F), "F1": (0xF5, 0x7C, 0x00), "F2": (0xFB, 0xC0, 0x2D)}
# the header holds a legend in the same colours: count only below its bottom border, the
# first row that is (almost) all the border's grey #ddd
def border(y):
    row = rows[y]
    grey = sum(1 for x in range(w) if all(abs(row[x * bpp + i] - 0xDD) <= 3 for i in range(3)))
    return grey > 0.9 * w
top = next((y for y in range(h) if border(y)), None)
assert top is not None and top < h // 2, "no header border found"
counts = {k: 0 for k in colours}
for y in range(top, h):
    row = rows[y]
    for x in range(w):
        px = tuple(row[x * bpp:x * bpp + 3])
        for k, c in colours.items():
            if all(abs(px[i] - c[i]) <= 6 for i in range(3)):
                counts[k] += 1
print(f"screenshot {w}x{h}: pixels of each level's colour below the header (y > {top}):", counts)
# a node is a circle of radius 14 (about 600 pixels, less its label and outline)
assert counts["F0"] > 150, counts
assert counts["F1"] > 2 * 150, counts
assert counts["F2"] > 150, counts
print("the chain is drawn")
PY
echo "screenshot: $OUT/chain.png"
