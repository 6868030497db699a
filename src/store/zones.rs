//! Cordon zones, their units and investigations, and the residents inside them.

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::zones::{ZoneLevel, ZoneState};
use crate::schema::{persons, zone_investigations, zone_units, zones};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = zones)]
pub struct ZoneRow {
    pub id: String,
    pub name: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: ZoneLevel,
    pub area_name: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: ZoneState,
    pub start_at: Option<NaiveDateTime>,
    pub end_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    /// The lowest common ancestor of the zone's units.
    pub unit_path: String,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = zone_units)]
pub struct ZoneUnitRow {
    pub zone_id: String,
    pub unit_code: String,
    pub unit_path: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = zone_investigations)]
pub struct ZoneInvestigationRow {
    pub zone_id: String,
    pub investigation_id: String,
}

/// What a sampling team needs of a resident.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = persons)]
pub struct ResidentRow {
    pub id: String,
    pub full_name: String,
    pub birth_date: Option<chrono::NaiveDate>,
    pub birth_year: Option<i32>,
    pub residence_address: Option<String>,
    pub residence_unit_code: String,
}

/// The zone with its units and linked investigations.
pub fn insert(
    conn: &mut AnyConnection,
    z: &ZoneRow,
    units: &[ZoneUnitRow],
    investigations: &[ZoneInvestigationRow],
) -> QueryResult<()> {
    diesel::insert_into(zones::table)
        .values(z.clone())
        .execute(conn)?;
    // one row at a time: batch inserts do not compile on the multi backend, and a zone has
    // a handful of units
    for u in units {
        diesel::insert_into(zone_units::table)
            .values(u)
            .execute(conn)?;
    }
    for i in investigations {
        diesel::insert_into(zone_investigations::table)
            .values(i)
            .execute(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<ZoneRow>> {
    zones::table
        .find(id)
        .select(ZoneRow::as_select())
        .get_result(conn)
        .optional()
}

/// The units of some zones, by zone and path.
pub fn units_of(conn: &mut AnyConnection, zone_ids: &[String]) -> QueryResult<Vec<ZoneUnitRow>> {
    zone_units::table
        .filter(zone_units::zone_id.eq_any(zone_ids))
        .select(ZoneUnitRow::as_select())
        .order((zone_units::zone_id.asc(), zone_units::unit_path.asc()))
        .load(conn)
}

/// The investigation links of some zones.
pub fn investigations_of(
    conn: &mut AnyConnection,
    zone_ids: &[String],
) -> QueryResult<Vec<ZoneInvestigationRow>> {
    zone_investigations::table
        .filter(zone_investigations::zone_id.eq_any(zone_ids))
        .select(ZoneInvestigationRow::as_select())
        .order((
            zone_investigations::zone_id.asc(),
            zone_investigations::investigation_id.asc(),
        ))
        .load(conn)
}

pub fn update(conn: &mut AnyConnection, z: &ZoneRow, expected: i32) -> QueryResult<bool> {
    let n = diesel::update(zones::table.find(&z.id).filter(zones::version.eq(expected)))
        .set((
            zones::state.eq(z.state.as_str()),
            zones::start_at.eq(z.start_at),
            zones::end_at.eq(z.end_at),
            zones::reason.eq(&z.reason),
            zones::version.eq(z.version),
            zones::updated_at.eq(z.updated_at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Zones with at least one unit in the ranges, by id.
pub fn list(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    state: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ZoneRow>> {
    let mut q = zones::table
        .inner_join(zone_units::table)
        .select(ZoneRow::as_select())
        .distinct()
        .order(zones::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, zone_units::unit_path, ranges);
    if let Some(s) = state {
        q = q.filter(zones::state.eq(s.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(zones::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Zones linked to an investigation that are active or lifted (declared for real).
pub fn declared_for_investigation(
    conn: &mut AnyConnection,
    investigation_id: &str,
) -> QueryResult<i64> {
    zone_investigations::table
        .inner_join(zones::table)
        .filter(zone_investigations::investigation_id.eq(investigation_id))
        .filter(zones::state.eq_any(["active", "lifted"]))
        .count()
        .get_result(conn)
}

/// People living in the ranges (records merged into another left out), by id.
pub fn residents(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ResidentRow>> {
    let mut q = persons::table
        .select(ResidentRow::as_select())
        .order(persons::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>();
    // the ranges first: later filters are AND-ed onto their OR
    q = in_ranges!(q, persons::unit_path, ranges);
    q = q.filter(persons::merged_into.is_null());
    if let Some(a) = after {
        q = q.filter(persons::id.gt(a.to_string()));
    }
    q.load(conn)
}
