//! Home quarantine: the home and its checklist, the warning sign at the door, daily reports
//! that raise follow-ups, violations, and the police list.

use super::quarantine::{
    episode_out, visible_episode, EpisodeOut, EpisodeTransition, ListQuery, Placement,
};
use super::{require_reason, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::home::{
    missed_days, remove_sign, report_needs_follow_up, Checklist, FollowUpKind, HouseholdRole,
    ReportSource, SignState,
};
use crate::domain::quarantine::EpisodeState;
use crate::domain::roles::Action;
use crate::domain::text::tidy;
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::{utc, who_as};
use crate::store::events;
use crate::store::quarantine::{
    self as store, EpisodeRow, FollowUpRow, HomeRow, ReportRow, SignRow, ViolationRow,
};
use crate::store::{instant, new_id, now, page_size, units, users};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateHome {
    pub id: Option<Uuid>,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub address: String,
    pub unit_code: String,
    pub checklist: Checklist,
    /// The commune officer who watches this home.
    pub officer_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpdateHome {
    pub checklist: Option<Checklist>,
    pub officer_id: Option<String>,
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignOut {
    pub id: String,
    pub home_id: String,
    pub state: SignState,
    pub posted_at: DateTime<Utc>,
    pub posted_by: Option<String>,
    pub photo_ref: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
    pub removed_reason: Option<String>,
    pub version: i32,
}

impl From<&SignRow> for SignOut {
    fn from(s: &SignRow) -> Self {
        SignOut {
            id: s.id.clone(),
            home_id: s.home_id.clone(),
            state: SignState::parse(&s.state).unwrap_or(SignState::Posted),
            posted_at: utc(s.posted_at),
            posted_by: s.posted_by.clone(),
            photo_ref: s.photo_ref.clone(),
            removed_at: s.removed_at.map(utc),
            removed_by: s.removed_by.clone(),
            removed_reason: s.removed_reason.clone(),
            version: s.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HomeOut {
    pub id: String,
    pub address: String,
    pub unit_code: String,
    pub checklist: Checklist,
    /// What the address lacks for home quarantine; empty when suitable.
    pub missing: Vec<String>,
    pub officer_id: Option<String>,
    /// The episodes of everyone quarantined here (the person, household members, carers).
    pub episode_ids: Vec<String>,
    pub signs: Vec<SignOut>,
    pub version: i32,
}

fn checklist_of(h: &HomeRow) -> Checklist {
    Checklist {
        own_room: h.own_room,
        own_toilet: h.own_toilet,
        no_shared_air_conditioning: h.no_shared_air_conditioning,
    }
}

fn home_out(conn: &mut AnyConnection, h: &HomeRow) -> AppResult<HomeOut> {
    let episodes = store::home_episodes(conn, &h.id)?;
    let signs = store::signs_of(conn, &h.id)?;
    let c = checklist_of(h);
    Ok(HomeOut {
        id: h.id.clone(),
        address: h.address.clone(),
        unit_code: h.unit_code.clone(),
        checklist: c,
        missing: c.missing().into_iter().map(str::to_string).collect(),
        officer_id: h.officer_id.clone(),
        episode_ids: episodes.into_iter().map(|e| e.id).collect(),
        signs: signs.iter().map(SignOut::from).collect(),
        version: h.version,
    })
}

fn visible_home(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<HomeRow> {
    match store::get_home(conn, id)? {
        Some(h) if scope.covers(&h.unit_path) => Ok(h),
        _ => Err(AppError::not_found("home")),
    }
}

fn check_officer(conn: &mut AnyConnection, id: &Option<String>) -> AppResult<()> {
    if let Some(o) = id {
        if users::get(conn, o)?.is_none() {
            return Err(AppError::field("officer_id", "no such user"));
        }
    }
    Ok(())
}

pub fn create_home(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateHome,
) -> AppResult<HomeOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let address = tidy(&input.address);
    if address.is_empty() || address.chars().count() > 500 {
        return Err(AppError::field("address", "must be 1 to 500 characters"));
    }
    let at = now();
    let id = input.id.map(|u| u.to_string()).unwrap_or_else(new_id);
    crate::db::write_tx(conn, |conn| {
        if let Some(h) = store::get_home(conn, &id)? {
            if !scope.covers(&h.unit_path) {
                return Err(AppError::conflict("this id belongs to another home"));
            }
            return home_out(conn, &h);
        }
        let unit = match units::get(conn, &input.unit_code)? {
            Some(u) if scope.covers(&u.path) => u,
            _ => {
                return Err(AppError::field(
                    "unit_code",
                    "no such unit in your jurisdiction",
                ))
            }
        };
        check_officer(conn, &input.officer_id)?;
        let h = HomeRow {
            id: id.clone(),
            address,
            unit_code: unit.code.clone(),
            unit_path: unit.path.clone(),
            own_room: input.checklist.own_room,
            own_toilet: input.checklist.own_toilet,
            no_shared_air_conditioning: input.checklist.no_shared_air_conditioning,
            officer_id: input.officer_id.clone(),
            version: 1,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            updated_at: at,
        };
        store::insert_home(conn, &h)?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&h.unit_path)),
            at,
            "home",
            &h.id,
            "created",
            None,
            Some(&json!({"checklist": input.checklist, "officer_id": h.officer_id})),
            None,
        )?;
        home_out(conn, &h)
    })
}

pub fn get_home(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<HomeOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let h = visible_home(conn, &scope, id)?;
    home_out(conn, &h)
}

pub fn update_home(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: UpdateHome,
) -> AppResult<HomeOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let h = visible_home(conn, &scope, id)?;
        if h.version != input.version {
            return Err(AppError::StaleVersion { current: h.version });
        }
        check_officer(conn, &input.officer_id)?;
        let c = input.checklist.unwrap_or_else(|| checklist_of(&h));
        let after = HomeRow {
            own_room: c.own_room,
            own_toilet: c.own_toilet,
            no_shared_air_conditioning: c.no_shared_air_conditioning,
            officer_id: input.officer_id.clone().or(h.officer_id.clone()),
            version: h.version + 1,
            updated_at: at,
            ..h.clone()
        };
        if !store::update_home(conn, &after, h.version)? {
            return Err(AppError::StaleVersion {
                current: h.version + 1,
            });
        }
        events::record(
            conn,
            &who_as(actor, scope.role_at(&h.unit_path)),
            at,
            "home",
            &h.id,
            "updated",
            Some(&json!({"checklist": checklist_of(&h), "officer_id": h.officer_id})),
            Some(&json!({"checklist": c, "officer_id": after.officer_id})),
            None,
        )?;
        home_out(conn, &after)
    })
}

/// For activating a home episode: the home must be suitable, the person (not a household
/// member or carer) must have signed the commitment.
pub(crate) fn home_placement(
    conn: &mut AnyConnection,
    actor: &Actor,
    e: &EpisodeRow,
    input: &EpisodeTransition,
) -> AppResult<Placement> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let home_id = input.home_id.clone().ok_or_else(|| {
        AppError::field("home_id", "the home is required to start home quarantine")
    })?;
    let h = match store::get_home(conn, &home_id)? {
        Some(h) if scope.covers(&h.unit_path) => h,
        _ => {
            return Err(AppError::field(
                "home_id",
                "no such home in your jurisdiction",
            ))
        }
    };
    let missing = checklist_of(&h).missing();
    if !missing.is_empty() {
        return Err(AppError::field(
            "home_id",
            format!("the address is not suitable: {}", missing.join(", ")),
        ));
    }
    let signed = input.commitment_signed.unwrap_or(false);
    if e.household_role == HouseholdRole::Person.as_str() && !signed {
        return Err(AppError::field(
            "commitment_signed",
            "the person must sign the commitment",
        ));
    }
    Ok(Placement {
        home_id: Some(h.id),
        commitment_signed: signed,
        ..Default::default()
    })
}

// ---- warning signs ----------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PostSign {
    /// A reference to the photo of the posted sign (a file name or storage key): printable
    /// ASCII, at most 500 characters.
    #[schema(max_length = 500, pattern = "^[ -~]*$")]
    pub photo_ref: Option<String>,
    /// When it was posted (default: now).
    pub posted_at: Option<DateTime<Utc>>,
}

pub fn post_sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    home_id: &str,
    input: PostSign,
) -> AppResult<SignOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let at = now();
    let posted = input.posted_at.map(instant).unwrap_or(at);
    if posted > at + chrono::Duration::minutes(5) {
        return Err(AppError::field("posted_at", "must not be in the future"));
    }
    if input.photo_ref.as_ref().is_some_and(|p| p.len() > 500) {
        return Err(AppError::field(
            "photo_ref",
            "must be at most 500 characters",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        let h = visible_home(conn, &scope, home_id)?;
        if let Some(s) = store::signs_of(conn, &h.id)?
            .into_iter()
            .find(|s| s.state == "posted")
        {
            return Err(AppError::Conflict {
                detail: "a sign is posted at this home already".into(),
                existing_id: Some(s.id),
            });
        }
        let s = SignRow {
            id: new_id(),
            home_id: h.id.clone(),
            state: SignState::Posted.as_str().into(),
            posted_by: Some(actor.user_id.clone()),
            posted_at: posted,
            photo_ref: input.photo_ref.clone(),
            removed_by: None,
            removed_at: None,
            removed_reason: None,
            unit_path: h.unit_path.clone(),
            version: 1,
            created_at: at,
        };
        store::insert_sign(conn, &s)?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&h.unit_path)),
            at,
            "warning_sign",
            &s.id,
            "posted",
            None,
            Some(&json!({"home_id": h.id, "posted_at": utc(posted), "photo_ref": s.photo_ref})),
            None,
        )?;
        Ok(SignOut::from(&s))
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RemoveSign {
    pub version: i32,
    /// Required while someone is still quarantined at the home; at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
}

pub fn take_down_sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    sign_id: &str,
    input: RemoveSign,
) -> AppResult<SignOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let reason = input.reason.as_deref().map(require_reason).transpose()?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let s = match store::get_sign(conn, sign_id)? {
            Some(s) if scope.covers(&s.unit_path) => s,
            _ => return Err(AppError::not_found("warning sign")),
        };
        let still = store::home_episodes(conn, &s.home_id)?
            .iter()
            .any(|e| EpisodeState::parse(&e.state).is_some_and(EpisodeState::is_open));
        let state = SignState::parse(&s.state).unwrap_or(SignState::Removed);
        remove_sign(state, still, reason.as_deref())?;
        if s.version != input.version {
            return Err(AppError::StaleVersion { current: s.version });
        }
        if !store::remove_sign(conn, &s, &actor.user_id, at, reason.as_deref())? {
            return Err(AppError::StaleVersion {
                current: s.version + 1,
            });
        }
        events::record(
            conn,
            &who_as(actor, scope.role_at(&s.unit_path)),
            at,
            "warning_sign",
            &s.id,
            "removed",
            Some(&json!({"state": "posted"})),
            Some(&json!({"state": "removed"})),
            reason.as_deref(),
        )?;
        let after = store::get_sign(conn, &s.id)?.ok_or_else(|| AppError::not_found("sign"))?;
        Ok(SignOut::from(&after))
    })
}

/// Line list: signs still posted at homes where nobody is quarantined any more.
pub fn signs_not_removed(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: ListQuery,
) -> AppResult<Vec<SignOut>> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let rows = store::signs_left_posted(conn, &scope.ranges(), page_size(q.limit))?;
    Ok(rows.iter().map(SignOut::from).collect())
}

// ---- daily reports and follow-ups --------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct DailyReport {
    /// The local date reported on (default: today).
    pub date: Option<NaiveDate>,
    /// Temperature in °C, 30 to 45.
    #[schema(minimum = 30, maximum = 45)]
    pub temperature_c: Option<f64>,
    #[serde(default)]
    #[schema(schema_with = symptoms)]
    pub symptoms: Vec<String>,
    pub source: ReportSource,
}

/// Kept lower-case, so at most 50 characters: lower-casing can double one (`İ`), and a
/// symptom is kept up to 100.
fn symptoms() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let symptom = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(50))
        .pattern(Some("\\S"));
    ArrayBuilder::new()
        .items(symptom)
        .description(Some(
            "Symptoms, e.g. `cough`, `fever`, `loss_of_smell`; empty when none. Each holds 1 to 50 characters.",
        ))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub id: String,
    pub episode_id: String,
    pub date: NaiveDate,
    pub temperature_c: Option<f64>,
    pub symptoms: Vec<String>,
    pub source: String,
    /// The follow-up this report raised, if any.
    pub follow_up_id: Option<String>,
}

pub fn record_report(
    conn: &mut AnyConnection,
    actor: &Actor,
    episode_id: &str,
    input: DailyReport,
) -> AppResult<ReportOut> {
    let at = now();
    let today = vn_date(at);
    let date = input.date.unwrap_or(today);
    if date > today {
        return Err(AppError::field("date", "must not be in the future"));
    }
    if let Some(t) = input.temperature_c {
        if !(30.0..=45.0).contains(&t) {
            return Err(AppError::field("temperature_c", "must be 30 to 45 °C"));
        }
    }
    let mut symptoms = Vec::new();
    for (i, s) in input.symptoms.iter().enumerate() {
        let s = tidy(s).to_lowercase();
        if s.is_empty() || s.chars().count() > 100 {
            return Err(AppError::field(
                &format!("symptoms[{i}]"),
                "must be 1 to 100 characters",
            ));
        }
        symptoms.push(s);
    }
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::HomeQuarantine, episode_id)?;
        if e.mode != "home" || e.state != "active" {
            return Err(crate::domain::cases::Refused {
                state: format!("{} ({})", e.state, e.mode),
                command: "daily report".into(),
            }
            .into());
        }
        if date < e.admitted_at.map(vn_date).unwrap_or(today) {
            return Err(AppError::field("date", "is before the quarantine began"));
        }
        let r = ReportRow {
            id: new_id(),
            episode_id: e.id.clone(),
            report_date: date,
            temperature_c: input.temperature_c,
            symptoms: serde_json::to_string(&symptoms).map_err(anyhow::Error::from)?,
            source: input.source.as_str().into(),
            recorded_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_report(conn, &r)?;
        let who = who_as(actor, roles.first().copied());
        let mut follow_up_id = None;
        if report_needs_follow_up(input.temperature_c, &symptoms) {
            let f = follow_up(&e, FollowUpKind::Symptom, date, at);
            if store::raise_follow_up(conn, &f)? {
                follow_up_id = Some(f.id.clone());
                events::record(
                    conn,
                    &who,
                    at,
                    "episode",
                    &e.id,
                    "follow_up_raised",
                    None,
                    Some(&json!({"follow_up_id": f.id, "kind": f.kind, "for_date": date})),
                    None,
                )?;
            }
        }
        events::record(
            conn,
            &who,
            at,
            "episode",
            &e.id,
            "daily_report",
            None,
            Some(
                &json!({"report_id": r.id, "date": date, "temperature_c": r.temperature_c, "symptoms": symptoms}),
            ),
            None,
        )?;
        Ok(ReportOut {
            id: r.id,
            episode_id: e.id,
            date,
            temperature_c: r.temperature_c,
            symptoms,
            source: r.source,
            follow_up_id,
        })
    })
}

pub fn reports(
    conn: &mut AnyConnection,
    actor: &Actor,
    episode_id: &str,
) -> AppResult<Vec<ReportOut>> {
    let (e, _) = visible_episode(conn, actor, Action::HomeQuarantine, episode_id)?;
    Ok(store::reports_of(conn, &e.id)?
        .into_iter()
        .map(|r| ReportOut {
            symptoms: serde_json::from_str(&r.symptoms).unwrap_or_default(),
            id: r.id,
            episode_id: r.episode_id,
            date: r.report_date,
            temperature_c: r.temperature_c,
            source: r.source,
            follow_up_id: None,
        })
        .collect())
}

fn follow_up(
    e: &EpisodeRow,
    kind: FollowUpKind,
    date: NaiveDate,
    at: NaiveDateTime,
) -> FollowUpRow {
    FollowUpRow {
        id: new_id(),
        episode_id: e.id.clone(),
        kind: kind.as_str().into(),
        for_date: date,
        state: "open".into(),
        note: None,
        unit_path: e.unit_path.clone(),
        created_at: at,
        resolved_at: None,
        resolved_by: None,
    }
}

/// Raise a follow-up for each day an active home episode in scope did not report on (up to
/// yesterday). Idempotent: a day's follow-up is raised once.
pub fn raise_missed_reports(
    conn: &mut AnyConnection,
    scope_ranges: &[(String, String)],
    at: NaiveDateTime,
) -> AppResult<usize> {
    let today = vn_date(at);
    crate::db::write_tx(conn, |conn| {
        let eps = store::active_home_episodes(conn, scope_ranges)?;
        let ids: Vec<String> = eps.iter().map(|e| e.id.clone()).collect();
        let dates = store::report_dates(conn, &ids)?;
        let mut raised = 0;
        for e in &eps {
            let from = e.admitted_at.map(vn_date).unwrap_or(today);
            let reported: Vec<NaiveDate> = dates
                .iter()
                .filter(|(id, _)| id == &e.id)
                .map(|(_, d)| *d)
                .collect();
            for day in missed_days(from, today, &reported) {
                let f = follow_up(e, FollowUpKind::MissedReport, day, at);
                if store::raise_follow_up(conn, &f)? {
                    events::record(
                        conn,
                        &events::Who::default(),
                        at,
                        "episode",
                        &e.id,
                        "follow_up_raised",
                        None,
                        Some(&json!({"follow_up_id": f.id, "kind": f.kind, "for_date": day})),
                        Some("no daily report"),
                    )?;
                    raised += 1;
                }
            }
        }
        Ok(raised)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpOut {
    pub id: String,
    pub episode_id: String,
    pub kind: FollowUpKind,
    pub for_date: NaiveDate,
    pub state: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&FollowUpRow> for FollowUpOut {
    fn from(f: &FollowUpRow) -> Self {
        FollowUpOut {
            id: f.id.clone(),
            episode_id: f.episode_id.clone(),
            kind: FollowUpKind::parse(&f.kind).unwrap_or(FollowUpKind::Symptom),
            for_date: f.for_date,
            state: f.state.clone(),
            note: f.note.clone(),
            created_at: utc(f.created_at),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    pub kind: Option<FollowUpKind>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Open follow-ups in the jurisdiction; missed reports up to yesterday are raised first, so
/// `kind=missed_report` is the line list of homes with a missed report.
pub fn open_follow_ups(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: FollowUpQuery,
) -> AppResult<Page<FollowUpOut>> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let ranges = scope.ranges();
    raise_missed_reports(conn, &ranges, now())?;
    let limit = page_size(q.limit);
    let rows = store::open_follow_ups(
        conn,
        &ranges,
        q.kind.map(|k| k.as_str()),
        q.cursor.as_deref(),
        limit,
    )?;
    let items: Vec<FollowUpOut> = rows.iter().map(FollowUpOut::from).collect();
    Ok(Page::from_overfetch(items, limit, |f: &FollowUpOut| {
        f.id.clone()
    }))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ResolveFollowUp {
    /// What was found (a call, a visit, a test ordered), at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub note: String,
}

pub fn resolve_follow_up(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: ResolveFollowUp,
) -> AppResult<FollowUpOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let note = require_reason(&input.note)
        .map_err(|_| AppError::field("note", "must say what was done (at least 3 characters)"))?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let f = match store::get_follow_up(conn, id)? {
            Some(f) if scope.covers(&f.unit_path) => f,
            _ => return Err(AppError::not_found("follow-up")),
        };
        if !store::resolve_follow_up(conn, &f.id, &actor.user_id, at, Some(&note))? {
            return Err(crate::domain::cases::Refused {
                state: f.state,
                command: "resolve".into(),
            }
            .into());
        }
        events::record(
            conn,
            &who_as(actor, scope.role_at(&f.unit_path)),
            at,
            "episode",
            &f.episode_id,
            "follow_up_resolved",
            None,
            Some(&json!({"follow_up_id": f.id})),
            Some(&note),
        )?;
        let after =
            store::get_follow_up(conn, &f.id)?.ok_or_else(|| AppError::not_found("follow-up"))?;
        Ok(FollowUpOut::from(&after))
    })
}

// ---- violations and the police list --------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// Left the home during quarantine.
    LeftHome,
    /// Received visitors.
    Visitors,
    /// Removed or covered the warning sign.
    SignTampered,
    Other,
}

impl ViolationKind {
    fn as_str(self) -> &'static str {
        match self {
            ViolationKind::LeftHome => "left_home",
            ViolationKind::Visitors => "visitors",
            ViolationKind::SignTampered => "sign_tampered",
            ViolationKind::Other => "other",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ReportViolation {
    pub kind: ViolationKind,
    /// When it happened (default: now).
    pub occurred_at: Option<DateTime<Utc>>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
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
            kind: v.kind.clone(),
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
) -> AppResult<ViolationOut> {
    let at = now();
    let occurred = input.occurred_at.map(instant).unwrap_or(at);
    if occurred > at + chrono::Duration::minutes(5) {
        return Err(AppError::field("occurred_at", "must not be in the future"));
    }
    let note = input.note.as_deref().map(tidy);
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::field("note", "must be at most 1000 characters"));
    }
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::HomeQuarantine, episode_id)?;
        if e.mode != "home" || !matches!(e.state.as_str(), "active" | "absconded") {
            return Err(crate::domain::cases::Refused {
                state: format!("{} ({})", e.state, e.mode),
                command: "report violation".into(),
            }
            .into());
        }
        let v = ViolationRow {
            id: new_id(),
            episode_id: e.id.clone(),
            person_id: e.person_id.clone(),
            kind: input.kind.as_str().into(),
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
        events::record(
            conn,
            &who_as(actor, roles.first().copied()),
            at,
            "episode",
            &e.id,
            "violation",
            None,
            Some(&json!({"violation_id": v.id, "kind": v.kind, "occurred_at": utc(occurred)})),
            note.as_deref(),
        )?;
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
    q: ListQuery,
) -> AppResult<PoliceListOut> {
    let scope = actor.scope(Action::PoliceList)?;
    let limit = page_size(q.limit);
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
}

pub fn handle_violation(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: HandleViolation,
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
        if !store::handle_violation(conn, &v.id, &actor.user_id, at, &outcome)? {
            return Err(crate::domain::cases::Refused {
                state: "handled".into(),
                command: "handle".into(),
            }
            .into());
        }
        events::record(
            conn,
            &who_as(actor, scope.role_at(&v.unit_path)),
            at,
            "episode",
            &v.episode_id,
            "violation_handled",
            None,
            Some(&json!({"violation_id": v.id})),
            Some(&outcome),
        )?;
        let after =
            store::get_violation(conn, &v.id)?.ok_or_else(|| AppError::not_found("violation"))?;
        Ok(ViolationOut::from(&after))
    })
}
