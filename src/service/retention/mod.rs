//! Retention policies (versioned, never edited: the latest is in force) and the purge that
//! anonymises the people they say are due (docs/domain.md, "Privacy").

mod purge;

pub use purge::{purge, PurgeInput, PurgeOut, PurgedOut};

use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::retention::RetentionRules;
use crate::domain::roles::{Action, Role};
use crate::error::{AppError, AppResult};
use crate::store::events::{Entity, Event};
use crate::store::purge::{self as store, PolicyRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    pub id: String,
    pub version: i32,
    /// One rule per kind of person: the days kept after their last record closed.
    pub rules: Vec<crate::domain::retention::RetentionRule>,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn rules_of(r: &PolicyRow) -> AppResult<RetentionRules> {
    serde_json::from_str(&r.rules)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("retention policy {}: {e}", r.id)))
}

fn policy_out(r: &PolicyRow) -> AppResult<PolicyOut> {
    Ok(PolicyOut {
        id: r.id.clone(),
        version: r.version,
        rules: rules_of(r)?.rules,
        note: r.note.clone(),
        created_by: r.created_by.clone(),
        created_at: r.created_at.and_utc(),
    })
}

/// The scope of an action that only a grant over the whole country may do.
pub(crate) fn national(actor: &Actor, action: Action) -> AppResult<Scope> {
    let scope = actor.scope(action)?;
    if !scope.covers("/") {
        return Err(AppError::Forbidden(
            "only a national administrator may do this".into(),
        ));
    }
    Ok(scope)
}

/// After a purge committed: nothing of what it erased is left on disk.
pub fn flush_erased(conn: &mut AnyConnection) -> AppResult<()> {
    Ok(store::flush_erased(conn)?)
}

/// Every version of the retention policy, oldest first (the last is in force).
pub fn list(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Vec<PolicyOut>> {
    actor.may(Action::RetentionRead)?;
    store::policies(conn)?.iter().map(policy_out).collect()
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    /// One rule per kind of person (`never_f0`, `f0`), each with the days kept.
    pub rules: Vec<crate::domain::retention::RetentionRule>,
    /// Why, or the document it follows; at most 1000 characters.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// A new version of the policy, in force from now on (national administrators only).
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreatePolicy,
) -> AppResult<PolicyOut> {
    national(actor, Action::RetentionManage)?;
    let rules = RetentionRules { rules: input.rules };
    rules
        .check()
        .map_err(|e| AppError::field(e.field, e.message))?;
    let note = input.note.map(|n| crate::domain::text::tidy(&n));
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::field("note", "must be at most 1000 characters"));
    }
    crate::db::write_tx(conn, |conn| {
        let at = crate::store::now();
        let version = store::current_policy(conn)?.map_or(1, |p| p.version + 1);
        let row = PolicyRow {
            id: format!("retention.v{version}"),
            version,
            rules: serde_json::to_string(&rules).map_err(anyhow::Error::from)?,
            note,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_policy(conn, &row)?;
        let who = super::who_as(actor, Some(Role::Admin));
        Event::on(Entity::RetentionPolicy, &row.id, "created")
            .after(&serde_json::to_value(&rules).map_err(anyhow::Error::from)?)
            .write(conn, &who, at)?;
        policy_out(&row)
    })
}
