//! The trace benchmark: a province of synthetic people and contacts, then the figures the
//! trace issue sets targets for. It prints numbers; it asserts nothing.
//!
//!     cargo bench --bench trace -- [--people 1000000] [--contacts 5000000] [--database URL]
//!         [--mixed-secs 20]
//!
//! Without --database it uses a fresh SQLite file in a temporary folder; a
//! `postgres://…/name` URL must name a database that does not exist yet (it is created).

use actix_web::{web, HttpServer};
use chrono::{Duration, Utc};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;
use tracing_backend::api::{build_app, AppState};
use tracing_backend::config::Config;
use tracing_backend::db;
use tracing_backend::domain::cases::{Proximity, Setting};
use tracing_backend::domain::roles::Role;
use tracing_backend::domain::units::Structure;
use tracing_backend::service::accounts::{bootstrap_user, GrantTarget};
use tracing_backend::store::trace::ContactRow;
use tracing_backend::synth::{self, Plan, Rng};

#[path = "trace/mixed.rs"]
mod mixed;

const PASSWORD: &str = "bench-password-long";

/// A small HTTP/1.1 client over one kept-alive connection, opened again when the server
/// has closed it (an idle keep-alive ends on the server's timeout).
struct Http {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl Http {
    fn connect(addr: SocketAddr) -> Http {
        Http {
            addr,
            reader: Self::open(addr),
        }
    }

    fn open(addr: SocketAddr) -> BufReader<TcpStream> {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).ok();
        BufReader::new(stream)
    }

    fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (status, bytes) = self.call_bytes(method, path, token, body);
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn call_bytes(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Vec<u8>) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        match self.exchange(&req) {
            Ok(answer) => answer,
            Err(_) => {
                // the server closed the connection before answering: once more on a new one
                self.reader = Self::open(self.addr);
                self.exchange(&req).expect("answer on a new connection")
            }
        }
    }

    fn exchange(&mut self, req: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let closed = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed");
        self.reader.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(closed());
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(closed());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut bytes = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0u8; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                bytes.extend_from_slice(&chunk[..size]);
            }
        } else {
            bytes.resize(length, 0);
            self.reader.read_exact(&mut bytes)?;
        }
        Ok((status, bytes))
    }
}

/// What a phone sends to log a contact.
fn contact_body(c: &ContactRow) -> Value {
    json!({"person_id": c.person_a, "contact_person_id": c.person_b, "first_at": c.first_at.and_utc().to_rfc3339(),
           "last_at": c.last_at.and_utc().to_rfc3339(), "setting": c.setting, "proximity": c.proximity, "duration_minutes": c.duration_minutes})
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let people: usize = arg(&args, "--people")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let contacts: usize = arg(&args, "--contacts")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(5_000_000);
    let samples: usize = arg(&args, "--samples")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(2000);
    let dir = tempfile::tempdir()?;
    let url = arg(&args, "--database")
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    if db::backend_of(&url) == db::Backend::Postgres {
        let (base, name) = url.rsplit_once('/').expect("a database name");
        let mut admin = diesel::PgConnection::establish(&format!("{base}/postgres"))?;
        // one statement each: PostgreSQL runs a multi-statement string as one transaction
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
    }
    println!(
        "trace benchmark: {people} people, {contacts} contacts, database {}",
        tracing_backend::config::redact_url(&url)
    );

    let mut conn = db::connect(&url)?;
    tracing_backend::cli::prepare(&mut conn, Structure::ThreeLevel)?;
    let health = bootstrap_user(
        &mut conn,
        "bench.health",
        "bench",
        PASSWORD,
        Role::HealthOfficer,
        GrantTarget::Unit("22"),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = tracing_backend::store::now();
    let plan = Plan {
        seed: 2021,
        people,
        contacts,
        province: "22".into(),
    };
    let t = Instant::now();
    let mut last = Instant::now();
    synth::load(&mut conn, &plan, now, |what, n| {
        if last.elapsed().as_secs() >= 10 {
            println!("  … {n} {what}");
            last = Instant::now();
        }
    })?;
    if db::backend_of(&url) == db::Backend::Postgres {
        conn.batch_execute("ANALYZE")?;
    }
    println!(
        "generate: {people} people + {contacts} contacts in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // the service on a real socket
    let mut config = Config::for_database(&url);
    config.pool_size = 8;
    if let Some(n) = std::env::var("WRITE_GROUP_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.write_group_max = n;
    }
    let pool = db::pool(&url, config.pool_size, config.pool_timeout)?;
    let state = web::Data::new(AppState::new(pool, config)?);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || build_app(state.clone()))
                .workers(2)
                .bind("127.0.0.1:0")
                .expect("bind");
            tx.send(server.addrs()[0]).expect("send");
            server.run().await
        })
    });
    let addr = rx.recv()?;
    let mut http = Http::connect(addr);
    let (status, body) = http.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": "bench.health", "password": PASSWORD})),
    );
    anyhow::ensure!(status == 200, "login failed: {body}");
    let token = body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // some F0s, so that chains exist and contacts sometimes classify
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let mut rng = Rng::new(7);
    let t = Instant::now();
    let mut classified = 0u64;
    let mut f0s = Vec::new();
    for _ in 0..20 {
        let p = synth::person_id(plan.seed, rng.below(people));
        let (status, body) = http.call(
            "POST",
            "/api/v1/cases",
            Some(&token),
            Some(&json!({"person_id": p, "confirmation_test": "rt_pcr", "test_ref": "BENCH", "sample_date": today, "onset_date": today - Duration::days(10)})),
        );
        if status == 201 {
            classified += body["cascade"]["changed"].as_u64().unwrap_or(0);
            f0s.push(p);
        }
    }
    println!(
        "confirm 20 F0 in the synthetic province: {classified} people classified in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // bare insert rate, right beside the HTTP figure: one contact per transaction
    let communes = synth::communes_of(&mut conn, "22")?;
    let mut rng = Rng::new(11);
    let new_contact = |rng: &mut Rng, i: usize| -> ContactRow {
        let mut c = synth::contact(&plan, &communes, rng.below(contacts.max(1)), now);
        c.id = uuid::Uuid::now_v7().to_string();
        let _ = i;
        c
    };
    let t = Instant::now();
    for i in 0..samples {
        let c = new_contact(&mut rng, i);
        db::write_tx(&mut conn, |c2| {
            tracing_backend::store::trace::insert_contact(c2, &c)
        })?;
    }
    let bare = samples as f64 / t.elapsed().as_secs_f64();
    println!("bare insert: {bare:.0} contacts/s ({samples} single-row transactions)");

    let t = Instant::now();
    let mut failures = 0;
    for i in 0..samples {
        let c = new_contact(&mut rng, i);
        let (status, _) = http.call(
            "POST",
            "/api/v1/contacts",
            Some(&token),
            Some(&contact_body(&c)),
        );
        if status != 201 {
            failures += 1;
        }
    }
    let logged = samples as f64 / t.elapsed().as_secs_f64();
    println!(
        "contact logging over HTTP (auth, validation, cascade check), 1 client: {logged:.0} contacts/s, ratio to bare insert {:.2} (target ≥ 0.5){}",
        logged / bare,
        if failures > 0 { format!(", {failures} refused") } else { String::new() }
    );
    // what any authenticated request costs, to read the ratio against: one person read by id
    let t = Instant::now();
    for i in 0..samples {
        let p = synth::person_id(plan.seed, (i * 7919) % people.max(1));
        http.call("GET", &format!("/api/v1/people/{p}"), Some(&token), None);
    }
    println!(
        "reading a person over HTTP (auth, one indexed read), 1 client: {:.0} requests/s",
        samples as f64 / t.elapsed().as_secs_f64()
    );
    // many phones at once: the service commits the contacts that arrive together in one
    // transaction (on SQLite), so its rate can rise above one client's
    for clients in [4usize, 16] {
        let per = samples / clients;
        let t = Instant::now();
        let handles: Vec<_> = (0..clients)
            .map(|k| {
                let (token, plan, communes) = (token.clone(), plan.clone(), communes.clone());
                std::thread::spawn(move || {
                    let mut http = Http::connect(addr);
                    let mut rng = Rng::new(100 + k as u64);
                    let mut refused = 0usize;
                    for _ in 0..per {
                        let mut c =
                            synth::contact(&plan, &communes, rng.below(plan.contacts.max(1)), now);
                        c.id = uuid::Uuid::now_v7().to_string();
                        if http
                            .call(
                                "POST",
                                "/api/v1/contacts",
                                Some(&token),
                                Some(&contact_body(&c)),
                            )
                            .0
                            != 201
                        {
                            refused += 1;
                        }
                    }
                    refused
                })
            })
            .collect();
        let refused: usize = handles.into_iter().map(|h| h.join().unwrap_or(per)).sum();
        let rate = (per * clients) as f64 / t.elapsed().as_secs_f64();
        println!(
            "contact logging over HTTP, {clients} clients: {rate:.0} contacts/s, ratio to bare insert {:.2}{}",
            rate / bare,
            if refused > 0 { format!(", {refused} refused") } else { String::new() }
        );
    }

    // 3-hop chains around classified people
    let mut lat = Vec::new();
    let mut rng = Rng::new(13);
    let mut nodes = 0usize;
    for i in 0..300 {
        let p = &f0s[i % f0s.len().max(1)];
        let dir = ["downstream", "both", "upstream"][rng.below(3)];
        let t = Instant::now();
        let (status, body) = http.call(
            "GET",
            &format!("/api/v1/people/{p}/chain?depth=3&direction={dir}"),
            Some(&token),
            None,
        );
        lat.push(ms(t.elapsed()));
        if status == 200 {
            nodes += body["nodes"].as_array().map(|a| a.len()).unwrap_or(0);
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "3-hop chain over HTTP: p50 {:.1} ms, p99 {:.1} ms (target p99 ≤ 20 ms; {} nodes on average)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        nodes / 300
    );
    // the same walks on one connection, without HTTP, the token, the access record or JSON
    let actor = tracing_backend::service::accounts::actor_of(
        &mut conn,
        &health.id,
        health.username.clone(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut bare = Vec::new();
    let mut rng = Rng::new(13);
    for i in 0..300 {
        use tracing_backend::service::trace::{chain, ChainQuery, Direction};
        let p = &f0s[i % f0s.len().max(1)];
        let direction = [Direction::Downstream, Direction::Both, Direction::Upstream][rng.below(3)];
        let t = Instant::now();
        let q = ChainQuery {
            direction: Some(direction),
            depth: Some(3),
        };
        chain(&mut conn, &actor, p, q).map_err(|e| anyhow::anyhow!("{e}"))?;
        bare.push(ms(t.elapsed()));
    }
    bare.sort_by(|a, b| a.total_cmp(b));
    println!(
        "the same chains walked on one connection (no HTTP, token, access record or JSON): p50 {:.1} ms, p99 {:.1} ms; over HTTP ÷ walked at p50: {:.1} (target ≤ 2)",
        percentile(&bare, 0.5),
        percentile(&bare, 0.99),
        percentile(&lat, 0.5) / percentile(&bare, 0.5)
    );

    // an index case with 1,000 F1 and 12,000 F2
    let index_plan = Plan {
        seed: 4242,
        people: 13_001,
        contacts: 0,
        province: "22".into(),
    };
    let rows: Vec<_> = (0..13_001)
        .map(|i| synth::person(&index_plan, &communes, i, now))
        .collect();
    let mut fan: Vec<ContactRow> = Vec::new();
    let at = now - Duration::days(2);
    let mk = |a: usize, b: usize, n: usize, hours: i64| ContactRow {
        id: uuid::Uuid::now_v7().to_string(),
        person_a: synth::person_id(4242, a),
        person_b: synth::person_id(4242, b),
        first_at: at + Duration::hours(hours),
        last_at: at + Duration::hours(hours + 1),
        place: None,
        setting: Setting::Workplace,
        proximity: Proximity::Within2m,
        duration_minutes: Some(60),
        masked: false,
        unit_path: communes[n % communes.len()].1.clone(),
        retracted_at: None,
        retract_reason: None,
        created_by: None,
        created_at: now,
        listed_at: now,
        updated_at: now,
    };
    for f1 in 1..=1000 {
        fan.push(mk(0, f1, f1, 0));
        for k in 0..12 {
            fan.push(mk(f1, 1001 + (f1 - 1) * 12 + k, f1, 2));
        }
    }
    db::write_tx(&mut conn, |c| {
        tracing_backend::store::people::insert_rows(c, &rows)?;
        tracing_backend::store::trace::insert_contacts(c, &fan)
    })?;
    let t = Instant::now();
    let (status, body) = http.call(
        "POST",
        "/api/v1/cases",
        Some(&token),
        Some(&json!({"person_id": synth::person_id(4242, 0), "confirmation_test": "rt_pcr", "test_ref": "BENCH-INDEX", "sample_date": today, "onset_date": today - Duration::days(4)})),
    );
    println!(
        "cascade of an index case with 1,000 F1 and 12,000 F2: {:.0} ms, {} people classified {} (HTTP {status}; target ≤ 1 s)",
        ms(t.elapsed()),
        body["cascade"]["changed"],
        body["cascade"]["by_level"]
    );

    // a phone's batch of 1,000 items: 500 people and 500 contacts among them and the F0s
    let mut items = Vec::new();
    let ids: Vec<String> = (0..500).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let code = &communes[0].0;
    for (i, id) in ids.iter().enumerate() {
        items.push(json!({"kind": "person", "data": {"id": id, "full_name": format!("Người Đồng Bộ {}", ["A","B","C","D","E"][i % 5]), "phones": ["0912000111"], "residence_unit_code": code}}));
    }
    for (i, id) in ids.iter().enumerate() {
        let other = &f0s[i % f0s.len().max(1)];
        items.push(json!({"kind": "contact", "data": {"id": uuid::Uuid::now_v7().to_string(), "person_id": other, "contact_person_id": id,
            "first_at": (Utc::now() - Duration::hours(30)).to_rfc3339(), "last_at": (Utc::now() - Duration::hours(29)).to_rfc3339(), "setting": "market", "proximity": "within_2m"}}));
    }
    let batch = json!({"batch_id": uuid::Uuid::now_v7().to_string(), "items": items});
    let t = Instant::now();
    let (status, body) = http.call("POST", "/api/v1/sync/push", Some(&token), Some(&batch));
    println!(
        "batch push of 1,000 items: {:.0} ms, {} (HTTP {status}; target ≤ 200 ms)",
        ms(t.elapsed()),
        body["counts"]
    );
    let t = Instant::now();
    http.call("POST", "/api/v1/sync/push", Some(&token), Some(&batch));
    println!("the same batch again: {:.0} ms", ms(t.elapsed()));

    sampling(&mut conn, &mut http, &token, &plan)?;
    reports(&mut http, &token)?;
    names(&mut http, &token, &plan, &communes, now)?;
    let secs: f64 = arg(&args, "--mixed-secs")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(20.0);
    mixed::factory(&mut conn, &mut http, &token, &communes, now)?;
    mixed::run(addr, &token, &communes[0].0, secs, now);
    Ok(())
}

/// Searching the province's registry by a part of a name, diacritics left out, as a tracer
/// types it: a whole name (a few hundred people share one at a million), a middle and given
/// name, a given name alone (one person in sixteen).
fn names(
    http: &mut Http,
    token: &str,
    plan: &Plan,
    communes: &[(String, String)],
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(17);
    for (kind, words) in [
        ("whole name", 3),
        ("middle and given name", 2),
        ("given name", 1),
    ] {
        let mut lat = Vec::new();
        let mut found = 0usize;
        for _ in 0..100 {
            let name = synth::person(plan, communes, rng.below(plan.people), now).name_folded;
            let parts: Vec<&str> = name.split(' ').collect();
            let q = parts[parts.len() - words..].join("%20");
            let t = Instant::now();
            let (status, body) =
                http.call("GET", &format!("/api/v1/people?q={q}"), Some(token), None);
            lat.push(ms(t.elapsed()));
            anyhow::ensure!(status == 200, "name search failed: {body}");
            found += body["items"].as_array().map(|a| a.len()).unwrap_or(0);
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        println!(
            "name search by {kind} (100 searches, first page): p50 {:.1} ms, p99 {:.1} ms (target p99 ≤ 20 ms; {} people a page on average)",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            found / 100
        );
    }
    Ok(())
}

/// The reports at province scale: the weekly report, the 5S of a week, line-list pages
/// walked by cursor, and a whole line list exported as CSV.
fn reports(http: &mut Http, token: &str) -> anyhow::Result<()> {
    let mut lat = Vec::new();
    let mut body = Value::Null;
    for _ in 0..20 {
        let t = Instant::now();
        let (status, b) = http.call("GET", "/api/v1/reports/weekly?unit=22", Some(token), None);
        lat.push(ms(t.elapsed()));
        anyhow::ensure!(status == 200, "weekly report failed: {b}");
        body = b;
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "weekly report of the province (20 runs): p50 {:.0} ms, max {:.0} ms; totals {}",
        percentile(&lat, 0.5),
        lat.last().copied().unwrap_or(0.0),
        body["totals"]
    );
    let t = Instant::now();
    let (status, body) = http.call("GET", "/api/v1/reports/five-s?unit=22", Some(token), None);
    let listed = body["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["step"] == "listed").cloned())
        .unwrap_or(Value::Null);
    println!(
        "5S of the province over 7 days: {:.0} ms (HTTP {status}; listed: {} F1, p50 {} h)",
        ms(t.elapsed()),
        listed["people"],
        listed["p50_hours"]
    );
    for list in [
        "not_sampled",
        "f1_not_isolated",
        "samples_overdue",
        "due_for_release",
        "downgrade_reviews",
    ] {
        // each page twice, side by side: as read (an access record is written before it is
        // answered) and pseudonymised (the same query and rows, no access record)
        let (read, pseudo) = walk(http, token, list)?;
        let added = read.p99 - pseudo.p99;
        println!(
            "line list {list}: {} pages of 50 ({} lines; read 3 times), p50 {:.1} ms, p99 {:.1} ms (target p99 ≤ 50 ms); \
             pseudonymised, no access record: p50 {:.1} ms, p99 {:.1} ms; the access record adds {added:.1} ms to p99 ({:+.0}%, budget 10%)",
            read.pages,
            read.rows,
            read.p50,
            read.p99,
            pseudo.p50,
            pseudo.p99,
            100.0 * added / pseudo.p99
        );
    }
    let t = Instant::now();
    let (status, bytes) = http.call_bytes(
        "GET",
        "/api/v1/line-lists/not_sampled?format=csv&purpose=weekly%20follow-up",
        Some(token),
        None,
    );
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "CSV export of not_sampled: {} lines, {:.1} MB streamed in {secs:.1} s ({:.0} lines/s; HTTP {status})",
        lines.saturating_sub(1),
        bytes.len() as f64 / 1e6,
        lines as f64 / secs
    );
    Ok(())
}

/// A district sampled in one night: 50,000 samples pushed in batches of 1,000, a laboratory
/// receiving and uploading 10,000 results, and a positive pool of 10.
fn sampling(
    conn: &mut db::AnyConnection,
    http: &mut Http,
    token: &str,
    plan: &Plan,
) -> anyhow::Result<()> {
    for (user, role) in [
        ("bench.lab", Role::LabTechnician),
        ("bench.admin", Role::Admin),
    ] {
        bootstrap_user(conn, user, "bench", PASSWORD, role, GrantTarget::Unit("22"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut login = |user: &str| -> anyhow::Result<String> {
        let (status, body) = http.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": user, "password": PASSWORD})),
        );
        anyhow::ensure!(status == 200, "login failed: {body}");
        Ok(body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    };
    let (admin, lab) = (login("bench.admin")?, login("bench.lab")?);
    let (status, body) = http.call(
        "POST",
        "/api/v1/labs",
        Some(&admin),
        Some(&json!({"id": "bench-lab", "name": "CDC Quảng Ninh", "unit_code": "22"})),
    );
    anyhow::ensure!(status == 201, "lab: {body}");

    let total = 50_000.min(plan.people);
    let mut batch_ms = Vec::new();
    let mut done = 0;
    let t = Instant::now();
    for b in 0..total.div_ceil(1000) {
        let items: Vec<_> = (b * 1000..((b + 1) * 1000).min(total))
            .map(|i| json!({"person_id": synth::person_id(plan.seed, i), "kind": "rt_pcr", "barcode": format!("BN-{i:06}")}))
            .collect();
        let t = Instant::now();
        let (status, body) = http.call(
            "POST",
            "/api/v1/samples/collections",
            Some(token),
            Some(&json!({"items": items})),
        );
        batch_ms.push(ms(t.elapsed()));
        anyhow::ensure!(status == 200, "collection failed: {body}");
        done += body
            .as_array()
            .map(|a| a.iter().filter(|r| r["status"] == "done").count())
            .unwrap_or(0);
    }
    let secs = t.elapsed().as_secs_f64();
    batch_ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "sample collection: {done} samples in batches of 1,000 in {secs:.1} s ({:.0} samples/s; a batch p50 {:.0} ms, max {:.0} ms)",
        done as f64 / secs,
        percentile(&batch_ms, 0.5),
        batch_ms.last().copied().unwrap_or(0.0)
    );

    let uploaded = 10_000.min(total);
    let barcodes: Vec<String> = (0..uploaded).map(|i| format!("BN-{i:06}")).collect();
    let t = Instant::now();
    for chunk in barcodes.chunks(1000) {
        http.call(
            "POST",
            "/api/v1/labs/bench-lab/receipts",
            Some(&lab),
            Some(&json!({"barcodes": chunk})),
        );
    }
    let received = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut resulted = 0;
    for (k, chunk) in barcodes.chunks(1000).enumerate() {
        let items: Vec<_> = chunk
            .iter()
            .enumerate()
            // one positive in each thousand: each makes a new F0 in the same call
            .map(|(i, b)| json!({"barcode": b, "result": if i == 500 { "positive" } else { "negative" }}))
            .collect();
        let (status, body) = http.call(
            "POST",
            "/api/v1/labs/bench-lab/results",
            Some(&lab),
            Some(&json!({"items": items})),
        );
        anyhow::ensure!(status == 200, "results failed at {k}: {body}");
        resulted += body
            .as_array()
            .map(|a| a.iter().filter(|r| r["status"] == "done").count())
            .unwrap_or(0);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "laboratory upload: {uploaded} received in {received:.1} s, {resulted} results (10 positive, each a new F0 with its cascade) in {secs:.1} s ({:.0} results/s)",
        resulted as f64 / secs
    );

    // a positive pool of 10 members: one transaction
    let items: Vec<_> = (0..10)
        .map(|i| json!({"person_id": synth::person_id(plan.seed, total + i), "kind": "rt_pcr_pooled", "barcode": format!("BP-{i:04}")}))
        .collect();
    let (_, body) = http.call(
        "POST",
        "/api/v1/samples/collections",
        Some(token),
        Some(&json!({"items": items})),
    );
    let ids: Vec<_> = body
        .as_array()
        .map(|a| a.iter().map(|r| r["sample_id"].clone()).collect())
        .unwrap_or_default();
    let (status, body) = http.call(
        "POST",
        "/api/v1/pools",
        Some(token),
        Some(&json!({"barcode": "BPOOL-1", "sample_ids": ids})),
    );
    anyhow::ensure!(status == 201, "pool failed: {body}");
    http.call(
        "POST",
        "/api/v1/labs/bench-lab/receipts",
        Some(&lab),
        Some(&json!({"barcodes": ["BPOOL-1"]})),
    );
    let t = Instant::now();
    let (status, body) = http.call(
        "POST",
        "/api/v1/labs/bench-lab/results",
        Some(&lab),
        Some(&json!({"items": [{"barcode": "BPOOL-1", "result": "positive"}]})),
    );
    let sample = ids.first().and_then(|v| v.as_str()).unwrap_or_default();
    let (_, member) = http.call(
        "GET",
        &format!("/api/v1/samples/{sample}"),
        Some(token),
        None,
    );
    println!(
        "a positive pool of 10 (10 individual samples ordered, one transaction): {:.0} ms (HTTP {status}, {}; a member now {} {})",
        ms(t.elapsed()),
        body[0]["status"],
        member["state"],
        member["result"]
    );
    Ok(())
}

/// Latencies of a line list walked page by page.
struct Walk {
    pages: usize,
    rows: usize,
    p50: f64,
    p99: f64,
}

impl Walk {
    fn of(mut lat: Vec<f64>, rows: usize) -> Walk {
        lat.sort_by(|a, b| a.total_cmp(b));
        Walk {
            pages: lat.len(),
            rows,
            p50: percentile(&lat, 0.5),
            p99: percentile(&lat, 0.99),
        }
    }
}

/// Walk up to 200 pages of 50 of `list` by cursor, three times over, each page read twice
/// in turns first or second: as read, and pseudonymised (same query, same cursor). The
/// figures are of every page read; rows and pages of one walk.
fn walk(http: &mut Http, token: &str, list: &str) -> anyhow::Result<(Walk, Walk)> {
    let (mut read, mut pseudo) = (Vec::new(), Vec::new());
    let mut rows = 0;
    for round in 0..3 {
        rows = walk_once(http, token, list, round, &mut read, &mut pseudo)?;
    }
    let pages = read.len() / 3;
    let (mut read, mut pseudo) = (Walk::of(read, rows), Walk::of(pseudo, rows));
    (read.pages, pseudo.pages) = (pages, pages);
    Ok((read, pseudo))
}

fn walk_once(
    http: &mut Http,
    token: &str,
    list: &str,
    round: usize,
    read: &mut Vec<f64>,
    pseudo: &mut Vec<f64>,
) -> anyhow::Result<usize> {
    let mut cursor: Option<String> = None;
    let mut rows = 0;
    for page in round..round + 200 {
        let after = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let mut next = None;
        for turn in 0..2 {
            let pseudonymised = (page + turn) % 2 == 1;
            let extra = if pseudonymised {
                "&pseudonymised=true"
            } else {
                ""
            };
            let path = format!("/api/v1/line-lists/{list}?limit=50{extra}{after}");
            let t = Instant::now();
            let (status, body) = http.call("GET", &path, Some(token), None);
            let took = ms(t.elapsed());
            anyhow::ensure!(status == 200, "{list} failed: {body}");
            if pseudonymised {
                pseudo.push(took);
            } else {
                read.push(took);
                rows += body["items"].as_array().map_or(0, |a| a.len());
                next = body["next_cursor"].as_str().map(str::to_string);
            }
        }
        cursor = next;
        if cursor.is_none() {
            break;
        }
    }
    Ok(rows)
}
