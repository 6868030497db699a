//! The append-only history of risk levels of communes.

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::risk::{RiskLevel, Scale};
use crate::schema::{admin_units, unit_risk_levels};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = unit_risk_levels)]
pub struct RiskRow {
    pub id: String,
    pub unit_code: String,
    pub unit_path: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub scale: Scale,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: RiskLevel,
    pub effective_at: NaiveDateTime,
    pub reason: String,
    pub set_by: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, r: &RiskRow) -> QueryResult<()> {
    diesel::insert_into(unit_risk_levels::table)
        .values(r.clone())
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<RiskRow>> {
    unit_risk_levels::table
        .find(id)
        .select(RiskRow::as_select())
        .get_result(conn)
        .optional()
}

/// A unit's levels, newest effective first, after the entry `after` (its time and id).
pub fn history(
    conn: &mut AnyConnection,
    unit_code: &str,
    scale: Option<&str>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<RiskRow>> {
    use unit_risk_levels as r;
    let mut q = r::table
        .filter(r::unit_code.eq(unit_code.to_string()))
        .select(RiskRow::as_select())
        .order((r::effective_at.desc(), r::id.desc()))
        .limit(limit)
        .into_boxed::<MultiBackend>();
    if let Some(s) = scale {
        q = q.filter(r::scale.eq(s.to_string()));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            r::effective_at
                .lt(at)
                .or(r::effective_at.eq(at).and(r::id.lt(id))),
        );
    }
    q.load(conn)
}

/// The levels in effect at `at` on a scale, for some units, each unit's newest first.
pub fn in_effect(
    conn: &mut AnyConnection,
    unit_codes: &[String],
    scale: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<RiskRow>> {
    use unit_risk_levels as r;
    r::table
        .filter(r::unit_code.eq_any(unit_codes))
        .filter(r::scale.eq(scale))
        .filter(r::effective_at.le(at))
        .select(RiskRow::as_select())
        .order((r::unit_code.asc(), r::effective_at.desc(), r::id.desc()))
        .load(conn)
}

/// The codes of the communes directly below a unit.
pub fn communes_of(conn: &mut AnyConnection, parent_code: &str) -> QueryResult<Vec<String>> {
    admin_units::table
        .filter(admin_units::parent_code.eq(parent_code))
        .filter(admin_units::level.eq("commune"))
        .select(admin_units::code)
        .order(admin_units::code.asc())
        .load(conn)
}
