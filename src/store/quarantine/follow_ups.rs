//! Follow-ups raised on an episode and their resolution.

use super::rows::FollowUpRow;
use crate::db::AnyConnection;
use crate::domain::home::FollowUpState;
use crate::schema::follow_ups;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Insert a follow-up unless the same one (episode, kind, date) exists; true if inserted.
pub fn raise_follow_up(conn: &mut AnyConnection, f: &FollowUpRow) -> QueryResult<bool> {
    let n = crate::db::on_inner!(conn, |c| diesel::insert_into(follow_ups::table)
        .values(f.clone())
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

pub fn get_follow_up(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<FollowUpRow>> {
    follow_ups::table
        .find(id)
        .select(FollowUpRow::as_select())
        .get_result(conn)
        .optional()
}

/// Move a follow-up from `from` to `next` (the follow-up state machine's move); false when
/// it is no longer in `from`.
pub fn resolve_follow_up(
    conn: &mut AnyConnection,
    id: &str,
    from: FollowUpState,
    next: FollowUpState,
    by: &str,
    at: NaiveDateTime,
    note: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(
        follow_ups::table
            .filter(follow_ups::id.eq(id))
            .filter(follow_ups::state.eq(from.as_str())),
    )
    .set((
        follow_ups::state.eq(next.as_str()),
        follow_ups::resolved_at.eq(Some(at)),
        follow_ups::resolved_by.eq(Some(by)),
        follow_ups::note.eq(note),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn open_follow_ups(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    kind: Option<&str>,
    after: Option<&str>,
    fetch: i64,
) -> QueryResult<Vec<FollowUpRow>> {
    let mut q = in_ranges!(
        follow_ups::table.into_boxed(),
        follow_ups::unit_path,
        ranges
    );
    q = q.filter(follow_ups::state.eq(FollowUpState::Open.as_str()));
    if let Some(k) = kind {
        q = q.filter(follow_ups::kind.eq(k.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(follow_ups::id.gt(a.to_string()));
    }
    q.select(FollowUpRow::as_select())
        .order(follow_ups::id)
        .limit(fetch)
        .load(conn)
}
