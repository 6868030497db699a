//! Confirmed cases (F0): confirm, read, list and move them through their states.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

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
            state: c.state,
            confirmation_test: c.confirmation_test,
            test_ref: c.test_ref.clone(),
            sample_date: c.sample_date,
            onset_date: c.onset_date,
            confirmed_at: utc(c.confirmed_at),
            isolated_at: c.isolated_at.map(utc),
            treatment: c.treatment,
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
    /// When the case was confirmed (default: now): not before the positive sample's day, at
    /// most a few minutes ahead of the server's clock. The 5S delays count from it.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a confirmation more than the backdating limit (30 days) ago is recorded now.
    #[validate(length(min = 3, max = 1000))]
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedCase {
    pub case: CaseOut,
    pub cascade: CascadeReport,
}

pub(super) fn visible_person(
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
    let sampled = crate::domain::time::vn_midnight(input.sample_date);
    let h = crate::service::happened::happened(
        &rules,
        "at",
        input.at,
        input.backdate_reason.as_deref(),
        Some(crate::service::happened::after(
            sampled,
            "the day the positive sample was taken",
        )),
    )?;
    let at = h.recorded_at;
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
        .is_some_and(|i| instant(i) > at + chrono::Duration::minutes(rules.facts.skew_minutes))
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
        confirm_in_tx(conn, &w, rules, &person, new, &h).map(Outcome::Created)
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
    h: &Happened,
) -> AppResult<ConfirmedCase> {
    let at = h.at;
    let before = store::exposure(conn, &person.id)?;
    if new.confirmation_test == ConfirmationTest::AntigenF1
        && !before
            .as_ref()
            .is_some_and(|e| e.status == ExposureStatus::Active && e.level == 1)
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
        state: CaseState::Confirmed,
        confirmation_test: new.confirmation_test,
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
        created_at: h.recorded_at,
        updated_at: h.recorded_at,
    };
    store::insert_case(conn, &case).map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            AppError::conflict("this case number or id is already used")
        } else {
            e.into()
        }
    })?;
    Event::on(Entity::Case, &case.id, "confirmed")
        .after(&case_json(&case))
        .write_fact(conn, w, h)?;
    crate::service::workflow::open_investigation(conn, w, &case, rules, h)?;
    // people quarantined with a new positive start their quarantine again
    crate::service::quarantine::restart_quarantined_with(
        conn,
        w,
        &person.id,
        crate::domain::time::vn_date(at),
        h,
    )?;
    let f0 = ExposureRow {
        person_id: person.id.clone(),
        level: 0,
        status: ExposureStatus::Active,
        window_start: window.start,
        window_end: window.end,
        via_person_id: None,
        case_id: Some(case.id.clone()),
        unit_path: person.unit_path.clone(),
        classified_at: at,
        updated_at: h.recorded_at,
        cleared_at: None,
    };
    upsert_exposures(conn, std::slice::from_ref(&f0))?;
    Event::on(Entity::Person, &person.id, "classified")
        .before(exposure_json(before.as_ref()).as_ref())
        .after(exposure_json(Some(&f0)).as_ref())
        .reason(format!("case {} confirmed", case.id))
        .classifies(0, None)
        .write_fact(conn, w, h)?;
    let report = cascade(
        conn,
        w,
        vec![person.id.clone()],
        rules,
        h,
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
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::list_cases(
        conn,
        &scope.ranges(),
        q.state.map(CaseState::as_str),
        paging.after(),
        paging.fetch(),
    )?;
    let out = rows.iter().map(CaseOut::from).collect();
    Ok(paging.page(out, |c: &CaseOut| c.id.clone()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CaseTransition {
    pub command: CaseCommand,
    /// The version of the case you read.
    pub version: i32,
    /// For `start_treatment`: where.
    pub treatment: Option<Treatment>,
    /// When it happened (default: now): for `start_treatment`, when the case was isolated.
    /// Not before the confirmation, at most a few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a move more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
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
        let state = case.state;
        let next = case_transition(state, input.command)?;
        versioned::expect(input.version, case.version)?;
        let confirmed = crate::service::happened::after(case.confirmed_at, "the confirmation");
        let h = crate::service::happened::happened_at(
            &rules,
            at,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            // an F0 may have been isolated before the positive came
            (input.command != CaseCommand::StartTreatment).then_some(confirmed),
        )?;
        let mut after = CaseRow {
            state: next,
            version: case.version + 1,
            updated_at: at,
            ..case.clone()
        };
        if input.command == CaseCommand::StartTreatment {
            after.treatment = input.treatment;
            if after.isolated_at.is_none() {
                after.isolated_at = Some(h.at);
            }
        }
        versioned::applied(
            store::update_case(conn, &after, case.version)?,
            case.version,
        )?;
        let w = who(actor, &scope, &case.unit_path);
        Event::on(Entity::Case, &case.id, input.command.as_str())
            .before(&case_json(&case))
            .after(&case_json(&after))
            .reason_opt(reason.as_deref())
            .write_fact(conn, &w, &h)?;
        let mut reviews_opened = 0;
        match next {
            CaseState::InTreatment => {
                store::set_window_end(conn, &case.person_id, after.isolated_at, at)?
            }
            CaseState::Recovered | CaseState::Deceased => {
                let exposure = store::exposure(conn, &case.person_id)?;
                if let (Some(e), Some(command)) = (exposure, exposure_command_of(next)) {
                    let status = exposure_transition(e.status, command)?;
                    store::set_status(conn, &case.person_id, status, at)?;
                }
                let detail = json!({"status": next.as_str()});
                Event::on(Entity::Person, &case.person_id, "case_closed")
                    .after(&detail)
                    .reason_opt(reason.as_deref())
                    .write_fact(conn, &w, &h)?;
            }
            CaseState::NotACase => {
                let why = reason.as_deref().unwrap_or("case retracted");
                crate::service::workflow::withdraw_investigation(conn, &w, &case.id, why, &h)?;
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
