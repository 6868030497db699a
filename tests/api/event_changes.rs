//! The event log keeps the values of each change apart from its append-only rows: the
//! migration that moved them there, on a database written by the schema before it.

use crate::helpers::*;
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::db::AnyConnection;
use tracing_backend::domain::roles::Role;

#[derive(QueryableByName, Debug, PartialEq, Clone)]
struct Values {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    before_json: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    after_json: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    backdate_reason: Option<String>,
}

fn run(conn: &mut AnyConnection, sql: &str) -> QueryResult<usize> {
    diesel::sql_query(sql).execute(conn)
}

fn values(conn: &mut AnyConnection, sql: &str) -> Vec<Values> {
    diesel::sql_query(sql).load(conn).unwrap()
}

/// Events as the schema before the split wrote them: a registration, a correction of a
/// name and national ID with its reason, a late report with why it was late, a bare one.
const OLD_EVENTS: &str = "INSERT INTO events (id, entity_type, entity_id, action, actor_id, \
     actor_role, at, before_json, after_json, reason, recorded_at, backdate_reason) VALUES \
     ('old-1', 'person', 'p-old', 'created', NULL, 'health_officer', '2026-10-01 08:00:00', \
      NULL, '{\"full_name\":\"Phạm Thị Cũ\",\"national_id\":\"022190004321\",\"phones\":[\"0912000111\"]}', \
      NULL, '2026-10-01 08:00:00', NULL), \
     ('old-2', 'person', 'p-old', 'corrected', NULL, 'health_officer', '2026-10-02 09:00:00', \
      '{\"full_name\":\"Phạm Thị Cũ\",\"national_id\":\"022190004321\"}', \
      '{\"full_name\":\"Phạm Thị Cú\",\"national_id\":\"022190004322\"}', \
      'sửa theo căn cước', '2026-10-02 09:00:00', NULL), \
     ('old-3', 'episode', 'e-old', 'daily_report', NULL, 'commune_officer', '2026-10-03 07:00:00', \
      NULL, '{\"temperature\":37.2}', NULL, '2026-10-09 07:00:00', 'mất sóng ở đảo Quan Lạn'), \
     ('old-4', 'trace_task', 't-old', 'started', NULL, 'police_tracer', '2026-10-04 07:00:00', \
      NULL, NULL, NULL, NULL, NULL)";

#[actix_web::test]
async fn the_values_of_past_events_move_out_of_the_log_and_none_is_lost() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, units::VAN_DON).await;
    let person = app.person(&health, "Đỗ Văn Trước").await;
    // back to the schema before the split, with events written by it
    let mut conn = app.raw_conn();
    tracing_backend::db::revert_to(&mut conn, "2026-12-04-000041").unwrap();
    run(&mut conn, OLD_EVENTS).unwrap();
    let all = "SELECT id, before_json, after_json, reason, backdate_reason FROM events ORDER BY id";
    let before = values(&mut conn, all);
    assert!(before.len() >= 5, "{before:?}");
    assert!(before.iter().any(|v| v.id == "old-2"));
    tracing_backend::db::migrate(&mut conn).unwrap();

    // every value is in event_changes now, and an event without any has no row there
    let moved = values(
        &mut conn,
        "SELECT e.id, c.before_json, c.after_json, c.reason, c.backdate_reason \
         FROM events e LEFT JOIN event_changes c ON c.event_id = e.id ORDER BY e.id",
    );
    assert_eq!(moved, before);
    let bare: i64 = tracing_backend::schema::event_changes::table
        .filter(tracing_backend::schema::event_changes::event_id.eq("old-4"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(bare, 0);
    // the log has no column for them any more
    for col in ["before_json", "after_json", "reason", "backdate_reason"] {
        let r = run(&mut conn, &format!("SELECT {col} FROM events"));
        assert!(r.is_err(), "events still has {col}");
    }
    // the log stays append-only, and a change can only be erased, once
    assert!(run(
        &mut conn,
        "UPDATE events SET action = 'x' WHERE id = 'old-2'"
    )
    .is_err());
    assert!(run(&mut conn, "DELETE FROM events WHERE id = 'old-2'").is_err());
    assert!(run(
        &mut conn,
        "DELETE FROM event_changes WHERE event_id = 'old-2'"
    )
    .is_err());
    let rewrite = "UPDATE event_changes SET reason = 'khác' WHERE event_id = 'old-2'";
    assert!(run(&mut conn, rewrite).is_err());
    let hide = "UPDATE event_changes SET reason = NULL WHERE event_id = 'old-2'";
    assert!(run(&mut conn, hide).is_err(), "an erasure is marked");

    // the history of a person shows the values as before
    let h = app
        .get(&format!("/api/v1/people/{person}/history"), &health)
        .await;
    let items = h.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["action"], "created");
    assert_eq!(items[0]["after"]["full_name"], "Đỗ Văn Trước", "{items:?}");
    assert!(items[0].get("erased").is_none());

    // an erasure, marked, is the one change a row takes, and only once
    let erase = "UPDATE event_changes SET before_json = NULL, after_json = NULL, reason = NULL, \
                 backdate_reason = NULL, erased_at = '2026-12-01 00:00:00' WHERE event_id = 'old-2'";
    assert_eq!(run(&mut conn, erase).unwrap(), 1);
    let again =
        "UPDATE event_changes SET erased_at = '2026-12-02 00:00:00' WHERE event_id = 'old-2'";
    assert!(run(&mut conn, again).is_err());
}

#[actix_web::test]
async fn going_back_puts_the_values_into_the_log_again() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, units::VAN_DON).await;
    let person = app.person(&health, "Vũ Thị Sau").await;
    let mut conn = app.raw_conn();
    tracing_backend::db::revert_to(&mut conn, "2026-12-04-000041").unwrap();
    let back = values(
        &mut conn,
        &format!(
            "SELECT id, before_json, after_json, reason, backdate_reason FROM events \
             WHERE entity_id = '{person}' AND action = 'created'"
        ),
    );
    let after: Value = serde_json::from_str(back[0].after_json.as_deref().unwrap()).unwrap();
    assert_eq!(after["full_name"], json!("Vũ Thị Sau"));
    tracing_backend::db::migrate(&mut conn).unwrap();
}
