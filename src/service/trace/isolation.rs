//! The isolation of a classified person: it ends their exposure window.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecordIsolation {
    /// When the person was isolated (default: now): not before their exposure began, at
    /// most a few minutes ahead of the server's clock. It ends their exposure window.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why an isolation more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// Record when a classified person was isolated: contacts after it no longer pass the
/// infection on. (Quarantine episodes will set this themselves.)
pub fn record_isolation(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
    input: RecordIsolation,
    rules: &Rules,
) -> AppResult<ExposureOut> {
    let scope = actor.scope(Action::CaseManage)?;
    let at = now();
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
        let began = crate::service::happened::after(e.window_start, "the exposure began");
        let h = crate::service::happened::happened_at(
            rules,
            at,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            Some(began),
        )?;
        store::set_window_end(conn, person, Some(h.at), at)?;
        Event::on(Entity::Person, person, "isolated")
            .before(&json!({"window_end": e.window_end.map(utc)}))
            .after(&json!({"window_end": utc(h.at)}))
            .write_fact(conn, &who(actor, &scope, &e.unit_path), &h)?;
        Ok(())
    })?;
    exposure_of(conn, actor, person)
}
