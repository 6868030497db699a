//! The mixed load: many clients at once doing what a province's teams do on a bad night,
//! over the synthetic province with a dense cluster in it (a factory whose 5,000 workers
//! live in a few communes and meet on shifts, with F0s among them, as in Bắc Giang in May
//! 2021: most new contacts fall inside an F0's window and classify).
//!
//! Each client, for the phase's seconds, draws its next request: 60% a line-list page
//! (walking `not_sampled` or `f1_not_isolated` by cursor), 30% a contact logged between
//! two workers, 10% a phone's batch of 100 items (50 new people, 50 contacts to workers).

use super::{contact_body, ms, percentile, Http};
use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Instant;
use tracing_backend::db;
use tracing_backend::domain::cases::{Proximity, Setting};
use tracing_backend::store::trace::ContactRow;
use tracing_backend::synth::{self, Plan, Rng};

/// The factory's seed (its workers' ids) and size.
const FACTORY_SEED: u64 = 5000;
const WORKERS: usize = 5000;

/// A contact between workers `a` and `b` on a shift `hours_ago`.
fn shift_contact(a: usize, b: usize, hours_ago: i64, now: NaiveDateTime) -> ContactRow {
    let first = now - Duration::hours(hours_ago);
    ContactRow {
        id: uuid::Uuid::now_v7().to_string(),
        person_a: synth::person_id(FACTORY_SEED, a),
        person_b: synth::person_id(FACTORY_SEED, b),
        first_at: first,
        last_at: first + Duration::hours(4),
        place: None,
        setting: Setting::Workplace,
        proximity: Proximity::Within2m,
        duration_minutes: Some(240),
        masked: false,
        unit_path: String::new(),
        retracted_at: None,
        retract_reason: None,
        created_by: None,
        created_at: now,
        listed_at: first + Duration::hours(4),
        updated_at: now,
    }
}

/// Write the factory: its workers in the first few communes of the province, each with
/// contacts to the ten workers beside them on the line over the last days; then confirm
/// ten of them over HTTP, so that the cascade classifies the shifts around them.
pub fn factory(
    conn: &mut db::AnyConnection,
    http: &mut Http,
    token: &str,
    communes: &[(String, String)],
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let plan = Plan {
        seed: FACTORY_SEED,
        people: WORKERS,
        contacts: 0,
        province: "22".into(),
    };
    let few = &communes[..communes.len().min(8)];
    let people: Vec<_> = (0..WORKERS)
        .map(|i| synth::person(&plan, few, i, now))
        .collect();
    let mut rng = Rng::new(51);
    let mut contacts = Vec::new();
    for (a, worker) in people.iter().enumerate() {
        for k in 1..=5 {
            let b = (a + k) % WORKERS;
            let mut c = shift_contact(a, b, 24 + rng.below(96) as i64, now);
            c.unit_path = worker.unit_path.clone();
            contacts.push(c);
        }
    }
    db::write_tx(conn, |c| {
        tracing_backend::store::people::insert_rows(c, &people)?;
        tracing_backend::store::trace::insert_contacts(c, &contacts)
    })?;
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let t = Instant::now();
    let mut classified = 0u64;
    for i in 0..10 {
        let (status, body) = http.call(
            "POST",
            "/api/v1/cases",
            Some(token),
            Some(&json!({"person_id": synth::person_id(FACTORY_SEED, i * WORKERS / 10), "confirmation_test": "rt_pcr", "test_ref": "BENCH-FACTORY", "sample_date": today, "onset_date": today - Duration::days(3)})),
        );
        anyhow::ensure!(status == 201, "confirming a worker failed: {body}");
        classified += body["cascade"]["changed"].as_u64().unwrap_or(0);
    }
    println!(
        "a factory of {WORKERS} workers with {} shift contacts; 10 F0 among them classify {classified} people in {:.1} s",
        contacts.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    LinePage,
    Contact,
    Batch,
}

const KINDS: [(Kind, &str); 3] = [
    (Kind::LinePage, "line-list page"),
    (Kind::Contact, "contact logged"),
    (Kind::Batch, "batch of 100"),
];

/// What one client saw: per kind, latencies and refusals.
#[derive(Default)]
struct Seen {
    lat: [Vec<f64>; 3],
    errors: [usize; 3],
}

fn client(
    addr: SocketAddr,
    token: &str,
    gate: &str,
    k: usize,
    secs: f64,
    now: NaiveDateTime,
) -> Seen {
    let mut http = Http::connect(addr);
    let mut rng = Rng::new(900 + k as u64);
    let mut seen = Seen::default();
    let mut cursor: [Option<String>; 2] = [None, None];
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < secs {
        let draw = rng.below(10);
        let kind = match draw {
            0..=5 => Kind::LinePage,
            6..=8 => Kind::Contact,
            _ => Kind::Batch,
        };
        let t = Instant::now();
        let ok = match kind {
            Kind::LinePage => {
                let which = rng.below(2);
                let list = ["not_sampled", "f1_not_isolated"][which];
                let path = match &cursor[which] {
                    Some(c) => format!("/api/v1/line-lists/{list}?limit=50&cursor={c}"),
                    None => format!("/api/v1/line-lists/{list}?limit=50"),
                };
                let (status, body) = http.call("GET", &path, Some(token), None);
                cursor[which] = body["next_cursor"].as_str().map(str::to_string);
                status == 200
            }
            Kind::Contact => {
                let a = rng.below(WORKERS);
                let b = (a + 1 + rng.below(40)) % WORKERS;
                let c = shift_contact(a, b, 6 + rng.below(60) as i64, now);
                let (status, _) = http.call(
                    "POST",
                    "/api/v1/contacts",
                    Some(token),
                    Some(&contact_body(&c)),
                );
                status == 201
            }
            Kind::Batch => {
                let (status, _) = http.call(
                    "POST",
                    "/api/v1/sync/push",
                    Some(token),
                    Some(&batch(&mut rng, gate, now)),
                );
                status == 200
            }
        };
        let i = kind as usize;
        seen.lat[i].push(ms(t.elapsed()));
        if !ok {
            seen.errors[i] += 1;
        }
    }
    seen
}

/// A phone's batch: 50 people met at the factory gate and a contact of each to a worker.
fn batch(rng: &mut Rng, gate: &str, now: NaiveDateTime) -> Value {
    let mut items = Vec::new();
    let ids: Vec<String> = (0..50).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for (i, id) in ids.iter().enumerate() {
        items.push(json!({"kind": "person", "data": {"id": id, "full_name": format!("Người Ở Cổng {}", ["A","B","C","D","E"][i % 5]), "residence_unit_code": gate}}));
    }
    for id in &ids {
        let worker = synth::person_id(FACTORY_SEED, rng.below(WORKERS));
        let first = now - Duration::hours(2 + rng.below(40) as i64);
        items.push(json!({"kind": "contact", "data": {"id": uuid::Uuid::now_v7().to_string(), "person_id": worker, "contact_person_id": id,
            "first_at": first.and_utc().to_rfc3339(), "last_at": (first + Duration::minutes(30)).and_utc().to_rfc3339(), "setting": "market", "proximity": "within_2m"}}));
    }
    json!({"batch_id": uuid::Uuid::now_v7().to_string(), "items": items})
}

/// Resident memory of this process (the service and the clients), in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The phase: 1, 4, 16 and 64 clients for `secs` each.
pub fn run(addr: SocketAddr, token: &str, gate: &str, secs: f64, now: NaiveDateTime) {
    for clients in [1usize, 4, 16, 64] {
        let t = Instant::now();
        let handles: Vec<_> = (0..clients)
            .map(|k| {
                let (token, gate) = (token.to_string(), gate.to_string());
                std::thread::spawn(move || client(addr, &token, &gate, k, secs, now))
            })
            .collect();
        let mut all = Seen::default();
        for h in handles {
            if let Ok(s) = h.join() {
                for i in 0..3 {
                    all.lat[i].extend(s.lat[i].iter().copied());
                    all.errors[i] += s.errors[i];
                }
            }
        }
        let elapsed = t.elapsed().as_secs_f64();
        let total: usize = all.lat.iter().map(Vec::len).sum();
        let mut line = format!(
            "mixed load, {clients} clients, {secs:.0} s: {:.0} requests/s, RSS {:.0} MB (target at 64: 0 errors, p99 ≤ 300 ms per kind, RSS ≤ 200 MB)",
            total as f64 / elapsed,
            rss_mb()
        );
        for (kind, name) in KINDS {
            let i = kind as usize;
            all.lat[i].sort_by(|a, b| a.total_cmp(b));
            line.push_str(&format!(
                "; {name}: {} done, {} refused, p50 {:.1} ms, p99 {:.1} ms",
                all.lat[i].len(),
                all.errors[i],
                percentile(&all.lat[i], 0.5),
                percentile(&all.lat[i], 0.99)
            ));
        }
        println!("{line}");
    }
}
