//! Quarantine: regimes, sites with rooms and beds, homes, episodes with their scheduled
//! tests, warning signs, daily reports, follow-ups and violations.

use crate::db::AnyConnection;
use crate::domain::home::{FollowUpKind, FollowUpState, HouseholdRole, ReportSource, SignState};
use crate::domain::quarantine::{EpisodeState, Mode};
use crate::schema::{
    beds, daily_reports, episode_tests, episodes, exposures, follow_ups, homes, persons, regimes,
    rooms, site_areas, sites, violations, warning_signs,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = regimes)]
pub struct RegimeRow {
    pub id: String,
    pub code: String,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub document: String,
    pub province_code: Option<String>,
    pub rules: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: crate::domain::camps::SiteKind,
    pub address: String,
    pub unit_code: String,
    pub unit_path: String,
    pub capacity: i32,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = site_areas)]
pub struct AreaRow {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    pub id: String,
    pub site_id: String,
    pub area_id: Option<String>,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = beds)]
pub struct BedRow {
    pub id: String,
    pub room_id: String,
    pub site_id: String,
    pub label: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = homes, treat_none_as_null = true)]
pub struct HomeRow {
    pub id: String,
    pub address: String,
    pub unit_code: String,
    pub unit_path: String,
    pub own_room: bool,
    pub own_toilet: bool,
    pub no_shared_air_conditioning: bool,
    pub officer_id: Option<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = episodes, treat_none_as_null = true)]
pub struct EpisodeRow {
    pub id: String,
    pub person_id: String,
    pub level: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub mode: Mode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: EpisodeState,
    pub regime_id: String,
    pub day1: NaiveDate,
    pub days: i32,
    pub release_from: NaiveDate,
    pub monitoring_days: i32,
    pub site_id: Option<String>,
    pub room_id: Option<String>,
    pub bed_id: Option<String>,
    pub home_id: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub household_role: HouseholdRole,
    pub admitted_at: Option<NaiveDateTime>,
    pub released_at: Option<NaiveDateTime>,
    pub monitoring_from: Option<NaiveDate>,
    pub closed_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = super::OptText, serialize_as = super::OptText)]
    pub destination: Option<crate::domain::quarantine::Destination>,
    pub next_episode_id: Option<String>,
    pub previous_episode_id: Option<String>,
    pub commitment_signed_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub unit_path: String,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = episode_tests)]
pub struct TestRow {
    pub id: String,
    pub episode_id: String,
    pub phase: String,
    pub day: i32,
    pub due_date: NaiveDate,
    #[diesel(deserialize_as = super::OptText, serialize_as = super::OptText)]
    pub result: Option<crate::domain::samples::TestResult>,
    pub resulted_at: Option<NaiveDateTime>,
    pub recorded_by: Option<String>,
    pub superseded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = warning_signs)]
pub struct SignRow {
    pub id: String,
    pub home_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: SignState,
    pub posted_by: Option<String>,
    pub posted_at: NaiveDateTime,
    pub photo_ref: Option<String>,
    pub removed_by: Option<String>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
    pub unit_path: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = daily_reports)]
pub struct ReportRow {
    pub id: String,
    pub episode_id: String,
    pub report_date: NaiveDate,
    pub temperature_c: Option<f64>,
    pub symptoms: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub source: ReportSource,
    pub recorded_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = follow_ups)]
pub struct FollowUpRow {
    pub id: String,
    pub episode_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: FollowUpKind,
    pub for_date: NaiveDate,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: FollowUpState,
    pub note: Option<String>,
    pub unit_path: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = violations)]
pub struct ViolationRow {
    pub id: String,
    pub episode_id: String,
    pub person_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: crate::domain::home::ViolationKind,
    pub occurred_at: NaiveDateTime,
    pub note: Option<String>,
    pub unit_path: String,
    pub reported_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub handled_at: Option<NaiveDateTime>,
    pub handled_by: Option<String>,
    pub outcome: Option<String>,
}

// ---- regimes ----------------------------------------------------------------------------

pub fn insert_regime(conn: &mut AnyConnection, r: &RegimeRow) -> QueryResult<()> {
    diesel::insert_into(regimes::table)
        .values(r)
        .execute(conn)
        .map(drop)
}

pub fn all_regimes(conn: &mut AnyConnection) -> QueryResult<Vec<RegimeRow>> {
    regimes::table
        .select(RegimeRow::as_select())
        .order((
            regimes::effective_from.asc(),
            regimes::code.asc(),
            regimes::version.asc(),
        ))
        .load(conn)
}

pub fn get_regime(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<RegimeRow>> {
    regimes::table
        .find(id)
        .select(RegimeRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn latest_version(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<i32>> {
    regimes::table
        .filter(regimes::code.eq(code))
        .select(diesel::dsl::max(regimes::version))
        .get_result(conn)
}

// ---- sites ------------------------------------------------------------------------------

pub fn insert_site(conn: &mut AnyConnection, s: &SiteRow) -> QueryResult<()> {
    diesel::insert_into(sites::table)
        .values(s.clone())
        .execute(conn)
        .map(drop)
}

pub fn get_site(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SiteRow>> {
    sites::table
        .find(id)
        .select(SiteRow::as_select())
        .get_result(conn)
        .optional()
}

/// Take the site's write lock for the rest of the transaction: concurrent check-ins to one
/// site queue here (a row lock on PostgreSQL; SQLite writers are serialised already).
pub fn lock_site(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
    diesel::update(sites::table.find(id))
        .set(sites::version.eq(sites::version))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn list_sites(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    site_ids: &[String],
) -> QueryResult<Vec<SiteRow>> {
    let mut q = in_ranges!(sites::table.into_boxed(), sites::unit_path, ranges);
    q = q.or_filter(sites::id.eq_any(site_ids.to_vec()));
    q.select(SiteRow::as_select()).order(sites::id).load(conn)
}

pub fn insert_area(conn: &mut AnyConnection, a: &AreaRow) -> QueryResult<()> {
    diesel::insert_into(site_areas::table)
        .values(a)
        .execute(conn)
        .map(drop)
}

pub fn get_area(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<AreaRow>> {
    site_areas::table
        .find(id)
        .select(AreaRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn areas_of(conn: &mut AnyConnection, site: &str) -> QueryResult<Vec<AreaRow>> {
    site_areas::table
        .filter(site_areas::site_id.eq(site))
        .select(AreaRow::as_select())
        .order(site_areas::name)
        .load(conn)
}

pub fn insert_room(conn: &mut AnyConnection, r: &RoomRow, b: &[BedRow]) -> QueryResult<()> {
    diesel::insert_into(rooms::table).values(r).execute(conn)?;
    for bed in b {
        diesel::insert_into(beds::table).values(bed).execute(conn)?;
    }
    Ok(())
}

pub fn get_room(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<RoomRow>> {
    rooms::table
        .find(id)
        .select(RoomRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn rooms_of(conn: &mut AnyConnection, site: &str) -> QueryResult<Vec<RoomRow>> {
    rooms::table
        .filter(rooms::site_id.eq(site))
        .select(RoomRow::as_select())
        .order(rooms::name)
        .load(conn)
}

pub fn beds_of_site(conn: &mut AnyConnection, site: &str) -> QueryResult<Vec<BedRow>> {
    beds::table
        .filter(beds::site_id.eq(site))
        .select(BedRow::as_select())
        .order((beds::room_id, beds::label))
        .load(conn)
}

/// The active episodes at a site (who holds which bed).
pub fn residents(conn: &mut AnyConnection, site: &str) -> QueryResult<Vec<EpisodeRow>> {
    episodes::table
        .filter(episodes::site_id.eq(site))
        .filter(episodes::state.eq("active"))
        .select(EpisodeRow::as_select())
        .order(episodes::admitted_at)
        .load(conn)
}

/// Beds occupied per site.
pub fn occupancy(conn: &mut AnyConnection, site_ids: &[String]) -> QueryResult<Vec<(String, i64)>> {
    episodes::table
        .filter(episodes::site_id.eq_any(site_ids))
        .filter(episodes::state.eq("active"))
        .group_by(episodes::site_id)
        .select((
            episodes::site_id.assume_not_null(),
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

/// Beds per site.
pub fn bed_counts(
    conn: &mut AnyConnection,
    site_ids: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    beds::table
        .filter(beds::site_id.eq_any(site_ids))
        .group_by(beds::site_id)
        .select((beds::site_id, diesel::dsl::count_star()))
        .load(conn)
}

// ---- people, as a camp sees them ---------------------------------------------------------

/// Name, birth year and sex: what a camp needs to recognise someone.
#[derive(Debug, Clone, Queryable)]
pub struct PersonBasics {
    pub id: String,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub sex: Option<String>,
}

pub fn person_basics(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<PersonBasics>> {
    persons::table
        .filter(persons::id.eq_any(ids))
        .select((
            persons::id,
            persons::full_name,
            persons::birth_year,
            persons::sex,
        ))
        .load(conn)
}

/// People ordered to a site whose national ID or folded name matches.
pub fn expected_at_site(
    conn: &mut AnyConnection,
    site: &str,
    national_id: Option<&str>,
    name_folded: Option<&str>,
) -> QueryResult<Vec<EpisodeRow>> {
    let mut q = episodes::table
        .inner_join(persons::table)
        .filter(episodes::site_id.eq(site))
        .filter(episodes::state.eq("ordered"))
        .select(EpisodeRow::as_select())
        .into_boxed();
    if let Some(n) = national_id {
        q = q.filter(persons::national_id.eq(n.to_string()));
    }
    if let Some(n) = name_folded {
        q = q.filter(persons::name_folded.eq(n.to_string()));
    }
    q.order(episodes::id).limit(20).load(conn)
}

// ---- episodes ---------------------------------------------------------------------------

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

// ---- scheduled tests --------------------------------------------------------------------

pub fn insert_tests(conn: &mut AnyConnection, rows: &[TestRow]) -> QueryResult<()> {
    for r in rows {
        diesel::insert_into(episode_tests::table)
            .values(r.clone())
            .execute(conn)?;
    }
    Ok(())
}

pub fn get_test(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<TestRow>> {
    episode_tests::table
        .find(id)
        .select(TestRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn tests_of(conn: &mut AnyConnection, episode: &str) -> QueryResult<Vec<TestRow>> {
    episode_tests::table
        .filter(episode_tests::episode_id.eq(episode))
        .select(TestRow::as_select())
        .order((
            episode_tests::due_date,
            episode_tests::day,
            episode_tests::id,
        ))
        .load(conn)
}

pub fn tests_of_many(conn: &mut AnyConnection, episodes: &[String]) -> QueryResult<Vec<TestRow>> {
    episode_tests::table
        .filter(episode_tests::episode_id.eq_any(episodes))
        .filter(episode_tests::superseded_at.is_null())
        .select(TestRow::as_select())
        .order((episode_tests::due_date, episode_tests::day))
        .load(conn)
}

/// Replace the pending tests of an episode (a restart or a new regime): kept, marked
/// superseded, never deleted.
pub fn supersede_pending_tests(
    conn: &mut AnyConnection,
    episode: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        episode_tests::table
            .filter(episode_tests::episode_id.eq(episode))
            .filter(episode_tests::result.is_null())
            .filter(episode_tests::superseded_at.is_null()),
    )
    .set(episode_tests::superseded_at.eq(Some(at)))
    .execute(conn)
}

pub fn supersede_test(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(episode_tests::table.find(id))
        .set(episode_tests::superseded_at.eq(Some(at)))
        .execute(conn)
        .map(drop)
}

pub fn set_test_result(
    conn: &mut AnyConnection,
    test: &str,
    result: &str,
    at: NaiveDateTime,
    by: &str,
) -> QueryResult<bool> {
    diesel::update(
        episode_tests::table
            .filter(episode_tests::id.eq(test))
            .filter(episode_tests::result.is_null())
            .filter(episode_tests::superseded_at.is_null()),
    )
    .set((
        episode_tests::result.eq(Some(result)),
        episode_tests::resulted_at.eq(Some(at)),
        episode_tests::recorded_by.eq(Some(by)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

// ---- homes, signs, reports, follow-ups, violations --------------------------------------

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

/// Insert a follow-up unless the same one (episode, kind, date) exists; true if inserted.
pub fn raise_follow_up(conn: &mut AnyConnection, f: &FollowUpRow) -> QueryResult<bool> {
    let n = crate::db::on_inner!(conn, |c| diesel::insert_into(follow_ups::table)
        .values(f.clone())
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

pub fn get_follow_up(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<FollowUpRow>> {
    follow_ups::table
        .find(id)
        .select(FollowUpRow::as_select())
        .get_result(conn)
        .optional()
}

/// Move a follow-up from `from` to `next` (the follow-up state machine's move); false when
/// it is no longer in `from`.
pub fn resolve_follow_up(
    conn: &mut AnyConnection,
    id: &str,
    from: FollowUpState,
    next: FollowUpState,
    by: &str,
    at: NaiveDateTime,
    note: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(
        follow_ups::table
            .filter(follow_ups::id.eq(id))
            .filter(follow_ups::state.eq(from.as_str())),
    )
    .set((
        follow_ups::state.eq(next.as_str()),
        follow_ups::resolved_at.eq(Some(at)),
        follow_ups::resolved_by.eq(Some(by)),
        follow_ups::note.eq(note),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn open_follow_ups(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    kind: Option<&str>,
    after: Option<&str>,
    fetch: i64,
) -> QueryResult<Vec<FollowUpRow>> {
    let mut q = in_ranges!(
        follow_ups::table.into_boxed(),
        follow_ups::unit_path,
        ranges
    );
    q = q.filter(follow_ups::state.eq(FollowUpState::Open.as_str()));
    if let Some(k) = kind {
        q = q.filter(follow_ups::kind.eq(k.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(follow_ups::id.gt(a.to_string()));
    }
    q.select(FollowUpRow::as_select())
        .order(follow_ups::id)
        .limit(fetch)
        .load(conn)
}

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
