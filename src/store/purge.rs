//! Storage of retention and purge: the policies, what the retention decision reads of a
//! person, and the statements that erase what `domain::retention::PERSONAL` lists. Nothing
//! here decides who goes; the service asks the domain.

use crate::db::{on_inner, AnyConnection};
use crate::domain::retention::{personal_columns, Erase};
use crate::schema::{purged_people, retention_policies};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = retention_policies)]
pub struct PolicyRow {
    pub id: String,
    pub version: i32,
    pub rules: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purged_people)]
pub struct PurgedRow {
    pub person_id: String,
    pub purged_at: NaiveDateTime,
    pub policy_id: String,
    pub rule: String,
    pub run_id: String,
}

pub fn policies(conn: &mut AnyConnection) -> QueryResult<Vec<PolicyRow>> {
    retention_policies::table
        .order(retention_policies::version.asc())
        .select(PolicyRow::as_select())
        .load(conn)
}

/// The policy in force: the latest version.
pub fn current_policy(conn: &mut AnyConnection) -> QueryResult<Option<PolicyRow>> {
    let latest = retention_policies::table
        .select(diesel::dsl::max(retention_policies::version))
        .get_result::<Option<i32>>(conn)?;
    let Some(v) = latest else { return Ok(None) };
    retention_policies::table
        .filter(retention_policies::version.eq(v))
        .select(PolicyRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert_policy(conn: &mut AnyConnection, row: &PolicyRow) -> QueryResult<()> {
    diesel::insert_into(retention_policies::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_purged(conn: &mut AnyConnection, row: &PurgedRow) -> QueryResult<()> {
    diesel::insert_into(purged_people::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The people a purge may consider: records not merged into another and not purged yet.
pub fn candidates(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    use crate::schema::persons;
    persons::table
        .filter(persons::merged_into.is_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            purged_people::table.filter(purged_people::person_id.eq(persons::id)),
        )))
        .order(persons::id.asc())
        .select(persons::id)
        .load(conn)
}

/// A list of ids as SQL text (ids are quoted, quotes doubled).
fn list(ids: &[String]) -> String {
    let quoted: Vec<String> = ids
        .iter()
        .map(|i| format!("'{}'", i.replace('\'', "''")))
        .collect();
    if quoted.is_empty() {
        "NULL".into()
    } else {
        quoted.join(", ")
    }
}

#[derive(Debug, QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = BigInt)]
    cases: i64,
    #[diesel(sql_type = BigInt)]
    open: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    episode_closed: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    case_closed: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    investigation_closed: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    person_changed: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    contact_last: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    sample_changed: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    exposure_changed: Option<NaiveDateTime>,
}

/// What the database says of a person and the records merged into them.
#[derive(Debug, Clone)]
pub struct StoredFacts {
    pub ever_f0: bool,
    pub anything_open: bool,
    pub last_closed: Option<NaiveDateTime>,
    pub last_fact: Option<NaiveDateTime>,
}

pub fn facts(conn: &mut AnyConnection, family: &[String]) -> QueryResult<StoredFacts> {
    let ids = list(family);
    let sql = format!(
        "SELECT
           (SELECT COUNT(*) FROM cases WHERE person_id IN ({ids})) AS cases,
           (SELECT COUNT(*) FROM episodes WHERE person_id IN ({ids})
              AND state IN ('ordered', 'active', 'released', 'monitoring', 'absconded'))
           + (SELECT COUNT(*) FROM cases WHERE person_id IN ({ids})
              AND state IN ('confirmed', 'in_treatment'))
           + (SELECT COUNT(*) FROM investigations WHERE person_id IN ({ids})
              AND closed_at IS NULL)
           + (SELECT COUNT(*) FROM trace_tasks WHERE person_id IN ({ids})
              AND state IN ('open', 'in_progress'))
           + (SELECT COUNT(*) FROM exposures WHERE person_id IN ({ids})
              AND status = 'active') AS open,
           (SELECT MAX(closed_at) FROM episodes WHERE person_id IN ({ids})) AS episode_closed,
           (SELECT MAX(updated_at) FROM cases WHERE person_id IN ({ids})) AS case_closed,
           (SELECT MAX(closed_at) FROM investigations WHERE person_id IN ({ids}))
             AS investigation_closed,
           (SELECT MAX(updated_at) FROM persons WHERE id IN ({ids})) AS person_changed,
           (SELECT MAX(last_at) FROM contacts
              WHERE person_a IN ({ids}) OR person_b IN ({ids})) AS contact_last,
           (SELECT MAX(updated_at) FROM samples WHERE person_id IN ({ids})) AS sample_changed,
           (SELECT MAX(updated_at) FROM exposures WHERE person_id IN ({ids}))
             AS exposure_changed"
    );
    let row: FactsRow = on_inner!(conn, |c| diesel::sql_query(&sql).get_result(c))?;
    let closed = [
        row.episode_closed,
        row.case_closed,
        row.investigation_closed,
    ];
    let own = [
        row.person_changed,
        row.contact_last,
        row.sample_changed,
        row.exposure_changed,
    ];
    Ok(StoredFacts {
        ever_f0: row.cases > 0,
        anything_open: row.open > 0,
        last_closed: closed.into_iter().flatten().max(),
        last_fact: own.into_iter().flatten().max(),
    })
}

fn run(conn: &mut AnyConnection, sql: &str) -> QueryResult<usize> {
    on_inner!(conn, |c| diesel::sql_query(sql).execute(c))
}

/// Erase the personal columns of `table` (as the domain lists them) in the rows `filter`
/// selects; `now` marks an erasure where the table records one. The rows changed.
fn erase(
    conn: &mut AnyConnection,
    table: &str,
    filter: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut sets: Vec<String> = personal_columns(table)
        .iter()
        .map(|p| match p.erase {
            Erase::Null => format!("{} = NULL", p.column),
            Erase::Text(t) => format!("{} = '{}'", p.column, t.replace('\'', "''")),
        })
        .collect();
    if sets.is_empty() {
        return Ok(0);
    }
    if table == "event_changes" {
        sets.push(format!(
            "erased_at = '{}'",
            now.format("%Y-%m-%d %H:%M:%S%.6f")
        ));
    }
    run(
        conn,
        &format!("UPDATE {table} SET {} WHERE {filter}", sets.join(", ")),
    )
}

/// What a purge erased, by kind of row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub rows: usize,
    pub changes: usize,
}

/// Erase everything personal about the people `family` (a person and the records merged
/// into them), whose identifying texts (names, numbers) are `texts`, in the caller's
/// transaction. Rows that reports count stay, with their ids, links, levels, units and dates.
pub fn erase_person(
    conn: &mut AnyConnection,
    family: &[String],
    texts: &[String],
    now: NaiveDateTime,
) -> QueryResult<Erased> {
    let ids = list(family);
    let cases = format!("SELECT id FROM cases WHERE person_id IN ({ids})");
    let episodes = format!("SELECT id FROM episodes WHERE person_id IN ({ids})");
    // homes where nobody else (not purged) was quarantined
    let homes = format!(
        "SELECT home_id FROM episodes WHERE person_id IN ({ids}) AND home_id IS NOT NULL
         AND home_id NOT IN (SELECT e.home_id FROM episodes e WHERE e.home_id IS NOT NULL
           AND e.person_id NOT IN ({ids})
           AND e.person_id NOT IN (SELECT person_id FROM purged_people))"
    );
    let mut rows = 0;
    for (table, filter) in [
        ("persons", format!("id IN ({ids})")),
        ("cases", format!("person_id IN ({ids})")),
        (
            "contacts",
            format!("person_a IN ({ids}) OR person_b IN ({ids})"),
        ),
        ("level_reviews", format!("person_id IN ({ids})")),
        ("trace_tasks", format!("person_id IN ({ids})")),
        ("episodes", format!("person_id IN ({ids})")),
        ("follow_ups", format!("episode_id IN ({episodes})")),
        ("violations", format!("person_id IN ({ids})")),
        ("samples", format!("person_id IN ({ids})")),
        (
            "duplicate_flags",
            format!("person_id IN ({ids}) OR candidate_id IN ({ids})"),
        ),
        ("homes", format!("id IN ({homes})")),
        ("warning_signs", format!("home_id IN ({homes})")),
        ("landmarks", format!("case_id IN ({cases})")),
        (
            "notices",
            format!(
                "source_person_id IN ({ids}) OR local_person_id IN ({ids})
                 OR matched_person_id IN ({ids}) OR linked_person_id IN ({ids})"
            ),
        ),
    ] {
        rows += erase(conn, table, &filter, now)?;
    }
    // a case's places never published go with its address
    rows += run(
        conn,
        &format!("UPDATE landmarks SET place = '' WHERE public = FALSE AND case_id IN ({cases})"),
    )?;
    rows += run(
        conn,
        &format!("DELETE FROM person_phones WHERE person_id IN ({ids})"),
    )?;
    let changes = erase(conn, "event_changes", &changes_about(family, texts), now)?;
    // stored answers and sync answers: copies of responses that named them
    let mentions = |col: &str| -> String {
        let mut any: Vec<String> = family.iter().chain(texts).map(|t| like(col, t)).collect();
        any.dedup();
        any.join(" OR ")
    };
    rows += run(
        conn,
        &format!("DELETE FROM replies WHERE {}", mentions("body")),
    )?;
    rows += run(
        conn,
        &format!(
            "UPDATE sync_batches SET response = '[]' WHERE {}",
            mentions("response")
        ),
    )?;
    Ok(Erased { rows, changes })
}

fn like(col: &str, text: &str) -> String {
    let t = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
        .replace('\'', "''");
    format!("{col} LIKE '%{t}%' ESCAPE '\\'")
}

/// The changes (not yet erased) of events about the person's records, or whose values name
/// them (an event of someone else's record that quoted their name or number).
fn changes_about(family: &[String], texts: &[String]) -> String {
    let ids = list(family);
    let records = format!(
        "SELECT id FROM events WHERE
           (entity_type = 'person' AND entity_id IN ({ids}))
        OR (entity_type = 'case' AND entity_id IN (SELECT id FROM cases WHERE person_id IN ({ids})))
        OR (entity_type = 'contact' AND entity_id IN (SELECT id FROM contacts
              WHERE person_a IN ({ids}) OR person_b IN ({ids})))
        OR (entity_type = 'episode' AND entity_id IN (SELECT id FROM episodes
              WHERE person_id IN ({ids})))
        OR (entity_type = 'sample' AND entity_id IN (SELECT id FROM samples
              WHERE person_id IN ({ids})))
        OR (entity_type = 'investigation' AND entity_id IN (SELECT id FROM investigations
              WHERE person_id IN ({ids})))
        OR (entity_type = 'trace_task' AND entity_id IN (SELECT id FROM trace_tasks
              WHERE person_id IN ({ids})))
        OR (entity_type = 'violation' AND entity_id IN (SELECT id FROM violations
              WHERE person_id IN ({ids})))
        OR (entity_type = 'landmark' AND entity_id IN (SELECT id FROM landmarks
              WHERE case_id IN (SELECT id FROM cases WHERE person_id IN ({ids}))))
        OR (entity_type = 'notice' AND entity_id IN (SELECT id FROM notices
              WHERE source_person_id IN ({ids}) OR local_person_id IN ({ids})
                 OR matched_person_id IN ({ids}) OR linked_person_id IN ({ids})))"
    );
    let mut named: Vec<String> = Vec::new();
    for t in texts.iter().filter(|t| t.chars().count() >= 4) {
        for col in ["before_json", "after_json", "reason", "backdate_reason"] {
            named.push(like(col, t));
        }
    }
    let named = if named.is_empty() {
        String::new()
    } else {
        format!(" OR {}", named.join(" OR "))
    };
    format!("erased_at IS NULL AND (event_id IN ({records}){named})")
}

/// The texts that identify the people `family`: names, national IDs, passports, addresses,
/// phones.
pub fn identifying_texts(conn: &mut AnyConnection, family: &[String]) -> QueryResult<Vec<String>> {
    type Ids = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    use crate::schema::{person_phones, persons};
    let people: Vec<Ids> = persons::table
        .filter(persons::id.eq_any(family))
        .select((
            persons::full_name,
            persons::national_id,
            persons::pending_national_id,
            persons::passport_no,
            persons::residence_address,
        ))
        .load(conn)?;
    let phones: Vec<String> = person_phones::table
        .filter(person_phones::person_id.eq_any(family))
        .select(person_phones::phone)
        .load(conn)?;
    let mut out: Vec<String> = Vec::new();
    for (name, nid, pending, passport, address) in people {
        out.push(name);
        out.extend(nid);
        out.extend(pending);
        out.extend(passport);
        out.extend(address);
    }
    out.extend(phones);
    out.retain(|t| !t.trim().is_empty() && t != crate::domain::retention::PURGED_NAME);
    out.sort();
    out.dedup();
    Ok(out)
}

/// After a purge has committed: on SQLite, copy the write-ahead log into the file and empty
/// it, so that the pages as they were before the purge are nowhere on disk (secure_delete,
/// set on every connection, zeroes what the purge freed), after merging the name index so
/// that no erased name's trigrams stay in it. PostgreSQL keeps nothing a dump or a query
/// could read.
pub fn flush_erased(conn: &mut AnyConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        // the name index keeps an erased name's trigrams in its older segments until they
        // are merged: merge them all first
        AnyConnection::Sqlite(c) => c.batch_execute(
            "INSERT INTO person_names (person_names) VALUES ('optimize'); \
             PRAGMA wal_checkpoint(TRUNCATE)",
        ),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}
