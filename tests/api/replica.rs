//! Reads that tolerate lag go to a streaming replica, everything else to the primary.
//!
//! These need a real replica (`.ci/replica.sh` starts a primary and a replica of it), so a
//! plain `cargo test` leaves them out. Each pauses the replica's replay to make it visibly
//! behind, so they take turns.

use crate::helpers::{units::VAN_DON, TestApp};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::time::{Duration, Instant};
use tracing_backend::domain::roles::Role;

/// One test at a time pauses the replica.
static REPLICA: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    yes: bool,
}

fn ask(conn: &mut PgConnection, sql: &str) -> bool {
    diesel::sql_query(sql)
        .get_result::<Flag>(conn)
        .map(|f| f.yes)
        .unwrap_or(false)
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The replica's replay, paused while this lives.
struct Paused(PgConnection);

impl Paused {
    fn new(replica_url: &str) -> Paused {
        let mut c = PgConnection::establish(replica_url).unwrap();
        c.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
        until("replay paused", || {
            ask(
                &mut c,
                "SELECT pg_get_wal_replay_pause_state() = 'paused' AS yes",
            )
        });
        Paused(c)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = self.0.batch_execute("SELECT pg_wal_replay_resume()");
    }
}

/// Wait until the replica has replayed everything the primary has written so far.
fn caught_up(app: &TestApp, replica_url: &str) {
    #[derive(QueryableByName)]
    struct Lsn {
        #[diesel(sql_type = diesel::sql_types::Text)]
        lsn: String,
    }
    let mut primary = PgConnection::establish(&app.database_url).unwrap();
    let at: Lsn = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result(&mut primary)
        .unwrap();
    let mut replica = PgConnection::establish(replica_url).unwrap();
    let sql = format!(
        "SELECT pg_last_wal_replay_lsn() >= '{}'::pg_lsn AS yes",
        at.lsn
    );
    until("the replica caught up", || ask(&mut replica, &sql));
}

async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    REPLICA.lock().await
}

#[actix_web::test]
#[ignore = "needs a PostgreSQL streaming replica: .ci/replica.sh"]
async fn lagging_reads_come_from_the_replica_and_a_write_is_read_back_from_the_primary() {
    let _turn = lock().await;
    let (app, replica) = TestApp::with_replica(|c| c.read_max_lag = Duration::from_secs(600)).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let known = app.person(&health, "Nguyễn Văn Trước").await;
    caught_up(&app, &replica);
    app.get(&format!("/api/v1/people/{known}/chain"), &health)
        .await
        .assert(200);
    let ready = app.request("GET", "/readyz", None, None).await;
    assert_eq!(ready.assert(200)["replica"]["reads_from"], "replica");
    {
        let _paused = Paused::new(&replica);
        let new = app.person(&health, "Trần Thị Sau").await;
        // the command's own answer and a read of the record come from the primary
        app.get(&format!("/api/v1/people/{new}"), &health)
            .await
            .assert(200);
        // the chain is read from the replica, which has not replayed the registration yet
        app.get(&format!("/api/v1/people/{new}/chain"), &health)
            .await
            .assert_problem(404, "not-found");
        // what the replica answered is recorded on the primary
        let chain = app
            .get(&format!("/api/v1/people/{known}/chain"), &health)
            .await;
        chain.assert(200);
        let mut primary = PgConnection::establish(&app.database_url).unwrap();
        let rid = chain
            .headers
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        // its people are filed or still wait to be: either way on the primary
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM access_records r
             WHERE r.operation = 'person_chain' AND r.request_id = '{rid}'
             AND (EXISTS (SELECT 1 FROM access_people p
                          WHERE p.access_id = r.id AND p.person_id = '{known}')
                  OR EXISTS (SELECT 1 FROM access_queue q
                             WHERE q.access_id = r.id AND q.people LIKE '%\"{known}\"%'))) AS yes"
        );
        assert!(
            ask(&mut primary, &sql),
            "the replica's answer left unrecorded"
        );
        drop(_paused);
        caught_up(&app, &replica);
        app.get(&format!("/api/v1/people/{new}/chain"), &health)
            .await
            .assert(200);
    }
}

#[actix_web::test]
#[ignore = "needs a PostgreSQL streaming replica: .ci/replica.sh"]
async fn a_replica_further_behind_than_the_bound_is_passed_over() {
    let _turn = lock().await;
    let (app, replica) =
        TestApp::with_replica(|c| c.read_max_lag = Duration::from_millis(300)).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let reads_from = |r: &crate::helpers::Resp| r.body["replica"]["reads_from"].clone();
    caught_up(&app, &replica);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.request("GET", "/readyz", None, None).await;
        if reads_from(&r) == "replica" {
            break;
        }
        assert!(Instant::now() < deadline, "{}", r.body);
        std::thread::sleep(Duration::from_millis(50));
    }
    let paused = Paused::new(&replica);
    let new = app.person(&health, "Trần Thị Sau").await;
    // once the replica is measured behind the bound, lagging reads go to the primary
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.request("GET", "/readyz", None, None).await;
        r.assert(200);
        if reads_from(&r) == "primary" {
            assert!(
                r.body["replica"]["lag_ms"].as_i64().unwrap() > 300,
                "{}",
                r.body
            );
            break;
        }
        assert!(Instant::now() < deadline, "{}", r.body);
        std::thread::sleep(Duration::from_millis(50));
    }
    app.get(&format!("/api/v1/people/{new}/chain"), &health)
        .await
        .assert(200);
    drop(paused);
    caught_up(&app, &replica);
}
