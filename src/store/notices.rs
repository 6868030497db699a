//! Notices across jurisdictions (`service::notices`) and the identity look-up counts.

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::notices::{NoticeReason, NoticeState};
use crate::schema::{lookup_counts, notices};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = notices, treat_none_as_default_value = false)]
pub struct NoticeRow {
    pub id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub reason: NoticeReason,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: NoticeState,
    pub from_unit_code: String,
    pub from_path: String,
    pub to_unit_code: String,
    pub to_path: String,
    pub person_json: String,
    pub contact_json: Option<String>,
    pub source_person_id: Option<String>,
    pub implied_level: Option<i32>,
    pub local_person_id: Option<String>,
    pub matched_person_id: Option<String>,
    pub linked_person_id: Option<String>,
    pub sent_by: String,
    pub sent_at: NaiveDateTime,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolution_reason: Option<String>,
    pub version: i32,
}

pub fn insert(conn: &mut AnyConnection, rows: &[NoticeRow]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(notices::table)
            .values(row.clone())
            .execute(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<NoticeRow>> {
    notices::table
        .find(id)
        .select(NoticeRow::as_select())
        .get_result(conn)
        .optional()
}

/// Lock a notice for the rest of the transaction (PostgreSQL), then read it.
pub fn get_for_update(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<NoticeRow>> {
    if let AnyConnection::Postgresql(pg) = conn {
        notices::table
            .find(id)
            .select(notices::id)
            .for_update()
            .get_result::<String>(pg)
            .optional()?;
    }
    get(conn, id)
}

/// Write the answer to a notice if its version is still `expected`; false when stale.
pub fn resolve(conn: &mut AnyConnection, n: &NoticeRow, expected: i32) -> QueryResult<bool> {
    let changed = diesel::update(
        notices::table
            .find(&n.id)
            .filter(notices::version.eq(expected)),
    )
    .set((
        notices::state.eq(n.state.as_str()),
        notices::linked_person_id.eq(&n.linked_person_id),
        notices::resolved_by.eq(&n.resolved_by),
        notices::resolved_at.eq(n.resolved_at),
        notices::resolution_reason.eq(&n.resolution_reason),
        notices::version.eq(n.version),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Which side of a notice a list is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Sent to the jurisdiction.
    Incoming,
    /// Sent from it (residence notices only: the sender never sees the others).
    Sent,
}

/// Notices of the jurisdiction's ranges on one side, by id after `after`.
pub fn list(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    side: Side,
    state: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<NoticeRow>> {
    let mut q = notices::table
        .select(NoticeRow::as_select())
        .order(notices::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = match side {
        Side::Incoming => in_ranges!(q, notices::to_path, ranges),
        Side::Sent => {
            in_ranges!(q, notices::from_path, ranges).filter(notices::reason.eq("residence"))
        }
    };
    if let Some(s) = state {
        q = q.filter(notices::state.eq(s.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(notices::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Add `n` identity look-ups to a user's count for the hour starting at `window`; the count
/// after it. One statement, so that concurrent requests add up.
pub fn add_lookups(
    conn: &mut AnyConnection,
    user_id: &str,
    window: NaiveDateTime,
    n: i32,
) -> QueryResult<i32> {
    use diesel::upsert::excluded;
    let row = (
        lookup_counts::user_id.eq(user_id),
        lookup_counts::window_start.eq(window),
        lookup_counts::lookups.eq(n),
    );
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(lookup_counts::table)
                .values(row)
                .on_conflict((lookup_counts::user_id, lookup_counts::window_start))
                .do_update()
                .set(
                    lookup_counts::lookups
                        .eq(lookup_counts::lookups + excluded(lookup_counts::lookups)),
                )
                .returning(lookup_counts::lookups)
                .get_result($c)
        };
    }
    match conn {
        AnyConnection::Postgresql(c) => upsert!(c),
        AnyConnection::Sqlite(c) => upsert!(c),
    }
}

/// Forget the counts of hours that ended before `before`.
pub fn purge_lookups(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(lookup_counts::table.filter(lookup_counts::window_start.lt(before)))
        .execute(conn)
}
