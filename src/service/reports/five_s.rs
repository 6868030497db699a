//! The 5S delays of each F0's response, and of a jurisdiction over a period.

use super::*;

/// One step of the 5S over a set of F1s.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiveSStepOut {
    pub step: FiveSStep,
    /// Hours after the confirmation by which the step is due.
    pub deadline_hours: i64,
    /// F1s counted.
    pub people: i64,
    /// Of them, those for whom the step has happened.
    pub done: i64,
    /// Done after the deadline, or not done and past it.
    pub past_deadline: i64,
    /// Hours from the confirmation, over those done: the median and the 90th percentile.
    pub p50_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

fn hours(secs: f64) -> f64 {
    (secs / 36.0).round() / 100.0
}

pub(super) fn steps_out(rows: &[StepFigures], grp: &str, rules: &Rules) -> Vec<FiveSStepOut> {
    FiveSStep::ALL
        .iter()
        .map(|s| {
            let r = rows.iter().find(|r| r.grp == grp && r.step == s.as_str());
            FiveSStepOut {
                step: *s,
                deadline_hours: s.deadline_hours(rules),
                people: r.map_or(0, |r| r.people),
                done: r.map_or(0, |r| r.done),
                past_deadline: r.map_or(0, |r| r.past_deadline),
                p50_hours: r.and_then(|r| r.p50_secs).map(hours),
                p90_hours: r.and_then(|r| r.p90_secs).map(hours),
            }
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiveSQuery {
    /// The unit (GSO code) whose F0s count; default: your jurisdiction.
    pub unit: Option<String>,
    /// First local date of confirmation (default: 6 days before `to`), from 2020 to 2100;
    /// the period is at most a year.
    #[param(pattern = "^(202[0-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: Option<NaiveDate>,
    /// Last local date of confirmation (default: today), from 2020 to 2100.
    #[param(pattern = "^(202[0-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<NaiveDate>,
}

/// An F1 past a step's deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateOut {
    pub case_id: String,
    pub person_id: String,
    /// Only for people inside your jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub step: FiveSStep,
    /// Hours from the confirmation; absent while the step has not happened.
    pub hours: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiveSReport {
    pub unit_code: String,
    /// F0s confirmed in `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub steps: Vec<FiveSStepOut>,
    /// The F1s past a deadline (the first 200, by case and person); empty for those who do
    /// not read contacts in the unit.
    pub past_deadline: Vec<LateOut>,
    pub past_deadline_truncated: bool,
}

const LATE_CAP: i64 = 200;

/// The 5S delays of the F0s confirmed in a jurisdiction over a period.
pub fn five_s(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: FiveSQuery,
    rules: &Rules,
) -> AppResult<FiveSReport> {
    let scope = actor.scope(Action::ReportRead)?;
    let unit = report_unit(conn, &scope, q.unit.as_deref())?;
    let t = now();
    let to = q.to.unwrap_or_else(|| vn_date(t));
    check_date("to", to)?;
    let from = match q.from {
        Some(d) => check_date("from", d)?,
        None => to - Duration::days(6),
    };
    if from > to {
        return Err(AppError::field("to", "must not be before from"));
    }
    if (to - from).num_days() > 366 {
        return Err(AppError::field("from", "a period is at most a year"));
    }
    let (start, end) = (vn_midnight(from), vn_midnight(to + Duration::days(1)));
    let filter = CaseFilter {
        case_id: None,
        ranges: vec![subtree_range(&unit.path)],
        from: Some(start),
        to: Some(end),
    };
    let rows = store::five_s_figures(conn, &filter, rules, t, &Grouping::Total)?;
    // who is late says who met whom: only for those who read contacts there
    let mut late = if actor
        .scope(Action::ContactRead)
        .is_ok_and(|c| c.covers(&unit.path))
    {
        store::five_s_steps(conn, &filter, rules, t, true, LATE_CAP + 1)?
    } else {
        Vec::new()
    };
    let truncated = late.len() as i64 > LATE_CAP;
    late.truncate(LATE_CAP as usize);
    let names = visible_names(conn, actor, late.iter().map(|r| r.person_id.clone()))?;
    Ok(FiveSReport {
        unit_code: unit.code,
        from: utc(start),
        to: utc(end),
        steps: steps_out(&rows, "total", rules),
        past_deadline: late
            .into_iter()
            .map(|r| {
                Ok(LateOut {
                    full_name: names.get(&r.person_id).cloned(),
                    case_id: r.case_id,
                    person_id: r.person_id,
                    step: FiveSStep::try_from(r.step).map_err(AppError::stored)?,
                    hours: r.secs.map(hours),
                })
            })
            .collect::<AppResult<_>>()?,
        past_deadline_truncated: truncated,
    })
}

/// A report date: from 2020 to 2100.
fn check_date(field: &str, d: NaiveDate) -> AppResult<NaiveDate> {
    use chrono::Datelike;
    if !(2020..=2100).contains(&d.year()) {
        return Err(AppError::field(field, "must be between 2020 and 2100"));
    }
    Ok(d)
}

/// Names of the people the actor may read.
fn visible_names(
    conn: &mut AnyConnection,
    actor: &Actor,
    ids: impl Iterator<Item = String>,
) -> AppResult<HashMap<String, String>> {
    let Ok(read) = actor.scope(Action::PersonRead) else {
        return Ok(HashMap::new());
    };
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for p in people_store::get_many(conn, chunk)? {
            if read.covers(&p.row.unit_path) {
                out.insert(p.row.id.clone(), p.row.full_name.clone());
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct F1Step {
    pub step: FiveSStep,
    /// When it happened; absent while it has not.
    pub at: Option<DateTime<Utc>>,
    /// Hours from the confirmation.
    pub hours: Option<f64>,
    pub past_deadline: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct F1Steps {
    pub person_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub steps: Vec<F1Step>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseFiveS {
    pub case_id: String,
    pub person_id: String,
    pub confirmed_at: DateTime<Utc>,
    pub steps: Vec<FiveSStepOut>,
    /// Each F1 listed through this F0, with the time of each step (at most 5,000).
    pub f1: Vec<F1Steps>,
}

const CASE_F1_CAP: i64 = 5000;

/// The 5S of one F0: for each of its F1s, when each step happened, and the figures.
pub fn case_five_s(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: &str,
    rules: &Rules,
) -> AppResult<CaseFiveS> {
    // an F0's F1s are their contacts: read by those who read cases and contacts there
    let scope = actor.scope(Action::ReportRead)?;
    let contacts = actor.scope(Action::ContactRead)?;
    actor.scope(Action::CaseRead)?;
    let case = match trace_store::get_case(conn, case_id)? {
        Some(c) if scope.covers(&c.unit_path) && contacts.covers(&c.unit_path) => c,
        _ => return Err(AppError::not_found("case")),
    };
    let t = now();
    let filter = CaseFilter {
        case_id: Some(case.id.clone()),
        ranges: vec![subtree_range(&case.unit_path)],
        from: None,
        to: None,
    };
    let rows = store::five_s_figures(conn, &filter, rules, t, &Grouping::Total)?;
    let steps = store::five_s_steps(
        conn,
        &filter,
        rules,
        t,
        false,
        CASE_F1_CAP * FiveSStep::ALL.len() as i64,
    )?;
    let names = visible_names(conn, actor, steps.iter().map(|r| r.person_id.clone()))?;
    let mut f1: Vec<F1Steps> = Vec::new();
    for r in steps {
        let step = FiveSStep::try_from(r.step.clone()).map_err(AppError::stored)?;
        if f1.last().is_none_or(|l| l.person_id != r.person_id) {
            f1.push(F1Steps {
                full_name: names.get(&r.person_id).cloned(),
                person_id: r.person_id.clone(),
                steps: Vec::new(),
            });
        }
        if let Some(last) = f1.last_mut() {
            last.steps.push(F1Step {
                step,
                at: r.at.map(utc),
                hours: r.secs.map(hours),
                past_deadline: r.late == 1,
            });
        }
    }
    Ok(CaseFiveS {
        case_id: case.id,
        person_id: case.person_id,
        confirmed_at: utc(case.confirmed_at),
        steps: steps_out(&rows, "total", rules),
        f1,
    })
}
