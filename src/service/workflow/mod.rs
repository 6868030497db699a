//! The workflow around each F0: the investigation's steps with their deadlines, the
//! epidemiological landmarks (with a public list for the press), trace tasks, and the
//! recorded isolation of a classified person.

use super::{require_reason, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::investigation::{
    step_transition, task_transition, Facts, Step, StepCommand, TaskCommand, TaskState,
};
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::domain::states::Refused;
use crate::domain::text::tidy;
use crate::domain::units::{subtree_range, Level};
use crate::error::{AppError, AppResult};
use crate::service::versioned;
use crate::service::Paging;
use crate::service::{utc, who};
use crate::store::events::Who;
use crate::store::events::{Entity, Event};
use crate::store::trace::{self as trace_store, CaseRow};
use crate::store::workflow::{self as store, InvestigationRow, LandmarkRow, TaskFilter, TaskRow};
use crate::store::zones as zone_store;
use crate::store::{instant, new_id, now, people as people_store, units, users};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

mod landmarks;
mod tasks;
pub use landmarks::*;
pub use tasks::*;

/// Every confirmed case opens its investigation, with the step deadlines counted from the
/// confirmation.
pub fn open_investigation(
    conn: &mut AnyConnection,
    who: &Who,
    case: &CaseRow,
    rules: Rules,
    h: &crate::domain::happened::Happened,
) -> AppResult<()> {
    let due = |hours: i64| case.confirmed_at + Duration::hours(hours);
    let inv = InvestigationRow {
        id: new_id(),
        case_id: case.id.clone(),
        person_id: case.person_id.clone(),
        state: Step::Opened,
        opened_at: case.confirmed_at,
        tracing_at: None,
        isolating_at: None,
        sampling_at: None,
        monitoring_at: None,
        closed_at: None,
        tracing_due: due(rules.steps.tracing_hours),
        isolating_due: due(rules.steps.isolating_hours),
        sampling_due: due(rules.steps.sampling_hours),
        unit_path: case.unit_path.clone(),
        version: 1,
        updated_at: h.recorded_at,
        cordoning_at: None,
        cordoning_due: Some(due(rules.steps.cordoning_hours)),
    };
    store::insert_investigation(conn, &inv)?;
    Event::on(Entity::Investigation, &inv.id, "opened")
        .after(&json!({"case_id": case.id}))
        .write_fact(conn, who, h)?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvestigationStep {
    pub step: Step,
    /// When the step began.
    pub at: Option<DateTime<Utc>>,
    /// Its deadline, counted from the confirmation.
    pub due: Option<DateTime<Utc>>,
    /// Begun after its deadline, or not begun and past it.
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvestigationOut {
    pub id: String,
    pub case_id: String,
    pub person_id: String,
    pub state: Step,
    pub steps: Vec<InvestigationStep>,
    pub version: i32,
}

fn investigation_out(i: &InvestigationRow, now: NaiveDateTime) -> InvestigationOut {
    let step =
        |step: Step, at: Option<NaiveDateTime>, due: Option<NaiveDateTime>| InvestigationStep {
            step,
            at: at.map(utc),
            due: due.map(utc),
            overdue: match (at, due) {
                (Some(a), Some(d)) => a > d,
                // a withdrawn investigation waits for no step
                (None, Some(d)) => i.state != Step::Withdrawn && now > d,
                _ => false,
            },
        };
    InvestigationOut {
        id: i.id.clone(),
        case_id: i.case_id.clone(),
        person_id: i.person_id.clone(),
        state: i.state,
        steps: vec![
            step(Step::Opened, Some(i.opened_at), None),
            step(Step::Tracing, i.tracing_at, Some(i.tracing_due)),
            step(Step::Cordoning, i.cordoning_at, i.cordoning_due),
            step(Step::Isolating, i.isolating_at, Some(i.isolating_due)),
            step(Step::Sampling, i.sampling_at, Some(i.sampling_due)),
            step(Step::Monitoring, i.monitoring_at, None),
            step(Step::Closed, i.closed_at, None),
        ],
        version: i.version,
    }
}

fn visible_investigation(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
) -> AppResult<InvestigationRow> {
    match store::get_investigation(conn, id)? {
        Some(i) if scope.covers(&i.unit_path) => Ok(i),
        _ => Err(AppError::not_found("investigation")),
    }
}

pub fn get_investigation(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
) -> AppResult<InvestigationOut> {
    let scope = actor.scope(Action::CaseRead)?;
    Ok(investigation_out(
        &visible_investigation(conn, &scope, id)?,
        now(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvestigationQuery {
    pub state: Option<Step>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn list_investigations(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: InvestigationQuery,
) -> AppResult<Page<InvestigationOut>> {
    let scope = actor.scope(Action::CaseRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::list_investigations(
        conn,
        &scope.ranges(),
        q.state.map(Step::as_str),
        paging.after(),
        paging.fetch(),
    )?;
    let at = now();
    let out = rows.iter().map(|i| investigation_out(i, at)).collect();
    Ok(paging.page(out, |i: &InvestigationOut| i.id.clone()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct StepTransition {
    pub command: StepCommand,
    pub version: i32,
    /// When the step began (default: now): not before the step before it, at most a few
    /// minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a step begun more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

pub fn transition_investigation(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: StepTransition,
    rules: &Rules,
) -> AppResult<InvestigationOut> {
    let scope = actor.scope(Action::ContactLog)?;
    let now = now();
    crate::db::write_tx(conn, |conn| {
        let inv = visible_investigation(conn, &scope, id)?;
        let (f1_listed, f1_not_isolated) = store::f1_counts(conn, &inv.person_id)?;
        let facts = Facts {
            f1_listed: f1_listed as usize,
            people_unlocated: store::pending_tasks_of_case(conn, &inv.case_id)? as usize,
            f1_not_isolated: f1_not_isolated as usize,
            samples_pending: 0,
            zones_declared: zone_store::declared_for_investigation(conn, &inv.id)? as usize,
        };
        let state = inv.state;
        let next = step_transition(state, input.command, &facts)?;
        versioned::expect(input.version, inv.version)?;
        let last = [
            Some(inv.opened_at),
            inv.tracing_at,
            inv.cordoning_at,
            inv.isolating_at,
            inv.sampling_at,
            inv.monitoring_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(inv.opened_at);
        let h = crate::service::happened::happened_at(
            rules,
            now,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            Some(crate::service::happened::after(last, "the step before")),
        )?;
        let at = h.at;
        let mut after = InvestigationRow {
            state: next,
            version: inv.version + 1,
            updated_at: now,
            ..inv.clone()
        };
        match next {
            Step::Tracing => after.tracing_at = Some(at),
            Step::Cordoning => after.cordoning_at = Some(at),
            Step::Isolating => after.isolating_at = Some(at),
            Step::Sampling => after.sampling_at = Some(at),
            Step::Monitoring => after.monitoring_at = Some(at),
            Step::Closed => after.closed_at = Some(at),
            Step::Opened | Step::Withdrawn => {}
        }
        versioned::applied(
            store::update_investigation(conn, &after, inv.version)?,
            inv.version,
        )?;
        Event::on(Entity::Investigation, &inv.id, input.command.as_str())
            .before(&json!({"state": state.as_str()}))
            .after(&json!({"state": next.as_str()}))
            .write_fact(conn, &who(actor, &scope, &inv.unit_path), &h)?;
        Ok(investigation_out(&after, now))
    })
}

/// The investigation of a case retracted as not a case is withdrawn, in the same
/// transaction and with the retraction's reason; one that had ended stays as it is.
pub(crate) fn withdraw_investigation(
    conn: &mut AnyConnection,
    who: &Who,
    case_id: &str,
    reason: &str,
    h: &crate::domain::happened::Happened,
) -> AppResult<()> {
    let Some(inv) = store::investigation_of_case(conn, case_id)? else {
        return Ok(());
    };
    let state = inv.state;
    let Ok(next) = crate::domain::investigation::withdraw(state) else {
        return Ok(());
    };
    let after = InvestigationRow {
        state: next,
        version: inv.version + 1,
        updated_at: h.recorded_at,
        ..inv.clone()
    };
    versioned::applied(
        store::update_investigation(conn, &after, inv.version)?,
        inv.version,
    )?;
    Event::on(Entity::Investigation, &inv.id, "withdraw")
        .before(&json!({"state": state.as_str()}))
        .after(&json!({"state": next.as_str()}))
        .reason(reason)
        .write_fact(conn, who, h)?;
    Ok(())
}

/// A case in the actor's jurisdiction, or 404.
fn visible_case(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<CaseRow> {
    match trace_store::get_case(conn, id)? {
        Some(c) if scope.covers(&c.unit_path) => Ok(c),
        _ => Err(AppError::not_found("case")),
    }
}
