//! The set-based cascade in the service and the pure classification in the domain are two
//! implementations of one fixpoint: on random graphs, logged through the API in a random
//! order (single contacts, phone batches, confirmations between them), they give every
//! person the same level and the same window start.

use crate::helpers::units::*;
use crate::helpers::{date_ago, TestApp};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use tracing_backend::domain::classification::{classify, f0_window, Edge, DEFAULT_DAYS_BEFORE};
use tracing_backend::domain::roles::Role;

/// Seeds are fixed: the graphs are random but the same on every run.
const GRAPHS: u64 = 16;
/// Names may not hold digits: people are told apart by these.
const NAMES: [&str; 16] = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Minh", "Nam", "Oanh", "Phúc",
    "Quân", "Sơn", "Tâm", "Uyên",
];

struct Graph {
    people: usize,
    /// (a, b, first) with a < b, one per pair
    contacts: Vec<(usize, usize, NaiveDateTime)>,
    /// person → onset, days before the sample
    cases: BTreeMap<usize, i64>,
    /// The local date of every case's positive sample, fixed once so that a run across
    /// midnight in Vietnam sends and expects the same dates.
    sample_date: NaiveDate,
}

fn graph(seed: u64, now: NaiveDateTime, sample_date: NaiveDate) -> Graph {
    let mut rng = StdRng::seed_from_u64(seed);
    let people = rng.gen_range(6..=10);
    let mut pairs = BTreeSet::new();
    for _ in 0..rng.gen_range(people..=people * 3) {
        let a = rng.gen_range(0..people);
        let b = rng.gen_range(0..people);
        if a != b {
            pairs.insert((a.min(b), a.max(b)));
        }
    }
    let contacts = pairs
        .into_iter()
        .map(|(a, b)| {
            // between 1 and 8 days ago, at any minute: some before a window opens, some in it
            let minutes = rng.gen_range(24 * 60..8 * 24 * 60);
            (a, b, now - Duration::minutes(minutes))
        })
        .collect();
    let mut cases = BTreeMap::new();
    for _ in 0..rng.gen_range(1..=3) {
        cases.insert(rng.gen_range(0..people), rng.gen_range(0..=6));
    }
    Graph {
        people,
        contacts,
        cases,
        sample_date,
    }
}

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

fn contact_body(ids: &[String], (a, b, first): &(usize, usize, NaiveDateTime)) -> Value {
    json!({"person_id": ids[*a], "contact_person_id": ids[*b], "first_at": rfc3339(*first),
           "last_at": rfc3339(*first + Duration::minutes(30)), "setting": "household",
           "proximity": "within_2m"})
}

/// What the domain says: (level, window start) per person index.
fn expected(g: &Graph) -> BTreeMap<usize, (u8, NaiveDateTime)> {
    let sample_date = g.sample_date;
    let sources: Vec<(usize, _)> = g
        .cases
        .iter()
        .map(|(p, onset)| {
            let onset = sample_date - Duration::days(*onset);
            let w = f0_window(Some(onset), sample_date, None, DEFAULT_DAYS_BEFORE);
            (*p, w)
        })
        .collect();
    let edges: Vec<Edge<usize>> = g
        .contacts
        .iter()
        .map(|(a, b, first)| Edge {
            a: *a,
            b: *b,
            first: *first,
            last: *first + Duration::minutes(30),
        })
        .collect();
    classify(&sources, &edges, &BTreeMap::new(), 3)
        .into_iter()
        .map(|(p, c)| (p, (c.level, c.window.start)))
        .collect()
}

/// What the service stored: (level, window start) per person index.
async fn stored(
    app: &TestApp,
    token: &str,
    ids: &[String],
) -> BTreeMap<usize, (u8, NaiveDateTime)> {
    let mut out = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let r = app
            .get(&format!("/api/v1/people/{id}/exposure"), token)
            .await;
        if r.status.as_u16() == 404 {
            continue;
        }
        let body = r.assert(200);
        let level: u8 = body["level"].as_str().unwrap()[1..].parse().unwrap();
        let start = DateTime::parse_from_rfc3339(body["window_start"].as_str().unwrap())
            .unwrap()
            .naive_utc();
        out.insert(i, (level, start));
    }
    out
}

/// Log the graph: contacts one by one or as a phone's batch, cases in between.
async fn log(app: &TestApp, token: &str, seed: u64, g: &Graph, ids: &[String]) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut steps: Vec<Option<usize>> = (0..g.contacts.len()).map(Some).collect();
    steps.extend(g.cases.keys().map(|_| None));
    // a shuffle: cases land before, between or after the contacts
    for i in (1..steps.len()).rev() {
        steps.swap(i, rng.gen_range(0..=i));
    }
    let mut cases = g.cases.iter();
    let mut batch: Vec<Value> = Vec::new();
    for step in steps {
        match step {
            Some(c) if rng.gen_bool(0.5) => {
                let mut data = contact_body(ids, &g.contacts[c]);
                data["id"] = json!(uuid::Uuid::now_v7().to_string());
                batch.push(json!({"kind": "contact", "data": data}));
            }
            Some(c) => {
                let r = app
                    .post("/api/v1/contacts", token, contact_body(ids, &g.contacts[c]))
                    .await;
                r.assert(201);
            }
            None => {
                push(app, token, &mut batch).await;
                let (p, onset) = cases.next().unwrap();
                let r = app
                    .post(
                        "/api/v1/cases",
                        token,
                        json!({"person_id": ids[*p], "confirmation_test": "rt_pcr",
                               "test_ref": "QN-1", "sample_date": g.sample_date.to_string(),
                               "onset_date": (g.sample_date - Duration::days(*onset)).to_string(),
                               "case_number": format!("BN{seed}-{p}")}),
                    )
                    .await;
                r.assert(201);
            }
        }
    }
    push(app, token, &mut batch).await;
}

async fn push(app: &TestApp, token: &str, batch: &mut Vec<Value>) {
    if batch.is_empty() {
        return;
    }
    let items = std::mem::take(batch);
    let r = app
        .post(
            "/api/v1/sync/push",
            token,
            json!({"batch_id": uuid::Uuid::now_v7().to_string(), "items": items}),
        )
        .await;
    let body = r.assert(200);
    for item in body["results"].as_array().unwrap() {
        assert_eq!(item["status"], "created", "{item}");
    }
}

#[actix_web::test]
async fn the_service_cascade_and_the_domain_classification_agree_on_random_graphs() {
    let app = TestApp::new().await;
    let token = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
    let sample_date: NaiveDate = date_ago(0).parse().unwrap();
    for seed in 0..GRAPHS {
        let g = graph(seed, now, sample_date);
        let mut ids = Vec::new();
        for given in &NAMES[..g.people] {
            let name = format!("Người {} {given}", NAMES[seed as usize]);
            ids.push(app.person(&token, &name).await);
        }
        log(&app, &token, seed, &g, &ids).await;
        let want = expected(&g);
        assert!(!want.is_empty());
        assert_eq!(
            stored(&app, &token, &ids).await,
            want,
            "graph {seed}: contacts {:?}, cases {:?}",
            g.contacts,
            g.cases
        );
    }
}
