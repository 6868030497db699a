//! The key that signs access tokens, and the actor a token stands for.

use super::*;

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
    actor_of(conn, user_id, username)
}

/// A user as an actor, with their active grants (for a token, or a command-line run).
pub fn actor_of(conn: &mut AnyConnection, user_id: &str, username: String) -> AppResult<Actor> {
    let grants = store::active_grants(conn, &[user_id.to_string()])?;
    Ok(Actor {
        user_id: user_id.to_string(),
        username,
        grants: grants
            .into_iter()
            .map(|g| crate::auth::ActorGrant {
                role: g.grant.role,
                id: g.grant.id,
                unit_code: g.grant.unit_code,
                unit_path: g.unit_path,
                site_id: g.grant.site_id,
            })
            .collect(),
    })
}
