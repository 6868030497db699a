//! Accounts: created (with their first grant), from the command line, read, listed, changed.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

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
        Event::on(Entity::User, &user.id, "created")
            .after(&user_snapshot(&user))
            .write(conn, &admin_who(actor), at)?;
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
        Event::on(Entity::User, &user.id, "created")
            .after(&user_snapshot(&user))
            .reason("command line")
            .write(conn, &who, at)?;
        let grant = GrantRow {
            id: new_id(),
            user_id: user.id.clone(),
            role,
            unit_code: unit_code.clone(),
            site_id: site_id.clone(),
            granted_by: None,
            granted_at: at,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
        };
        store::insert_grant(conn, &grant)?;
        Event::on(Entity::User, &user.id, "granted").after(&serde_json::json!({"grant_id": grant.id, "role": role, "unit_code": unit_code, "site_id": site_id}),).reason("command line").write(conn, &who, at)?;
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
    let paging = Paging::new(cursor.as_deref(), limit)?;
    let cursor = paging.after();
    let users = if scope.covers("/") {
        store::list_users(conn, None, cursor, paging.fetch())?
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
            .take(paging.fetch() as usize)
            .collect();
        store::list_users(conn, Some(&ids), None, paging.fetch())?
    };
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    let grants = store::active_grants(conn, &ids)?;
    let out = users.iter().map(|u| user_out(u, &grants)).collect();
    Ok(paging.page(out, |u: &UserOut| u.id.clone()))
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
        versioned::expect(input.version, user.version)?;
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
        versioned::applied(store::update(conn, &after, user.version)?, user.version)?;
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
        Event::on(Entity::User, &user.id, "updated")
            .before(&user_snapshot(&user))
            .after(&after_json)
            .reason_opt(reason.as_deref())
            .write(conn, &admin_who(actor), at)?;
        Ok(user_out(&after, &grants))
    })
}
