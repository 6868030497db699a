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

// ---- landmarks ------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateLandmark {
    pub id: Option<Uuid>,
    /// The place, as it may be published ("Chợ Cái Rồng", "Cảng hàng không Vân Đồn").
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub place: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// The administrative unit of the place.
    pub unit_code: Option<String>,
    pub from_at: DateTime<Utc>,
    pub to_at: DateTime<Utc>,
    /// Published, to ask the public to come forward (place and time only).
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LandmarkOut {
    pub id: String,
    pub case_id: String,
    pub place: String,
    pub address: Option<String>,
    pub unit_code: Option<String>,
    pub from_at: DateTime<Utc>,
    pub to_at: DateTime<Utc>,
    pub public: bool,
}

impl From<&LandmarkRow> for LandmarkOut {
    fn from(l: &LandmarkRow) -> Self {
        LandmarkOut {
            id: l.id.clone(),
            case_id: l.case_id.clone(),
            place: l.place.clone(),
            address: l.address.clone(),
            unit_code: l.unit_code.clone(),
            from_at: utc(l.from_at),
            to_at: utc(l.to_at),
            public: l.public,
        }
    }
}

fn visible_case(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<CaseRow> {
    match trace_store::get_case(conn, id)? {
        Some(c) if scope.covers(&c.unit_path) => Ok(c),
        _ => Err(AppError::not_found("case")),
    }
}

pub fn add_landmark(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: &str,
    input: CreateLandmark,
) -> AppResult<LandmarkOut> {
    let scope = actor.scope(Action::ContactLog)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        add_landmark_in_tx(conn, actor, &scope, case_id, input, at)
    })
}

pub fn add_landmark_in_tx(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    case_id: &str,
    input: CreateLandmark,
    at: NaiveDateTime,
) -> AppResult<LandmarkOut> {
    input.validate()?;
    let (from, to) = (instant(input.from_at), instant(input.to_at));
    if to < from {
        return Err(AppError::field("to_at", "must not be before from_at"));
    }
    if from > at + Duration::hours(1) {
        return Err(AppError::field("from_at", "must not be in the future"));
    }
    {
        let case = visible_case(conn, scope, case_id)?;
        if let Some(id) = input.id {
            if let Some(existing) = store::landmarks_of_case(conn, &case.id)?
                .into_iter()
                .find(|l| l.id == id.to_string())
            {
                return Ok(LandmarkOut::from(&existing));
            }
        }
        let unit_path = match &input.unit_code {
            Some(code) => {
                units::get(conn, code)?
                    .filter(|u| u.level != Level::Country)
                    .ok_or_else(|| {
                        AppError::field(
                            "unit_code",
                            format!("no administrative unit has code '{code}'"),
                        )
                    })?
                    .path
            }
            None => case.unit_path.clone(),
        };
        let l = LandmarkRow {
            id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
            case_id: case.id.clone(),
            place: tidy(&input.place),
            address: input.address.as_deref().map(tidy).filter(|s| !s.is_empty()),
            unit_code: input.unit_code.clone(),
            unit_path,
            from_at: from,
            to_at: to,
            public: input.public,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            retracted_at: None,
        };
        store::insert_landmark(conn, &l)?;
        let out = LandmarkOut::from(&l);
        Event::on(Entity::Landmark, &l.id, "added")
            .after(&serde_json::to_value(&out).unwrap_or_default())
            .write(conn, &who(actor, scope, &case.unit_path), at)?;
        Ok(out)
    }
}

pub fn landmarks_of_case(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: &str,
) -> AppResult<Vec<LandmarkOut>> {
    let scope = actor.scope(Action::CaseRead)?;
    let case = visible_case(conn, &scope, case_id)?;
    Ok(store::landmarks_of_case(conn, &case.id)?
        .iter()
        .map(LandmarkOut::from)
        .collect())
}

/// A landmark as published: a place and a time, nothing about anyone.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicLandmark {
    pub place: String,
    pub address: Option<String>,
    pub unit_code: Option<String>,
    pub from_at: DateTime<Utc>,
    pub to_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// A province, district or commune code (default: the whole country).
    pub unit: Option<String>,
    /// Places visited in the last N days (default 14, at most 60); not with `from`/`to`.
    #[param(minimum = 1, maximum = 60)]
    pub days: Option<i64>,
    /// Places visited in a period instead: its first local date (from 2020) …
    #[param(pattern = "^(202[0-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: Option<chrono::NaiveDate>,
    /// … and its last (default: today); a period is at most a year.
    #[param(pattern = "^(202[0-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<chrono::NaiveDate>,
}

/// The instants `[since, until)` a public list covers: the last `days` days, or a period of
/// local dates.
fn public_period(
    q: &PublicQuery,
    now: NaiveDateTime,
) -> AppResult<(NaiveDateTime, Option<NaiveDateTime>)> {
    use crate::domain::time::{vn_date, vn_midnight};
    if q.from.is_none() && q.to.is_none() {
        let days = q.days.unwrap_or(14);
        if !(1..=60).contains(&days) {
            return Err(AppError::field("days", "must be between 1 and 60"));
        }
        return Ok((now - Duration::days(days), None));
    }
    if q.days.is_some() {
        return Err(AppError::field(
            "days",
            "give days, or a period (from, to), not both",
        ));
    }
    let to = q.to.unwrap_or_else(|| vn_date(now));
    let from = q.from.unwrap_or(to - Duration::days(29));
    let first = vn_date(crate::domain::time::earliest_fact());
    if from < first {
        return Err(AppError::field("from", "must not be before 2020"));
    }
    if to < from {
        return Err(AppError::field("to", "must not be before from"));
    }
    if (to - from).num_days() > 366 {
        return Err(AppError::field("from", "a period is at most a year"));
    }
    Ok((vn_midnight(from), Some(vn_midnight(to + Duration::days(1)))))
}

pub fn public_landmarks(
    conn: &mut AnyConnection,
    q: PublicQuery,
) -> AppResult<Vec<PublicLandmark>> {
    let (since, until) = public_period(&q, now())?;
    let path = match q.unit.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => {
            units::get(conn, code)?
                .ok_or_else(|| AppError::field("unit", format!("no unit has code '{code}'")))?
                .path
        }
        None => "/".into(),
    };
    let rows = store::public_landmarks(conn, subtree_range(&path), since, until, 500)?;
    Ok(rows
        .into_iter()
        .map(|l| PublicLandmark {
            place: l.place,
            address: l.address,
            unit_code: l.unit_code,
            from_at: utc(l.from_at),
            to_at: utc(l.to_at),
        })
        .collect())
}

// ---- trace tasks ----------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateTasks {
    pub case_id: Uuid,
    /// The people to locate: one task each.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_items = 1, max_items = 500)]
    pub person_ids: Vec<Uuid>,
    /// A user to work the tasks …
    pub assignee_id: Option<Uuid>,
    /// … or a team ("Tổ truy vết xã Đài Xuyên").
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub team: Option<String>,
    /// Default: the configured number of hours from `at`.
    pub due_at: Option<DateTime<Utc>>,
    /// When the tasks were given (default: now; not before the confirmation), at most a few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a fact more than the backdating limit (30 days) old is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    pub id: String,
    pub case_id: String,
    pub person_id: String,
    pub assignee_id: Option<String>,
    pub team: Option<String>,
    pub state: TaskState,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    pub note: Option<String>,
    pub version: i32,
}

fn task_out(t: &TaskRow, at: NaiveDateTime) -> TaskOut {
    let state = t.state;
    TaskOut {
        id: t.id.clone(),
        case_id: t.case_id.clone(),
        person_id: t.person_id.clone(),
        assignee_id: t.assignee_id.clone(),
        team: t.team.clone(),
        state,
        due_at: utc(t.due_at),
        overdue: state.is_pending() && at > t.due_at,
        note: t.note.clone(),
        version: t.version,
    }
}

pub fn create_tasks(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    input: CreateTasks,
) -> AppResult<Vec<TaskOut>> {
    input.validate()?;
    let scope = actor.scope(Action::ContactLog)?;
    if input.assignee_id.is_none() && input.team.is_none() {
        return Err(AppError::field(
            "assignee_id",
            "assign the tasks to a user or a team",
        ));
    }
    let now = now();
    crate::db::write_tx(conn, |conn| {
        let case = visible_case(conn, &scope, &input.case_id.to_string())
            .map_err(|_| AppError::field("case_id", "no such case in your jurisdiction"))?;
        let h = crate::service::happened::happened_at(
            &rules,
            now,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            Some(crate::service::happened::after(
                case.confirmed_at,
                "the confirmation",
            )),
        )?;
        let at = h.at;
        let due = input
            .due_at
            .map(instant)
            .unwrap_or(at + Duration::hours(rules.task_hours));
        if due < at {
            return Err(AppError::field(
                "due_at",
                "must not be before the tasks were given",
            ));
        }
        if let Some(a) = input.assignee_id {
            let ok = users::get(conn, &a.to_string())?.is_some_and(|u| u.active);
            if !ok {
                return Err(AppError::field("assignee_id", "no such active user"));
            }
        }
        let mut out = Vec::new();
        for (i, pid) in input.person_ids.iter().enumerate() {
            if people_store::get(conn, &pid.to_string())?.is_none() {
                return Err(AppError::field(
                    &format!("person_ids[{i}]"),
                    "no such person",
                ));
            }
            let t = TaskRow {
                id: new_id(),
                case_id: case.id.clone(),
                person_id: pid.to_string(),
                assignee_id: input.assignee_id.map(|u| u.to_string()),
                team: input.team.as_deref().map(tidy),
                state: TaskState::Open,
                due_at: due,
                note: None,
                unit_path: case.unit_path.clone(),
                version: 1,
                created_by: Some(actor.user_id.clone()),
                created_at: now,
                updated_at: now,
            };
            store::insert_task(conn, &t)?;
            Event::on(Entity::TraceTask, &t.id, "created")
                .after(&json!({"person_id": t.person_id, "case_id": t.case_id, "due_at": utc(due)}))
                .write_fact(conn, &who(actor, &scope, &t.unit_path), &h)?;
            out.push(task_out(&t, now));
        }
        Ok(out)
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    pub state: Option<TaskState>,
    /// Only tasks assigned to me.
    pub mine: Option<bool>,
    /// Only pending tasks past their deadline.
    pub overdue: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn list_tasks(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: TaskQuery,
) -> AppResult<Page<TaskOut>> {
    let scope = actor.scope(Action::ContactLog)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let at = now();
    let rows = store::list_tasks(
        conn,
        &scope.ranges(),
        &TaskFilter {
            state: q.state.map(|s| s.as_str().to_string()),
            assignee: q.mine.unwrap_or(false).then(|| actor.user_id.clone()),
            overdue_at: q.overdue.unwrap_or(false).then_some(at),
            after: paging.after().map(str::to_string),
            limit: paging.fetch(),
        },
    )?;
    let out = rows.iter().map(|t| task_out(t, at)).collect();
    Ok(paging.page(out, |t: &TaskOut| t.id.clone()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct TaskTransition {
    pub command: TaskCommand,
    pub version: i32,
    /// What happened (required for `unreachable`), at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub note: Option<String>,
    /// When it happened (default: now; not before the task's last move), at most a few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a fact more than the backdating limit (30 days) old is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

pub fn transition_task(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: TaskTransition,
    rules: &Rules,
) -> AppResult<TaskOut> {
    let scope = actor.scope(Action::ContactLog)?;
    let note = match (input.command, input.note.as_deref()) {
        (TaskCommand::Unreachable, n) => Some(
            require_reason(n.unwrap_or(""))
                .map_err(|_| AppError::field("note", "say what was tried"))?,
        ),
        (_, Some(n)) if !tidy(n).is_empty() => Some(tidy(n)),
        _ => None,
    };
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let t = match store::get_task(conn, id)? {
            Some(t) if scope.covers(&t.unit_path) => t,
            _ => return Err(AppError::not_found("trace task")),
        };
        let state = t.state;
        let next = task_transition(state, input.command).map_err(|r: Refused| AppError::from(r))?;
        versioned::expect(input.version, t.version)?;
        let last = crate::store::events::last_move_at(conn, Entity::TraceTask, &t.id)?;
        let h = crate::service::happened::happened_at(
            rules,
            at,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            last.map(|l| crate::service::happened::after(l, "the task's last move")),
        )?;
        let after = TaskRow {
            state: next,
            note: note.clone().or(t.note.clone()),
            version: t.version + 1,
            updated_at: at,
            ..t.clone()
        };
        versioned::applied(store::update_task(conn, &after, t.version)?, t.version)?;
        Event::on(Entity::TraceTask, &t.id, input.command.as_str())
            .before(&json!({"state": state.as_str()}))
            .after(&json!({"state": next.as_str()}))
            .reason_opt(note.as_deref())
            .state(next.as_str())
            .write_fact(conn, &who(actor, &scope, &t.unit_path), &h)?;
        Ok(task_out(&after, at))
    })
}
