//! Likely duplicates: the open flags, and dismissing one.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateFlagOut {
    pub id: String,
    pub person_id: String,
    pub candidate_id: String,
    pub reason: String,
    pub flagged_at: DateTime<Utc>,
}

pub fn duplicates(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: PageQuery,
) -> AppResult<Page<DuplicateFlagOut>> {
    let scope = actor.scope(Action::PersonMerge)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::open_flags(conn, &scope.ranges(), paging.after(), paging.fetch())?;
    let out = rows
        .into_iter()
        .map(|f| DuplicateFlagOut {
            id: f.id,
            person_id: f.person_id,
            candidate_id: f.candidate_id,
            reason: f.reason,
            flagged_at: f.flagged_at.and_utc(),
        })
        .collect();
    Ok(paging.page(out, |f: &DuplicateFlagOut| f.id.clone()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct DismissFlag {
    /// Why these are two different people, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

pub fn dismiss_flag(
    conn: &mut AnyConnection,
    actor: &Actor,
    flag_id: &str,
    input: DismissFlag,
) -> AppResult<()> {
    let scope = actor.scope(Action::PersonMerge)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let flag =
            store::flag(conn, flag_id)?.ok_or_else(|| AppError::not_found("duplicate flag"))?;
        let person = visible(conn, &scope, &flag.person_id)
            .map_err(|_| AppError::not_found("duplicate flag"))?;
        if flag.resolved_at.is_some() {
            return Err(AppError::conflict("this flag was already resolved"));
        }
        store::resolve_flags_between(
            conn,
            &flag.person_id,
            &flag.candidate_id,
            "dismissed",
            &actor.user_id,
            at,
        )?;
        let detail = serde_json::json!({ "candidate_id": flag.candidate_id, "flag_id": flag.id });
        Event::on(Entity::Person, &flag.person_id, "duplicate_dismissed")
            .after(&detail)
            .reason(&reason)
            .write(conn, &who(actor, &scope, &person.row.unit_path), at)?;
        Ok(())
    })
}
