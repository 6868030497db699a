//! Trace: confirm F0s, log contacts, classify everyone downstream by cascade, correct
//! mistakes (never downgrading automatically), and read chains of exposure.

use super::notices::{ContactNotice, SentContact};
use super::people::{create_in_tx, CreatePerson};
use super::{require_reason, Page};
use super::{Made, Outcome};
use crate::auth::{Actor, Scope};
use crate::db::batch::{insert_events, upsert_exposures};
use crate::db::AnyConnection;
use crate::domain::cases::{
    case_transition, is_close, CaseCommand, CaseState, ConfirmationTest, Proximity, Setting,
    Treatment,
};
use crate::domain::classification::{classify, f0_window, improve, label, through, Edge, Window};
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::domain::text::tidy;
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::{utc, who};
use crate::store::events::{self, EventRow, Who};
use crate::store::people as people_store;
use crate::store::trace::{self as store, CaseRow, ContactRow, ExposureRow, ReviewRow};
use crate::store::{instant, new_id, now, page_size};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// How many people a command classified or moved up, by level.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct CascadeReport {
    /// People whose level was set or lowered.
    pub changed: usize,
    /// Of those, how many are now at each level (`F1`, `F2`, `F3`).
    pub by_level: BTreeMap<String, usize>,
    /// People whose exposure window was widened without a level change.
    pub widened: usize,
}

fn contact_is_close(c: &ContactRow) -> bool {
    Proximity::parse(&c.proximity)
        .is_some_and(|p| is_close(p, c.masked, c.duration_minutes).is_ok())
}

fn exposure_json(e: Option<&ExposureRow>) -> Option<serde_json::Value> {
    e.map(|e| {
        json!({
            "level": label(e.level as u8),
            "status": e.status,
            "window_start": utc(e.window_start),
            "window_end": e.window_end.map(utc),
            "via_person_id": e.via_person_id,
        })
    })
}

/// Classify onward from `seeds`, a round at a time: each round loads the contacts of the
/// people whose classification changed in the last one (one query per side), asks the
/// domain what each contact makes of the other side, and writes every improvement with its
/// event in two batch statements. Levels only go down (F2 → F1); nobody is declassified.
pub fn cascade(
    conn: &mut AnyConnection,
    who: &Who,
    seeds: Vec<String>,
    rules: Rules,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<CascadeReport> {
    cascade_attributed(conn, seeds, rules, at, &HashMap::new(), &|_| {
        (who.clone(), reason.to_string())
    })
}

/// The cascade of several new contacts at once (a phone's batch, `new_contacts` with the
/// order they were logged in). The levels and windows it reaches are those of running the
/// cascade after each contact in turn, since the cascade is a fixpoint (lowest level,
/// earliest window start) over the standing contacts. Every change is attributed as that
/// would have attributed it: to the last-logged new contact on the path that made it, whose
/// logging would have set it off; `attribute` gives the actor and reason for that contact
/// id (or, for a change reached through older contacts only, for the contact that made it).
pub(crate) fn cascade_attributed(
    conn: &mut AnyConnection,
    seeds: Vec<String>,
    rules: Rules,
    at: NaiveDateTime,
    new_contacts: &HashMap<String, usize>,
    attribute: &dyn Fn(&str) -> (Who, String),
) -> AppResult<CascadeReport> {
    let mut report = CascadeReport::default();
    // person → the new contact their last change descends from
    let mut origin: HashMap<String, String> = HashMap::new();
    let mut frontier: Vec<String> = seeds;
    frontier.sort();
    frontier.dedup();
    let mut rounds = 0;
    while !frontier.is_empty() && rounds < 64 {
        rounds += 1;
        let ups: HashMap<String, ExposureRow> = store::exposures_of(conn, &frontier)?
            .into_iter()
            .filter(|e| e.status == "active")
            .map(|e| (e.person_id.clone(), e))
            .collect();
        if ups.is_empty() {
            break;
        }
        let up_ids: Vec<String> = ups.keys().cloned().collect();
        // the best candidate per person: lowest level (with its source), earliest exposure
        struct Candidate {
            level: u8,
            start: NaiveDateTime,
            via: String,
            contact: String,
            origin: String,
        }
        let mut candidates: HashMap<String, Candidate> = HashMap::new();
        for c in store::contacts_touching(conn, &up_ids)? {
            if !contact_is_close(&c) {
                continue;
            }
            for (q, p) in [(&c.person_a, &c.person_b), (&c.person_b, &c.person_a)] {
                let Some(up) = ups.get(q) else { continue };
                let window = Window {
                    start: up.window_start,
                    end: up.window_end,
                };
                let Some((level, start)) = through(
                    up.level as u8,
                    &window,
                    c.first_at,
                    c.last_at,
                    rules.max_depth,
                ) else {
                    continue;
                };
                let from = [Some(&c.id), origin.get(q)]
                    .into_iter()
                    .flatten()
                    .filter_map(|id| new_contacts.get(id).map(|n| (n, id)))
                    .max()
                    .map_or_else(|| c.id.clone(), |(_, id)| id.clone());
                match candidates.get_mut(p) {
                    None => {
                        candidates.insert(
                            p.clone(),
                            Candidate {
                                level,
                                start,
                                via: q.clone(),
                                contact: c.id.clone(),
                                origin: from,
                            },
                        );
                    }
                    Some(best) => {
                        if level < best.level {
                            best.level = level;
                            best.via = q.clone();
                            best.contact = c.id.clone();
                            best.origin = from;
                        } else if start < best.start && level == best.level {
                            best.origin = from;
                        }
                        best.start = best.start.min(start);
                    }
                }
            }
        }
        if candidates.is_empty() {
            break;
        }
        let ids: Vec<String> = candidates.keys().cloned().collect();
        let current: HashMap<String, ExposureRow> = store::exposures_of(conn, &ids)?
            .into_iter()
            .map(|e| (e.person_id.clone(), e))
            .collect();
        let paths: HashMap<String, String> = store::unit_paths(conn, &ids)?.into_iter().collect();
        let mut rows = Vec::new();
        let mut evs = Vec::new();
        let mut next = Vec::new();
        let mut ids_sorted = ids;
        ids_sorted.sort();
        for p in ids_sorted {
            let cand = &candidates[&p];
            let cur = current.get(&p);
            let active = cur.filter(|e| e.status == "active");
            if cur.is_some_and(|e| e.status == "recovered" || e.status == "deceased") {
                continue;
            }
            let Some((level, start)) = improve(
                active.map(|e| (e.level as u8, e.window_start)),
                (cand.level, cand.start),
            ) else {
                continue;
            };
            let level_changed = active.is_none_or(|e| (level as i32) < e.level);
            let row = ExposureRow {
                person_id: p.clone(),
                level: level as i32,
                status: "active".into(),
                window_start: start,
                window_end: active.and_then(|e| e.window_end),
                via_person_id: if level_changed {
                    Some(cand.via.clone())
                } else {
                    active.and_then(|e| e.via_person_id.clone())
                },
                case_id: None,
                unit_path: paths.get(&p).cloned().unwrap_or_else(|| "/".into()),
                classified_at: active.map(|e| e.classified_at).unwrap_or(at),
                updated_at: at,
            };
            if level_changed {
                report.changed += 1;
                *report.by_level.entry(label(level)).or_default() += 1;
            } else {
                report.widened += 1;
            }
            let (who, reason) = attribute(&cand.origin);
            origin.insert(p.clone(), cand.origin.clone());
            evs.push(EventRow {
                id: new_id(),
                entity_type: "person".into(),
                entity_id: p.clone(),
                action: if level_changed {
                    "classified"
                } else {
                    "exposure_widened"
                }
                .into(),
                actor_id: who.actor_id.clone(),
                actor_role: who.role.clone(),
                at,
                before_json: exposure_json(active).map(|v| v.to_string()),
                after_json: Some(
                    json!({
                        "level": label(level),
                        "window_start": utc(start),
                        "via_person_id": row.via_person_id,
                        "contact_id": cand.contact,
                    })
                    .to_string(),
                ),
                reason: Some(reason),
            });
            if level < rules.max_depth {
                next.push(p.clone());
            }
            rows.push(row);
        }
        upsert_exposures(conn, &rows)?;
        insert_events(conn, &evs)?;
        frontier = next;
    }
    Ok(report)
}

// ---- cases ----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    pub id: String,
    pub person_id: String,
    /// The national case number ("BN1553"), when given.
    pub case_number: Option<String>,
    pub state: CaseState,
    pub confirmation_test: ConfirmationTest,
    pub test_ref: String,
    pub sample_date: NaiveDate,
    pub onset_date: Option<NaiveDate>,
    pub confirmed_at: DateTime<Utc>,
    /// When the case was isolated: the end of the transmission window.
    pub isolated_at: Option<DateTime<Utc>>,
    pub treatment: Option<Treatment>,
    /// The start of the transmission window.
    pub window_start: DateTime<Utc>,
    pub version: i32,
}

impl From<&CaseRow> for CaseOut {
    fn from(c: &CaseRow) -> Self {
        CaseOut {
            id: c.id.clone(),
            person_id: c.person_id.clone(),
            case_number: c.case_number.clone(),
            state: CaseState::parse(&c.state).unwrap_or(CaseState::Confirmed),
            confirmation_test: ConfirmationTest::parse(&c.confirmation_test)
                .unwrap_or(ConfirmationTest::RtPcr),
            test_ref: c.test_ref.clone(),
            sample_date: c.sample_date,
            onset_date: c.onset_date,
            confirmed_at: utc(c.confirmed_at),
            isolated_at: c.isolated_at.map(utc),
            treatment: c.treatment.as_deref().and_then(Treatment::parse),
            window_start: utc(c.window_start),
            version: c.version,
        }
    }
}

fn case_json(c: &CaseRow) -> serde_json::Value {
    serde_json::to_value(CaseOut::from(c)).unwrap_or_default()
}

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConfirmCase {
    /// A client-made UUID: sending it again returns the case made the first time.
    pub id: Option<Uuid>,
    pub person_id: Uuid,
    pub confirmation_test: ConfirmationTest,
    /// The positive test's reference (lab sample code).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub test_ref: String,
    /// The local date the positive sample was taken.
    pub sample_date: NaiveDate,
    /// The local date symptoms began; absent for an asymptomatic case.
    pub onset_date: Option<NaiveDate>,
    /// When the case was isolated, if already.
    pub isolated_at: Option<DateTime<Utc>>,
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub case_number: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedCase {
    pub case: CaseOut,
    pub cascade: CascadeReport,
}

fn visible_person(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
    field: &str,
) -> AppResult<people_store::PersonRow> {
    visible_row(people_store::get_row(conn, id)?, scope, field)
}

/// The rule of `visible_person` over a row already looked up.
pub(crate) fn visible_row(
    row: Option<people_store::PersonRow>,
    scope: &Scope,
    field: &str,
) -> AppResult<people_store::PersonRow> {
    match row {
        Some(p) if scope.covers(&p.unit_path) => {
            if let Some(target) = &p.merged_into {
                return Err(AppError::field(
                    field,
                    format!("this record was merged into {target}"),
                ));
            }
            Ok(p)
        }
        _ => Err(AppError::field(
            field,
            "no such person in your jurisdiction",
        )),
    }
}

pub fn confirm_case(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    input: ConfirmCase,
) -> AppResult<Outcome<ConfirmedCase>> {
    input.validate()?;
    let scope = actor.scope(Action::CaseManage)?;
    let at = now();
    let today = vn_date(at);
    let mut errors = Vec::new();
    if input.sample_date > today {
        errors.push(crate::domain::FieldError::new(
            "sample_date",
            "must not be in the future",
        ));
    }
    if let Some(onset) = input.onset_date {
        if onset > today {
            errors.push(crate::domain::FieldError::new(
                "onset_date",
                "must not be in the future",
            ));
        } else if (input.sample_date - onset).num_days().abs() > 30 {
            errors.push(crate::domain::FieldError::new(
                "onset_date",
                "must be within 30 days of the sample",
            ));
        }
    }
    if input
        .isolated_at
        .is_some_and(|i| instant(i) > at + chrono::Duration::hours(1))
    {
        errors.push(crate::domain::FieldError::new(
            "isolated_at",
            "must not be in the future",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    crate::db::write_tx(conn, |conn| {
        if let Some(id) = input.id {
            if let Some(existing) = store::get_case(conn, &id.to_string())? {
                if scope.covers(&existing.unit_path) {
                    return Ok(Outcome::Existing(ConfirmedCase {
                        case: CaseOut::from(&existing),
                        cascade: CascadeReport::default(),
                    }));
                }
                return Err(AppError::conflict(
                    "this id is already used by another record",
                ));
            }
        }
        let person = visible_person(conn, &scope, &input.person_id.to_string(), "person_id")?;
        if let Some(open) = store::open_case_of(conn, &person.id)? {
            return Err(AppError::Conflict {
                detail: "this person already has an open case".into(),
                existing_id: Some(open.id),
            });
        }
        let new = NewCase {
            id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
            confirmation_test: input.confirmation_test,
            test_ref: tidy(&input.test_ref),
            sample_date: input.sample_date,
            onset_date: input.onset_date,
            isolated_at: input.isolated_at.map(instant),
            case_number: input.case_number.as_deref().map(tidy),
        };
        let w = who(actor, &scope, &person.unit_path);
        confirm_in_tx(conn, &w, rules, &person, new, at).map(Outcome::Created)
    })
}

/// A case to confirm: what the positive test says.
pub(crate) struct NewCase {
    pub id: String,
    pub confirmation_test: ConfirmationTest,
    pub test_ref: String,
    pub sample_date: NaiveDate,
    pub onset_date: Option<NaiveDate>,
    pub isolated_at: Option<NaiveDateTime>,
    pub case_number: Option<String>,
}

/// Confirm a case inside the caller's transaction: the case, its investigation, the restart
/// of people quarantined with the person, the F0 classification and the cascade, each an
/// event. Used by health officers and by positive lab results.
pub(crate) fn confirm_in_tx(
    conn: &mut AnyConnection,
    w: &Who,
    rules: Rules,
    person: &people_store::PersonRow,
    new: NewCase,
    at: NaiveDateTime,
) -> AppResult<ConfirmedCase> {
    let before = store::exposure(conn, &person.id)?;
    if new.confirmation_test == ConfirmationTest::AntigenF1
        && !before
            .as_ref()
            .is_some_and(|e| e.status == "active" && e.level == 1)
    {
        return Err(AppError::field(
            "confirmation_test",
            "a single positive antigen test confirms only an F1; use rt_pcr or antigen_twice",
        ));
    }
    let window = f0_window(
        new.onset_date,
        new.sample_date,
        new.isolated_at,
        rules.window_days_before,
    );
    let case = CaseRow {
        id: new.id.clone(),
        person_id: person.id.clone(),
        case_number: new.case_number.clone(),
        state: CaseState::Confirmed.as_str().into(),
        confirmation_test: new.confirmation_test.as_str().into(),
        test_ref: new.test_ref.clone(),
        sample_date: new.sample_date,
        onset_date: new.onset_date,
        confirmed_at: at,
        isolated_at: window.end,
        treatment: None,
        window_start: window.start,
        unit_path: person.unit_path.clone(),
        version: 1,
        created_by: w.actor_id.clone(),
        created_at: at,
        updated_at: at,
    };
    store::insert_case(conn, &case).map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            AppError::conflict("this case number or id is already used")
        } else {
            e.into()
        }
    })?;
    events::record(
        conn,
        w,
        at,
        "case",
        &case.id,
        "confirmed",
        None,
        Some(&case_json(&case)),
        None,
    )?;
    super::workflow::open_investigation(conn, w, &case, rules, at)?;
    // people quarantined with a new positive start their quarantine again
    super::quarantine::restart_quarantined_with(
        conn,
        w,
        &person.id,
        crate::domain::time::vn_date(at),
        at,
    )?;
    let f0 = ExposureRow {
        person_id: person.id.clone(),
        level: 0,
        status: "active".into(),
        window_start: window.start,
        window_end: window.end,
        via_person_id: None,
        case_id: Some(case.id.clone()),
        unit_path: person.unit_path.clone(),
        classified_at: at,
        updated_at: at,
    };
    upsert_exposures(conn, std::slice::from_ref(&f0))?;
    events::record(
        conn,
        w,
        at,
        "person",
        &person.id,
        "classified",
        exposure_json(before.as_ref()).as_ref(),
        exposure_json(Some(&f0)).as_ref(),
        Some(&format!("case {} confirmed", case.id)),
    )?;
    let report = cascade(
        conn,
        w,
        vec![person.id.clone()],
        rules,
        at,
        &format!("cascade from case {}", case.id),
    )?;
    Ok(ConfirmedCase {
        case: CaseOut::from(&case),
        cascade: report,
    })
}

pub fn get_case(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<CaseOut> {
    let scope = actor.scope(Action::CaseRead)?;
    match store::get_case(conn, id)? {
        Some(c) if scope.covers(&c.unit_path) => Ok(CaseOut::from(&c)),
        _ => Err(AppError::not_found("case")),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    pub state: Option<CaseState>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn list_cases(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: CaseQuery,
) -> AppResult<Page<CaseOut>> {
    let scope = actor.scope(Action::CaseRead)?;
    let limit = page_size(q.limit);
    let rows = store::list_cases(
        conn,
        &scope.ranges(),
        q.state.map(CaseState::as_str),
        q.cursor.as_deref().filter(|c| !c.is_empty()),
        limit + 1,
    )?;
    let out = rows.iter().map(CaseOut::from).collect();
    Ok(Page::from_overfetch(out, limit, |c: &CaseOut| c.id.clone()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CaseTransition {
    pub command: CaseCommand,
    /// The version of the case you read.
    pub version: i32,
    /// For `start_treatment`: where.
    pub treatment: Option<Treatment>,
    /// For `start_treatment`: when the case was isolated (default: now).
    pub at: Option<DateTime<Utc>>,
    /// Why (required for `retract`), at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionedCase {
    pub case: CaseOut,
    /// After a retraction: people put on the review list because their level could drop.
    pub reviews_opened: usize,
}

pub fn transition_case(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    id: &str,
    input: CaseTransition,
) -> AppResult<TransitionedCase> {
    let scope = actor.scope(Action::CaseManage)?;
    let at = now();
    let reason = match (input.command, input.reason.as_deref()) {
        (CaseCommand::Retract, r) => Some(require_reason(r.unwrap_or(""))?),
        (_, Some(r)) if !tidy(r).is_empty() => Some(tidy(r)),
        _ => None,
    };
    if input.command == CaseCommand::StartTreatment && input.treatment.is_none() {
        return Err(AppError::field(
            "treatment",
            "say where: facility or home_care",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        let case = match store::get_case(conn, id)? {
            Some(c) if scope.covers(&c.unit_path) => c,
            _ => return Err(AppError::not_found("case")),
        };
        let state = CaseState::parse(&case.state).unwrap_or(CaseState::Confirmed);
        let next = case_transition(state, input.command)?;
        if case.version != input.version {
            return Err(AppError::StaleVersion {
                current: case.version,
            });
        }
        let mut after = CaseRow {
            state: next.as_str().into(),
            version: case.version + 1,
            updated_at: at,
            ..case.clone()
        };
        if input.command == CaseCommand::StartTreatment {
            after.treatment = input.treatment.map(|t| t.as_str().to_string());
            if after.isolated_at.is_none() {
                let isolated = input.at.map(instant).unwrap_or(at);
                if isolated > at + chrono::Duration::hours(1) {
                    return Err(AppError::field("at", "must not be in the future"));
                }
                after.isolated_at = Some(isolated);
            }
        }
        if !store::update_case(conn, &after, case.version)? {
            return Err(AppError::StaleVersion {
                current: case.version + 1,
            });
        }
        let w = who(actor, &scope, &case.unit_path);
        events::record(
            conn,
            &w,
            at,
            "case",
            &case.id,
            input.command.as_str(),
            Some(&case_json(&case)),
            Some(&case_json(&after)),
            reason.as_deref(),
        )?;
        let mut reviews_opened = 0;
        match next {
            CaseState::InTreatment => {
                store::set_window_end(conn, &case.person_id, after.isolated_at, at)?
            }
            CaseState::Recovered | CaseState::Deceased => {
                store::set_status(conn, &case.person_id, next.as_str(), at)?;
                let detail = json!({"status": next.as_str()});
                events::record(
                    conn,
                    &w,
                    at,
                    "person",
                    &case.person_id,
                    "case_closed",
                    None,
                    Some(&detail),
                    reason.as_deref(),
                )?;
            }
            CaseState::NotACase => {
                reviews_opened = after_correction(
                    conn,
                    &w,
                    vec![case.person_id.clone()],
                    Some(&case.person_id),
                    rules,
                    at,
                    reason.as_deref().unwrap_or("case retracted"),
                )?;
            }
            CaseState::Confirmed => {}
        }
        Ok(TransitionedCase {
            case: CaseOut::from(&after),
            reviews_opened,
        })
    })
}

/// After a correction: recompute the classification of the part of the graph it touched.
/// Nobody is downgraded automatically: people whose level would rise or vanish go to the
/// review list. `corrected` (a retracted case's person) is reclassified at once: the
/// correction is about them.
fn after_correction(
    conn: &mut AnyConnection,
    who: &Who,
    touched: Vec<String>,
    corrected: Option<&str>,
    rules: Rules,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<usize> {
    // the connected part of the graph around the touched people, bounded
    let mut component: HashSet<String> = touched.iter().cloned().collect();
    let mut frontier = touched;
    let mut edges_by_id: BTreeMap<String, ContactRow> = BTreeMap::new();
    while !frontier.is_empty() && component.len() < 50_000 {
        let mut next = Vec::new();
        for c in store::contacts_touching(conn, &frontier)? {
            for p in [&c.person_a, &c.person_b] {
                if component.insert(p.clone()) {
                    next.push(p.clone());
                }
            }
            edges_by_id.insert(c.id.clone(), c);
        }
        frontier = next;
    }
    let ids: Vec<String> = component.into_iter().collect();
    let sources: Vec<(String, Window)> = store::open_cases_of(conn, &ids)?
        .into_iter()
        .map(|c| {
            (
                c.person_id.clone(),
                Window {
                    start: c.window_start,
                    end: c.isolated_at,
                },
            )
        })
        .collect();
    let exposures: Vec<ExposureRow> = store::exposures_of(conn, &ids)?;
    let isolated: BTreeMap<String, NaiveDateTime> = exposures
        .iter()
        .filter(|e| e.level > 0)
        .filter_map(|e| e.window_end.map(|t| (e.person_id.clone(), t)))
        .collect();
    let edges: Vec<Edge<String>> = edges_by_id
        .values()
        .filter(|c| contact_is_close(c))
        .map(|c| Edge {
            a: c.person_a.clone(),
            b: c.person_b.clone(),
            first: c.first_at,
            last: c.last_at,
        })
        .collect();
    let computed = classify(&sources, &edges, &isolated, rules.max_depth);
    let mut opened = 0;
    for e in exposures.iter().filter(|e| e.status == "active") {
        let now_level = computed.get(&e.person_id).map(|c| c.level as i32);
        if corrected == Some(e.person_id.as_str()) {
            let after = match computed.get(&e.person_id) {
                Some(c) => ExposureRow {
                    level: c.level as i32,
                    window_start: c.window.start,
                    via_person_id: c.via.clone(),
                    case_id: None,
                    updated_at: at,
                    ..e.clone()
                },
                None => ExposureRow {
                    status: "declassified".into(),
                    case_id: None,
                    updated_at: at,
                    ..e.clone()
                },
            };
            upsert_exposures(conn, std::slice::from_ref(&after))?;
            events::record(
                conn,
                who,
                at,
                "person",
                &e.person_id,
                "reclassified",
                exposure_json(Some(e)).as_ref(),
                exposure_json(Some(&after)).as_ref(),
                Some(reason),
            )?;
            continue;
        }
        let could_drop = match now_level {
            None => true,
            Some(l) => l > e.level,
        };
        if could_drop && store::open_review_of(conn, &e.person_id)?.is_none() {
            let review = ReviewRow {
                id: new_id(),
                person_id: e.person_id.clone(),
                current_level: e.level,
                computed_level: now_level,
                reason: reason.to_string(),
                unit_path: e.unit_path.clone(),
                created_at: at,
                resolved_at: None,
                resolved_by: None,
                resolution: None,
            };
            store::insert_review(conn, &review)?;
            let detail = json!({"review_id": review.id, "current_level": label(e.level as u8), "computed_level": now_level.map(|l| label(l as u8))});
            events::record(
                conn,
                who,
                at,
                "person",
                &e.person_id,
                "level_review_opened",
                None,
                Some(&detail),
                Some(reason),
            )?;
            opened += 1;
        }
    }
    Ok(opened)
}

// ---- contacts -------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewContactPerson {
    /// No digits or control characters.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^0-9\\x00-\\x1F\\x7F-\\x9F]*[^0-9\\s\\x00-\\x1F\\x7F-\\x9F][^0-9\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub full_name: String,
    /// At most 5.
    #[serde(default)]
    #[schema(value_type = Vec<super::people::Phone>, max_items = 5)]
    pub phones: Vec<String>,
    /// CCCD (12 digits) or CMND (9 digits).
    #[schema(pattern = "^([0-9]{9}|[0-9]{12})$")]
    pub national_id: Option<String>,
    /// Where they live, if known; by default the unit of the person they met.
    #[schema(min_length = 1, max_length = 40)]
    pub residence_unit_code: Option<String>,
    /// From 1900 to this year.
    #[schema(minimum = 1900)]
    pub birth_year: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LogContact {
    /// A client-made UUID (a phone working offline): sending it again changes nothing.
    pub id: Option<Uuid>,
    /// The person being traced (usually the F0 or F1 interviewed).
    pub person_id: Uuid,
    /// The person they met, if registered …
    pub contact_person_id: Option<Uuid>,
    /// … or a new person: a name and a phone are enough.
    #[validate(nested)]
    pub contact_person: Option<NewContactPerson>,
    #[schema(value_type = super::InstantSince2020)]
    pub first_at: DateTime<Utc>,
    /// Not before `first_at`, at most 60 days after it, and not in the future.
    pub last_at: DateTime<Utc>,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub place: Option<String>,
    pub setting: Setting,
    pub proximity: Proximity,
    #[validate(range(min = 0, max = 100000))]
    #[schema(minimum = 0, maximum = 100000)]
    pub duration_minutes: Option<i32>,
    #[serde(default)]
    pub masked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: String,
    pub person_id: String,
    pub contact_person_id: String,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub place: Option<String>,
    pub setting: Setting,
    pub proximity: Proximity,
    pub duration_minutes: Option<i32>,
    pub masked: bool,
    pub retracted_at: Option<DateTime<Utc>>,
    pub retract_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&ContactRow> for ContactOut {
    fn from(c: &ContactRow) -> Self {
        ContactOut {
            id: c.id.clone(),
            person_id: c.person_a.clone(),
            contact_person_id: c.person_b.clone(),
            first_at: utc(c.first_at),
            last_at: utc(c.last_at),
            place: c.place.clone(),
            setting: Setting::parse(&c.setting).unwrap_or(Setting::Other),
            proximity: Proximity::parse(&c.proximity).unwrap_or(Proximity::SameSpace),
            duration_minutes: c.duration_minutes,
            masked: c.masked,
            retracted_at: c.retracted_at.map(utc),
            retract_reason: c.retract_reason.clone(),
            created_at: utc(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedContact {
    pub contact: ContactOut,
    /// Whether the contact falls inside a classified person's window and is close.
    pub classifies: bool,
    /// Why it does not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub cascade: CascadeReport,
}

/// Why a contact does not classify, or None when it does.
pub(crate) fn why_not(
    c: &ContactRow,
    a: Option<&ExposureRow>,
    b: Option<&ExposureRow>,
    max_depth: u8,
) -> Option<String> {
    let proximity = Proximity::parse(&c.proximity).unwrap_or(Proximity::SameSpace);
    if let Err(e) = is_close(proximity, c.masked, c.duration_minutes) {
        return Some(format!("not a close contact: {e}"));
    }
    let sides: Vec<&ExposureRow> = [a, b]
        .into_iter()
        .flatten()
        .filter(|e| e.status == "active")
        .collect();
    if sides.is_empty() {
        return Some("neither person is an active F0, F1 or F2".into());
    }
    let mut reasons = Vec::new();
    for e in sides {
        let w = Window {
            start: e.window_start,
            end: e.window_end,
        };
        if through(e.level as u8, &w, c.first_at, c.last_at, max_depth).is_some() {
            return None;
        }
        let name = label(e.level as u8);
        if e.level as u8 >= max_depth {
            reasons.push(format!("the {name} is at the deepest level traced"));
        } else if c.last_at < w.start {
            reasons.push(format!(
                "the contact ended before the {name}'s window opened ({})",
                utc(w.start)
            ));
        } else if let Some(end) = w.end {
            reasons.push(format!(
                "the contact began after the {name} was isolated ({})",
                utc(end)
            ));
        }
    }
    Some(reasons.join("; "))
}

/// What can be checked of a contact without the database.
pub(crate) fn check_contact(input: &LogContact, at: NaiveDateTime) -> AppResult<()> {
    input.validate()?;
    let (first, last) = (instant(input.first_at), instant(input.last_at));
    if first < crate::domain::time::earliest_fact() {
        return Err(AppError::field("first_at", "must not be before 2020"));
    }
    if last < first {
        return Err(AppError::field("last_at", "must not be before first_at"));
    }
    if last > at + chrono::Duration::hours(1) {
        return Err(AppError::field("last_at", "must not be in the future"));
    }
    if (last - first).num_days() > 60 {
        return Err(AppError::field(
            "first_at",
            "a contact spans at most 60 days",
        ));
    }
    match (&input.contact_person_id, &input.contact_person) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        _ => Err(AppError::field(
            "contact_person_id",
            "give either contact_person_id or contact_person",
        )),
    }
}

/// The registration of a person met, named in a contact (by default living where the
/// person traced lives).
pub(crate) fn inline_person(np: &NewContactPerson, source_unit_code: &str) -> CreatePerson {
    CreatePerson {
        id: None,
        full_name: np.full_name.clone(),
        birth_date: None,
        birth_year: np.birth_year,
        sex: None,
        national_id: np.national_id.clone(),
        passport_no: None,
        nationality: None,
        phones: np.phones.clone(),
        residence_address: None,
        residence_unit_code: np
            .residence_unit_code
            .clone()
            .unwrap_or_else(|| source_unit_code.to_string()),
        current_location: None,
        occupation: None,
        workplace: None,
        vaccination_doses: 0,
        source: Some(crate::domain::people::Source::TracingInterview),
    }
}

/// The id of the person met from the registration's outcome: a known national ID means the
/// contact is with that person, never a second record; the registration's field errors are
/// named under `contact_person`.
pub(crate) fn inline_person_id(made: AppResult<String>) -> AppResult<String> {
    match made {
        Ok(id) => Ok(id),
        Err(AppError::Conflict {
            existing_id: Some(id),
            ..
        }) => Ok(id),
        Err(AppError::Validation(errs)) => Err(AppError::Validation(
            errs.into_iter()
                .map(|e| {
                    crate::domain::FieldError::new(format!("contact_person.{}", e.field), e.message)
                })
                .collect(),
        )),
        Err(e) => Err(e),
    }
}

/// The contact a valid log makes.
pub(crate) fn contact_row(
    input: &LogContact,
    source: &people_store::PersonRow,
    other_id: String,
    actor: &Actor,
    at: NaiveDateTime,
) -> ContactRow {
    ContactRow {
        id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
        person_a: source.id.clone(),
        person_b: other_id,
        first_at: instant(input.first_at),
        last_at: instant(input.last_at),
        place: input.place.as_deref().map(tidy).filter(|s| !s.is_empty()),
        setting: input.setting.as_str().into(),
        proximity: input.proximity.as_str().into(),
        duration_minutes: input.duration_minutes,
        masked: input.masked,
        unit_path: source.unit_path.clone(),
        retracted_at: None,
        retract_reason: None,
        created_by: Some(actor.user_id.clone()),
        created_at: at,
    }
}

/// The event row of a logged contact.
pub(crate) fn logged_event(w: &Who, contact: &ContactRow, at: NaiveDateTime) -> EventRow {
    let after = serde_json::to_value(ContactOut::from(contact)).unwrap_or_default();
    EventRow {
        id: new_id(),
        entity_type: "contact".into(),
        entity_id: contact.id.clone(),
        action: "logged".into(),
        actor_id: w.actor_id.clone(),
        actor_role: w.role.clone(),
        at,
        before_json: None,
        after_json: Some(after.to_string()),
        reason: None,
    }
}

pub fn log_contact(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    input: LogContact,
) -> AppResult<Made<LoggedContact>> {
    let scope = actor.scope(Action::ContactLog)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        log_contact_in_tx(conn, actor, &scope, rules, input, at)
    })
}

/// The level a contact would give the person met, from the classification of the person
/// traced: what a notice of them carries.
pub(crate) fn implied_level(
    source: Option<&ExposureRow>,
    input: &LogContact,
    max_depth: u8,
) -> Option<u8> {
    let up = source.filter(|e| e.status == "active")?;
    is_close(input.proximity, input.masked, input.duration_minutes).ok()?;
    let window = Window {
        start: up.window_start,
        end: up.window_end,
    };
    through(
        up.level as u8,
        &window,
        instant(input.first_at),
        instant(input.last_at),
        max_depth,
    )
    .map(|(level, _)| level)
}

/// What a notice of the person met carries of the contact.
pub(crate) fn sent_contact(input: &LogContact) -> SentContact {
    SentContact {
        id: input.id,
        first_at: input.first_at,
        last_at: input.last_at,
        place: input.place.as_deref().map(tidy).filter(|s| !s.is_empty()),
        setting: input.setting,
        proximity: input.proximity,
        duration_minutes: input.duration_minutes,
        masked: input.masked,
    }
}

/// The person met, by id: only someone in the actor's jurisdiction (a record merged into
/// another is followed). Anyone else answers as an id nobody has.
fn met_by_id(
    conn: &mut AnyConnection,
    scope: &Scope,
    row: Option<people_store::PersonRow>,
) -> AppResult<people_store::PersonRow> {
    let no_such = || AppError::field("contact_person_id", "no such person");
    let row = match row {
        Some(p) if p.merged_into.is_some() => {
            people_store::get_row(conn, p.merged_into.as_deref().unwrap_or_default())?
        }
        other => other,
    };
    row.filter(|p| scope.covers(&p.unit_path))
        .ok_or_else(no_such)
}

pub fn log_contact_in_tx(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    rules: Rules,
    input: LogContact,
    at: NaiveDateTime,
) -> AppResult<Made<LoggedContact>> {
    check_contact(&input, at)?;
    {
        if let Some(id) = input.id {
            if let Some(existing) = store::get_contact(conn, &id.to_string())? {
                if scope.covers(&existing.unit_path) {
                    return Ok(Made::Here(Outcome::Existing(LoggedContact {
                        contact: ContactOut::from(&existing),
                        classifies: false,
                        reason: Some("already logged".into()),
                        cascade: CascadeReport::default(),
                    })));
                }
                return Err(AppError::conflict(
                    "this id is already used by another record",
                ));
            }
        }
        let source_id = input.person_id.to_string();
        // `known`: the classifications of both ends, when the lookup of the people brought them
        let (source, other_id, known) = match (&input.contact_person_id, &input.contact_person) {
            (Some(id), _) => {
                let id = id.to_string();
                let mut rows = store::pair_with_exposures(conn, &source_id, &id)?;
                let mut take = |wanted: &str| {
                    rows.iter()
                        .position(|(p, _)| p.id == wanted)
                        .map(|i| rows.swap_remove(i))
                };
                let (source_row, other_row) = (take(&source_id), take(&id));
                let source_exposure = source_row.as_ref().and_then(|(_, e)| e.clone());
                let source = visible_row(source_row.map(|(p, _)| p), scope, "person_id")?;
                match other_row {
                    Some((p, e)) if p.merged_into.is_none() && scope.covers(&p.unit_path) => {
                        (source, p.id, Some((source_exposure, e)))
                    }
                    None if id == source_id => (source, id, None),
                    other => {
                        let met = met_by_id(conn, scope, other.map(|(p, _)| p))?;
                        (source, met.id, None)
                    }
                }
            }
            (None, Some(np)) => {
                let source = visible_person(conn, scope, &source_id, "person_id")?;
                let create = inline_person(np, &source.residence_unit_code);
                // a person said to live elsewhere may be notified there, with the contact
                let notice = match &np.residence_unit_code {
                    Some(_) => {
                        let up = store::exposures_of(conn, std::slice::from_ref(&source.id))?;
                        Some(ContactNotice {
                            source_id: source.id.clone(),
                            source_path: source.unit_path.clone(),
                            contact: sent_contact(&input),
                            implied_level: implied_level(up.first(), &input, rules.max_depth),
                        })
                    }
                    None => None,
                };
                let made = create_in_tx(conn, actor, scope, create, at, notice);
                let other_id = match made {
                    Ok(Made::Notified(n)) => return Ok(Made::Notified(n)),
                    Ok(Made::Here(Outcome::Created(p) | Outcome::Existing(p))) => Ok(p.person.id),
                    Err(e) => Err(e),
                };
                (source, inline_person_id(other_id)?, None)
            }
            (None, None) => unreachable!("checked above"),
        };
        if other_id == source.id {
            return Err(AppError::field(
                "contact_person_id",
                "a person cannot be their own contact",
            ));
        }
        let contact = contact_row(&input, &source, other_id, actor, at);
        store::insert_contact(conn, &contact)?;
        let w = who(actor, scope, &contact.unit_path);
        events::insert(conn, &logged_event(&w, &contact, at))?;
        let (a, b) = match known {
            Some(pair) => pair,
            None => {
                let both = store::exposures_of(
                    conn,
                    &[contact.person_a.clone(), contact.person_b.clone()],
                )?;
                let of = |id: &str| both.iter().find(|e| e.person_id == id).cloned();
                (of(&contact.person_a), of(&contact.person_b))
            }
        };
        let reason = why_not(&contact, a.as_ref(), b.as_ref(), rules.max_depth);
        let report = if reason.is_none() {
            cascade(
                conn,
                &w,
                vec![contact.person_a.clone(), contact.person_b.clone()],
                rules,
                at,
                &format!("contact {}", contact.id),
            )?
        } else {
            CascadeReport::default()
        };
        Ok(Made::Here(Outcome::Created(LoggedContact {
            contact: ContactOut::from(&contact),
            classifies: reason.is_none(),
            reason,
            cascade: report,
        })))
    }
}

/// Log the contact a notice carried, once its receiver accepted it: between the person the
/// sender traced and the person it is now linked to, as the sender logged it, then classify.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_notified_contact(
    conn: &mut AnyConnection,
    w: &Who,
    rules: Rules,
    source: &people_store::PersonRow,
    other_id: &str,
    sent: &SentContact,
    sent_by: &str,
    at: NaiveDateTime,
) -> AppResult<ContactOut> {
    let id = match sent.id.map(|u| u.to_string()) {
        Some(id) if store::get_contact(conn, &id)?.is_none() => id,
        _ => new_id(),
    };
    let contact = ContactRow {
        id,
        person_a: source.id.clone(),
        person_b: other_id.to_string(),
        first_at: instant(sent.first_at),
        last_at: instant(sent.last_at),
        place: sent.place.clone(),
        setting: sent.setting.as_str().into(),
        proximity: sent.proximity.as_str().into(),
        duration_minutes: sent.duration_minutes,
        masked: sent.masked,
        unit_path: source.unit_path.clone(),
        retracted_at: None,
        retract_reason: None,
        created_by: Some(sent_by.to_string()),
        created_at: at,
    };
    store::insert_contact(conn, &contact)?;
    events::insert(conn, &logged_event(w, &contact, at))?;
    let both = store::exposures_of(conn, &[contact.person_a.clone(), contact.person_b.clone()])?;
    let of = |id: &str| both.iter().find(|e| e.person_id == id).cloned();
    let (a, b) = (of(&contact.person_a), of(&contact.person_b));
    if why_not(&contact, a.as_ref(), b.as_ref(), rules.max_depth).is_none() {
        cascade(
            conn,
            w,
            vec![contact.person_a.clone(), contact.person_b.clone()],
            rules,
            at,
            &format!("contact {}", contact.id),
        )?;
    }
    Ok(ContactOut::from(&contact))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RetractContact {
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetractedContact {
    pub contact: ContactOut,
    /// People put on the review list because their level could drop.
    pub reviews_opened: usize,
}

/// Retract a mistaken contact: it is kept, marked retracted; who it classified is reviewed.
pub fn retract_contact(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    id: &str,
    input: RetractContact,
) -> AppResult<RetractedContact> {
    let scope = actor.scope(Action::ContactLog)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let contact = match store::get_contact(conn, id)? {
            Some(c) if scope.covers(&c.unit_path) => c,
            _ => return Err(AppError::not_found("contact")),
        };
        if !store::retract_contact(conn, id, at, &reason)? {
            return Err(AppError::conflict("this contact was already retracted"));
        }
        let w = who(actor, &scope, &contact.unit_path);
        events::record(
            conn,
            &w,
            at,
            "contact",
            id,
            "retracted",
            None,
            None,
            Some(&reason),
        )?;
        let opened = after_correction(
            conn,
            &w,
            vec![contact.person_a.clone(), contact.person_b.clone()],
            None,
            rules,
            at,
            &reason,
        )?;
        let after = store::get_contact(conn, id)?.ok_or_else(|| AppError::not_found("contact"))?;
        Ok(RetractedContact {
            contact: ContactOut::from(&after),
            reviews_opened: opened,
        })
    })
}

pub fn contacts_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
) -> AppResult<Vec<ContactOut>> {
    let scope = actor.scope(Action::ContactRead)?;
    match people_store::get(conn, person)? {
        Some(p) if scope.covers(&p.row.unit_path) => {}
        _ => return Err(AppError::not_found("person")),
    }
    Ok(store::contacts_of(conn, person, 500)?
        .iter()
        .map(ContactOut::from)
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureOut {
    pub person_id: String,
    /// F0, F1, F2, F3.
    pub level: String,
    /// active, recovered, deceased, declassified.
    pub status: String,
    pub window_start: DateTime<Utc>,
    pub window_end: Option<DateTime<Utc>>,
    /// The upstream person through whom the level was reached.
    pub via_person_id: Option<String>,
    pub case_id: Option<String>,
    pub classified_at: DateTime<Utc>,
}

pub fn exposure_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
) -> AppResult<ExposureOut> {
    let scope = actor.scope(Action::ContactRead)?;
    match people_store::get(conn, person)? {
        Some(p) if scope.covers(&p.row.unit_path) => {}
        _ => return Err(AppError::not_found("person")),
    }
    let e = store::exposure(conn, person)?
        .ok_or_else(|| AppError::NotFound("this person is not classified".into()))?;
    Ok(ExposureOut::from(e))
}

impl From<ExposureRow> for ExposureOut {
    fn from(e: ExposureRow) -> Self {
        ExposureOut {
            person_id: e.person_id,
            level: label(e.level as u8),
            status: e.status,
            window_start: utc(e.window_start),
            window_end: e.window_end.map(utc),
            via_person_id: e.via_person_id,
            case_id: e.case_id,
            classified_at: utc(e.classified_at),
        }
    }
}

// ---- level reviews --------------------------------------------------------------------

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
    let limit = page_size(limit);
    let rows = store::open_reviews(
        conn,
        &scope.ranges(),
        cursor.as_deref().filter(|c| !c.is_empty()),
        limit + 1,
    )?;
    let out = rows.iter().map(ReviewOut::from).collect();
    Ok(Page::from_overfetch(out, limit, |r: &ReviewOut| {
        r.id.clone()
    }))
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
                        status: "declassified".into(),
                        updated_at: at,
                        ..before.clone()
                    },
                };
                upsert_exposures(conn, std::slice::from_ref(&after))?;
                events::record(
                    conn,
                    &w,
                    at,
                    "person",
                    &review.person_id,
                    "reclassified",
                    exposure_json(Some(&before)).as_ref(),
                    exposure_json(Some(&after)).as_ref(),
                    Some(&reason),
                )?;
            }
        } else {
            let detail = json!({"review_id": id, "decision": "kept"});
            events::record(
                conn,
                &w,
                at,
                "person",
                &review.person_id,
                "level_review_resolved",
                None,
                Some(&detail),
                Some(&reason),
            )?;
        }
        Ok(())
    })
}

// ---- chains ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Upstream,
    Downstream,
    Both,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChainQuery {
    /// upstream (towards the sources), downstream (everyone exposed through the person) or both.
    pub direction: Option<Direction>,
    /// Hops, 1 to 6 (default 3).
    #[param(minimum = 1, maximum = 6)]
    pub depth: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainNode {
    pub id: String,
    /// F0 … F3, when classified.
    pub level: Option<String>,
    pub status: Option<String>,
    pub unit_code: String,
    /// Only for people inside your jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Hops from the person asked about (negative upstream).
    pub hop: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainEdge {
    pub contact_id: String,
    /// Upstream end.
    pub from: String,
    /// Downstream end.
    pub to: String,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub setting: Setting,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Chain {
    pub root: String,
    pub nodes: Vec<ChainNode>,
    pub edges: Vec<ChainEdge>,
    /// True when the node cap cut the chain short.
    pub truncated: bool,
}

const CHAIN_NODE_CAP: usize = 5000;

/// A person's chain of exposure as nodes and edges a graph viewer can draw: upstream along
/// contacts to people of a lower level inside their window, downstream to people of a
/// higher level inside this one's. People outside the jurisdiction appear with their level
/// and unit only.
pub fn chain(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
    q: ChainQuery,
) -> AppResult<Chain> {
    let scope = actor.scope(Action::ChainRead)?;
    let read = actor.scope(Action::PersonRead).ok();
    let root = match people_store::get(conn, person)? {
        Some(p) if scope.covers(&p.row.unit_path) => p,
        _ => return Err(AppError::not_found("person")),
    };
    let depth = q.depth.unwrap_or(3);
    if !(1..=6).contains(&depth) {
        return Err(AppError::field("depth", "must be between 1 and 6"));
    }
    let direction = q.direction.unwrap_or(Direction::Both);
    let mut hops: HashMap<String, i32> = HashMap::from([(root.row.id.clone(), 0)]);
    let mut exposures: HashMap<String, ExposureRow> =
        store::exposures_of(conn, std::slice::from_ref(&root.row.id))?
            .into_iter()
            .map(|e| (e.person_id.clone(), e))
            .collect();
    let mut edges: BTreeMap<String, ChainEdge> = BTreeMap::new();
    let mut truncated = false;
    for (sign, wanted) in [(-1, Direction::Upstream), (1, Direction::Downstream)] {
        if direction != wanted && direction != Direction::Both {
            continue;
        }
        let mut frontier = vec![root.row.id.clone()];
        for hop in 1..=depth as i32 {
            if frontier.is_empty() {
                break;
            }
            let contacts = store::contacts_touching(conn, &frontier)?;
            let others: Vec<String> = contacts
                .iter()
                .flat_map(|c| [c.person_a.clone(), c.person_b.clone()])
                .filter(|p| !exposures.contains_key(p))
                .collect();
            for e in store::exposures_of(conn, &others)? {
                exposures.insert(e.person_id.clone(), e);
            }
            let in_frontier: HashSet<&String> = frontier.iter().collect();
            let mut next = Vec::new();
            for c in contacts.iter().filter(|c| contact_is_close(c)) {
                for (n, m) in [(&c.person_a, &c.person_b), (&c.person_b, &c.person_a)] {
                    if !in_frontier.contains(n) {
                        continue;
                    }
                    let (Some(en), Some(em)) = (exposures.get(n), exposures.get(m)) else {
                        continue;
                    };
                    // upstream: m is lower and n met them inside m's window; downstream: the reverse
                    let (up, down) = if sign < 0 { (em, en) } else { (en, em) };
                    let w = Window {
                        start: up.window_start,
                        end: up.window_end,
                    };
                    if up.level >= down.level || !w.overlaps(c.first_at, c.last_at) {
                        continue;
                    }
                    edges.entry(c.id.clone()).or_insert_with(|| ChainEdge {
                        contact_id: c.id.clone(),
                        from: up.person_id.clone(),
                        to: down.person_id.clone(),
                        first_at: utc(c.first_at),
                        last_at: utc(c.last_at),
                        setting: Setting::parse(&c.setting).unwrap_or(Setting::Other),
                    });
                    if !hops.contains_key(m) {
                        if hops.len() >= CHAIN_NODE_CAP {
                            truncated = true;
                            continue;
                        }
                        hops.insert(m.clone(), sign * hop);
                        next.push(m.clone());
                    }
                }
            }
            frontier = next;
        }
    }
    let ids: Vec<String> = hops.keys().cloned().collect();
    let people: HashMap<String, people_store::Person> = ids
        .chunks(500)
        .map(|chunk| people_store::get_many(conn, chunk))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .map(|p| (p.row.id.clone(), p))
        .collect();
    let mut nodes: Vec<ChainNode> = ids
        .iter()
        .filter_map(|id| {
            let p = people.get(id)?;
            let e = exposures.get(id);
            let visible = read.as_ref().is_some_and(|s| s.covers(&p.row.unit_path));
            Some(ChainNode {
                id: id.clone(),
                level: e.map(|e| label(e.level as u8)),
                status: e.map(|e| e.status.clone()),
                unit_code: p.row.residence_unit_code.clone(),
                full_name: visible.then(|| p.row.full_name.clone()),
                hop: hops[id],
            })
        })
        .collect();
    nodes.sort_by(|a, b| (a.hop, &a.id).cmp(&(b.hop, &b.id)));
    let edges: Vec<ChainEdge> = edges
        .into_values()
        .filter(|e| hops.contains_key(&e.from) && hops.contains_key(&e.to))
        .collect();
    Ok(Chain {
        root: root.row.id,
        nodes,
        edges,
        truncated,
    })
}

// ---- clusters -------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Cluster {
    /// The lowest person id in the cluster, a stable handle for it.
    pub id: String,
    pub size: usize,
    pub f0: usize,
    pub by_level: BTreeMap<String, usize>,
    /// The first and last contact inside the cluster.
    pub first_contact: Option<DateTime<Utc>>,
    pub last_contact: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Clusters {
    pub clusters: Vec<Cluster>,
    /// Classified people considered (the jurisdiction's active classifications).
    pub people: usize,
    /// True when the jurisdiction holds more classified people than one answer considers.
    pub truncated: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    /// Smallest cluster to list (default 2). No cluster holds more people than one answer
    /// considers (100,000).
    #[param(minimum = 0, maximum = 100000)]
    pub min_size: Option<usize>,
    /// How many clusters, largest first (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

const CLUSTER_CAP: i64 = 100_000;

/// Clusters: groups of classified people connected by close contacts, largest first.
pub fn clusters(conn: &mut AnyConnection, actor: &Actor, q: ClusterQuery) -> AppResult<Clusters> {
    let scope = actor.scope(Action::ChainRead)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::field("limit", "must be between 1 and 200"));
    }
    let min_size = q.min_size.unwrap_or(2).max(1);
    let people = store::active_exposures_in(conn, &scope.ranges(), CLUSTER_CAP + 1)?;
    let truncated = people.len() as i64 > CLUSTER_CAP;
    let people = &people[..people.len().min(CLUSTER_CAP as usize)];
    let index: HashMap<&str, usize> = people
        .iter()
        .enumerate()
        .map(|(i, e)| (e.person_id.as_str(), i))
        .collect();
    // union-find over the contacts between classified people
    let mut parent: Vec<usize> = (0..people.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let ids: Vec<String> = people.iter().map(|e| e.person_id.clone()).collect();
    let mut span: HashMap<usize, (NaiveDateTime, NaiveDateTime)> = HashMap::new();
    let mut edges = Vec::new();
    for c in store::contacts_touching(conn, &ids)? {
        if let (Some(&a), Some(&b)) = (
            index.get(c.person_a.as_str()),
            index.get(c.person_b.as_str()),
        ) {
            if contact_is_close(&c) {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
                edges.push((a, c.first_at, c.last_at));
            }
        }
    }
    for (a, first, last) in edges {
        let r = find(&mut parent, a);
        let e = span.entry(r).or_insert((first, last));
        e.0 = e.0.min(first);
        e.1 = e.1.max(last);
    }
    let mut groups: HashMap<usize, Cluster> = HashMap::new();
    for (i, e) in people.iter().enumerate() {
        let r = find(&mut parent, i);
        let c = groups.entry(r).or_insert_with(|| Cluster {
            id: people[r].person_id.clone(),
            size: 0,
            f0: 0,
            by_level: BTreeMap::new(),
            first_contact: span.get(&r).map(|s| utc(s.0)),
            last_contact: span.get(&r).map(|s| utc(s.1)),
        });
        c.size += 1;
        if e.level == 0 {
            c.f0 += 1;
        }
        *c.by_level.entry(label(e.level as u8)).or_default() += 1;
    }
    let mut clusters: Vec<Cluster> = groups
        .into_values()
        .filter(|c| c.size >= min_size)
        .collect();
    clusters.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.id.cmp(&b.id)));
    clusters.truncate(limit);
    Ok(Clusters {
        clusters,
        people: people.len(),
        truncated,
    })
}
