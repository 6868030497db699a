//! Role grants: added and revoked inside the administrator's jurisdiction.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrant {
    pub role: Role,
    /// The jurisdiction node (every role but `camp_manager`).
    pub unit_code: Option<String>,
    /// The quarantine site (`camp_manager` only).
    pub site_id: Option<String>,
    pub reason: Option<String>,
}

pub fn add_grant(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: &str,
    input: CreateGrant,
) -> AppResult<GrantOut> {
    let scope = actor.scope(Action::UserManage)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (user, existing) = manageable(conn, &scope, user_id)?;
        let target = grant_target(conn, &scope, &input, "")?;
        if existing.iter().any(|g| {
            g.grant.role == input.role
                && g.grant.unit_code == target.0
                && g.grant.site_id == target.1
        }) {
            return Err(AppError::conflict("the user already has this grant"));
        }
        let grant = insert_grant(
            conn,
            actor,
            &user.id,
            input.role,
            target,
            input.reason.as_deref(),
            at,
        )?;
        let with_path =
            store::grant(conn, &grant.id)?.ok_or_else(|| AppError::not_found("grant"))?;
        Ok(GrantOut::from(&with_path))
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrant {
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

pub fn revoke_grant(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: &str,
    grant_id: &str,
    input: RevokeGrant,
) -> AppResult<()> {
    let scope = actor.scope(Action::UserManage)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        manageable(conn, &scope, user_id).map_err(|_| AppError::not_found("grant"))?;
        let g = store::grant(conn, grant_id)?
            .filter(|g| g.grant.user_id == user_id)
            .filter(|g| g.lies_at().is_some_and(|p| scope.covers(p)))
            .ok_or_else(|| AppError::not_found("grant"))?;
        if g.grant.revoked_at.is_some() {
            return Err(AppError::conflict("this grant was already revoked"));
        }
        store::revoke_grant(conn, grant_id, &actor.user_id, at, &reason)?;
        let before = serde_json::json!({"grant_id": grant_id, "role": g.grant.role, "unit_code": g.grant.unit_code, "site_id": g.grant.site_id});
        Event::on(Entity::User, user_id, "grant_revoked")
            .before(&before)
            .reason(&reason)
            .write(conn, &admin_who(actor), at)?;
        Ok(())
    })
}
