//! The first answers to creates that carried a client's id (`service::replies`).

use crate::db::AnyConnection;
use crate::schema::replies;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = replies)]
pub struct ReplyRow {
    pub operation: String,
    pub client_id: String,
    pub user_id: String,
    pub request_hash: String,
    pub status: i32,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn get(
    conn: &mut AnyConnection,
    operation: &str,
    client_id: &str,
    user_id: &str,
) -> QueryResult<Option<ReplyRow>> {
    replies::table
        .find((operation, client_id, user_id))
        .select(ReplyRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, row: &ReplyRow) -> QueryResult<()> {
    diesel::insert_into(replies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Forget the answers made before `before`; how many.
pub fn purge(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(replies::table.filter(replies::created_at.lt(before))).execute(conn)
}
