//! Investigations, landmarks and trace tasks.

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::investigation::{Step, TaskState};
use crate::schema::{exposures, investigations, landmarks, trace_tasks};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = investigations)]
pub struct InvestigationRow {
    pub id: String,
    pub case_id: String,
    pub person_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: Step,
    pub opened_at: NaiveDateTime,
    pub tracing_at: Option<NaiveDateTime>,
    pub isolating_at: Option<NaiveDateTime>,
    pub sampling_at: Option<NaiveDateTime>,
    pub monitoring_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub tracing_due: NaiveDateTime,
    pub isolating_due: NaiveDateTime,
    pub sampling_due: NaiveDateTime,
    pub unit_path: String,
    pub version: i32,
    pub updated_at: NaiveDateTime,
    /// Null for investigations opened before the cordon step existed.
    pub cordoning_at: Option<NaiveDateTime>,
    pub cordoning_due: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = landmarks)]
pub struct LandmarkRow {
    pub id: String,
    pub case_id: String,
    pub place: String,
    pub address: Option<String>,
    pub unit_code: Option<String>,
    pub unit_path: String,
    pub from_at: NaiveDateTime,
    pub to_at: NaiveDateTime,
    pub public: bool,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub retracted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = trace_tasks)]
pub struct TaskRow {
    pub id: String,
    pub case_id: String,
    pub person_id: String,
    pub assignee_id: Option<String>,
    pub team: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: TaskState,
    pub due_at: NaiveDateTime,
    pub note: Option<String>,
    pub unit_path: String,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_investigation(conn: &mut AnyConnection, i: &InvestigationRow) -> QueryResult<()> {
    diesel::insert_into(investigations::table)
        .values(i.clone())
        .execute(conn)?;
    Ok(())
}

pub fn get_investigation(
    conn: &mut AnyConnection,
    id: &str,
) -> QueryResult<Option<InvestigationRow>> {
    investigations::table
        .find(id)
        .select(InvestigationRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn investigation_of_case(
    conn: &mut AnyConnection,
    case_id: &str,
) -> QueryResult<Option<InvestigationRow>> {
    investigations::table
        .filter(investigations::case_id.eq(case_id))
        .select(InvestigationRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn update_investigation(
    conn: &mut AnyConnection,
    i: &InvestigationRow,
    expected: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        investigations::table
            .find(&i.id)
            .filter(investigations::version.eq(expected)),
    )
    .set((
        investigations::state.eq(i.state.as_str()),
        investigations::tracing_at.eq(i.tracing_at),
        investigations::cordoning_at.eq(i.cordoning_at),
        investigations::isolating_at.eq(i.isolating_at),
        investigations::sampling_at.eq(i.sampling_at),
        investigations::monitoring_at.eq(i.monitoring_at),
        investigations::closed_at.eq(i.closed_at),
        investigations::version.eq(i.version),
        investigations::updated_at.eq(i.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn list_investigations(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    state: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<InvestigationRow>> {
    let mut q = investigations::table
        .select(InvestigationRow::as_select())
        .order(investigations::id.asc())
        .limit(limit)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, investigations::unit_path, ranges);
    if let Some(s) = state {
        q = q.filter(investigations::state.eq(s.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(investigations::id.gt(a.to_string()));
    }
    q.load(conn)
}

/// F1s whose level came from this person: how many, and how many are not isolated yet.
pub fn f1_counts(conn: &mut AnyConnection, f0_person: &str) -> QueryResult<(i64, i64)> {
    let listed: i64 = exposures::table
        .filter(exposures::via_person_id.eq(f0_person))
        .filter(exposures::level.eq(1))
        .count()
        .get_result(conn)?;
    let not_isolated: i64 = exposures::table
        .filter(exposures::via_person_id.eq(f0_person))
        .filter(exposures::level.eq(1))
        .filter(exposures::status.eq("active"))
        .filter(exposures::window_end.is_null())
        .count()
        .get_result(conn)?;
    Ok((listed, not_isolated))
}

pub fn pending_tasks_of_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<i64> {
    trace_tasks::table
        .filter(trace_tasks::case_id.eq(case_id))
        .filter(trace_tasks::state.eq_any(["open", "in_progress"]))
        .count()
        .get_result(conn)
}

// ---- landmarks ------------------------------------------------------------------------

pub fn insert_landmark(conn: &mut AnyConnection, l: &LandmarkRow) -> QueryResult<()> {
    diesel::insert_into(landmarks::table)
        .values(l)
        .execute(conn)?;
    Ok(())
}

pub fn landmarks_of_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<LandmarkRow>> {
    landmarks::table
        .filter(landmarks::case_id.eq(case_id))
        .select(LandmarkRow::as_select())
        .order(landmarks::from_at.asc())
        .load(conn)
}

/// Public landmarks in a subtree since a time, by time.
pub fn public_landmarks(
    conn: &mut AnyConnection,
    within: (String, String),
    since: NaiveDateTime,
    until: Option<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<LandmarkRow>> {
    let mut q = landmarks::table
        .filter(landmarks::public.eq(true))
        .filter(landmarks::retracted_at.is_null())
        .filter(landmarks::unit_path.ge(within.0))
        .filter(landmarks::unit_path.lt(within.1))
        .filter(landmarks::to_at.ge(since))
        .into_boxed();
    if let Some(u) = until {
        q = q.filter(landmarks::from_at.lt(u));
    }
    q.select(LandmarkRow::as_select())
        .order((landmarks::from_at.desc(), landmarks::id.asc()))
        .limit(limit)
        .load(conn)
}

// ---- trace tasks ----------------------------------------------------------------------

pub fn insert_task(conn: &mut AnyConnection, t: &TaskRow) -> QueryResult<()> {
    diesel::insert_into(trace_tasks::table)
        .values(t.clone())
        .execute(conn)?;
    Ok(())
}

pub fn get_task(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<TaskRow>> {
    trace_tasks::table
        .find(id)
        .select(TaskRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn update_task(conn: &mut AnyConnection, t: &TaskRow, expected: i32) -> QueryResult<bool> {
    let n = diesel::update(
        trace_tasks::table
            .find(&t.id)
            .filter(trace_tasks::version.eq(expected)),
    )
    .set((
        trace_tasks::state.eq(t.state.as_str()),
        trace_tasks::note.eq(&t.note),
        trace_tasks::version.eq(t.version),
        trace_tasks::updated_at.eq(t.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Default)]
pub struct TaskFilter {
    pub state: Option<String>,
    pub assignee: Option<String>,
    pub overdue_at: Option<NaiveDateTime>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list_tasks(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    f: &TaskFilter,
) -> QueryResult<Vec<TaskRow>> {
    let mut q = trace_tasks::table
        .select(TaskRow::as_select())
        .order(trace_tasks::id.asc())
        .limit(f.limit)
        .into_boxed::<MultiBackend>();
    // the jurisdiction first: later filters are AND-ed onto its OR of ranges
    q = in_ranges!(q, trace_tasks::unit_path, ranges);
    if let Some(s) = &f.state {
        q = q.filter(trace_tasks::state.eq(s.clone()));
    }
    if let Some(a) = &f.assignee {
        q = q.filter(trace_tasks::assignee_id.eq(a.clone()));
    }
    if let Some(at) = f.overdue_at {
        q = q
            .filter(trace_tasks::state.eq_any(["open", "in_progress"]))
            .filter(trace_tasks::due_at.lt(at));
    }
    if let Some(a) = &f.after {
        q = q.filter(trace_tasks::id.gt(a.clone()));
    }
    q.load(conn)
}
