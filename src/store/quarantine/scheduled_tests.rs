//! The tests scheduled within an episode and their results.

use super::rows::TestRow;
use crate::db::AnyConnection;
use crate::schema::episode_tests;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert_tests(conn: &mut AnyConnection, rows: &[TestRow]) -> QueryResult<()> {
    for r in rows {
        diesel::insert_into(episode_tests::table)
            .values(r.clone())
            .execute(conn)?;
    }
    Ok(())
}

pub fn get_test(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<TestRow>> {
    episode_tests::table
        .find(id)
        .select(TestRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn tests_of(conn: &mut AnyConnection, episode: &str) -> QueryResult<Vec<TestRow>> {
    episode_tests::table
        .filter(episode_tests::episode_id.eq(episode))
        .select(TestRow::as_select())
        .order((
            episode_tests::due_date,
            episode_tests::day,
            episode_tests::id,
        ))
        .load(conn)
}

pub fn tests_of_many(conn: &mut AnyConnection, episodes: &[String]) -> QueryResult<Vec<TestRow>> {
    episode_tests::table
        .filter(episode_tests::episode_id.eq_any(episodes))
        .filter(episode_tests::superseded_at.is_null())
        .select(TestRow::as_select())
        .order((episode_tests::due_date, episode_tests::day))
        .load(conn)
}

/// Replace the pending tests of an episode (a restart or a new regime): kept, marked
/// superseded, never deleted.
pub fn supersede_pending_tests(
    conn: &mut AnyConnection,
    episode: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        episode_tests::table
            .filter(episode_tests::episode_id.eq(episode))
            .filter(episode_tests::result.is_null())
            .filter(episode_tests::superseded_at.is_null()),
    )
    .set(episode_tests::superseded_at.eq(Some(at)))
    .execute(conn)
}

pub fn supersede_test(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(episode_tests::table.find(id))
        .set(episode_tests::superseded_at.eq(Some(at)))
        .execute(conn)
        .map(drop)
}

pub fn set_test_result(
    conn: &mut AnyConnection,
    test: &str,
    result: &str,
    at: NaiveDateTime,
    by: &str,
) -> QueryResult<bool> {
    diesel::update(
        episode_tests::table
            .filter(episode_tests::id.eq(test))
            .filter(episode_tests::result.is_null())
            .filter(episode_tests::superseded_at.is_null()),
    )
    .set((
        episode_tests::result.eq(Some(result)),
        episode_tests::resulted_at.eq(Some(at)),
        episode_tests::recorded_by.eq(Some(by)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}
