//! Daily reports, the follow-ups they raise, and the missed days.

use super::*;
use crate::domain::rules::Rules;
use crate::service::happened::{after, happened, happened_at};
use crate::store::events::{Entity, Event};

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
    /// When it was given (default: now): not before the quarantine began, at most a few
    /// minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a report given more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
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
    rules: &Rules,
) -> AppResult<ReportOut> {
    // the bounds the episode sets are checked below
    let given = happened(
        rules,
        "at",
        input.at,
        input.backdate_reason.as_deref(),
        None,
    )?;
    let today = vn_date(given.at);
    let date = input.date.unwrap_or(today);
    if date > today {
        return Err(AppError::field(
            "date",
            "must not be after the day it was given",
        ));
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
        crate::domain::home::may_report_daily(e.mode, e.state)?;
        // when it was given first: a report before the quarantine began is refused by its time
        let began = e.admitted_at.map(|t| after(t, "the quarantine began"));
        let h = happened_at(
            rules,
            given.recorded_at,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            began,
        )?;
        if date < e.admitted_at.map(vn_date).unwrap_or(today) {
            return Err(AppError::field("date", "is before the quarantine began"));
        }
        let at = h.recorded_at;
        let r = ReportRow {
            id: new_id(),
            episode_id: e.id.clone(),
            report_date: date,
            temperature_c: input.temperature_c,
            symptoms: serde_json::to_string(&symptoms).map_err(anyhow::Error::from)?,
            source: input.source,
            recorded_by: Some(actor.user_id.clone()),
            created_at: h.recorded_at,
            reported_at: h.at,
        };
        store::insert_report(conn, &r)?;
        let who = who_as(actor, roles.first().copied());
        let mut follow_up_id = None;
        if report_needs_follow_up(input.temperature_c, &symptoms) {
            let f = follow_up(&e, FollowUpKind::Symptom, date, at);
            if store::raise_follow_up(conn, &f)? {
                follow_up_id = Some(f.id.clone());
                Event::on(Entity::Episode, &e.id, "follow_up_raised")
                    .after(&json!({"follow_up_id": f.id, "kind": f.kind, "for_date": date}))
                    .write_fact(conn, &who, &h)?;
            }
        }
        Event::on(Entity::Episode, &e.id, "daily_report").after(&json!({"report_id": r.id, "date": date, "temperature_c": r.temperature_c, "symptoms": symptoms}),).write_fact(conn, &who, &h)?;
        Ok(ReportOut {
            id: r.id,
            episode_id: e.id,
            date,
            temperature_c: r.temperature_c,
            symptoms,
            source: r.source.to_string(),
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
            source: r.source.to_string(),
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
        kind,
        for_date: date,
        state: FollowUpState::Open,
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
                    Event::on(Entity::Episode, &e.id, "follow_up_raised")
                        .after(&json!({"follow_up_id": f.id, "kind": f.kind, "for_date": day}))
                        .reason("no daily report")
                        .write(conn, &events::Who::default(), at)?;
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
            kind: f.kind,
            for_date: f.for_date,
            state: f.state.to_string(),
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
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::open_follow_ups(
        conn,
        &ranges,
        q.kind.map(|k| k.as_str()),
        paging.after(),
        paging.fetch(),
    )?;
    let items: Vec<FollowUpOut> = rows.iter().map(FollowUpOut::from).collect();
    Ok(paging.page(items, |f: &FollowUpOut| f.id.clone()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ResolveFollowUp {
    /// What was found (a call, a visit, a test ordered), at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub note: String,
    /// When it was done (default: now): not before the day it is for, at most a few minutes ahead of the
    /// server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why something done more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

pub fn resolve_follow_up(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: ResolveFollowUp,
    rules: &Rules,
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
        let next = follow_up_transition(f.state, FollowUpCommand::Resolve)?;
        let day = crate::domain::time::vn_midnight(f.for_date);
        let late = input.backdate_reason.as_deref();
        let h = happened_at(
            rules,
            at,
            "at",
            input.at,
            late,
            Some(after(day, "the day it is for")),
        )?;
        if !store::resolve_follow_up(
            conn,
            &f.id,
            f.state,
            next,
            &actor.user_id,
            h.at,
            Some(&note),
        )? {
            // resolved since it was read: refused from the state it is in now
            let now = store::get_follow_up(conn, &f.id)?.map_or(f.state, |f| f.state);
            follow_up_transition(now, FollowUpCommand::Resolve)?;
            return Err(AppError::Contention(
                "follow-up changed while resolving".into(),
            ));
        }
        Event::on(Entity::Episode, &f.episode_id, "follow_up_resolved")
            .after(&json!({"follow_up_id": f.id}))
            .reason(&note)
            .write_fact(conn, &who_as(actor, scope.role_at(&f.unit_path)), &h)?;
        let after =
            store::get_follow_up(conn, &f.id)?.ok_or_else(|| AppError::not_found("follow-up"))?;
        Ok(FollowUpOut::from(&after))
    })
}
