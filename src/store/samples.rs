//! Laboratories, samples, pools and mass-sampling rounds.

use crate::db::AnyConnection;
use crate::domain::samples::{PoolState, SampleKind, SampleState};
use crate::schema::{labs, persons, pools, samples, sampling_rounds};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// How many ids one `IN (…)` list carries.
const CHUNK: usize = 5000;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = labs)]
pub struct LabRow {
    pub id: String,
    pub name: String,
    pub unit_code: String,
    pub unit_path: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pools, treat_none_as_null = true)]
pub struct PoolRow {
    pub id: String,
    pub barcode: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: PoolState,
    pub max_size: i32,
    pub lab_id: Option<String>,
    #[diesel(deserialize_as = super::OptText, serialize_as = super::OptText)]
    pub result: Option<crate::domain::samples::TestResult>,
    pub note: Option<String>,
    pub unit_path: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    pub resulted_at: Option<NaiveDateTime>,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sampling_rounds)]
pub struct RoundRow {
    pub id: String,
    pub zone_id: String,
    pub round_date: NaiveDate,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: SampleKind,
    pub ordered: i32,
    pub unit_path: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = samples,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct SampleRow {
    pub id: String,
    pub person_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: SampleKind,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: SampleState,
    pub origin: String,
    pub episode_test_id: Option<String>,
    pub round_id: Option<String>,
    pub replaces_sample_id: Option<String>,
    pub due_date: NaiveDate,
    pub barcode: Option<String>,
    pub pool_id: Option<String>,
    pub lab_id: Option<String>,
    pub collected_at: Option<NaiveDateTime>,
    pub received_at: Option<NaiveDateTime>,
    pub resulted_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = super::OptText, serialize_as = super::OptText)]
    pub result: Option<crate::domain::samples::TestResult>,
    pub note: Option<String>,
    pub unit_path: String,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_lab(conn: &mut AnyConnection, l: &LabRow) -> QueryResult<()> {
    diesel::insert_into(labs::table)
        .values(l)
        .execute(conn)
        .map(drop)
}

pub fn get_lab(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<LabRow>> {
    labs::table
        .find(id)
        .select(LabRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert_samples(conn: &mut AnyConnection, rows: &[SampleRow]) -> QueryResult<()> {
    crate::db::insert_chunks!(conn, samples::table, rows).map(drop)
}

pub fn get_sample(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SampleRow>> {
    samples::table
        .find(id)
        .select(SampleRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn samples_by_id(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<SampleRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            samples::table
                .filter(samples::id.eq_any(chunk))
                .select(SampleRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn samples_by_barcode(
    conn: &mut AnyConnection,
    barcodes: &[String],
) -> QueryResult<Vec<SampleRow>> {
    let mut out = Vec::with_capacity(barcodes.len());
    for chunk in barcodes.chunks(CHUNK) {
        out.extend(
            samples::table
                .filter(samples::barcode.eq_any(chunk))
                .select(SampleRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Lock, until the transaction ends, the pools and samples `barcodes` name and the members
/// of those pools: pools, then samples, each in the order of their ids, so that uploads
/// over the same tubes wait for one another instead of deadlocking, and each then reads
/// what the other wrote (PostgreSQL; SQLite's write transaction holds the database already).
pub fn lock_tubes(conn: &mut AnyConnection, barcodes: &[String]) -> QueryResult<()> {
    let AnyConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    if barcodes.is_empty() {
        return Ok(());
    }
    let pools: Vec<String> = pools::table
        .filter(pools::barcode.eq_any(barcodes))
        .select(pools::id)
        .order(pools::id)
        .for_update()
        .load(pg)?;
    samples::table
        .filter(
            samples::barcode
                .eq_any(barcodes)
                .or(samples::pool_id.eq_any(&pools)),
        )
        .select(samples::id)
        .order(samples::id)
        .for_update()
        .load::<String>(pg)?;
    Ok(())
}

/// Lock samples by id until the transaction ends, in the order of their ids (PostgreSQL).
pub fn lock_samples(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<()> {
    let AnyConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    if ids.is_empty() {
        return Ok(());
    }
    samples::table
        .filter(samples::id.eq_any(ids))
        .select(samples::id)
        .order(samples::id)
        .for_update()
        .load::<String>(pg)?;
    Ok(())
}

/// Write a sample if it is still at `version`; false when someone changed it meanwhile.
pub fn update_sample(conn: &mut AnyConnection, s: &SampleRow, version: i32) -> QueryResult<bool> {
    diesel::update(
        samples::table
            .filter(samples::id.eq(&s.id))
            .filter(samples::version.eq(version)),
    )
    .set(s.clone())
    .execute(conn)
    .map(|n| n == 1)
}

pub fn samples_of_person(conn: &mut AnyConnection, person: &str) -> QueryResult<Vec<SampleRow>> {
    samples::table
        .filter(samples::person_id.eq(person))
        .select(SampleRow::as_select())
        .order(samples::id)
        .load(conn)
}

pub fn samples_of_tests(conn: &mut AnyConnection, tests: &[String]) -> QueryResult<Vec<SampleRow>> {
    samples::table
        .filter(samples::episode_test_id.eq_any(tests))
        .select(SampleRow::as_select())
        .load(conn)
}

/// Move the samples still only ordered for these scheduled tests to `next` (what the
/// sample state machine makes of an ordered sample that is cancelled); their ids.
pub fn cancel_ordered_for_tests(
    conn: &mut AnyConnection,
    tests: &[String],
    next: SampleState,
    at: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = samples::table
        .filter(samples::episode_test_id.eq_any(tests))
        .filter(samples::state.eq(SampleState::Ordered.as_str()))
        .select(samples::id)
        .load(conn)?;
    diesel::update(samples::table.filter(samples::id.eq_any(&ids)))
        .set((
            samples::state.eq(next.as_str()),
            samples::updated_at.eq(at),
            samples::version.eq(samples::version + 1),
        ))
        .execute(conn)?;
    Ok(ids)
}

pub fn pool_members(conn: &mut AnyConnection, pool: &str) -> QueryResult<Vec<SampleRow>> {
    samples::table
        .filter(samples::pool_id.eq(pool))
        .select(SampleRow::as_select())
        .order(samples::id)
        .load(conn)
}

pub fn insert_pool(conn: &mut AnyConnection, p: &PoolRow) -> QueryResult<()> {
    diesel::insert_into(pools::table)
        .values(p.clone())
        .execute(conn)
        .map(drop)
}

pub fn get_pool(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<PoolRow>> {
    pools::table
        .find(id)
        .select(PoolRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn pools_by_barcode(
    conn: &mut AnyConnection,
    barcodes: &[String],
) -> QueryResult<Vec<PoolRow>> {
    let mut out = Vec::new();
    for chunk in barcodes.chunks(CHUNK) {
        out.extend(
            pools::table
                .filter(pools::barcode.eq_any(chunk))
                .select(PoolRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn update_pool(conn: &mut AnyConnection, p: &PoolRow, version: i32) -> QueryResult<bool> {
    diesel::update(
        pools::table
            .filter(pools::id.eq(&p.id))
            .filter(pools::version.eq(version)),
    )
    .set(p.clone())
    .execute(conn)
    .map(|n| n == 1)
}

/// Samples collected (alone, or in a pool) and not yet resulted past the deadline, in scope.
pub fn overdue(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    collected_before: NaiveDateTime,
    after: Option<&str>,
    fetch: i64,
) -> QueryResult<Vec<SampleRow>> {
    let mut q = in_ranges!(samples::table.into_boxed(), samples::unit_path, ranges);
    q = q
        .filter(samples::state.eq_any(["collected", "received"]))
        .filter(samples::collected_at.lt(collected_before));
    if let Some(a) = after {
        q = q.filter(samples::id.gt(a.to_string()));
    }
    q.select(SampleRow::as_select())
        .order(samples::id)
        .limit(fetch)
        .load(conn)
}

/// The samples a lab received (alone or in pools), for its figures.
pub fn lab_samples(conn: &mut AnyConnection, lab: &str) -> QueryResult<Vec<SampleRow>> {
    samples::table
        .filter(samples::lab_id.eq(lab))
        .select(SampleRow::as_select())
        .load(conn)
}

pub fn insert_round(conn: &mut AnyConnection, r: &RoundRow) -> QueryResult<()> {
    diesel::insert_into(sampling_rounds::table)
        .values(r.clone())
        .execute(conn)
        .map(drop)
}

pub fn rounds_of(conn: &mut AnyConnection, zone: &str) -> QueryResult<Vec<RoundRow>> {
    sampling_rounds::table
        .filter(sampling_rounds::zone_id.eq(zone))
        .select(RoundRow::as_select())
        .order(sampling_rounds::round_date.desc())
        .load(conn)
}

pub fn set_round_ordered(conn: &mut AnyConnection, id: &str, ordered: i32) -> QueryResult<()> {
    diesel::update(sampling_rounds::table.find(id))
        .set(sampling_rounds::ordered.eq(ordered))
        .execute(conn)
        .map(drop)
}

/// People living in the ranges (merged records left out): id and unit path, a page by id.
pub fn residents(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(String, String)>> {
    let mut q = in_ranges!(persons::table.into_boxed(), persons::unit_path, ranges);
    q = q.filter(persons::merged_into.is_null());
    if let Some(a) = after {
        q = q.filter(persons::id.gt(a.to_string()));
    }
    q.select((persons::id, persons::unit_path))
        .order(persons::id)
        .limit(limit)
        .load(conn)
}

pub fn get_round(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<RoundRow>> {
    sampling_rounds::table
        .find(id)
        .select(RoundRow::as_select())
        .get_result(conn)
        .optional()
}
