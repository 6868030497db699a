//! Trace tasks: locate a person, within a deadline.

use super::*;

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
