//! Changing one's own password, and setting a password (every session ends).

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

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
    versioned::applied(store::update(conn, &updated, user.version)?, user.version)?;
    store::revoke_all_for_user(conn, &user.id, at)?;
    let who = Who {
        actor_id: Some(by.to_string()),
        role: role.map(|r| r.as_str().to_string()),
    };
    Event::on(Entity::User, &user.id, action).write(conn, &who, at)?;
    Ok(())
}
