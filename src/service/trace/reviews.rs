//! Level reviews: the people a correction would downgrade, for a health officer to decide.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOut {
    pub id: String,
    pub person_id: String,
    pub current_level: String,
    /// The level the graph gives now; absent when nothing classifies the person any more.
    pub computed_level: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl From<&ReviewRow> for ReviewOut {
    fn from(r: &ReviewRow) -> Self {
        ReviewOut {
            id: r.id.clone(),
            person_id: r.person_id.clone(),
            current_level: label(r.current_level as u8),
            computed_level: r.computed_level.map(|l| label(l as u8)),
            reason: r.reason.clone(),
            created_at: utc(r.created_at),
        }
    }
}

pub fn reviews(
    conn: &mut AnyConnection,
    actor: &Actor,
    cursor: Option<String>,
    limit: Option<i64>,
) -> AppResult<Page<ReviewOut>> {
    let scope = actor.scope(Action::LevelReview)?;
    let paging = Paging::new(cursor.as_deref(), limit)?;
    let rows = store::open_reviews(conn, &scope.ranges(), paging.after(), paging.fetch())?;
    let out = rows.iter().map(ReviewOut::from).collect();
    Ok(paging.page(out, |r: &ReviewOut| r.id.clone()))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Apply the computed level (or declassify when there is none).
    Apply,
    /// Keep the current level.
    Keep,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ResolveReview {
    pub decision: ReviewDecision,
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

pub fn resolve_review(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: ResolveReview,
) -> AppResult<()> {
    let scope = actor.scope(Action::LevelReview)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let review = match store::get_review(conn, id)? {
            Some(r) if scope.covers(&r.unit_path) => r,
            _ => return Err(AppError::not_found("review")),
        };
        if review.resolved_at.is_some() {
            return Err(AppError::conflict("this review was already resolved"));
        }
        let resolution = match input.decision {
            ReviewDecision::Apply => "applied",
            ReviewDecision::Keep => "kept",
        };
        store::resolve_review(conn, id, &actor.user_id, resolution, at)?;
        let w = who(actor, &scope, &review.unit_path);
        if input.decision == ReviewDecision::Apply {
            if let Some(before) = store::exposure(conn, &review.person_id)? {
                let after = match review.computed_level {
                    Some(l) => ExposureRow {
                        level: l,
                        updated_at: at,
                        ..before.clone()
                    },
                    None => ExposureRow {
                        status: ExposureStatus::Declassified,
                        updated_at: at,
                        ..before.clone()
                    },
                };
                upsert_exposures(conn, std::slice::from_ref(&after))?;
                Event::on(Entity::Person, &review.person_id, "reclassified")
                    .before(exposure_json(Some(&before)).as_ref())
                    .after(exposure_json(Some(&after)).as_ref())
                    .reason(&reason)
                    .write(conn, &w, at)?;
            }
        } else {
            let detail = json!({"review_id": id, "decision": "kept"});
            Event::on(Entity::Person, &review.person_id, "level_review_resolved")
                .after(&detail)
                .reason(&reason)
                .write(conn, &w, at)?;
        }
        Ok(())
    })
}
