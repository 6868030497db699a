//! The warning sign at the door: posted, taken down, and those left after release.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PostSign {
    /// A reference to the photo of the posted sign (a file name or storage key): printable
    /// ASCII, at most 500 characters.
    #[schema(max_length = 500, pattern = "^[ -~]*$")]
    pub photo_ref: Option<String>,
    /// When it was posted (default: now).
    pub posted_at: Option<DateTime<Utc>>,
}

pub fn post_sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    home_id: &str,
    input: PostSign,
) -> AppResult<SignOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let at = now();
    let posted = input.posted_at.map(instant).unwrap_or(at);
    if posted > at + chrono::Duration::minutes(5) {
        return Err(AppError::field("posted_at", "must not be in the future"));
    }
    if input.photo_ref.as_ref().is_some_and(|p| p.len() > 500) {
        return Err(AppError::field(
            "photo_ref",
            "must be at most 500 characters",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        let h = visible_home(conn, &scope, home_id)?;
        if let Some(s) = store::signs_of(conn, &h.id)?
            .into_iter()
            .find(|s| s.state == SignState::Posted)
        {
            return Err(AppError::Conflict {
                detail: "a sign is posted at this home already".into(),
                existing_id: Some(s.id),
            });
        }
        let s = SignRow {
            id: new_id(),
            home_id: h.id.clone(),
            state: SignState::Posted,
            posted_by: Some(actor.user_id.clone()),
            posted_at: posted,
            photo_ref: input.photo_ref.clone(),
            removed_by: None,
            removed_at: None,
            removed_reason: None,
            unit_path: h.unit_path.clone(),
            version: 1,
            created_at: at,
        };
        store::insert_sign(conn, &s)?;
        Event::on(Entity::WarningSign, &s.id, "posted")
            .after(&json!({"home_id": h.id, "posted_at": utc(posted), "photo_ref": s.photo_ref}))
            .write(conn, &who_as(actor, scope.role_at(&h.unit_path)), at)?;
        Ok(SignOut::from(&s))
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RemoveSign {
    pub version: i32,
    /// Required while someone is still quarantined at the home; at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
}

pub fn take_down_sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    sign_id: &str,
    input: RemoveSign,
) -> AppResult<SignOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let reason = input.reason.as_deref().map(require_reason).transpose()?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let s = match store::get_sign(conn, sign_id)? {
            Some(s) if scope.covers(&s.unit_path) => s,
            _ => return Err(AppError::not_found("warning sign")),
        };
        let still = store::home_episodes(conn, &s.home_id)?
            .iter()
            .any(|e| e.state.is_open());
        let next = remove_sign(s.state, still, reason.as_deref())?;
        versioned::expect(input.version, s.version)?;
        versioned::write(
            conn,
            s.version,
            |c| store::remove_sign(c, &s, next, &actor.user_id, at, reason.as_deref()),
            Event::on(Entity::WarningSign, &s.id, "removed")
                .before(&json!({"state": "posted"}))
                .after(&json!({"state": "removed"}))
                .reason_opt(reason.as_deref()),
            &who_as(actor, scope.role_at(&s.unit_path)),
            at,
        )?;
        let after = store::get_sign(conn, &s.id)?.ok_or_else(|| AppError::not_found("sign"))?;
        Ok(SignOut::from(&after))
    })
}

/// Line list: signs still posted at homes where nobody is quarantined any more.
pub fn signs_not_removed(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SizeQuery,
) -> AppResult<Vec<SignOut>> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let rows = store::signs_left_posted(conn, &scope.ranges(), Paging::size(q.limit))?;
    Ok(rows.iter().map(SignOut::from).collect())
}
