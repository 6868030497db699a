//! Accounts: log in, refresh, log out, change password; administrators manage users and
//! their role grants.

use super::{require_reason, Page};
use crate::auth::token::{hash_refresh_token, new_refresh_token, TokenKeys};
use crate::auth::{password, Actor, Scope};
use crate::config::Config;
use crate::db::AnyConnection;
use crate::domain::check_password;
use crate::domain::login::{after_failure, gate, Failures, Gate};
use crate::domain::roles::{manages_account, Action, Role, ScopeKind};
use crate::error::{AppError, AppResult};
use crate::store::events::{self, Who};
use crate::store::users::{self as store, GrantRow, GrantWithPath, GuardRow, RefreshRow, UserRow};
use crate::store::{new_id, now, page_size, units};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tokens {
    /// A short-lived JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchange it at `/auth/refresh` for new tokens; it works once.
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

pub fn normalize_username(u: &str) -> String {
    u.trim().to_lowercase()
}

fn issue(
    conn: &mut AnyConnection,
    keys: &TokenKeys,
    config: &Config,
    user_id: &str,
    family: &str,
    at: NaiveDateTime,
) -> AppResult<(Tokens, String)> {
    let (refresh, hash) = new_refresh_token();
    let id = new_id();
    store::insert_refresh(
        conn,
        &RefreshRow {
            id: id.clone(),
            user_id: user_id.to_string(),
            family_id: family.to_string(),
            token_hash: hash,
            issued_at: at,
            expires_at: at + Duration::seconds(config.refresh_ttl.as_secs() as i64),
            revoked_at: None,
            replaced_by: None,
        },
    )?;
    let access = keys.issue(user_id, family, at.and_utc().timestamp())?;
    Ok((
        Tokens {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: keys.access_ttl_secs,
            refresh_token: refresh,
        },
        id,
    ))
}

/// Log in from `client` (its address). Unknown users and wrong passwords take the same
/// time and get the same answer. A client that keeps failing is locked out alone; a
/// username failing from many clients is slowed down (`domain::login`). Failures and locks
/// of known accounts are events (never the password).
pub fn login(
    conn: &mut AnyConnection,
    keys: &TokenKeys,
    config: &Config,
    client: &str,
    input: LoginInput,
) -> AppResult<Tokens> {
    input.validate()?;
    let username = normalize_username(&input.username);
    let limits = config.login_limits();
    let at = now();
    let (at_client, all) = store::guards(conn, &username, client)?;
    if let Gate::Wait { secs } = gate(
        at_client.as_ref().map(failures).as_ref(),
        all.as_ref().map(failures).as_ref(),
        &limits,
        at,
    ) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: secs,
        });
    }
    let user = store::by_username(conn, &username)?;
    let ok = password::verify(
        &input.password,
        user.as_ref().map(|u| u.password_hash.as_str()),
    );
    match user {
        Some(user) if ok && user.active => crate::db::write_tx(conn, |conn| {
            store::clear_guards(conn, &username, client)?;
            let (tokens, _) = issue(conn, keys, config, &user.id, &new_id(), at)?;
            events::record(
                conn,
                &self_who(&user.id),
                at,
                "user",
                &user.id,
                "logged_in",
                None,
                Some(&serde_json::json!({ "client": client })),
                None,
            )?;
            Ok(tokens)
        }),
        user => {
            crate::db::write_tx(conn, |conn| {
                let (at_client, all) = store::guards(conn, &username, client)?;
                let (mine, locks) =
                    after_failure(at_client.as_ref().map(failures).as_ref(), &limits, at, true);
                let (everyone, _) =
                    after_failure(all.as_ref().map(failures).as_ref(), &limits, at, false);
                store::save_guard(conn, &guard(&username, client, mine))?;
                store::save_guard(conn, &guard(&username, store::ALL_CLIENTS, everyone))?;
                if let Some(user) = &user {
                    let detail = serde_json::json!({ "client": client });
                    let mut record = |action: &str| {
                        events::record(
                            conn,
                            &self_who(&user.id),
                            at,
                            "user",
                            &user.id,
                            action,
                            None,
                            Some(&detail),
                            None,
                        )
                    };
                    record("login_failed")?;
                    if locks {
                        record("login_locked")?;
                    }
                }
                Ok::<_, AppError>(())
            })?;
            Err(AppError::Unauthorized("wrong username or password".into()))
        }
    }
}

fn failures(g: &GuardRow) -> Failures {
    Failures {
        count: g.failures,
        last: g.last_failure,
        locked_until: g.locked_until,
    }
}

fn guard(username: &str, client: &str, f: Failures) -> GuardRow {
    GuardRow {
        username: username.to_string(),
        client: client.to_string(),
        failures: f.count,
        last_failure: f.last,
        locked_until: f.locked_until,
    }
}

/// The account itself as the actor of an event (a login, a password it changed).
fn self_who(user_id: &str) -> Who {
    Who {
        actor_id: Some(user_id.to_string()),
        role: None,
    }
}

/// Exchange a refresh token for new tokens. A token works once: presenting a used one
/// means it was stolen or replayed, and the whole family is revoked.
pub fn refresh(
    conn: &mut AnyConnection,
    keys: &TokenKeys,
    config: &Config,
    input: RefreshInput,
) -> AppResult<Tokens> {
    let at = now();
    let hash = hash_refresh_token(input.refresh_token.trim());
    // a replayed token ends its session: that revocation must commit although the answer
    // is a refusal, so the transaction returns the refusal as its value
    let outcome: AppResult<AppResult<Tokens>> = crate::db::write_tx(conn, |conn| {
        let invalid =
            || AppError::Unauthorized("the refresh token is invalid, expired or revoked".into());
        let Some(row) = store::refresh_by_hash(conn, &hash)? else {
            return Ok(Err(invalid()));
        };
        if row.revoked_at.is_some() {
            if row.replaced_by.is_some() {
                store::revoke_family(conn, &row.family_id, at)?;
                tracing::warn!(user_id = %row.user_id, "a used refresh token was presented again; its session is revoked");
            }
            return Ok(Err(invalid()));
        }
        if row.expires_at <= at {
            return Ok(Err(invalid()));
        }
        let Some(user) = store::get(conn, &row.user_id)?.filter(|u| u.active) else {
            return Ok(Err(invalid()));
        };
        let (tokens, successor) = issue(conn, keys, config, &user.id, &row.family_id, at)?;
        if !store::rotate_refresh(conn, &row.id, &successor, at)? {
            return Err(invalid());
        }
        Ok(Ok(tokens))
    });
    outcome?
}

/// Log out: the refresh token and every token rotated from the same login stop working.
pub fn logout(conn: &mut AnyConnection, actor: &Actor, input: RefreshInput) -> AppResult<()> {
    let at = now();
    let hash = hash_refresh_token(input.refresh_token.trim());
    crate::db::write_tx(conn, |conn| match store::refresh_by_hash(conn, &hash)? {
        Some(row) if row.user_id == actor.user_id => {
            store::revoke_family(conn, &row.family_id, at)?;
            let who = Who {
                actor_id: Some(actor.user_id.clone()),
                role: None,
            };
            events::record(
                conn,
                &who,
                at,
                "user",
                &actor.user_id,
                "logged_out",
                None,
                None,
                None,
            )?;
            Ok(())
        }
        _ => Err(AppError::field(
            "refresh_token",
            "not a refresh token of yours",
        )),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// 10 to 128 characters, not the username.
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Change one's own password; every session (refresh token, older access token) ends.
pub fn change_password(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: ChangePassword,
) -> AppResult<()> {
    let at = now();
    let user = store::get(conn, &actor.user_id)?
        .ok_or_else(|| AppError::Unauthorized("unknown user".into()))?;
    if !password::verify(&input.current_password, Some(&user.password_hash)) {
        return Err(AppError::field("current_password", "is wrong"));
    }
    check_password(&user.username, &input.new_password)
        .map_err(|e| AppError::field("new_password", e))?;
    let hash = password::hash(&input.new_password)?;
    crate::db::write_tx(conn, |conn| {
        set_password(
            conn,
            &user,
            hash,
            at,
            &actor.user_id,
            None,
            "password_changed",
        )
    })
}

fn set_password(
    conn: &mut AnyConnection,
    user: &UserRow,
    hash: String,
    at: NaiveDateTime,
    by: &str,
    role: Option<Role>,
    action: &str,
) -> AppResult<()> {
    let updated = UserRow {
        password_hash: hash,
        password_changed_at: at,
        version: user.version + 1,
        updated_at: at,
        ..user.clone()
    };
    if !store::update(conn, &updated, user.version)? {
        return Err(AppError::StaleVersion {
            current: user.version + 1,
        });
    }
    store::revoke_all_for_user(conn, &user.id, at)?;
    let who = Who {
        actor_id: Some(by.to_string()),
        role: role.map(|r| r.as_str().to_string()),
    };
    events::record(conn, &who, at, "user", &user.id, action, None, None, None)?;
    Ok(())
}

// ---- users and grants (administrators) -------------------------------------------------

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
            role: g.grant.role.parse().unwrap_or(Role::CdcAnalyst),
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

fn user_out(u: &UserRow, grants: &[GrantWithPath]) -> UserOut {
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

fn user_snapshot(u: &UserRow) -> serde_json::Value {
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

fn admin_who(actor: &Actor) -> Who {
    Who {
        actor_id: Some(actor.user_id.clone()),
        role: Some(Role::Admin.as_str().into()),
    }
}

/// A user the administrator may manage (`roles::manages_account`: every grant of theirs
/// inside the administrator's subtrees), or 404: an account the administrator does not
/// manage is not revealed.
fn manageable(
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
fn grant_target(
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
fn insert_grant(
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
        role: role.as_str().into(),
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
    events::record(
        conn,
        &admin_who(actor),
        at,
        "user",
        &grant.user_id,
        "granted",
        None,
        Some(&after),
        reason.as_deref(),
    )?;
    Ok(grant)
}

pub fn create_user(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateUser,
) -> AppResult<UserOut> {
    input.validate()?;
    let scope = actor.scope(Action::UserManage)?;
    let username = normalize_username(&input.username);
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(AppError::field(
            "username",
            "may hold only letters, digits, '.', '-' and '_'",
        ));
    }
    check_password(&username, &input.password).map_err(|e| AppError::field("password", e))?;
    if input.grant.is_none() && !scope.covers("/") {
        return Err(AppError::field(
            "grant",
            "give the account its first grant, inside your jurisdiction",
        ));
    }
    let hash = password::hash(&input.password)?;
    let at = now();
    let user = UserRow {
        id: new_id(),
        username,
        display_name: crate::domain::text::tidy(&input.display_name),
        password_hash: hash,
        active: true,
        password_changed_at: at,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    crate::db::write_tx(conn, |conn| {
        if store::by_username(conn, &user.username)?.is_some() {
            return Err(AppError::conflict("this username is taken"));
        }
        let target = match &input.grant {
            Some(g) => Some((g, grant_target(conn, &scope, g, "grant")?)),
            None => None,
        };
        store::insert(conn, &user)?;
        events::record(
            conn,
            &admin_who(actor),
            at,
            "user",
            &user.id,
            "created",
            None,
            Some(&user_snapshot(&user)),
            None,
        )?;
        if let Some((g, target)) = target {
            insert_grant(
                conn,
                actor,
                &user.id,
                g.role,
                target,
                g.reason.as_deref(),
                at,
            )?;
        }
        let grants = store::active_grants(conn, std::slice::from_ref(&user.id))?;
        Ok(user_out(&user, &grants))
    })
}

/// What a grant made from the command line is bound to.
pub enum GrantTarget<'a> {
    Unit(&'a str),
    Site(&'a str),
}

/// An account with one grant, from the command line (the first administrator, demo users).
pub fn bootstrap_user(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    pass: &str,
    role: Role,
    target: GrantTarget,
) -> AppResult<UserOut> {
    let (unit_code, site_id) = match (target, role.scope_kind()) {
        (GrantTarget::Unit(u), ScopeKind::Unit) => (Some(u.to_string()), None),
        (GrantTarget::Site(s), ScopeKind::Site) => {
            if crate::store::quarantine::get_site(conn, s)?.is_none() {
                return Err(AppError::field(
                    "site",
                    format!("no quarantine site has id '{s}'"),
                ));
            }
            (None, Some(s.to_string()))
        }
        _ => {
            return Err(AppError::field(
                "unit",
                format!(
                    "a {role} grant is bound to {}",
                    if role.scope_kind() == ScopeKind::Site {
                        "a site"
                    } else {
                        "a unit"
                    }
                ),
            ))
        }
    };
    let username = normalize_username(username);
    check_password(&username, pass).map_err(|e| AppError::field("password", e))?;
    let hash = password::hash(pass)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        if store::by_username(conn, &username)?.is_some() {
            return Err(AppError::conflict(format!(
                "the username {username} is taken"
            )));
        }
        if let Some(code) = &unit_code {
            if units::get(conn, code)?.is_none() {
                return Err(AppError::field(
                    "unit",
                    format!("no administrative unit has code '{code}'"),
                ));
            }
        }
        let user = UserRow {
            id: new_id(),
            username: username.clone(),
            display_name: display_name.to_string(),
            password_hash: hash,
            active: true,
            password_changed_at: at,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        store::insert(conn, &user)?;
        let who = Who {
            actor_id: None,
            role: None,
        };
        events::record(
            conn,
            &who,
            at,
            "user",
            &user.id,
            "created",
            None,
            Some(&user_snapshot(&user)),
            Some("command line"),
        )?;
        let grant = GrantRow {
            id: new_id(),
            user_id: user.id.clone(),
            role: role.as_str().into(),
            unit_code: unit_code.clone(),
            site_id: site_id.clone(),
            granted_by: None,
            granted_at: at,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
        };
        store::insert_grant(conn, &grant)?;
        events::record(
            conn,
            &who,
            at,
            "user",
            &user.id,
            "granted",
            None,
            Some(
                &serde_json::json!({"grant_id": grant.id, "role": role, "unit_code": unit_code, "site_id": site_id}),
            ),
            Some("command line"),
        )?;
        let grants = store::active_grants(conn, std::slice::from_ref(&user.id))?;
        Ok(user_out(&user, &grants))
    })
}

pub fn get_user(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<UserOut> {
    let scope = actor.scope(Action::UserManage)?;
    let (user, grants) = manageable(conn, &scope, id)?;
    Ok(user_out(&user, &grants))
}

pub fn list_users(
    conn: &mut AnyConnection,
    actor: &Actor,
    cursor: Option<String>,
    limit: Option<i64>,
) -> AppResult<Page<UserOut>> {
    let scope = actor.scope(Action::UserManage)?;
    let limit = page_size(limit);
    let cursor = cursor.as_deref().filter(|c| !c.is_empty());
    let users = if scope.covers("/") {
        store::list_users(conn, None, cursor, limit + 1)?
    } else {
        // the accounts whose every grant lies inside the administrator's subtrees
        let mut places: std::collections::BTreeMap<String, Vec<Option<String>>> =
            std::collections::BTreeMap::new();
        for (user, unit_path, site_path) in store::active_grant_places(conn)? {
            places
                .entry(user)
                .or_default()
                .push(unit_path.or(site_path));
        }
        let ids: Vec<String> = places
            .into_iter()
            .filter(|(id, _)| cursor.is_none_or(|c| id.as_str() > c))
            .filter(|(_, p)| {
                let p: Vec<Option<&str>> = p.iter().map(|x| x.as_deref()).collect();
                manages_account(&scope.paths, &p)
            })
            .map(|(id, _)| id)
            .take(limit as usize + 1)
            .collect();
        store::list_users(conn, Some(&ids), None, limit + 1)?
    };
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    let grants = store::active_grants(conn, &ids)?;
    let out = users.iter().map(|u| user_out(u, &grants)).collect();
    Ok(Page::from_overfetch(out, limit, |u: &UserOut| u.id.clone()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub version: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    /// Deactivating ends every session of the user.
    pub active: Option<bool>,
    /// A new password set by the administrator (the user should change it): 10 to 128
    /// characters, not the username.
    #[schema(min_length = 10, max_length = 128)]
    pub password: Option<String>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

pub fn update_user(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: UpdateUser,
) -> AppResult<UserOut> {
    input.validate()?;
    let scope = actor.scope(Action::UserManage)?;
    let at = now();
    let new_hash = match &input.password {
        Some(p) => {
            let user = store::get(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
            check_password(&user.username, p).map_err(|e| AppError::field("password", e))?;
            Some(password::hash(p)?)
        }
        None => None,
    };
    crate::db::write_tx(conn, |conn| {
        let (user, grants) = manageable(conn, &scope, id)?;
        if user.version != input.version {
            return Err(AppError::StaleVersion {
                current: user.version,
            });
        }
        if input.active == Some(false) && user.id == actor.user_id {
            return Err(AppError::field(
                "active",
                "you cannot deactivate your own account",
            ));
        }
        let after = UserRow {
            display_name: input
                .display_name
                .as_deref()
                .map(crate::domain::text::tidy)
                .unwrap_or_else(|| user.display_name.clone()),
            active: input.active.unwrap_or(user.active),
            password_hash: new_hash
                .clone()
                .unwrap_or_else(|| user.password_hash.clone()),
            password_changed_at: if new_hash.is_some() {
                at
            } else {
                user.password_changed_at
            },
            version: user.version + 1,
            updated_at: at,
            ..user.clone()
        };
        if !store::update(conn, &after, user.version)? {
            return Err(AppError::StaleVersion {
                current: user.version + 1,
            });
        }
        if !after.active || new_hash.is_some() {
            store::revoke_all_for_user(conn, &user.id, at)?;
        }
        let reason = input
            .reason
            .as_deref()
            .map(crate::domain::text::tidy)
            .filter(|r| !r.is_empty());
        let mut after_json = user_snapshot(&after);
        if new_hash.is_some() {
            after_json["password_reset"] = serde_json::Value::Bool(true);
        }
        events::record(
            conn,
            &admin_who(actor),
            at,
            "user",
            &user.id,
            "updated",
            Some(&user_snapshot(&user)),
            Some(&after_json),
            reason.as_deref(),
        )?;
        Ok(user_out(&after, &grants))
    })
}

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
            g.grant.role == input.role.as_str()
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
        events::record(
            conn,
            &admin_who(actor),
            at,
            "user",
            user_id,
            "grant_revoked",
            Some(&before),
            None,
            Some(&reason),
        )?;
        Ok(())
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockUser {
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

/// Lift the login locks and slow-downs of an account, at every client; an event.
pub fn unlock_user(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: UnlockUser,
) -> AppResult<UserOut> {
    let scope = actor.scope(Action::UserManage)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (user, grants) = manageable(conn, &scope, id)?;
        let lifted = store::unlock(conn, &user.username)?;
        events::record(
            conn,
            &admin_who(actor),
            at,
            "user",
            &user.id,
            "unlocked",
            None,
            Some(&serde_json::json!({ "guards_lifted": lifted })),
            Some(&reason),
        )?;
        Ok(user_out(&user, &grants))
    })
}

/// The history of a user account, its grants included.
pub fn user_history(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    cursor: Option<String>,
    limit: Option<i64>,
) -> AppResult<Page<super::EventOut>> {
    let scope = actor.scope(Action::UserManage)?;
    manageable(conn, &scope, id)?;
    let limit = page_size(limit);
    let rows = events::history(
        conn,
        "user",
        &[id.to_string()],
        cursor.as_deref().filter(|c| !c.is_empty()),
        limit + 1,
    )?;
    let out = rows.into_iter().map(super::EventOut::from).collect();
    Ok(Page::from_overfetch(out, limit, |e: &super::EventOut| {
        e.id.clone()
    }))
}

/// The key that signs access tokens when none is configured: 32 random bytes made at the
/// first start and kept in the database, so that every instance on it agrees and nobody
/// knows it who cannot read the database.
pub fn token_secret(conn: &mut AnyConnection) -> AppResult<String> {
    use base64::Engine;
    use rand::RngCore;
    Ok(units::setting_or_init(conn, "token_secret", || {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
    })?)
}

/// Load the actor for a verified token: the user must exist and be active, and the login
/// session the token belongs to must not have ended (logout, password change, deactivation).
pub fn load_actor(conn: &mut AnyConnection, user_id: &str, session: &str) -> AppResult<Actor> {
    let unauthorized = || AppError::Unauthorized("the token is no longer valid".into());
    let username =
        store::live_session_user(conn, user_id, session, now())?.ok_or_else(unauthorized)?;
    let grants = store::active_grants(conn, &[user_id.to_string()])?;
    Ok(Actor {
        user_id: user_id.to_string(),
        username,
        grants: grants
            .into_iter()
            .filter_map(|g| {
                Some(crate::auth::ActorGrant {
                    role: g.grant.role.parse().ok()?,
                    id: g.grant.id,
                    unit_code: g.grant.unit_code,
                    unit_path: g.unit_path,
                    site_id: g.grant.site_id,
                })
            })
            .collect(),
    })
}
