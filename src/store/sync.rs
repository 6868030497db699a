//! Phone sync: stored batch answers and the change feeds a phone pulls.

use crate::db::{AnyConnection, MultiBackend};
use crate::schema::{contacts, exposures, persons, sync_batches};
use crate::store::people::{Person, PersonRow};
use crate::store::trace::{ContactRow, ExposureRow};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_batches)]
pub struct BatchRow {
    pub id: String,
    pub user_id: String,
    pub item_count: i32,
    pub response: String,
    pub created_at: NaiveDateTime,
}

pub fn get_batch(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<BatchRow>> {
    sync_batches::table
        .find(id)
        .select(BatchRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert_batch(conn: &mut AnyConnection, b: &BatchRow) -> QueryResult<()> {
    diesel::insert_into(sync_batches::table)
        .values(b)
        .execute(conn)?;
    Ok(())
}

/// Where a feed stopped: the change time and id of the last row sent.
pub type Mark = (NaiveDateTime, String);

macro_rules! feed {
    ($name:ident, $table:ident, $row:ty, $ts:ident, $id:ident) => {
        pub fn $name(
            conn: &mut AnyConnection,
            ranges: &[(String, String)],
            after: Option<&Mark>,
            until: NaiveDateTime,
            limit: i64,
        ) -> QueryResult<Vec<$row>> {
            let mut q = $table::table
                .select(<$row>::as_select())
                .order(($table::$ts.asc(), $table::$id.asc()))
                .limit(limit)
                .into_boxed::<MultiBackend>();
            // the jurisdiction first: later filters are AND-ed onto its OR of ranges
            q = in_ranges!(q, $table::unit_path, ranges);
            q = q.filter($table::$ts.le(until));
            if let Some((ts, id)) = after {
                q = q.filter(
                    $table::$ts
                        .gt(*ts)
                        .or($table::$ts.eq(*ts).and($table::$id.gt(id.clone()))),
                );
            }
            q.load(conn)
        }
    };
}

feed!(people_rows_changed, persons, PersonRow, updated_at, id);
feed!(contacts_changed, contacts, ContactRow, updated_at, id);
feed!(
    exposures_changed,
    exposures,
    ExposureRow,
    updated_at,
    person_id
);

pub fn people_changed(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after: Option<&Mark>,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Person>> {
    let rows = people_rows_changed(conn, ranges, after, until, limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut by_id: std::collections::HashMap<String, Person> =
        crate::store::people::get_many(conn, &ids)?
            .into_iter()
            .map(|p| (p.row.id.clone(), p))
            .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| by_id.remove(&r.id))
        .collect())
}
