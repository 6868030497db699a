//! Sites with their areas, rooms and beds, who stays there, and the people a camp expects.

use super::rows::{AreaRow, BedRow, EpisodeRow, RoomRow, SiteRow};
use crate::db::AnyConnection;
use crate::schema::{beds, episodes, persons, rooms, site_areas, sites};
use diesel::prelude::*;

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
        .filter(episodes::state.eq_any(["ordered", "absconded"]))
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
