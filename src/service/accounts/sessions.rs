//! Logging in (throttled per client and across clients), refreshing and logging out.

use super::*;
use crate::store::events::{Entity, Event};

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
            Event::on(Entity::User, &user.id, "logged_in")
                .after(&serde_json::json!({ "client": client }))
                .write(conn, &self_who(&user.id), at)?;
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
                        Event::on(Entity::User, &user.id, action)
                            .after(&detail)
                            .write(conn, &self_who(&user.id), at)
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
            Event::on(Entity::User, &actor.user_id, "logged_out").write(conn, &who, at)?;
            Ok(())
        }
        _ => Err(AppError::field(
            "refresh_token",
            "not a refresh token of yours",
        )),
    })
}
