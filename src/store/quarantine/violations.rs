//! Violations, absconded episodes, and the last contact between two people.

use super::rows::{EpisodeRow, ViolationRow};
use crate::db::AnyConnection;
use crate::schema::{episodes, violations};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert_violation(conn: &mut AnyConnection, v: &ViolationRow) -> QueryResult<()> {
    diesel::insert_into(violations::table)
        .values(v.clone())
        .execute(conn)
        .map(drop)
}

pub fn get_violation(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<ViolationRow>> {
    violations::table
        .find(id)
        .select(ViolationRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn handle_violation(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
    outcome: &str,
) -> QueryResult<bool> {
    diesel::update(
        violations::table
            .filter(violations::id.eq(id))
            .filter(violations::handled_at.is_null()),
    )
    .set((
        violations::handled_at.eq(Some(at)),
        violations::handled_by.eq(Some(by)),
        violations::outcome.eq(Some(outcome)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn open_violations(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    limit: i64,
) -> QueryResult<Vec<ViolationRow>> {
    let q = in_ranges!(
        violations::table.into_boxed(),
        violations::unit_path,
        ranges
    );
    q.filter(violations::handled_at.is_null())
        .select(ViolationRow::as_select())
        .order(violations::id)
        .limit(limit)
        .load(conn)
}

pub fn absconded(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    limit: i64,
) -> QueryResult<Vec<EpisodeRow>> {
    let q = in_ranges!(episodes::table.into_boxed(), episodes::unit_path, ranges);
    q.filter(episodes::state.eq("absconded"))
        .select(EpisodeRow::as_select())
        .order(episodes::id)
        .limit(limit)
        .load(conn)
}

/// The last time two people met, by the contacts logged between them.
pub fn last_contact_between(
    conn: &mut AnyConnection,
    a: &str,
    b: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    use crate::schema::contacts;
    contacts::table
        .filter(contacts::retracted_at.is_null())
        .filter(
            contacts::person_a
                .eq(a)
                .and(contacts::person_b.eq(b))
                .or(contacts::person_a.eq(b).and(contacts::person_b.eq(a))),
        )
        .select(diesel::dsl::max(contacts::last_at))
        .get_result(conn)
}
