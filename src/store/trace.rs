//! Cases, contacts, classifications and level reviews.

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::cases::{CaseState, ConfirmationTest, ExposureStatus, Proximity, Setting};
use crate::schema::{cases, contacts, exposures, level_reviews, persons};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// How many ids one `IN (…)` list carries (well under both backends' parameter limits).
const CHUNK: usize = 5000;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: String,
    pub person_id: String,
    pub case_number: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: CaseState,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub confirmation_test: ConfirmationTest,
    pub test_ref: String,
    pub sample_date: NaiveDate,
    pub onset_date: Option<NaiveDate>,
    pub confirmed_at: NaiveDateTime,
    pub isolated_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = super::OptText, serialize_as = super::OptText)]
    pub treatment: Option<crate::domain::cases::Treatment>,
    pub window_start: NaiveDateTime,
    pub unit_path: String,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts, treat_none_as_default_value = false)]
pub struct ContactRow {
    pub id: String,
    pub person_a: String,
    pub person_b: String,
    pub first_at: NaiveDateTime,
    pub last_at: NaiveDateTime,
    pub place: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub setting: Setting,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub proximity: Proximity,
    pub duration_minutes: Option<i32>,
    pub masked: bool,
    pub unit_path: String,
    pub retracted_at: Option<NaiveDateTime>,
    pub retract_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    /// When the tracer listed it (`created_at`: when it reached the server).
    pub listed_at: NaiveDateTime,
    /// The last change: logged, retracted, moved to another record (the sync feed's order).
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = exposures, treat_none_as_default_value = false)]
pub struct ExposureRow {
    pub person_id: String,
    pub level: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: ExposureStatus,
    pub window_start: NaiveDateTime,
    pub window_end: Option<NaiveDateTime>,
    pub via_person_id: Option<String>,
    pub case_id: Option<String>,
    pub unit_path: String,
    pub classified_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When a release cleared it (status `cleared`).
    pub cleared_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = level_reviews)]
pub struct ReviewRow {
    pub id: String,
    pub person_id: String,
    pub current_level: i32,
    pub computed_level: Option<i32>,
    pub reason: String,
    pub unit_path: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

// ---- cases ----------------------------------------------------------------------------

pub fn insert_case(conn: &mut AnyConnection, c: &CaseRow) -> QueryResult<()> {
    diesel::insert_into(cases::table)
        .values(c.clone())
        .execute(conn)?;
    Ok(())
}

pub fn get_case(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .find(id)
        .select(CaseRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn open_case_of(conn: &mut AnyConnection, person_id: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .filter(cases::person_id.eq(person_id))
        .filter(cases::state.eq_any(["confirmed", "in_treatment"]))
        .select(CaseRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn update_case(conn: &mut AnyConnection, c: &CaseRow, expected: i32) -> QueryResult<bool> {
    let n = diesel::update(cases::table.find(&c.id).filter(cases::version.eq(expected)))
        .set((
            cases::state.eq(c.state.as_str()),
            cases::isolated_at.eq(c.isolated_at),
            cases::treatment.eq(c.treatment.map(|t| t.as_str())),
            cases::version.eq(c.version),
            cases::updated_at.eq(c.updated_at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn list_cases(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    state: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CaseRow>> {
    let mut q = cases::table
        .select(CaseRow::as_select())
        .order(cases::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, cases::unit_path, ranges);
    if let Some(s) = state {
        q = q.filter(cases::state.eq(s.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(cases::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Open cases of some people.
pub fn open_cases_of(conn: &mut AnyConnection, people: &[String]) -> QueryResult<Vec<CaseRow>> {
    let mut out = Vec::new();
    for chunk in people.chunks(CHUNK) {
        out.extend(
            cases::table
                .filter(cases::person_id.eq_any(chunk))
                .filter(cases::state.eq_any(["confirmed", "in_treatment"]))
                .select(CaseRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

// ---- contacts -------------------------------------------------------------------------

pub fn insert_contacts(conn: &mut AnyConnection, rows: &[ContactRow]) -> QueryResult<usize> {
    crate::db::insert_chunks!(conn, contacts::table, rows)
}

/// Insert or replace classifications, one statement per chunk of people.
pub fn upsert_exposures(conn: &mut AnyConnection, rows: &[ExposureRow]) -> QueryResult<usize> {
    use diesel::upsert::excluded;
    crate::db::insert_chunks!(
        conn,
        exposures::table,
        rows,
        .on_conflict(exposures::person_id)
        .do_update()
        .set((
            exposures::level.eq(excluded(exposures::level)),
            exposures::status.eq(excluded(exposures::status)),
            exposures::window_start.eq(excluded(exposures::window_start)),
            exposures::window_end.eq(excluded(exposures::window_end)),
            exposures::via_person_id.eq(excluded(exposures::via_person_id)),
            exposures::case_id.eq(excluded(exposures::case_id)),
            exposures::unit_path.eq(excluded(exposures::unit_path)),
            exposures::updated_at.eq(excluded(exposures::updated_at)),
            exposures::classified_at.eq(excluded(exposures::classified_at)),
            exposures::cleared_at.eq(excluded(exposures::cleared_at)),
        ))
    )
}

pub fn insert_contact(conn: &mut AnyConnection, c: &ContactRow) -> QueryResult<()> {
    diesel::insert_into(contacts::table)
        .values(c.clone())
        .execute(conn)?;
    Ok(())
}

/// Move every contact of `from` to `to` (a record linked into another) at `at`; the
/// contacts moved, as they were.
pub fn repoint_contacts(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<ContactRow>> {
    let moved: Vec<ContactRow> = contacts::table
        .filter(contacts::person_a.eq(from).or(contacts::person_b.eq(from)))
        .select(ContactRow::as_select())
        .order(contacts::id.asc())
        .load(conn)?;
    diesel::update(contacts::table.filter(contacts::person_a.eq(from)))
        .set((contacts::person_a.eq(to), contacts::updated_at.eq(at)))
        .execute(conn)?;
    diesel::update(contacts::table.filter(contacts::person_b.eq(from)))
        .set((contacts::person_b.eq(to), contacts::updated_at.eq(at)))
        .execute(conn)?;
    Ok(moved)
}

pub fn get_contact(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<ContactRow>> {
    contacts::table
        .find(id)
        .select(ContactRow::as_select())
        .get_result(conn)
        .optional()
}

/// Those of `ids` that exist: one query per chunk.
pub fn contacts_by_ids(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<ContactRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            contacts::table
                .filter(contacts::id.eq_any(chunk))
                .select(ContactRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn retract_contact(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
    reason: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        contacts::table
            .find(id)
            .filter(contacts::retracted_at.is_null()),
    )
    .set((
        contacts::retracted_at.eq(at),
        contacts::retract_reason.eq(reason),
        contacts::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Every standing (not retracted) contact that touches one of `people`: one query per side
/// and chunk, whatever the number of people.
pub fn contacts_touching(
    conn: &mut AnyConnection,
    people: &[String],
) -> QueryResult<Vec<ContactRow>> {
    let mut out: Vec<ContactRow> = Vec::new();
    for chunk in people.chunks(CHUNK) {
        out.extend(
            contacts::table
                .filter(contacts::person_a.eq_any(chunk))
                .filter(contacts::retracted_at.is_null())
                .select(ContactRow::as_select())
                .load(conn)?,
        );
        out.extend(
            contacts::table
                .filter(contacts::person_b.eq_any(chunk))
                .filter(contacts::retracted_at.is_null())
                .select(ContactRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

/// A person's contacts, retracted ones included, newest first.
pub fn contacts_of(
    conn: &mut AnyConnection,
    person: &str,
    limit: i64,
) -> QueryResult<Vec<ContactRow>> {
    contacts::table
        .filter(
            contacts::person_a
                .eq(person)
                .or(contacts::person_b.eq(person)),
        )
        .select(ContactRow::as_select())
        .order(contacts::first_at.desc())
        .limit(limit)
        .load(conn)
}

// ---- classifications ------------------------------------------------------------------

pub fn exposures_of(conn: &mut AnyConnection, people: &[String]) -> QueryResult<Vec<ExposureRow>> {
    let mut out = Vec::new();
    for chunk in people.chunks(CHUNK) {
        out.extend(
            exposures::table
                .filter(exposures::person_id.eq_any(chunk))
                .select(ExposureRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The two ends of a contact with their classifications, in one statement that stays
/// prepared (`eq_any` over a slice is built anew on each call).
pub fn pair_with_exposures(
    conn: &mut AnyConnection,
    a: &str,
    b: &str,
) -> QueryResult<Vec<(crate::store::people::PersonRow, Option<ExposureRow>)>> {
    persons::table
        .left_join(exposures::table)
        .filter(persons::id.eq(a).or(persons::id.eq(b)))
        .select((
            crate::store::people::PersonRow::as_select(),
            Option::<ExposureRow>::as_select(),
        ))
        .load(conn)
}

pub fn exposure(conn: &mut AnyConnection, person: &str) -> QueryResult<Option<ExposureRow>> {
    exposures::table
        .find(person)
        .select(ExposureRow::as_select())
        .get_result(conn)
        .optional()
}

/// Residence paths of people (for the jurisdiction of their classification).
pub fn unit_paths(
    conn: &mut AnyConnection,
    people: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in people.chunks(CHUNK) {
        out.extend(
            persons::table
                .filter(persons::id.eq_any(chunk))
                .select((persons::id, persons::unit_path))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(out)
}

pub fn set_window_end(
    conn: &mut AnyConnection,
    person: &str,
    end: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(exposures::table.find(person))
        .set((exposures::window_end.eq(end), exposures::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// Write the status the classification state machine moved to.
pub fn set_status(
    conn: &mut AnyConnection,
    person: &str,
    next: ExposureStatus,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(exposures::table.find(person))
        .set((
            exposures::status.eq(next.as_str()),
            exposures::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A classification cleared by a release at `at`.
pub fn clear_exposure(
    conn: &mut AnyConnection,
    person: &str,
    next: ExposureStatus,
    at: NaiveDateTime,
    recorded: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(exposures::table.find(person))
        .set((
            exposures::status.eq(next.as_str()),
            exposures::cleared_at.eq(Some(at)),
            exposures::updated_at.eq(recorded),
        ))
        .execute(conn)?;
    Ok(())
}

// ---- level reviews --------------------------------------------------------------------

pub fn insert_review(conn: &mut AnyConnection, r: &ReviewRow) -> QueryResult<()> {
    diesel::insert_into(level_reviews::table)
        .values(r)
        .execute(conn)?;
    Ok(())
}

pub fn open_review_of(conn: &mut AnyConnection, person: &str) -> QueryResult<Option<ReviewRow>> {
    level_reviews::table
        .filter(level_reviews::person_id.eq(person))
        .filter(level_reviews::resolved_at.is_null())
        .select(ReviewRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn get_review(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<ReviewRow>> {
    level_reviews::table
        .find(id)
        .select(ReviewRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn resolve_review(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    resolution: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        level_reviews::table
            .find(id)
            .filter(level_reviews::resolved_at.is_null()),
    )
    .set((
        level_reviews::resolved_at.eq(at),
        level_reviews::resolved_by.eq(by),
        level_reviews::resolution.eq(resolution),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn open_reviews(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ReviewRow>> {
    let mut q = level_reviews::table
        .select(ReviewRow::as_select())
        .order(level_reviews::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, level_reviews::unit_path, ranges);
    q = q.filter(level_reviews::resolved_at.is_null());
    if let Some(a) = after {
        q = q.filter(level_reviews::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Active classifications in the ranges (at most `cap` rows).
pub fn active_exposures_in(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    cap: i64,
) -> QueryResult<Vec<ExposureRow>> {
    let mut q = exposures::table
        .select(ExposureRow::as_select())
        .order(exposures::person_id.asc())
        .limit(cap)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, exposures::unit_path, ranges);
    q.filter(exposures::status.eq(ExposureStatus::Active.as_str()))
        .load(conn)
}
