//! The people registry.

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::people::Source;
use crate::schema::{duplicate_flags, person_phones, persons};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = persons, treat_none_as_default_value = false)]
pub struct PersonRow {
    pub id: String,
    pub full_name: String,
    pub name_folded: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    #[diesel(deserialize_as = super::OptText, serialize_as = super::OptText)]
    pub sex: Option<crate::domain::people::Sex>,
    pub national_id: Option<String>,
    pub passport_no: Option<String>,
    pub nationality: Option<String>,
    pub residence_address: Option<String>,
    pub residence_unit_code: String,
    pub unit_path: String,
    pub current_location: Option<String>,
    pub occupation: Option<String>,
    pub workplace: Option<String>,
    pub vaccination_doses: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub source: Source,
    pub merged_into: Option<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_by: Option<String>,
    pub updated_at: NaiveDateTime,
    /// A national ID this record was registered with that a record of another jurisdiction
    /// holds (`national_id` is then empty): the record's own to its jurisdiction until the
    /// other links or rejects it (`domain::notices`).
    pub pending_national_id: Option<String>,
}

impl PersonRow {
    /// The national ID as the record's jurisdiction knows it: its own, or the pending one.
    pub fn national_id_here(&self) -> Option<&str> {
        self.national_id
            .as_deref()
            .or(self.pending_national_id.as_deref())
    }
}

/// A person with their phones.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub row: PersonRow,
    pub phones: Vec<String>,
}

pub fn insert(conn: &mut AnyConnection, p: &Person) -> QueryResult<()> {
    diesel::insert_into(persons::table)
        .values(p.row.clone())
        .execute(conn)?;
    set_phones(conn, &p.row.id, &p.phones)
}

fn set_phones(conn: &mut AnyConnection, id: &str, phones: &[String]) -> QueryResult<()> {
    diesel::delete(person_phones::table.filter(person_phones::person_id.eq(id))).execute(conn)?;
    for phone in phones {
        diesel::insert_into(person_phones::table)
            .values((
                person_phones::person_id.eq(id),
                person_phones::phone.eq(phone),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Write a changed person if its version is still `expected`; false when stale.
pub fn update(conn: &mut AnyConnection, p: &Person, expected: i32) -> QueryResult<bool> {
    let r = &p.row;
    let n = diesel::update(
        persons::table
            .find(&r.id)
            .filter(persons::version.eq(expected)),
    )
    .set((
        (
            persons::full_name.eq(&r.full_name),
            persons::name_folded.eq(&r.name_folded),
            persons::birth_date.eq(r.birth_date),
            persons::birth_year.eq(r.birth_year),
            persons::sex.eq(r.sex.map(|s| s.as_str())),
            persons::national_id.eq(&r.national_id),
            persons::passport_no.eq(&r.passport_no),
            persons::nationality.eq(&r.nationality),
            persons::residence_address.eq(&r.residence_address),
            persons::residence_unit_code.eq(&r.residence_unit_code),
        ),
        (
            persons::unit_path.eq(&r.unit_path),
            persons::current_location.eq(&r.current_location),
            persons::occupation.eq(&r.occupation),
            persons::workplace.eq(&r.workplace),
            persons::vaccination_doses.eq(r.vaccination_doses),
            persons::source.eq(r.source.as_str()),
            persons::merged_into.eq(&r.merged_into),
            persons::version.eq(r.version),
            persons::updated_by.eq(&r.updated_by),
            persons::updated_at.eq(r.updated_at),
            persons::pending_national_id.eq(&r.pending_national_id),
        ),
    ))
    .execute(conn)?;
    if n != 1 {
        return Ok(false);
    }
    set_phones(conn, &r.id, &p.phones)?;
    Ok(true)
}

fn with_phones(conn: &mut AnyConnection, rows: Vec<PersonRow>) -> QueryResult<Vec<Person>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let pairs: Vec<(String, String)> = person_phones::table
        .filter(person_phones::person_id.eq_any(&ids))
        .select((person_phones::person_id, person_phones::phone))
        .order((person_phones::person_id, person_phones::phone))
        .load(conn)?;
    let mut by_id: HashMap<String, Vec<String>> = HashMap::new();
    for (id, phone) in pairs {
        by_id.entry(id).or_default().push(phone);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let phones = by_id.remove(&row.id).unwrap_or_default();
            Person { row, phones }
        })
        .collect())
}

/// A person's row without the phones (one query).
pub fn get_row(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<PersonRow>> {
    persons::table
        .find(id)
        .select(PersonRow::as_select())
        .get_result(conn)
        .optional()
}

/// Several people at once (at most a few hundred ids).
pub fn get_many(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<Person>> {
    let rows = persons::table
        .filter(persons::id.eq_any(ids))
        .select(PersonRow::as_select())
        .load(conn)?;
    with_phones(conn, rows)
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Person>> {
    let row = persons::table
        .find(id)
        .select(PersonRow::as_select())
        .get_result(conn)
        .optional()?;
    Ok(match row {
        Some(r) => with_phones(conn, vec![r])?.pop(),
        None => None,
    })
}

/// Lock a person's row for the rest of the transaction (PostgreSQL; SQLite's write
/// transaction already holds the database lock).
pub fn get_for_update(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Person>> {
    if let AnyConnection::Postgresql(pg) = conn {
        persons::table
            .find(id)
            .select(persons::id)
            .for_update()
            .get_result::<String>(pg)
            .optional()?;
    }
    get(conn, id)
}

/// The unmerged records that hold `national_id` (as their own, or pending): `(id, residence
/// unit, path, pending)`.
pub fn holders_of(
    conn: &mut AnyConnection,
    national_ids: &[String],
) -> QueryResult<Vec<(String, NationalIdHolder)>> {
    let mut out = Vec::new();
    for chunk in national_ids.chunks(CHUNK) {
        let rows: Vec<HolderRow> = persons::table
            .filter(
                persons::national_id
                    .eq_any(chunk)
                    .or(persons::pending_national_id.eq_any(chunk)),
            )
            .filter(persons::merged_into.is_null())
            .select((
                persons::national_id,
                persons::pending_national_id,
                persons::id,
                persons::residence_unit_code,
                persons::unit_path,
            ))
            .order(persons::id.asc())
            .load(conn)?;
        for (own, pending, id, unit_code, unit_path) in rows {
            let (nid, is_pending) = match (own, pending) {
                (Some(n), _) => (n, false),
                (None, Some(n)) => (n, true),
                (None, None) => continue,
            };
            out.push((
                nid,
                NationalIdHolder {
                    id,
                    unit_code,
                    unit_path,
                    pending: is_pending,
                },
            ));
        }
    }
    Ok(out)
}

/// A record's national ID, pending one, id, residence unit and path.
type HolderRow = (Option<String>, Option<String>, String, String, String);

/// A record holding a national ID, and where it lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalIdHolder {
    pub id: String,
    pub unit_code: String,
    pub unit_path: String,
    pub pending: bool,
}

/// How many ids one `IN (…)` list carries (well under both backends' parameter limits).
const CHUNK: usize = 5000;

/// One phone of a person, as stored.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = person_phones)]
pub struct PhoneRow {
    pub person_id: String,
    pub phone: String,
}

/// The rows (no phones) of those of `ids` that exist: one query per chunk.
pub fn rows_by_ids(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<PersonRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            persons::table
                .filter(persons::id.eq_any(chunk))
                .select(PersonRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Unmerged people with one of the folded names who have one of the phones, with all their
/// phones: every record that may be a likely duplicate of a batch of new ones.
pub fn duplicate_candidates(
    conn: &mut AnyConnection,
    names_folded: &[String],
    phones: &[String],
) -> QueryResult<Vec<Person>> {
    if names_folded.is_empty() || phones.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<PersonRow> = Vec::new();
    for phones in phones.chunks(CHUNK) {
        for names in names_folded.chunks(CHUNK) {
            let sharing_phone = person_phones::table
                .filter(person_phones::phone.eq_any(phones))
                .select(person_phones::person_id);
            rows.extend(
                persons::table
                    .filter(persons::name_folded.eq_any(names))
                    .filter(persons::birth_year.is_not_null())
                    .filter(persons::merged_into.is_null())
                    .filter(persons::id.eq_any(sharing_phone))
                    .select(PersonRow::as_select())
                    .load(conn)?,
            );
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows.dedup_by(|a, b| a.id == b.id);
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        out.extend(with_phones(conn, chunk.to_vec())?);
    }
    Ok(out)
}

/// Unmerged people with the same folded name and birth year who share a phone.
pub fn likely_duplicates_of(conn: &mut AnyConnection, p: &Person) -> QueryResult<Vec<Person>> {
    if p.phones.is_empty() || p.row.birth_year.is_none() {
        return Ok(Vec::new());
    }
    let sharing_phone = person_phones::table
        .filter(person_phones::phone.eq_any(&p.phones))
        .select(person_phones::person_id);
    let rows: Vec<PersonRow> = persons::table
        .filter(persons::name_folded.eq(&p.row.name_folded))
        .filter(persons::birth_year.eq(p.row.birth_year))
        .filter(persons::id.ne(&p.row.id))
        .filter(persons::merged_into.is_null())
        .filter(persons::id.eq_any(sharing_phone))
        .select(PersonRow::as_select())
        .order(persons::id.asc())
        .limit(20)
        .load(conn)?;
    with_phones(conn, rows)
}

#[derive(Debug, Default, Clone)]
pub struct Search {
    pub name_folded: Option<String>,
    pub phone: Option<String>,
    pub national_id: Option<String>,
    pub within: Option<(String, String)>,
    pub include_merged: bool,
    pub after_id: Option<String>,
    pub limit: i64,
}

/// People in the scope's ranges matching the search, by id (creation order).
pub fn search(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    s: &Search,
) -> QueryResult<Vec<Person>> {
    let mut q = persons::table
        .select(PersonRow::as_select())
        .order(persons::id.asc())
        .limit(s.limit)
        .into_boxed();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, persons::unit_path, ranges);
    if let Some(name) = &s.name_folded {
        q = match name_index(conn, name)? {
            Some(rows) => q.filter(
                diesel::dsl::sql::<diesel::sql_types::BigInt>("persons.rowid").eq_any(rows),
            ),
            None => {
                let pattern = format!("%{}%", super::units::escape_like(name));
                q.filter(persons::name_folded.like(pattern).escape('\\'))
            }
        };
    }
    if let Some(phone) = &s.phone {
        let ids = person_phones::table
            .filter(person_phones::phone.eq(phone.clone()))
            .select(person_phones::person_id);
        q = q.filter(persons::id.eq_any(ids));
    }
    if let Some(nid) = &s.national_id {
        q = q.filter(
            persons::national_id
                .eq(nid.clone())
                .or(persons::pending_national_id.eq(nid.clone())),
        );
    }
    if let Some((lo, hi)) = &s.within {
        q = q
            .filter(persons::unit_path.ge(lo.clone()))
            .filter(persons::unit_path.lt(hi.clone()));
    }
    if !s.include_merged {
        q = q.filter(persons::merged_into.is_null());
    }
    if let Some(after) = &s.after_id {
        q = q.filter(persons::id.gt(after.clone()));
    }
    let rows = q.load(conn)?;
    with_phones(conn, rows)
}

/// Above this many people holding a part of a name, walking the registry in id order finds a
/// page sooner than the index's matches do.
const NAME_INDEX_AT_MOST: i64 = 5000;

/// On SQLite, the rows (`rowid`) whose folded name holds `name`, found through the trigram
/// index `person_names`, when the index is the faster way: the part has at least three
/// characters (the shortest a trigram index knows) and is not so common that a walk by id
/// fills a page sooner. `None`: the plain `LIKE`, which PostgreSQL's trigram index serves
/// itself, its planner weighing the same choice. The index is asked once: a phrase of
/// common trigrams costs it about 10 ms at a million people.
fn name_index(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<Vec<i64>>> {
    let AnyConnection::Sqlite(c) = conn else {
        return Ok(None);
    };
    if name.chars().count() < 3 {
        return Ok(None);
    }
    // inside double quotes everything is literal but the quote itself, written twice
    let phrase = format!("\"{}\"", name.replace('"', "\"\""));
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        row: i64,
    }
    let held: Vec<Held> = diesel::sql_query(format!(
        "SELECT rowid AS row FROM person_names WHERE person_names MATCH ? LIMIT {}",
        NAME_INDEX_AT_MOST + 1
    ))
    .bind::<diesel::sql_types::Text, _>(&phrase)
    .load(c)?;
    Ok(
        (held.len() as i64 <= NAME_INDEX_AT_MOST)
            .then(|| held.into_iter().map(|h| h.row).collect()),
    )
}

/// Ids of every record merged (directly or through others) into `id`, and `id` itself.
pub fn merged_family(conn: &mut AnyConnection, id: &str) -> QueryResult<Vec<String>> {
    let mut all = vec![id.to_string()];
    let mut frontier = vec![id.to_string()];
    while !frontier.is_empty() && all.len() < 1000 {
        let next: Vec<String> = persons::table
            .filter(persons::merged_into.eq_any(&frontier))
            .select(persons::id)
            .load(conn)?;
        frontier = next.into_iter().filter(|n| !all.contains(n)).collect();
        all.extend(frontier.iter().cloned());
    }
    Ok(all)
}

// ---- duplicate flags ------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = duplicate_flags)]
pub struct FlagRow {
    pub id: String,
    pub person_id: String,
    pub candidate_id: String,
    pub reason: String,
    pub flagged_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
}

/// Bulk load of people (imports, synthetic data): rows only, phones separately.
pub fn insert_rows(conn: &mut AnyConnection, rows: &[PersonRow]) -> QueryResult<usize> {
    crate::db::insert_chunks!(conn, persons::table, rows)
}

pub fn insert_phones(conn: &mut AnyConnection, rows: &[PhoneRow]) -> QueryResult<usize> {
    crate::db::insert_chunks!(conn, person_phones::table, rows)
}

pub fn insert_flags(conn: &mut AnyConnection, rows: &[FlagRow]) -> QueryResult<usize> {
    crate::db::insert_chunks!(conn, duplicate_flags::table, rows)
}

pub fn insert_flag(conn: &mut AnyConnection, f: &FlagRow) -> QueryResult<()> {
    diesel::insert_into(duplicate_flags::table)
        .values(f)
        .execute(conn)?;
    Ok(())
}

pub fn flag(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<FlagRow>> {
    duplicate_flags::table
        .find(id)
        .select(FlagRow::as_select())
        .get_result(conn)
        .optional()
}

/// Open flags whose flagged person lies in the ranges.
pub fn open_flags(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<FlagRow>> {
    let mut q = duplicate_flags::table
        .select(FlagRow::as_select())
        .order(duplicate_flags::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>()
        .filter(diesel::dsl::sql::<Bool>("1 = 0"));
    for (lo, hi) in ranges {
        let in_range = persons::table
            .filter(persons::unit_path.ge(lo.clone()))
            .filter(persons::unit_path.lt(hi.clone()))
            .select(persons::id);
        q = q.or_filter(duplicate_flags::person_id.eq_any(in_range));
    }
    q = q.filter(duplicate_flags::resolved_at.is_null());
    if let Some(a) = after_id {
        q = q.filter(duplicate_flags::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// Resolve every open flag between two people.
pub fn resolve_flags_between(
    conn: &mut AnyConnection,
    a: &str,
    b: &str,
    resolution: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        duplicate_flags::table
            .filter(duplicate_flags::resolved_at.is_null())
            .filter(
                (duplicate_flags::person_id
                    .eq(a)
                    .and(duplicate_flags::candidate_id.eq(b)))
                .or(duplicate_flags::person_id
                    .eq(b)
                    .and(duplicate_flags::candidate_id.eq(a))),
            ),
    )
    .set((
        duplicate_flags::resolved_at.eq(at),
        duplicate_flags::resolution.eq(resolution),
        duplicate_flags::resolved_by.eq(by),
    ))
    .execute(conn)
}
