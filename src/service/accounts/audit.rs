//! Unlocking an account, and an account's history.

use super::*;
use crate::store::events::{Entity, Event};

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
        Event::on(Entity::User, &user.id, "unlocked")
            .after(&serde_json::json!({ "guards_lifted": lifted }))
            .reason(&reason)
            .write(conn, &admin_who(actor), at)?;
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
) -> AppResult<Page<crate::service::EventOut>> {
    let scope = actor.scope(Action::UserManage)?;
    manageable(conn, &scope, id)?;
    let paging = Paging::new(cursor.as_deref(), limit)?;
    let rows = events::history(
        conn,
        "user",
        &[id.to_string()],
        paging.after(),
        paging.fetch(),
    )?;
    let out = rows
        .into_iter()
        .map(crate::service::EventOut::from)
        .collect();
    Ok(paging.page(out, |e: &crate::service::EventOut| e.id.clone()))
}
