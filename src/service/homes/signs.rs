//! The warning sign at the door: posted, taken down, and those left after release.

use super::*;

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
        events::record(
            conn,
            &who_as(actor, scope.role_at(&h.unit_path)),
            at,
            "warning_sign",
            &s.id,
            "posted",
            None,
            Some(&json!({"home_id": h.id, "posted_at": utc(posted), "photo_ref": s.photo_ref})),
            None,
        )?;
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
        let state = s.state;
        let next = remove_sign(state, still, reason.as_deref())?;
        if s.version != input.version {
            return Err(AppError::StaleVersion { current: s.version });
        }
        if !store::remove_sign(conn, &s, next, &actor.user_id, at, reason.as_deref())? {
            return Err(AppError::StaleVersion {
                current: s.version + 1,
            });
        }
        events::record(
            conn,
            &who_as(actor, scope.role_at(&s.unit_path)),
            at,
            "warning_sign",
            &s.id,
            "removed",
            Some(&json!({"state": "posted"})),
            Some(&json!({"state": "removed"})),
            reason.as_deref(),
        )?;
        let after = store::get_sign(conn, &s.id)?.ok_or_else(|| AppError::not_found("sign"))?;
        Ok(SignOut::from(&after))
    })
}

/// Line list: signs still posted at homes where nobody is quarantined any more.
pub fn signs_not_removed(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: ListQuery,
) -> AppResult<Vec<SignOut>> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let rows = store::signs_left_posted(conn, &scope.ranges(), page_size(q.limit))?;
    Ok(rows.iter().map(SignOut::from).collect())
}
