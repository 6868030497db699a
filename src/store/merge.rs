//! Merging two records of one person: every table that names a person, moved from the
//! duplicate (`from`) to the record kept (`to`), one function per table. Each returns the rows
//! as they were before the move (for the events the service writes); none decides anything:
//! what may be combined is `domain::people::check_merge_records`, what the classification
//! becomes is `domain::classification::combine`.

use crate::db::AnyConnection;
use crate::schema::{
    cases, contacts, episodes, exposures, investigations, level_reviews, notices, samples,
    trace_tasks, violations,
};
use crate::store::notices::NoticeRow;
use crate::store::quarantine::{EpisodeRow, ViolationRow};
use crate::store::samples::SampleRow;
use crate::store::trace::{CaseRow, ContactRow, ReviewRow};
use crate::store::workflow::{InvestigationRow, TaskRow};
use chrono::NaiveDateTime;
use diesel::prelude::*;

// ---- contacts -------------------------------------------------------------------------

/// The contacts between two people, retracted ones included, by id.
pub fn contacts_between(
    conn: &mut AnyConnection,
    a: &str,
    b: &str,
) -> QueryResult<Vec<ContactRow>> {
    contacts::table
        .filter(
            (contacts::person_a.eq(a).and(contacts::person_b.eq(b)))
                .or(contacts::person_a.eq(b).and(contacts::person_b.eq(a))),
        )
        .select(ContactRow::as_select())
        .order(contacts::id.asc())
        .load(conn)
}

/// Move every contact of `from` to `to`, retracted ones included, except those between the
/// two (they would be a person's contact with themselves: the service retracts them). The
/// contacts table has no unique key but its id, so two contacts with the same third person
/// both stand, as two contacts logged between the same two people do. Each moved contact is
/// changed `at`, so phones pulling the contact feed learn of the move.
pub fn move_contacts(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<ContactRow>> {
    let moved: Vec<ContactRow> = contacts::table
        .filter(
            (contacts::person_a.eq(from).and(contacts::person_b.ne(to)))
                .or(contacts::person_b.eq(from).and(contacts::person_a.ne(to))),
        )
        .select(ContactRow::as_select())
        .order(contacts::id.asc())
        .load(conn)?;
    diesel::update(
        contacts::table
            .filter(contacts::person_a.eq(from))
            .filter(contacts::person_b.ne(to)),
    )
    .set((contacts::person_a.eq(to), contacts::updated_at.eq(at)))
    .execute(conn)?;
    diesel::update(
        contacts::table
            .filter(contacts::person_b.eq(from))
            .filter(contacts::person_a.ne(to)),
    )
    .set((contacts::person_b.eq(to), contacts::updated_at.eq(at)))
    .execute(conn)?;
    Ok(moved)
}

// ---- classifications ------------------------------------------------------------------

/// Point the classifications reached through `from` at `to` (the record kept's own left
/// alone: it is never its own source); the people whose source changed.
pub fn move_vias(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let people: Vec<String> = exposures::table
        .filter(exposures::via_person_id.eq(from))
        .filter(exposures::person_id.ne(to))
        .select(exposures::person_id)
        .order(exposures::person_id.asc())
        .load(conn)?;
    diesel::update(
        exposures::table
            .filter(exposures::via_person_id.eq(from))
            .filter(exposures::person_id.ne(to)),
    )
    .set((
        exposures::via_person_id.eq(to),
        exposures::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(people)
}

/// Every level review of a person, resolved ones included.
pub fn reviews_of(conn: &mut AnyConnection, person: &str) -> QueryResult<Vec<ReviewRow>> {
    level_reviews::table
        .filter(level_reviews::person_id.eq(person))
        .select(ReviewRow::as_select())
        .order(level_reviews::id.asc())
        .load(conn)
}

pub fn move_reviews(conn: &mut AnyConnection, from: &str, to: &str) -> QueryResult<Vec<ReviewRow>> {
    let rows = reviews_of(conn, from)?;
    diesel::update(level_reviews::table.filter(level_reviews::person_id.eq(from)))
        .set(level_reviews::person_id.eq(to))
        .execute(conn)?;
    Ok(rows)
}

// ---- cases and their workflow ---------------------------------------------------------

/// Every case of a person, retracted ones included.
pub fn cases_of(conn: &mut AnyConnection, person: &str) -> QueryResult<Vec<CaseRow>> {
    cases::table
        .filter(cases::person_id.eq(person))
        .select(CaseRow::as_select())
        .order(cases::id.asc())
        .load(conn)
}

pub fn move_cases(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<CaseRow>> {
    let rows = cases_of(conn, from)?;
    diesel::update(cases::table.filter(cases::person_id.eq(from)))
        .set((
            cases::person_id.eq(to),
            cases::version.eq(cases::version + 1),
            cases::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(rows)
}

pub fn move_investigations(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<InvestigationRow>> {
    let rows = investigations::table
        .filter(investigations::person_id.eq(from))
        .select(InvestigationRow::as_select())
        .order(investigations::id.asc())
        .load(conn)?;
    diesel::update(investigations::table.filter(investigations::person_id.eq(from)))
        .set((
            investigations::person_id.eq(to),
            investigations::version.eq(investigations::version + 1),
            investigations::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(rows)
}

pub fn move_trace_tasks(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<TaskRow>> {
    let rows = trace_tasks::table
        .filter(trace_tasks::person_id.eq(from))
        .select(TaskRow::as_select())
        .order(trace_tasks::id.asc())
        .load(conn)?;
    diesel::update(trace_tasks::table.filter(trace_tasks::person_id.eq(from)))
        .set((
            trace_tasks::person_id.eq(to),
            trace_tasks::version.eq(trace_tasks::version + 1),
            trace_tasks::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(rows)
}

// ---- quarantine -----------------------------------------------------------------------

/// Every quarantine episode of a person (camp or home), with its tests, reports and
/// follow-ups, which hang on the episode.
pub fn move_episodes(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<EpisodeRow>> {
    let rows = episodes::table
        .filter(episodes::person_id.eq(from))
        .select(EpisodeRow::as_select())
        .order(episodes::id.asc())
        .load(conn)?;
    diesel::update(episodes::table.filter(episodes::person_id.eq(from)))
        .set((
            episodes::person_id.eq(to),
            episodes::version.eq(episodes::version + 1),
            episodes::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(rows)
}

pub fn move_violations(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> QueryResult<Vec<ViolationRow>> {
    let rows = violations::table
        .filter(violations::person_id.eq(from))
        .select(ViolationRow::as_select())
        .order(violations::id.asc())
        .load(conn)?;
    diesel::update(violations::table.filter(violations::person_id.eq(from)))
        .set(violations::person_id.eq(to))
        .execute(conn)?;
    Ok(rows)
}

// ---- samples --------------------------------------------------------------------------

pub fn move_samples(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<SampleRow>> {
    let rows = samples::table
        .filter(samples::person_id.eq(from))
        .select(SampleRow::as_select())
        .order(samples::id.asc())
        .load(conn)?;
    diesel::update(samples::table.filter(samples::person_id.eq(from)))
        .set((
            samples::person_id.eq(to),
            samples::version.eq(samples::version + 1),
            samples::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(rows)
}

// ---- notices across jurisdictions -----------------------------------------------------

/// Every notice that names `from` (as the person traced, the sender's record, the record
/// matched or the record linked), each of those pointed at `to`.
pub fn move_notices(conn: &mut AnyConnection, from: &str, to: &str) -> QueryResult<Vec<NoticeRow>> {
    let rows = notices::table
        .filter(
            notices::source_person_id
                .eq(from)
                .or(notices::local_person_id.eq(from))
                .or(notices::matched_person_id.eq(from))
                .or(notices::linked_person_id.eq(from)),
        )
        .select(NoticeRow::as_select())
        .order(notices::id.asc())
        .load(conn)?;
    diesel::update(notices::table.filter(notices::source_person_id.eq(from)))
        .set(notices::source_person_id.eq(to))
        .execute(conn)?;
    diesel::update(notices::table.filter(notices::local_person_id.eq(from)))
        .set(notices::local_person_id.eq(to))
        .execute(conn)?;
    diesel::update(notices::table.filter(notices::matched_person_id.eq(from)))
        .set(notices::matched_person_id.eq(to))
        .execute(conn)?;
    diesel::update(notices::table.filter(notices::linked_person_id.eq(from)))
        .set(notices::linked_person_id.eq(to))
        .execute(conn)?;
    let ids: Vec<&str> = rows.iter().map(|n| n.id.as_str()).collect();
    diesel::update(notices::table.filter(notices::id.eq_any(ids)))
        .set(notices::version.eq(notices::version + 1))
        .execute(conn)?;
    Ok(rows)
}

/// Write a person's classification whole, over the one they had (`classified_at` too: a
/// merge sets it to the earlier of both records').
pub fn put_exposure(
    conn: &mut AnyConnection,
    row: &crate::store::trace::ExposureRow,
) -> QueryResult<()> {
    crate::store::trace::upsert_exposures(conn, std::slice::from_ref(row)).map(drop)
}
