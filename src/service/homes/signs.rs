//! The warning sign at the door: posted, taken down, and those left after release.

use super::*;
use crate::domain::rules::Rules;
use crate::service::happened::{after, happened, happened_at};
use crate::service::versioned;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PostSign {
    /// A reference to the photo of the posted sign (a file name or storage key): printable
    /// ASCII, at most 500 characters.
    #[schema(max_length = 500, pattern = "^[ -~]*$")]
    pub photo_ref: Option<String>,
    /// When it was posted (default: now), at most a few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub posted_at: Option<DateTime<Utc>>,
    /// Why a sign posted more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

pub fn post_sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    home_id: &str,
    input: PostSign,
    rules: &Rules,
) -> AppResult<SignOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let when = happened(
        rules,
        "posted_at",
        input.posted_at,
        input.backdate_reason.as_deref(),
        None,
    )?;
    let (at, posted) = (when.recorded_at, when.at);
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
            .write_fact(conn, &who_as(actor, scope.role_at(&h.unit_path)), &when)?;
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
    /// When it was taken down (default: now): not before it was posted, at most a few
    /// minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a removal more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

pub fn take_down_sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    sign_id: &str,
    input: RemoveSign,
    rules: &Rules,
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
        let posted = after(s.posted_at, "it was posted");
        let late = input.backdate_reason.as_deref();
        let h = happened_at(rules, at, "at", input.at, late, Some(posted))?;
        let removed = store::remove_sign(conn, &s, next, &actor.user_id, h.at, reason.as_deref())?;
        versioned::applied(removed, s.version)?;
        Event::on(Entity::WarningSign, &s.id, "removed")
            .before(&json!({"state": "posted"}))
            .after(&json!({"state": "removed"}))
            .reason_opt(reason.as_deref())
            .write_fact(conn, &who_as(actor, scope.role_at(&s.unit_path)), &h)?;
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
