//! Episodes: one person's quarantine, from order to close.

use super::rows::EpisodeRow;
use crate::db::AnyConnection;
use crate::schema::{episodes, exposures};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub fn insert_episode(conn: &mut AnyConnection, e: &EpisodeRow) -> QueryResult<()> {
    diesel::insert_into(episodes::table)
        .values(e.clone())
        .execute(conn)
        .map(drop)
}

pub fn get_episode(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EpisodeRow>> {
    episodes::table
        .find(id)
        .select(EpisodeRow::as_select())
        .get_result(conn)
        .optional()
}

/// Write an episode if it is still at `version`; false when someone changed it meanwhile.
pub fn update_episode(conn: &mut AnyConnection, e: &EpisodeRow, version: i32) -> QueryResult<bool> {
    diesel::update(
        episodes::table
            .filter(episodes::id.eq(&e.id))
            .filter(episodes::version.eq(version)),
    )
    .set(e.clone())
    .execute(conn)
    .map(|n| n == 1)
}

pub fn open_episode_of(conn: &mut AnyConnection, person: &str) -> QueryResult<Option<EpisodeRow>> {
    episodes::table
        .filter(episodes::person_id.eq(person))
        .filter(episodes::state.eq_any(["ordered", "active", "absconded"]))
        .select(EpisodeRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn episodes_of_person(conn: &mut AnyConnection, person: &str) -> QueryResult<Vec<EpisodeRow>> {
    episodes::table
        .filter(episodes::person_id.eq(person))
        .select(EpisodeRow::as_select())
        .order(episodes::id)
        .load(conn)
}

/// Active episodes of the people quarantined together with one: the same room or home.
pub fn quarantined_with(conn: &mut AnyConnection, e: &EpisodeRow) -> QueryResult<Vec<EpisodeRow>> {
    let mut q = episodes::table
        .filter(episodes::state.eq("active"))
        .filter(episodes::id.ne(&e.id))
        .select(EpisodeRow::as_select())
        .into_boxed();
    q = match (&e.room_id, &e.home_id) {
        (Some(room), _) => q.filter(episodes::room_id.eq(room.clone())),
        (None, Some(home)) => q.filter(episodes::home_id.eq(home.clone())),
        (None, None) => return Ok(vec![]),
    };
    q.order(episodes::id).load(conn)
}

pub fn room_occupants(conn: &mut AnyConnection, room: &str) -> QueryResult<Vec<EpisodeRow>> {
    episodes::table
        .filter(episodes::room_id.eq(room))
        .filter(episodes::state.eq("active"))
        .select(EpisodeRow::as_select())
        .load(conn)
}

pub fn home_episodes(conn: &mut AnyConnection, home: &str) -> QueryResult<Vec<EpisodeRow>> {
    episodes::table
        .filter(episodes::home_id.eq(home))
        .select(EpisodeRow::as_select())
        .order(episodes::id)
        .load(conn)
}

#[derive(Debug, Default)]
pub struct EpisodeFilter {
    pub state: Option<String>,
    pub site_id: Option<String>,
    pub person_id: Option<String>,
    /// Active and releasable on or before this date.
    pub due_by: Option<NaiveDate>,
    pub after: Option<String>,
    /// Rows to read (the paging contract: one more than the page).
    pub fetch: i64,
}

pub fn list_episodes(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    f: &EpisodeFilter,
) -> QueryResult<Vec<EpisodeRow>> {
    let mut q = in_ranges!(episodes::table.into_boxed(), episodes::unit_path, ranges);
    if let Some(s) = &f.state {
        q = q.filter(episodes::state.eq(s.clone()));
    }
    if let Some(s) = &f.site_id {
        q = q.filter(episodes::site_id.eq(s.clone()));
    }
    if let Some(p) = &f.person_id {
        q = q.filter(episodes::person_id.eq(p.clone()));
    }
    if let Some(d) = f.due_by {
        q = q
            .filter(episodes::state.eq("active"))
            .filter(episodes::release_from.le(d));
    }
    if let Some(a) = &f.after {
        q = q.filter(episodes::id.gt(a.clone()));
    }
    q.select(EpisodeRow::as_select())
        .order(episodes::id)
        .limit(f.fetch)
        .load(conn)
}

/// F1s (active classification) never admitted to quarantine, in the jurisdiction: "not yet
/// isolated". Returns (person id, classified at, classified through).
pub fn f1_not_isolated(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after: Option<&str>,
    fetch: i64,
) -> QueryResult<Vec<(String, NaiveDateTime, Option<String>)>> {
    let isolated = episodes::table
        .filter(episodes::admitted_at.is_not_null())
        .select(episodes::person_id);
    let mut q = in_ranges!(exposures::table.into_boxed(), exposures::unit_path, ranges);
    q = q
        .filter(exposures::level.eq(1))
        .filter(exposures::status.eq("active"))
        .filter(exposures::person_id.ne_all(isolated));
    if let Some(a) = after {
        q = q.filter(exposures::person_id.gt(a.to_string()));
    }
    q.select((
        exposures::person_id,
        exposures::classified_at,
        exposures::via_person_id,
    ))
    .order(exposures::person_id)
    .limit(fetch)
    .load(conn)
}
