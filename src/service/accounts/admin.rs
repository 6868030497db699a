//! What administrators see of accounts, and which accounts an administrator manages.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantOut {
    pub id: String,
    pub role: Role,
    /// The jurisdiction node, for every role but camp managers.
    pub unit_code: Option<String>,
    /// The quarantine site, for camp managers.
    pub site_id: Option<String>,
    pub granted_by: Option<String>,
    pub granted_at: DateTime<Utc>,
}

impl From<&GrantWithPath> for GrantOut {
    fn from(g: &GrantWithPath) -> Self {
        GrantOut {
            id: g.grant.id.clone(),
            role: g.grant.role,
            unit_code: g.grant.unit_code.clone(),
            site_id: g.grant.site_id.clone(),
            granted_by: g.grant.granted_by.clone(),
            granted_at: g.grant.granted_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub grants: Vec<GrantOut>,
}

pub(super) fn user_out(u: &UserRow, grants: &[GrantWithPath]) -> UserOut {
    UserOut {
        id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        active: u.active,
        version: u.version,
        created_at: u.created_at.and_utc(),
        updated_at: u.updated_at.and_utc(),
        grants: grants
            .iter()
            .filter(|g| g.grant.user_id == u.id)
            .map(GrantOut::from)
            .collect(),
    }
}

pub(super) fn user_snapshot(u: &UserRow) -> serde_json::Value {
    serde_json::json!({ "username": u.username, "display_name": u.display_name, "active": u.active, "version": u.version })
}

pub fn me(conn: &mut AnyConnection, actor: &Actor) -> AppResult<UserOut> {
    let user = store::get(conn, &actor.user_id)?.ok_or_else(|| AppError::not_found("user"))?;
    let grants = store::active_grants(conn, std::slice::from_ref(&user.id))?;
    Ok(user_out(&user, &grants))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Letters, digits, dots, dashes and underscores; stored lower-case.
    #[validate(length(min = 3, max = 64))]
    #[schema(min_length = 3, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// 10 to 128 characters, not the username.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    /// The account's first grant, given with it. An administrator who is not national must
    /// give one inside their jurisdiction: an account with no grant is the nation's.
    pub grant: Option<CreateGrant>,
}

pub(super) fn admin_who(actor: &Actor) -> Who {
    Who {
        actor_id: Some(actor.user_id.clone()),
        role: Some(Role::Admin.as_str().into()),
    }
}

/// A user the administrator may manage (`roles::manages_account`: every grant of theirs
/// inside the administrator's subtrees), or 404: an account the administrator does not
/// manage is not revealed.
pub(super) fn manageable(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
) -> AppResult<(UserRow, Vec<GrantWithPath>)> {
    let user = store::get(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
    let grants = store::active_grants(conn, std::slice::from_ref(&user.id))?;
    let places: Vec<Option<&str>> = grants.iter().map(|g| g.lies_at()).collect();
    if !manages_account(&scope.paths, &places) {
        return Err(AppError::not_found("user"));
    }
    Ok((user, grants))
}

/// What a new grant is bound to, checked: a unit (or for camp managers a site) inside the
/// administrator's jurisdiction.
pub(super) fn grant_target(
    conn: &mut AnyConnection,
    scope: &Scope,
    input: &CreateGrant,
    field: &str,
) -> AppResult<(Option<String>, Option<String>)> {
    let name = |f: &str| {
        if field.is_empty() {
            f.to_string()
        } else {
            format!("{field}.{f}")
        }
    };
    match (input.role.scope_kind(), &input.unit_code, &input.site_id) {
        (ScopeKind::Unit, Some(code), None) => {
            let unit = units::get(conn, code)?.ok_or_else(|| {
                AppError::field(
                    &name("unit_code"),
                    format!("no administrative unit has code '{code}'"),
                )
            })?;
            if !scope.covers(&unit.path) {
                return Err(AppError::Forbidden(format!(
                    "{}: outside your jurisdiction",
                    name("unit_code")
                )));
            }
            Ok((Some(code.clone()), None))
        }
        (ScopeKind::Unit, _, _) => Err(AppError::field(
            &name("unit_code"),
            format!("a {} grant needs a unit_code and no site_id", input.role),
        )),
        (ScopeKind::Site, None, Some(site)) => {
            let site = crate::store::quarantine::get_site(conn, site.trim())?
                .filter(|s| scope.covers(&s.unit_path))
                .ok_or_else(|| {
                    AppError::field(
                        &name("site_id"),
                        "no quarantine site in your jurisdiction has this id",
                    )
                })?;
            Ok((None, Some(site.id)))
        }
        (ScopeKind::Site, _, _) => Err(AppError::field(
            &name("site_id"),
            "a camp_manager grant needs a site_id and no unit_code",
        )),
    }
}

/// Insert a grant and its event.
pub(super) fn insert_grant(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: &str,
    role: Role,
    (unit_code, site_id): (Option<String>, Option<String>),
    reason: Option<&str>,
    at: NaiveDateTime,
) -> AppResult<GrantRow> {
    let grant = GrantRow {
        id: new_id(),
        user_id: user_id.to_string(),
        role,
        unit_code,
        site_id,
        granted_by: Some(actor.user_id.clone()),
        granted_at: at,
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
    };
    store::insert_grant(conn, &grant)?;
    let reason = reason
        .map(crate::domain::text::tidy)
        .filter(|r| !r.is_empty());
    let after = serde_json::json!({"grant_id": grant.id, "role": grant.role, "unit_code": grant.unit_code, "site_id": grant.site_id});
    Event::on(Entity::User, &grant.user_id, "granted")
        .after(&after)
        .reason_opt(reason.as_deref())
        .write(conn, &admin_who(actor), at)?;
    Ok(grant)
}
