//! Regimes: the versioned rule sets an episode is ordered under.

use super::rows::RegimeRow;
use crate::db::AnyConnection;
use crate::schema::regimes;
use diesel::prelude::*;

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
