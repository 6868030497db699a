//! The append-only event log.

use crate::db::AnyConnection;
use crate::schema::events;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub at: NaiveDateTime,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
}

/// One event, by a statement the connection keeps prepared (a slice insert is built anew).
pub fn insert(conn: &mut AnyConnection, row: &EventRow) -> QueryResult<()> {
    diesel::insert_into(events::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Many events, a multi-row statement per chunk.
pub fn insert_many(conn: &mut AnyConnection, rows: &[EventRow]) -> QueryResult<usize> {
    crate::db::insert_chunks!(conn, events::table, rows)
}

/// Who did it, as the event log names them.
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub actor_id: Option<String>,
    pub role: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut AnyConnection,
    who: &Who,
    at: NaiveDateTime,
    entity_type: &str,
    entity_id: &str,
    action: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    reason: Option<&str>,
) -> QueryResult<()> {
    let row = EventRow {
        id: super::new_id(),
        entity_type: entity_type.into(),
        entity_id: entity_id.into(),
        action: action.into(),
        actor_id: who.actor_id.clone(),
        actor_role: who.role.clone(),
        at,
        before_json: before.map(|v| v.to_string()),
        after_json: after.map(|v| v.to_string()),
        reason: reason.map(str::to_string),
    };
    insert(conn, &row)
}

/// Events of some entities, oldest first, after the event `cursor`.
pub fn history(
    conn: &mut AnyConnection,
    entity_type: &str,
    ids: &[String],
    cursor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut q = events::table
        .filter(events::entity_type.eq(entity_type))
        .filter(events::entity_id.eq_any(ids))
        .select(EventRow::as_select())
        .order(events::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = cursor {
        q = q.filter(events::id.gt(c.to_string()));
    }
    q.load(conn)
}
