//! Reports (DOMAIN.md §4 and §8): the 5S delays of the response to each F0 and of a
//! jurisdiction, the weekly report to the steering committee, and the line lists in one place.
//! The figures are SQL aggregations over what was recorded (`store::reports`); this module
//! picks the jurisdiction, shapes the answer and renders CSV.

use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::classification::label;
use crate::domain::reports::{csv_safe, FiveSStep, LineList, Week, LINE_COLUMNS};
use crate::domain::risk::{RiskLevel, Scale};
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::domain::time::{vn_date, vn_midnight};
use crate::domain::units::subtree_range;
use crate::error::{AppError, AppResult};
use crate::service::utc;
use crate::store::people as people_store;
use crate::store::quarantine::{self as q_store, EpisodeFilter};
use crate::store::reports::{self as store, CaseFilter, Grouping, StepFigures};
use crate::store::units::{self as units, UnitRow};
use crate::store::{now, samples as samples_store, trace as trace_store};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

/// The unit a report is about: the one asked for, inside the actor's jurisdiction, or the
/// actor's jurisdiction when they hold one.
fn report_unit(conn: &mut AnyConnection, scope: &Scope, code: Option<&str>) -> AppResult<UnitRow> {
    match code {
        Some(code) => {
            let unit = units::get(conn, code.trim())?
                .ok_or_else(|| AppError::not_found("administrative unit"))?;
            if !scope.covers(&unit.path) {
                return Err(AppError::Forbidden(
                    "the unit is outside your jurisdiction".into(),
                ));
            }
            Ok(unit)
        }
        None => match scope.paths.as_slice() {
            [only] => store::unit_at(conn, only)?
                .ok_or_else(|| AppError::not_found("administrative unit")),
            _ => Err(AppError::field(
                "unit",
                "is required: you hold more than one jurisdiction",
            )),
        },
    }
}

fn children_grouping(
    conn: &mut AnyConnection,
    unit: &UnitRow,
) -> AppResult<(Vec<UnitRow>, Grouping)> {
    let children = units::children(conn, &unit.code)?;
    let groups = children
        .iter()
        .map(|c| {
            let (lo, hi) = subtree_range(&c.path);
            (c.code.clone(), lo, hi)
        })
        .collect();
    Ok((children, Grouping::Children(groups)))
}

// ---- 5S -------------------------------------------------------------------------------

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

fn steps_out(rows: &[StepFigures], grp: &str, rules: &Rules) -> Vec<FiveSStepOut> {
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
            .filter_map(|r| {
                Some(LateOut {
                    full_name: names.get(&r.person_id).cloned(),
                    case_id: r.case_id,
                    person_id: r.person_id,
                    step: FiveSStep::parse(&r.step)?,
                    hours: r.secs.map(hours),
                })
            })
            .collect(),
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
        let Some(step) = FiveSStep::parse(&r.step) else {
            continue;
        };
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

// ---- the weekly report ----------------------------------------------------------------

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Default)]
#[schema(as = ExportFormat)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeeklyQuery {
    /// The unit (GSO code); default: your jurisdiction.
    pub unit: Option<String>,
    /// ISO week, Monday to Sunday in Vietnam ("2021-W05"); default: the current week. From
    /// 2000 to 2100; week 53 only in the years that have one.
    #[param(
        pattern = "^((20[0-9]{2}|2100)-W(0[1-9]|[1-4][0-9]|5[0-2])|(2004|2009|2015|2020|2026|2032|2037|2043|2048|2054|2060|2065|2071|2076|2082|2088|2093|2099)-W53)$"
    )]
    pub week: Option<String>,
    /// json (default) or csv.
    pub format: Option<Format>,
}

/// The week's figures of a unit. A unit's figure is the sum of its children's (and of what is
/// recorded at the unit itself).
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Figures {
    /// Cases confirmed in the week.
    pub new_f0: i64,
    /// People classified F1 in the week.
    pub new_f1: i64,
    /// People classified F2 in the week.
    pub new_f2: i64,
    /// In a camp at the end of the week.
    pub in_camp: i64,
    /// In home quarantine at the end of the week.
    pub at_home: i64,
    /// Released from quarantine in the week.
    pub released: i64,
    /// Samples collected in the week.
    pub samples_taken: i64,
    /// Positive results in the week.
    pub samples_positive: i64,
    /// Samples without a result past the turnaround deadline at the end of the week.
    pub samples_overdue: i64,
    /// Cordon zones in force at some time in the week.
    pub zones_active: i64,
}

impl Figures {
    fn set(&mut self, key: &str, n: i64) {
        let slot = match key {
            "new_f0" => &mut self.new_f0,
            "new_f1" => &mut self.new_f1,
            "new_f2" => &mut self.new_f2,
            "in_camp" => &mut self.in_camp,
            "at_home" => &mut self.at_home,
            "released" => &mut self.released,
            "samples_taken" => &mut self.samples_taken,
            "samples_positive" => &mut self.samples_positive,
            "samples_overdue" => &mut self.samples_overdue,
            "zones_active" => &mut self.zones_active,
            _ => return,
        };
        *slot += n;
    }

    fn add(&mut self, o: &Figures) {
        for (k, v) in o.values() {
            self.set(k, v);
        }
    }

    fn values(&self) -> [(&'static str, i64); 10] {
        [
            ("new_f0", self.new_f0),
            ("new_f1", self.new_f1),
            ("new_f2", self.new_f2),
            ("in_camp", self.in_camp),
            ("at_home", self.at_home),
            ("released", self.released),
            ("samples_taken", self.samples_taken),
            ("samples_positive", self.samples_positive),
            ("samples_overdue", self.samples_overdue),
            ("zones_active", self.zones_active),
        ]
    }
}

/// The risk levels in force at the end of the week (a district's derived from its communes).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RiskAtEnd {
    pub nq128: Option<RiskLevel>,
    pub qd2686: Option<RiskLevel>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitWeek {
    /// The child unit; for the line of records kept at the unit itself, the unit's own code
    /// with `at_unit_itself`.
    pub unit_code: String,
    pub name: String,
    pub at_unit_itself: bool,
    pub figures: Figures,
    pub five_s: Vec<FiveSStepOut>,
    pub risk: RiskAtEnd,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneWeek {
    pub id: String,
    pub name: String,
    pub level: String,
    pub state: String,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeeklyReport {
    pub unit_code: String,
    pub unit_name: String,
    pub week: String,
    /// The week in UTC: Monday 00:00 to the next Monday 00:00 in Vietnam.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub totals: Figures,
    /// The 5S of the F0s confirmed in the week.
    pub five_s: Vec<FiveSStepOut>,
    pub risk: RiskAtEnd,
    /// One line per child unit, and one for records kept at the unit itself when there are.
    pub units: Vec<UnitWeek>,
    /// The cordon zones in force during the week.
    pub zones: Vec<ZoneWeek>,
}

pub fn weekly(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: &WeeklyQuery,
    rules: &Rules,
) -> AppResult<WeeklyReport> {
    let scope = actor.scope(Action::ReportRead)?;
    let unit = report_unit(conn, &scope, q.unit.as_deref())?;
    let t = now();
    let week = match &q.week {
        Some(w) => Week::parse(w).map_err(|e| AppError::Validation(vec![e]))?,
        None => Week::containing(vn_date(t)),
    };
    let (start, end) = (week.start_utc(), week.end_utc());
    let range = subtree_range(&unit.path);
    let (children, grouping) = children_grouping(conn, &unit)?;
    // as of the end of the week, or now for the current one
    let as_of = end.min(t);
    let counts = store::weekly_counts(conn, &range, &grouping, start, end, as_of, rules)?;
    let filter = CaseFilter {
        case_id: None,
        ranges: vec![range.clone()],
        from: Some(start),
        to: Some(end),
    };
    let by_child = store::five_s_figures(conn, &filter, rules, as_of, &grouping)?;
    let total_5s = store::five_s_figures(conn, &filter, rules, as_of, &Grouping::Total)?;
    let mut figures: BTreeMap<String, Figures> = BTreeMap::new();
    for c in &counts {
        figures.entry(c.grp.clone()).or_default().set(&c.key, c.n);
    }
    let mut totals = Figures::default();
    for f in figures.values() {
        totals.add(f);
    }
    let mut lines = Vec::new();
    for c in &children {
        lines.push(UnitWeek {
            unit_code: c.code.clone(),
            name: c.name.clone(),
            at_unit_itself: false,
            figures: figures.get(&c.code).cloned().unwrap_or_default(),
            five_s: steps_out(&by_child, &c.code, rules),
            risk: risk_at(conn, c, as_of)?,
        });
    }
    let own = figures.get("").cloned().unwrap_or_default();
    let own_5s = steps_out(&by_child, "", rules);
    if own != Figures::default() || own_5s.iter().any(|s| s.people > 0) {
        lines.push(UnitWeek {
            unit_code: unit.code.clone(),
            name: unit.name.clone(),
            at_unit_itself: true,
            figures: own,
            five_s: own_5s,
            risk: RiskAtEnd::default(),
        });
    }
    let zones = store::zones_in_force(conn, &range, start, end)?
        .into_iter()
        .map(|z| ZoneWeek {
            id: z.id,
            name: z.name,
            level: z.level,
            state: z.state,
            start_at: z.start_at.map(utc),
            end_at: z.end_at.map(utc),
        })
        .collect();
    Ok(WeeklyReport {
        risk: risk_at(conn, &unit, as_of)?,
        unit_code: unit.code,
        unit_name: unit.name,
        week: week.name(),
        from: utc(start),
        to: utc(end),
        totals,
        five_s: steps_out(&total_5s, "total", rules),
        units: lines,
        zones,
    })
}

/// The unit's risk levels at an instant, on both scales (`service::risk` derives them).
fn risk_at(conn: &mut AnyConnection, unit: &UnitRow, at: NaiveDateTime) -> AppResult<RiskAtEnd> {
    let level = |conn: &mut AnyConnection, scale| -> AppResult<Option<RiskLevel>> {
        Ok(crate::service::risk::level_at(conn, unit, scale, at)?.and_then(|l| l.level))
    };
    Ok(RiskAtEnd {
        nq128: level(conn, Scale::Nq128)?,
        qd2686: level(conn, Scale::Qd2686)?,
    })
}

/// The weekly report as CSV: one line per unit, then the total.
pub fn weekly_csv(r: &WeeklyReport) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["unit_code".into(), "unit_name".into()];
    header.extend(
        Figures::default()
            .values()
            .iter()
            .map(|(k, _)| k.to_string()),
    );
    for s in FiveSStep::ALL {
        for part in ["p50_hours", "p90_hours", "past_deadline"] {
            header.push(format!("{}_{part}", s.as_str()));
        }
    }
    header.extend(["risk_nq128".into(), "risk_qd2686".into()]);
    w.write_record(&header).map_err(csv_err)?;
    let line = |code: &str, name: &str, f: &Figures, s: &[FiveSStepOut], risk: &RiskAtEnd| {
        let mut rec: Vec<String> = vec![csv_safe(code), csv_safe(name)];
        rec.extend(f.values().iter().map(|(_, v)| v.to_string()));
        for st in s {
            rec.push(st.p50_hours.map(|h| h.to_string()).unwrap_or_default());
            rec.push(st.p90_hours.map(|h| h.to_string()).unwrap_or_default());
            rec.push(st.past_deadline.to_string());
        }
        rec.push(
            risk.nq128
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        );
        rec.push(
            risk.qd2686
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        );
        rec
    };
    for u in &r.units {
        let name = if u.at_unit_itself {
            format!("{} (recorded at the unit itself)", u.name)
        } else {
            u.name.clone()
        };
        w.write_record(line(&u.unit_code, &name, &u.figures, &u.five_s, &u.risk))
            .map_err(csv_err)?;
    }
    w.write_record(line("total", &r.unit_name, &r.totals, &r.five_s, &r.risk))
        .map_err(csv_err)?;
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
}

fn csv_err(e: csv::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("csv: {e}"))
}

// ---- line lists -----------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LineQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50). A CSV export ignores it and streams everything.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// json (default: one page) or csv (the whole list, streamed).
    pub format: Option<Format>,
}

/// A line of a line list: who, and what about them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineRow {
    pub person_id: String,
    /// Name, birth year and phones only for people you may read.
    pub full_name: Option<String>,
    pub birth_year: Option<i32>,
    pub phones: Vec<String>,
    pub residence_unit_code: String,
    /// F0 … F3, when classified.
    pub level: Option<String>,
    /// What the line is about: exposure, sample, follow_up, episode or level_review.
    pub reference_type: String,
    pub reference_id: String,
    /// Since when the line stands (classified, collected, the missed day, admitted, flagged).
    pub since: Option<DateTime<Utc>>,
    /// When it was or is due.
    pub due: Option<DateTime<Utc>>,
    pub detail: Option<String>,
}

/// What a line holds before the person is joined in.
struct Line {
    key: String,
    person_id: String,
    level: Option<i32>,
    reference_type: &'static str,
    reference_id: String,
    since: Option<NaiveDateTime>,
    due: Option<NaiveDateTime>,
    detail: Option<String>,
}

/// A page of a line list in the actor's jurisdiction, by key after `cursor`.
pub fn line_page(
    conn: &mut AnyConnection,
    actor: &Actor,
    list: LineList,
    cursor: Option<&str>,
    limit: i64,
    rules: &Rules,
) -> AppResult<crate::service::Page<LineRow>> {
    actor.scope(Action::ReportRead)?;
    let scope = actor.scope(list.action())?;
    let ranges = scope.ranges();
    let people_read = actor.scope(Action::PersonRead).ok();
    let contact_read = actor.scope(Action::ContactRead).ok();
    let t = now();
    let fetch = limit + 1;
    let lines: Vec<Line> = match list {
        LineList::F1NotIsolated => q_store::f1_not_isolated(conn, &ranges, cursor, limit)?
            .into_iter()
            .map(|(person, at, via)| Line {
                key: person.clone(),
                person_id: person.clone(),
                level: Some(1),
                reference_type: "exposure",
                reference_id: person,
                since: Some(at),
                due: Some(at + Duration::hours(rules.steps.isolating_hours)),
                // through whom says who met whom
                detail: via
                    .filter(|_| contact_read.is_some())
                    .map(|v| format!("classified through {v}")),
            })
            .collect(),
        LineList::NotSampled => store::not_sampled(conn, &ranges, cursor, fetch)?
            .into_iter()
            .map(|(person, level, at)| Line {
                key: person.clone(),
                person_id: person.clone(),
                level: Some(level),
                reference_type: "exposure",
                reference_id: person,
                since: Some(at),
                due: Some(at + Duration::hours(rules.steps.sampling_hours)),
                detail: None,
            })
            .collect(),
        LineList::SamplesOverdue => {
            samples_store::overdue(conn, &ranges, rules.overdue_before(t), cursor, limit)?
                .into_iter()
                .map(|s| Line {
                    key: s.id.clone(),
                    person_id: s.person_id.clone(),
                    level: None,
                    reference_type: "sample",
                    reference_id: s.id.clone(),
                    since: s.collected_at,
                    due: s.collected_at.map(|c| rules.result_due(c)),
                    detail: Some(
                        format!(
                            "{} {} {}",
                            s.kind,
                            s.state,
                            s.barcode.as_deref().unwrap_or("")
                        )
                        .trim()
                        .to_string(),
                    ),
                })
                .collect()
        }
        LineList::MissedReports => {
            let rows =
                q_store::open_follow_ups(conn, &ranges, Some("missed_report"), cursor, limit)?;
            let ids: Vec<String> = rows.iter().map(|f| f.episode_id.clone()).collect();
            let episodes: HashMap<String, q_store::EpisodeRow> =
                store::episodes_by_ids(conn, &ids)?
                    .into_iter()
                    .map(|e| (e.id.clone(), e))
                    .collect();
            let mut lines = Vec::new();
            for f in rows {
                let episode = episodes.get(&f.episode_id);
                lines.push(Line {
                    key: f.id.clone(),
                    person_id: episode.map(|e| e.person_id.clone()).unwrap_or_default(),
                    level: episode.map(|e| e.level),
                    reference_type: "follow_up",
                    reference_id: f.id,
                    since: Some(vn_midnight(f.for_date)),
                    due: Some(vn_midnight(f.for_date + Duration::days(1))),
                    detail: Some(format!("no daily report on {}", f.for_date)),
                });
            }
            lines
        }
        LineList::DueForRelease => q_store::list_episodes(
            conn,
            &ranges,
            &EpisodeFilter {
                due_by: Some(vn_date(t)),
                after: cursor.map(str::to_string),
                limit,
                ..Default::default()
            },
        )?
        .into_iter()
        .map(|e| Line {
            key: e.id.clone(),
            person_id: e.person_id.clone(),
            level: Some(e.level),
            reference_type: "episode",
            reference_id: e.id.clone(),
            since: e.admitted_at,
            due: Some(vn_midnight(e.release_from)),
            detail: Some(format!("{} quarantine", e.mode)),
        })
        .collect(),
        LineList::DowngradeReviews => trace_store::open_reviews(conn, &ranges, cursor, fetch)?
            .into_iter()
            .map(|r| Line {
                key: r.id.clone(),
                person_id: r.person_id.clone(),
                level: Some(r.current_level),
                reference_type: "level_review",
                reference_id: r.id.clone(),
                since: Some(r.created_at),
                due: None,
                detail: Some(match r.computed_level {
                    Some(l) => format!("{}; computed {}", r.reason, label(l as u8)),
                    None => format!("{}; no longer classified", r.reason),
                }),
            })
            .collect(),
    };
    // the page and the cursor come from the records fetched, before people are joined in, so
    // that a line whose person cannot be shown never ends the list early
    let mut lines = lines;
    let more = lines.len() as i64 > limit;
    lines.truncate(limit as usize);
    let next_cursor = if more {
        lines.last().map(|l| l.key.clone())
    } else {
        None
    };
    let ids: Vec<String> = lines.iter().map(|l| l.person_id.clone()).collect();
    let people: HashMap<String, people_store::Person> = people_store::get_many(conn, &ids)?
        .into_iter()
        .map(|p| (p.row.id.clone(), p))
        .collect();
    let items = lines
        .into_iter()
        .map(|l| {
            let p = people.get(&l.person_id).filter(|p| {
                people_read
                    .as_ref()
                    .is_some_and(|r| r.covers(&p.row.unit_path))
            });
            LineRow {
                full_name: p.map(|p| p.row.full_name.clone()),
                birth_year: p.and_then(|p| p.row.birth_year),
                phones: p.map(|p| p.phones.clone()).unwrap_or_default(),
                residence_unit_code: people
                    .get(&l.person_id)
                    .map(|p| p.row.residence_unit_code.clone())
                    .unwrap_or_default(),
                person_id: l.person_id,
                level: l.level.map(|x| label(x as u8)),
                reference_type: l.reference_type.to_string(),
                reference_id: l.reference_id,
                since: l.since.map(utc),
                due: l.due.map(utc),
                detail: l.detail,
            }
        })
        .collect();
    Ok(crate::service::Page { items, next_cursor })
}

/// The CSV header of a line list.
pub fn line_csv_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(LINE_COLUMNS);
    w.into_inner().unwrap_or_default()
}

/// Lines of a line list as CSV records.
pub fn line_csv(rows: &[LineRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let ts = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in rows {
        let _ = w.write_record([
            csv_safe(&r.person_id),
            csv_safe(r.full_name.as_deref().unwrap_or("")),
            r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            csv_safe(&r.phones.join(" ")),
            csv_safe(&r.residence_unit_code),
            r.level.clone().unwrap_or_default(),
            r.reference_type.clone(),
            csv_safe(&r.reference_id),
            ts(&r.since),
            ts(&r.due),
            csv_safe(r.detail.as_deref().unwrap_or("")),
        ]);
    }
    w.into_inner().unwrap_or_default()
}
