//! Many phones at once on one outbreak: writers that meet on the same people never see an
//! error, and a request sent several times at once (a phone retrying on a bad network) gets
//! the first one's answer every time. On PostgreSQL these run truly in parallel; on SQLite
//! the writer orders them, and the answers must be the same.

use crate::helpers::units::*;
use crate::helpers::{local_ago, TestApp};
use futures_util::future::join_all;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// A name for the `i`th person made up by a test (names hold no digits).
pub(crate) fn name(i: usize) -> String {
    const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"];
    const GIVEN: [&str; 8] = ["An", "Bình", "Chi", "Dung", "Giang", "Hà", "Khánh", "Lan"];
    format!(
        "{} {} {}",
        FAMILY[i % 8],
        GIVEN[(i / 8) % 8],
        GIVEN[(i / 64) % 8]
    )
}

const ROUNDS: usize = 6;

pub(crate) fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) async fn parallel_app() -> TestApp {
    TestApp::with_config(|c| {
        c.pool_size = 16;
        c.pool_timeout = std::time::Duration::from_secs(30);
    })
    .await
}

pub(crate) async fn confirm(app: &TestApp, health: &str, person: &str) {
    let today = crate::helpers::date_ago(0);
    app.post(
        "/api/v1/cases",
        health,
        json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "QN-9", "sample_date": today}),
    )
    .await
    .assert(201);
}

#[actix_web::test]
async fn thirty_two_writers_logging_into_one_cluster_see_no_error() {
    let app = parallel_app().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    confirm(&app, &health, &f0).await;
    // a cluster: the F0 and eight F1s of theirs
    let mut cluster = vec![f0.clone()];
    for i in 0..8 {
        let p = app.person(&health, &name(i)).await;
        app.post(
            "/api/v1/contacts",
            &health,
            json!({"person_id": f0, "contact_person_id": p, "first_at": local_ago(2, 9),
                   "last_at": local_ago(2, 10), "setting": "household", "proximity": "physical"}),
        )
        .await
        .assert(201);
        cluster.push(p);
    }
    // 32 phones log at once, three rounds: contacts inside the cluster (which widen
    // windows and touch the same classifications from both ends) and out to new people
    for round in 0..ROUNDS {
        let bodies: Vec<Value> = (0..32)
            .map(|i| {
                let a = &cluster[(i + round) % cluster.len()];
                let b = &cluster[(i * 5 + 3 + round) % cluster.len()];
                let other = if a == b || i % 2 == 0 {
                    json!({"contact_person": {"full_name": name(100 + round * 32 + i), "phones": ["0912000111"]}})
                } else {
                    json!({"contact_person_id": b})
                };
                let mut body = json!({"person_id": a, "first_at": local_ago(1, 8 + (i % 5) as u32),
                                      "last_at": local_ago(1, 9 + (i % 5) as u32),
                                      "setting": "workplace", "proximity": "physical"});
                body.as_object_mut()
                    .unwrap()
                    .extend(other.as_object().unwrap().clone());
                body
            })
            .collect();
        let answers = join_all(
            bodies
                .iter()
                .map(|b| app.post("/api/v1/contacts", &health, b.clone())),
        )
        .await;
        for a in &answers {
            a.assert(201);
        }
    }
}

/// Send the same request `n` times at once; every answer must be the first one's.
async fn ten_at_once(app: &TestApp, token: &str, path: &str, body: Value) -> Vec<(u16, Value)> {
    let answers = join_all((0..10).map(|_| app.post(path, token, body.clone()))).await;
    answers
        .into_iter()
        .map(|r| (r.status.as_u16(), r.body))
        .collect()
}

fn all_the_same(answers: &[(u16, Value)], status: u16) {
    assert_eq!(answers[0].0, status, "{}", answers[0].1);
    for a in answers {
        assert_eq!(a, &answers[0]);
    }
}

#[actix_web::test]
async fn the_same_batch_sent_ten_times_at_once_gets_one_answer() {
    let app = parallel_app().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    confirm(&app, &health, &f0).await;
    let mut items = Vec::new();
    for i in 0..20 {
        let p = uuid();
        items.push(json!({"kind": "person", "data": {"id": p, "full_name": name(i), "residence_unit_code": CAI_RONG}}));
        items.push(json!({"kind": "contact", "data": {"id": uuid(), "person_id": f0, "contact_person_id": p,
            "first_at": local_ago(1, 9), "last_at": local_ago(1, 10), "setting": "market", "proximity": "physical"}}));
    }
    let batch = json!({"batch_id": uuid(), "items": items});
    let answers = ten_at_once(&app, &police, "/api/v1/sync/push", batch).await;
    all_the_same(&answers, 200);
    assert_eq!(answers[0].1["counts"]["created"], 40);
}

#[actix_web::test]
async fn the_same_client_id_sent_ten_times_at_once_gets_one_answer() {
    let app = parallel_app().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    // a person
    let person = json!({"id": uuid(), "full_name": "Lê Văn Mười", "phones": ["0912345000"], "residence_unit_code": CAI_RONG});
    let answers = ten_at_once(&app, &police, "/api/v1/people", person).await;
    all_the_same(&answers, 201);
    let pid = answers[0].1["person"]["id"].as_str().unwrap().to_string();
    // a case of theirs
    let case = json!({"id": uuid(), "person_id": pid, "confirmation_test": "rt_pcr", "test_ref": "QN-10",
                      "sample_date": crate::helpers::date_ago(0)});
    let answers = ten_at_once(&app, &health, "/api/v1/cases", case).await;
    all_the_same(&answers, 201);
    // a contact of theirs
    let other = app.person(&police, "Phạm Thị Mười Một").await;
    let contact = json!({"id": uuid(), "person_id": pid, "contact_person_id": other,
                         "first_at": local_ago(1, 9), "last_at": local_ago(1, 10),
                         "setting": "household", "proximity": "physical"});
    let answers = ten_at_once(&app, &police, "/api/v1/contacts", contact.clone()).await;
    all_the_same(&answers, 201);
    assert_eq!(answers[0].1["classifies"], true);
    // sent again later, the same answer still
    let again = app.post("/api/v1/contacts", &police, contact).await;
    assert_eq!((again.status.as_u16(), again.body), answers[0]);
}

#[actix_web::test]
async fn two_commands_that_deadlock_both_complete() {
    let app = parallel_app().await;
    if !app.database_url.starts_with("postgres") {
        return; // SQLite runs one writing transaction at a time: no deadlock to meet
    }
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Barrier};
    use tracing_backend::store::units::{set_setting, setting};
    {
        let mut conn = app.raw_conn();
        set_setting(&mut conn, "deadlock.a", "0").unwrap();
        set_setting(&mut conn, "deadlock.b", "0").unwrap();
    }
    // each takes one row, waits for the other to take the other row, then wants it: one of
    // them is chosen as the deadlock's victim, and its command runs again
    let barrier = Arc::new(Barrier::new(2));
    let runs = Arc::new(AtomicU32::new(0));
    let command = |first: &'static str, second: &'static str| {
        let (barrier, runs) = (barrier.clone(), runs.clone());
        move |conn: &mut tracing_backend::db::AnyConnection| {
            let attempt = runs.fetch_add(1, Ordering::SeqCst);
            tracing_backend::db::write_tx(conn, |c| {
                // one statement that reads and writes the row under its lock: a read
                // followed by a write would lose the other's update when the victim runs
                // again before the winner has committed (read committed)
                let take = |c: &mut tracing_backend::db::AnyConnection, key: &str| {
                    use diesel::RunQueryDsl;
                    diesel::sql_query(
                        "UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) \
                         WHERE key = $1",
                    )
                    .bind::<diesel::sql_types::Text, _>(key)
                    .execute(c)
                    .map(drop)
                    .map_err(tracing_backend::error::AppError::from)
                };
                take(c, first)?;
                if attempt < 2 {
                    barrier.wait();
                }
                take(c, second)?;
                Ok::<_, tracing_backend::error::AppError>(())
            })
        }
    };
    let (x, y) = futures_util::future::join(
        app.state.write(command("deadlock.a", "deadlock.b")),
        app.state.write(command("deadlock.b", "deadlock.a")),
    )
    .await;
    x.unwrap();
    y.unwrap();
    // three runs: the two first ones, and the victim's second
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    let mut conn = app.raw_conn();
    assert_eq!(
        setting(&mut conn, "deadlock.a").unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(
        setting(&mut conn, "deadlock.b").unwrap().as_deref(),
        Some("2")
    );
}
