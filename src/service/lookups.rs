//! Identity look-ups: a national ID or a phone asked of the registry (a search, or a person
//! registered or traced with one). Whether a number is known is itself personal data, so a
//! user may ask only so many an hour (`IDENTITY_LOOKUPS_PER_HOUR`; then 429 with
//! `Retry-After`), and every look-up is an event of the user.

use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::store::events::Who;
use crate::store::events::{Entity, Event};
use crate::store::{notices as store, now};
use chrono::{Duration, DurationRound};

/// What a request asked: how many national IDs and phones, through which operation.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub operation: &'a str,
    pub national_ids: usize,
    pub phones: usize,
}

impl Asked<'_> {
    fn total(&self) -> usize {
        self.national_ids + self.phones
    }
}

/// Count the look-ups against the user's hour, in their own transaction (a refused or
/// failing request still asked), and record them as an event. 429 past the limit.
pub fn charge(
    conn: &mut AnyConnection,
    actor: &Actor,
    per_hour: i32,
    asked: Asked,
) -> AppResult<()> {
    if asked.total() == 0 {
        return Ok(());
    }
    let at = now();
    let window = at
        .duration_trunc(Duration::hours(1))
        .map_err(|e| AppError::Internal(e.into()))?;
    let n = i32::try_from(asked.total()).unwrap_or(i32::MAX);
    crate::db::write_tx(conn, |conn| {
        let count = store::add_lookups(conn, &actor.user_id, window, n)?;
        if count > per_hour {
            // over the limit: nothing is counted, and the answer says when to come back
            return Err(AppError::TooManyRequests {
                retry_after_secs: (window + Duration::hours(1) - at).num_seconds().max(1) as u64,
            });
        }
        let detail = serde_json::json!({
            "operation": asked.operation,
            "national_ids": asked.national_ids,
            "phones": asked.phones,
        });
        Event::on(Entity::User, &actor.user_id, "identity_lookup")
            .after(&detail)
            .write(
                conn,
                &Who {
                    actor_id: Some(actor.user_id.clone()),
                    role: None,
                },
                at,
            )?;
        Ok(())
    })
}

/// Forget the counts of past hours.
pub fn purge(conn: &mut AnyConnection) -> AppResult<usize> {
    Ok(store::purge_lookups(conn, now() - Duration::hours(2))?)
}
