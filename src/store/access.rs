//! The access log: who read whose personal data, when, through which operation. Append-only
//! (triggers refuse any change); people are named by id only. A read writes its record and
//! its people as one waiting row; [`file`] files those into `access_people` in batches.

use crate::db::AnyConnection;
use crate::schema::{access_people, access_queue, access_records, persons};
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
#[diesel(table_name = access_people, treat_none_as_default_value = false)]
struct PersonShown {
    access_id: String,
    person_id: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_queue)]
struct Waiting {
    part: String,
    access_id: String,
    /// The people, a sorted JSON list of ids.
    people: String,
}

/// One access, with the people it showed, in the caller's transaction. The people wait in
/// `access_queue` until [`file`] files them (every read of the log does so first).
pub fn record(conn: &mut AnyConnection, row: &AccessRow, people: &[String]) -> QueryResult<()> {
    diesel::insert_into(access_records::table)
        .values(row)
        .execute(conn)?;
    add_people(conn, &row.id, people)
}

/// More people shown by an access already recorded (the next pages of an export): one
/// row, whatever their number.
pub fn add_people(conn: &mut AnyConnection, access_id: &str, people: &[String]) -> QueryResult<()> {
    let mut ids: Vec<&String> = people.iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let people = serde_json::to_string(&ids)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(access_queue::table)
        .values(Waiting {
            part: crate::store::new_id(),
            access_id: access_id.to_string(),
            people,
        })
        .execute(conn)
        .map(drop)
}

/// File the oldest `max_parts` waiting parts into `access_people` (sorted, each person
/// once per access) and take them off the queue, in the caller's transaction: how many
/// were filed. On PostgreSQL the parts taken are locked, so that two filers never file the
/// same part and one that waited finds them gone.
pub fn file(conn: &mut AnyConnection, max_parts: i64) -> QueryResult<usize> {
    let oldest = access_queue::table
        .order(access_queue::part)
        .limit(max_parts);
    let parts: Vec<Waiting> = match conn {
        AnyConnection::Postgresql(c) => oldest.select(Waiting::as_select()).for_update().load(c)?,
        AnyConnection::Sqlite(c) => oldest.select(Waiting::as_select()).load(c)?,
    };
    if parts.is_empty() {
        return Ok(0);
    }
    let mut rows: Vec<(String, String)> = Vec::new();
    for w in &parts {
        let people: Vec<String> = serde_json::from_str(&w.people)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        rows.extend(people.into_iter().map(|p| (p, w.access_id.clone())));
    }
    // in the index's order: each page of it is visited once
    rows.sort();
    rows.dedup();
    insert_shown(conn, rows)?;
    let names: Vec<&String> = parts.iter().map(|w| &w.part).collect();
    diesel::delete(access_queue::table.filter(access_queue::part.eq_any(names))).execute(conn)?;
    Ok(parts.len())
}

/// How many parts wait to be filed.
pub fn waiting(conn: &mut AnyConnection) -> QueryResult<i64> {
    access_queue::table.count().get_result(conn)
}

fn insert_shown(conn: &mut AnyConnection, rows: Vec<(String, String)>) -> QueryResult<()> {
    if let AnyConnection::Postgresql(c) = conn {
        // one statement of one shape whatever the batch's size, planned once per
        // connection: a multi-row VALUES of each new length costs a parse and a plan
        let (people, accesses): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
        return diesel::sql_query(
            "INSERT INTO access_people (person_id, access_id)
             SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(people)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(accesses)
        .execute(c)
        .map(drop);
    }
    let rows: Vec<PersonShown> = rows
        .into_iter()
        .map(|(person_id, access_id)| PersonShown {
            access_id,
            person_id,
        })
        .collect();
    crate::db::insert_chunks!(conn, access_people::table, rows, .on_conflict_do_nothing()).map(drop)
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
