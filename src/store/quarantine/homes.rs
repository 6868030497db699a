//! Homes, the warning signs posted at them, and daily reports from home quarantine.

use super::rows::{EpisodeRow, HomeRow, ReportRow, SignRow};
use crate::db::AnyConnection;
use crate::domain::home::SignState;
use crate::schema::{daily_reports, episodes, homes, warning_signs};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub fn insert_home(conn: &mut AnyConnection, h: &HomeRow) -> QueryResult<()> {
    diesel::insert_into(homes::table)
        .values(h)
        .execute(conn)
        .map(drop)
}

pub fn get_home(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<HomeRow>> {
    homes::table
        .find(id)
        .select(HomeRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn update_home(conn: &mut AnyConnection, h: &HomeRow, version: i32) -> QueryResult<bool> {
    diesel::update(
        homes::table
            .filter(homes::id.eq(&h.id))
            .filter(homes::version.eq(version)),
    )
    .set(h)
    .execute(conn)
    .map(|n| n == 1)
}

pub fn insert_sign(conn: &mut AnyConnection, s: &SignRow) -> QueryResult<()> {
    diesel::insert_into(warning_signs::table)
        .values(s.clone())
        .execute(conn)
        .map(drop)
}

pub fn get_sign(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SignRow>> {
    warning_signs::table
        .find(id)
        .select(SignRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn signs_of(conn: &mut AnyConnection, home: &str) -> QueryResult<Vec<SignRow>> {
    warning_signs::table
        .filter(warning_signs::home_id.eq(home))
        .select(SignRow::as_select())
        .order(warning_signs::id)
        .load(conn)
}

/// Take a sign down: `next` is what the sign state machine moved it to.
pub fn remove_sign(
    conn: &mut AnyConnection,
    s: &SignRow,
    next: SignState,
    by: &str,
    at: NaiveDateTime,
    reason: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(
        warning_signs::table
            .filter(warning_signs::id.eq(&s.id))
            .filter(warning_signs::version.eq(s.version)),
    )
    .set((
        warning_signs::state.eq(next.as_str()),
        warning_signs::removed_by.eq(Some(by)),
        warning_signs::removed_at.eq(Some(at)),
        warning_signs::removed_reason.eq(reason),
        warning_signs::version.eq(s.version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Signs still posted at homes where nobody is quarantined any more.
pub fn signs_left_posted(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    limit: i64,
) -> QueryResult<Vec<SignRow>> {
    let still = episodes::table
        .filter(episodes::state.eq_any(["ordered", "active", "absconded"]))
        .filter(episodes::home_id.is_not_null())
        .select(episodes::home_id.assume_not_null());
    let ever = episodes::table
        .filter(episodes::home_id.is_not_null())
        .select(episodes::home_id.assume_not_null());
    let q = in_ranges!(
        warning_signs::table.into_boxed(),
        warning_signs::unit_path,
        ranges
    );
    q.filter(warning_signs::state.eq(SignState::Posted.as_str()))
        .filter(warning_signs::home_id.ne_all(still))
        .filter(warning_signs::home_id.eq_any(ever))
        .select(SignRow::as_select())
        .order(warning_signs::id)
        .limit(limit)
        .load(conn)
}

pub fn insert_report(conn: &mut AnyConnection, r: &ReportRow) -> QueryResult<()> {
    diesel::insert_into(daily_reports::table)
        .values(r.clone())
        .execute(conn)
        .map(drop)
}

pub fn reports_of(conn: &mut AnyConnection, episode: &str) -> QueryResult<Vec<ReportRow>> {
    daily_reports::table
        .filter(daily_reports::episode_id.eq(episode))
        .select(ReportRow::as_select())
        .order((daily_reports::report_date, daily_reports::id))
        .load(conn)
}

/// Active home episodes in the jurisdiction, with the dates they reported on.
pub fn active_home_episodes(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
) -> QueryResult<Vec<EpisodeRow>> {
    let q = in_ranges!(episodes::table.into_boxed(), episodes::unit_path, ranges);
    q.filter(episodes::state.eq("active"))
        .filter(episodes::mode.eq("home"))
        .select(EpisodeRow::as_select())
        .order(episodes::id)
        .load(conn)
}

pub fn report_dates(
    conn: &mut AnyConnection,
    episodes: &[String],
) -> QueryResult<Vec<(String, NaiveDate)>> {
    let mut out = Vec::new();
    for chunk in episodes.chunks(5000) {
        out.extend(
            daily_reports::table
                .filter(daily_reports::episode_id.eq_any(chunk))
                .select((daily_reports::episode_id, daily_reports::report_date))
                .distinct()
                .load::<(String, NaiveDate)>(conn)?,
        );
    }
    Ok(out)
}
