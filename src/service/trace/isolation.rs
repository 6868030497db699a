//! The isolation of a classified person: it ends their exposure window.

use super::*;
use crate::store::events::{Entity, Event};
use chrono::Duration;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecordIsolation {
    /// When the person was isolated (default: now). It ends their exposure window.
    pub at: Option<DateTime<Utc>>,
}

/// Record when a classified person was isolated: contacts after it no longer pass the
/// infection on. (Quarantine episodes will set this themselves.)
pub fn record_isolation(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
    input: RecordIsolation,
) -> AppResult<ExposureOut> {
    let scope = actor.scope(Action::CaseManage)?;
    let at = now();
    let isolated = input.at.map(instant).unwrap_or(at);
    if isolated > at + Duration::hours(1) {
        return Err(AppError::field("at", "must not be in the future"));
    }
    crate::db::write_tx(conn, |conn| {
        let e = match store::exposure(conn, person)? {
            Some(e) if scope.covers(&e.unit_path) => e,
            _ => return Err(AppError::not_found("classified person")),
        };
        if e.level == 0 {
            return Err(AppError::conflict(
                "an F0's isolation is recorded on the case (start_treatment)",
            ));
        }
        if isolated < e.window_start {
            return Err(AppError::field(
                "at",
                "must not be before the exposure began",
            ));
        }
        store::set_window_end(conn, person, Some(isolated), at)?;
        Event::on(Entity::Person, person, "isolated")
            .before(&json!({"window_end": e.window_end.map(utc)}))
            .after(&json!({"window_end": utc(isolated)}))
            .write(conn, &who(actor, &scope, &e.unit_path), at)?;
        Ok(())
    })?;
    exposure_of(conn, actor, person)
}
