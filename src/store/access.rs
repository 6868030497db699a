//! The access log: who read whose personal data, when, through which operation. Append-only
//! (triggers refuse any change); people are named by id only.

use crate::db::AnyConnection;
use crate::schema::{access_people, access_records, persons};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_records, treat_none_as_default_value = false)]
pub struct AccessRow {
    pub id: String,
    pub actor_id: String,
    pub actor_role: String,
    pub grant_id: Option<String>,
    pub operation: String,
    pub request_id: Option<String>,
    pub purpose: Option<String>,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_people)]
struct PersonShown {
    access_id: String,
    person_id: String,
}

/// One access, with the people it showed (each once), in the caller's transaction.
pub fn record(conn: &mut AnyConnection, row: &AccessRow, people: &[String]) -> QueryResult<()> {
    diesel::insert_into(access_records::table)
        .values(row)
        .execute(conn)?;
    add_people(conn, &row.id, people)
}

/// More people shown by an access already recorded (the next pages of an export): none of
/// them recorded for it before.
pub fn add_people(conn: &mut AnyConnection, access_id: &str, people: &[String]) -> QueryResult<()> {
    let mut ids: Vec<&String> = people.iter().collect();
    ids.sort();
    ids.dedup();
    if let AnyConnection::Postgresql(c) = conn {
        // one statement of one shape whatever the page's size, planned once per connection:
        // a multi-row VALUES of each new length cost PostgreSQL 0.7 ms to parse and plan
        return diesel::sql_query(
            "INSERT INTO access_people (access_id, person_id) SELECT $1, unnest($2::text[])",
        )
        .bind::<diesel::sql_types::Text, _>(access_id)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(ids)
        .execute(c)
        .map(drop);
    }
    let rows: Vec<PersonShown> = ids
        .into_iter()
        .map(|p| PersonShown {
            access_id: access_id.to_string(),
            person_id: p.clone(),
        })
        .collect();
    crate::db::insert_chunks!(conn, access_people::table, rows).map(drop)
}

/// The accesses that showed a person, newest first, before the access `before`.
pub fn for_person(
    conn: &mut AnyConnection,
    person_id: &str,
    before: Option<&str>,
    fetch: i64,
) -> QueryResult<Vec<AccessRow>> {
    let mut q = access_records::table
        .inner_join(access_people::table)
        .filter(access_people::person_id.eq(person_id))
        .select(AccessRow::as_select())
        .order(access_records::id.desc())
        .limit(fetch)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(access_records::id.lt(b.to_string()));
    }
    q.load(conn)
}

/// A user's accesses that showed someone inside `ranges`, newest first, before `before`.
pub fn by_user(
    conn: &mut AnyConnection,
    user_id: &str,
    ranges: &[(String, String)],
    before: Option<&str>,
    fetch: i64,
) -> QueryResult<Vec<AccessRow>> {
    let mut q = access_records::table
        .inner_join(access_people::table)
        .inner_join(persons::table.on(persons::id.eq(access_people::person_id)))
        .select(AccessRow::as_select())
        .distinct()
        .order(access_records::id.desc())
        .limit(fetch)
        .into_boxed();
    q = in_ranges!(q, persons::unit_path, ranges);
    q = q.filter(access_records::actor_id.eq(user_id.to_string()));
    if let Some(b) = before {
        q = q.filter(access_records::id.lt(b.to_string()));
    }
    q.load(conn)
}

/// Of the accesses `ids`, the people each showed who live inside `ranges`.
pub fn people_inside(
    conn: &mut AnyConnection,
    ids: &[String],
    ranges: &[(String, String)],
) -> QueryResult<Vec<(String, String)>> {
    let mut q = access_people::table
        .inner_join(persons::table.on(persons::id.eq(access_people::person_id)))
        .select((access_people::access_id, access_people::person_id))
        .order((access_people::access_id, access_people::person_id))
        .into_boxed();
    q = in_ranges!(q, persons::unit_path, ranges);
    q.filter(access_people::access_id.eq_any(ids)).load(conn)
}

/// How many people each of the accesses `ids` showed in all.
pub fn counts(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<(String, i64)>> {
    access_people::table
        .filter(access_people::access_id.eq_any(ids))
        .group_by(access_people::access_id)
        .select((access_people::access_id, diesel::dsl::count_star()))
        .load(conn)
}

/// For each user and role, how many distinct people inside `ranges` they were shown in
/// `[from, to)`.
pub fn readings(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    ranges: &[(String, String)],
) -> QueryResult<Vec<(String, String, i64)>> {
    let mut q = access_records::table
        .inner_join(access_people::table)
        .inner_join(persons::table.on(persons::id.eq(access_people::person_id)))
        .group_by((access_records::actor_id, access_records::actor_role))
        .select((
            access_records::actor_id,
            access_records::actor_role,
            diesel::dsl::count(access_people::person_id).aggregate_distinct(),
        ))
        .into_boxed();
    q = in_ranges!(q, persons::unit_path, ranges);
    q.filter(access_records::at.ge(from))
        .filter(access_records::at.lt(to))
        .load(conn)
}
