//! Violations, and the police list of them and of people who absconded.

use super::*;
use crate::store::events::{Entity, Event};

pub use crate::domain::home::ViolationKind;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ReportViolation {
    pub kind: ViolationKind,
    /// When it happened (default: now): not before the quarantine was ordered, at most a
    /// few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    /// Why a violation more than the backdating limit (30 days) old is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationOut {
    pub id: String,
    pub episode_id: String,
    pub person_id: String,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub note: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

impl From<&ViolationRow> for ViolationOut {
    fn from(v: &ViolationRow) -> Self {
        ViolationOut {
            id: v.id.clone(),
            episode_id: v.episode_id.clone(),
            person_id: v.person_id.clone(),
            kind: v.kind.to_string(),
            occurred_at: utc(v.occurred_at),
            note: v.note.clone(),
            handled_at: v.handled_at.map(utc),
            outcome: v.outcome.clone(),
        }
    }
}

/// A violation of home quarantine: an event on the episode, and a line on the police list.
pub fn report_violation(
    conn: &mut AnyConnection,
    actor: &Actor,
    episode_id: &str,
    input: ReportViolation,
    rules: &crate::domain::rules::Rules,
) -> AppResult<ViolationOut> {
    let at = now();
    let note = input.note.as_deref().map(tidy);
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::field("note", "must be at most 1000 characters"));
    }
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::HomeQuarantine, episode_id)?;
        crate::domain::home::may_report_violation(e.mode, e.state)?;
        let h = crate::service::happened::happened_at(
            rules,
            at,
            "occurred_at",
            input.occurred_at,
            input.backdate_reason.as_deref(),
            Some(crate::service::happened::after(
                e.ordered_at,
                "the quarantine was ordered",
            )),
        )?;
        let occurred = h.at;
        let v = ViolationRow {
            id: new_id(),
            episode_id: e.id.clone(),
            person_id: e.person_id.clone(),
            kind: input.kind,
            occurred_at: occurred,
            note: note.clone(),
            unit_path: e.unit_path.clone(),
            reported_by: Some(actor.user_id.clone()),
            created_at: at,
            handled_at: None,
            handled_by: None,
            outcome: None,
        };
        store::insert_violation(conn, &v)?;
        Event::on(Entity::Episode, &e.id, "violation")
            .after(&json!({"violation_id": v.id, "kind": v.kind, "occurred_at": utc(occurred)}))
            .reason_opt(note.as_deref())
            .write_fact(conn, &who_as(actor, roles.first().copied()), &h)?;
        Ok(ViolationOut::from(&v))
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PoliceListOut {
    /// People who left quarantine without release.
    pub absconded: Vec<EpisodeOut>,
    /// Violations not yet handled.
    pub violations: Vec<ViolationOut>,
}

pub fn police_list(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SizeQuery,
) -> AppResult<PoliceListOut> {
    let scope = actor.scope(Action::PoliceList)?;
    let limit = Paging::size(q.limit);
    let ranges = scope.ranges();
    let absconded = store::absconded(conn, &ranges, limit)?;
    let violations = store::open_violations(conn, &ranges, limit)?;
    let today = vn_date(now());
    Ok(PoliceListOut {
        absconded: absconded
            .iter()
            .map(|e| episode_out(e, &[], today))
            .collect(),
        violations: violations.iter().map(ViolationOut::from).collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct HandleViolation {
    /// What the police did, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub outcome: String,
    /// When it was done (default: now): not before the violation, at most a few minutes ahead of the
    /// server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why something done more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

pub fn handle_violation(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: HandleViolation,
    rules: &crate::domain::rules::Rules,
) -> AppResult<ViolationOut> {
    let scope = actor.scope(Action::PoliceList)?;
    let outcome = require_reason(&input.outcome).map_err(|_| {
        AppError::field("outcome", "must say what was done (at least 3 characters)")
    })?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let v = match store::get_violation(conn, id)? {
            Some(v) if scope.covers(&v.unit_path) => v,
            _ => return Err(AppError::not_found("violation")),
        };
        violation_transition(ViolationState::of(v.handled_at), ViolationCommand::Handle)?;
        let h = crate::service::happened::happened_at(
            rules,
            at,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            Some(crate::service::happened::after(
                v.occurred_at,
                "the violation",
            )),
        )?;
        if !store::handle_violation(conn, &v.id, &actor.user_id, h.at, &outcome)? {
            // handled since it was read: refused from the state it is in now
            let now = store::get_violation(conn, &v.id)?.map_or(v.handled_at, |v| v.handled_at);
            violation_transition(ViolationState::of(now), ViolationCommand::Handle)?;
            return Err(AppError::Contention(
                "violation changed while handling".into(),
            ));
        }
        Event::on(Entity::Episode, &v.episode_id, "violation_handled")
            .after(&json!({"violation_id": v.id}))
            .reason(&outcome)
            .write_fact(conn, &who_as(actor, scope.role_at(&v.unit_path)), &h)?;
        let after =
            store::get_violation(conn, &v.id)?.ok_or_else(|| AppError::not_found("violation"))?;
        Ok(ViolationOut::from(&after))
    })
}
