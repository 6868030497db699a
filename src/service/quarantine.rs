//! Quarantine: regimes as versioned data, episodes from order to close with their scheduled
//! tests, the restart of people quarantined with a new positive, and the line lists.

use super::Outcome;
use super::{require_reason, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::cases::Refused;
use crate::domain::home::HouseholdRole;
use crate::domain::quarantine::{
    episode_transition, may_command, plan, select_regime, shipped_regimes, Destination,
    EpisodeCommand, EpisodeFacts, EpisodeState, Mode, Regime, RegimeRules, TestDue,
};
use crate::domain::roles::{Action, Role};
use crate::domain::samples::{SampleKind, TestResult};
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::{utc, who_as};
use crate::store::events::{self, Who};
use crate::store::quarantine::{self as store, EpisodeFilter, EpisodeRow, RegimeRow, TestRow};
use crate::store::{new_id, now, page_size, people as people_store, trace as trace_store};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The province code of a unit path (`/22/203/06994/` → `22`).
fn province_of(path: &str) -> Option<&str> {
    path.split('/').find(|s| !s.is_empty())
}

// ---- regimes ----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct RegimeOut {
    pub id: String,
    /// Versions of one regime share a code.
    pub code: String,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub document: String,
    /// The province whose override this is; absent for national rules.
    pub province_code: Option<String>,
    pub rules: RegimeRules,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn regime_rules(r: &RegimeRow) -> AppResult<RegimeRules> {
    serde_json::from_str(&r.rules)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("regime {} rules: {e}", r.id)))
}

fn regime_out(r: &RegimeRow) -> AppResult<RegimeOut> {
    Ok(RegimeOut {
        id: r.id.clone(),
        code: r.code.clone(),
        version: r.version,
        effective_from: r.effective_from,
        document: r.document.clone(),
        province_code: r.province_code.clone(),
        rules: regime_rules(r)?,
        note: r.note.clone(),
        created_at: utc(r.created_at),
    })
}

fn regime_domain(r: &RegimeRow) -> AppResult<Regime> {
    Ok(Regime {
        id: r.id.clone(),
        effective_from: r.effective_from,
        province_code: r.province_code.clone(),
        version: r.version,
        rules: regime_rules(r)?,
    })
}

/// Load the regimes of DOMAIN.md §5 into a database that has none of them yet.
pub fn ensure_shipped_regimes(conn: &mut AnyConnection, at: NaiveDateTime) -> AppResult<usize> {
    let mut added = 0;
    for (from, document, rules) in shipped_regimes() {
        let code = format!("vn-{from}");
        if store::latest_version(conn, &code)?.is_some() {
            continue;
        }
        let row = RegimeRow {
            id: format!("{code}.v1"),
            code,
            version: 1,
            effective_from: from,
            document: document.into(),
            province_code: None,
            rules: serde_json::to_string(&rules).map_err(anyhow::Error::from)?,
            note: Some("shipped with the system".into()),
            created_by: None,
            created_at: at,
        };
        store::insert_regime(conn, &row)?;
        added += 1;
    }
    Ok(added)
}

pub fn list_regimes(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Vec<RegimeOut>> {
    actor.may(Action::RegimeRead)?;
    store::all_regimes(conn)?.iter().map(regime_out).collect()
}

pub fn get_regime(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<RegimeOut> {
    actor.may(Action::RegimeRead)?;
    let r = store::get_regime(conn, id)?.ok_or_else(|| AppError::not_found("regime"))?;
    regime_out(&r)
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateRegime {
    /// The code of the regime; a code already in use gets a new version. 1 to 64 letters,
    /// digits, '-', '_' or '.'.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub code: String,
    pub effective_from: NaiveDate,
    /// The document the rules come from ("5599/BYT-MT"), 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub document: String,
    /// For one province's override; absent for national rules.
    pub province_code: Option<String>,
    pub rules: RegimeRules,
    pub note: Option<String>,
}

/// Add a regime, or a new version of one: regimes are never edited, so an episode's rules
/// never change under it.
pub fn create_regime(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateRegime,
) -> AppResult<RegimeOut> {
    let scope = actor.scope(Action::RegimeManage)?;
    let code = input.code.trim().to_lowercase();
    if code.is_empty()
        || code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(AppError::field(
            "code",
            "must be 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let document = crate::domain::text::tidy(&input.document);
    if document.is_empty() || document.chars().count() > 200 {
        return Err(AppError::field("document", "must be 1 to 200 characters"));
    }
    input
        .rules
        .check()
        .map_err(|(field, msg)| AppError::field(&field, msg))?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let path = match &input.province_code {
            None => "/".to_string(),
            Some(p) => {
                let unit = crate::store::units::get(conn, p)?
                    .filter(|u| u.level == "province")
                    .ok_or_else(|| AppError::field("province_code", "no province has this code"))?;
                unit.path
            }
        };
        if !scope.covers(&path) {
            return Err(AppError::field(
                "province_code",
                "outside your jurisdiction",
            ));
        }
        let version = store::latest_version(conn, &code)?.unwrap_or(0) + 1;
        let row = RegimeRow {
            id: format!("{code}.v{version}"),
            code: code.clone(),
            version,
            effective_from: input.effective_from,
            document: document.clone(),
            province_code: input.province_code.clone(),
            rules: serde_json::to_string(&input.rules).map_err(anyhow::Error::from)?,
            note: input.note.as_deref().map(crate::domain::text::tidy),
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_regime(conn, &row)?;
        let out = regime_out(&row)?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&path)),
            at,
            "regime",
            &row.id,
            "created",
            None,
            Some(&serde_json::to_value(&out).map_err(anyhow::Error::from)?),
            None,
        )?;
        Ok(out)
    })
}

// ---- episodes ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct TestOut {
    pub id: String,
    /// `quarantine` or `monitoring`.
    pub phase: String,
    pub day: i32,
    pub due_date: NaiveDate,
    /// `negative`, `positive` or `inconclusive`; absent while pending.
    pub result: Option<String>,
    pub resulted_at: Option<DateTime<Utc>>,
    /// Replaced by a new schedule (a restart or a move to another regime).
    pub superseded: bool,
}

impl From<&TestRow> for TestOut {
    fn from(t: &TestRow) -> Self {
        TestOut {
            id: t.id.clone(),
            phase: t.phase.clone(),
            day: t.day,
            due_date: t.due_date,
            result: t.result.clone(),
            resulted_at: t.resulted_at.map(utc),
            superseded: t.superseded_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EpisodeOut {
    pub id: String,
    pub person_id: String,
    /// The level when ordered: 1 for F1, 2 for F2, 3 for F3.
    pub level: i32,
    pub mode: Mode,
    pub state: EpisodeState,
    pub regime_id: String,
    /// Day 1: the last contact with the F0 (or arrival).
    pub day1: NaiveDate,
    pub days: i32,
    /// Today's day number in local time.
    pub day_today: i64,
    /// The last day in quarantine (day N).
    pub last_day: NaiveDate,
    /// The first date the person may be released (day N+1).
    pub release_from: NaiveDate,
    pub monitoring_days: i32,
    pub site_id: Option<String>,
    pub room_id: Option<String>,
    pub bed_id: Option<String>,
    pub home_id: Option<String>,
    pub household_role: HouseholdRole,
    pub admitted_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    pub monitoring_from: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    /// For transfers: `hospital` or `home`.
    pub destination: Option<String>,
    /// The home episode that continues a camp one.
    pub next_episode_id: Option<String>,
    pub previous_episode_id: Option<String>,
    pub commitment_signed_at: Option<DateTime<Utc>>,
    pub tests: Vec<TestOut>,
    pub version: i32,
}

pub(crate) fn episode_out(e: &EpisodeRow, tests: &[TestRow], today: NaiveDate) -> EpisodeOut {
    EpisodeOut {
        id: e.id.clone(),
        person_id: e.person_id.clone(),
        level: e.level,
        mode: Mode::parse(&e.mode).unwrap_or(Mode::Home),
        state: EpisodeState::parse(&e.state).unwrap_or(EpisodeState::Ordered),
        regime_id: e.regime_id.clone(),
        day1: e.day1,
        days: e.days,
        day_today: crate::domain::quarantine::day_number(e.day1, today),
        last_day: e.release_from - Duration::days(1),
        release_from: e.release_from,
        monitoring_days: e.monitoring_days,
        site_id: e.site_id.clone(),
        room_id: e.room_id.clone(),
        bed_id: e.bed_id.clone(),
        home_id: e.home_id.clone(),
        household_role: HouseholdRole::parse(&e.household_role).unwrap_or(HouseholdRole::Person),
        admitted_at: e.admitted_at.map(utc),
        released_at: e.released_at.map(utc),
        monitoring_from: e.monitoring_from,
        closed_at: e.closed_at.map(utc),
        destination: e.destination.clone(),
        next_episode_id: e.next_episode_id.clone(),
        previous_episode_id: e.previous_episode_id.clone(),
        commitment_signed_at: e.commitment_signed_at.map(utc),
        tests: tests
            .iter()
            .filter(|t| t.episode_id == e.id)
            .map(TestOut::from)
            .collect(),
        version: e.version,
    }
}

fn today() -> NaiveDate {
    vn_date(now())
}

/// The roles under which the actor may act on an episode for `action`: unit grants that
/// cover the person, the site or the home; site grants that name the site.
pub(crate) fn roles_over(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: Action,
    e: &EpisodeRow,
) -> AppResult<Vec<Role>> {
    let mut places = vec![e.unit_path.clone()];
    if let Some(site) = &e.site_id {
        if let Some(s) = store::get_site(conn, site)? {
            places.push(s.unit_path);
        }
    }
    if let Some(home) = &e.home_id {
        if let Some(h) = store::get_home(conn, home)? {
            places.push(h.unit_path);
        }
    }
    let mut roles = Vec::new();
    for g in &actor.grants {
        if !crate::domain::roles::allows(g.role, action) {
            continue;
        }
        let covers = match (&g.unit_path, &g.site_id) {
            (Some(root), _) => places
                .iter()
                .any(|p| crate::domain::units::in_subtree(root, p)),
            (None, Some(site)) => e.site_id.as_deref() == Some(site.as_str()),
            (None, None) => false,
        };
        if covers && !roles.contains(&g.role) {
            roles.push(g.role);
        }
    }
    Ok(roles)
}

/// An episode the actor may see for `action`, or 404 (403 when no grant allows it at all).
pub(crate) fn visible_episode(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: Action,
    id: &str,
) -> AppResult<(EpisodeRow, Vec<Role>)> {
    actor.site_scope(action)?;
    let e = store::get_episode(conn, id)?.ok_or_else(|| AppError::not_found("episode"))?;
    let roles = roles_over(conn, actor, action, &e)?;
    if roles.is_empty() {
        return Err(AppError::not_found("episode"));
    }
    Ok((e, roles))
}

pub fn get_episode(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<EpisodeOut> {
    // read as a quarantine reader, else as a camp's staff: an episode neither may read is
    // not found, and only a role that may do neither is refused
    let (e, _) = match visible_episode(conn, actor, Action::QuarantineRead, id) {
        Err(first @ (AppError::Forbidden(_) | AppError::NotFound(_))) => {
            match visible_episode(conn, actor, Action::SiteResidents, id) {
                Err(AppError::Forbidden(_)) if matches!(first, AppError::NotFound(_)) => {
                    return Err(first)
                }
                other => other?,
            }
        }
        other => other?,
    };
    let tests = store::tests_of(conn, &e.id)?;
    Ok(episode_out(&e, &tests, today()))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct OrderEpisode {
    /// A client-made id: sending the same order again returns the episode made the first
    /// time.
    pub id: Option<Uuid>,
    pub person_id: String,
    pub mode: Mode,
    /// The camp, for concentrated quarantine.
    pub site_id: Option<String>,
    /// Why the person is quarantined with others at home (default: `person`).
    pub household_role: Option<HouseholdRole>,
    /// The level to quarantine at (1, 2 or 3), for people not classified (household
    /// members, carers, arrivals); a classified person's level is their classification.
    #[schema(minimum = 1, maximum = 3)]
    pub level: Option<i32>,
    /// Day 1 (default: the local date of the last contact with the person they were
    /// classified through, else today).
    pub day1: Option<NaiveDate>,
    /// A regime other than the one in force today (by id).
    pub regime_id: Option<String>,
    pub reason: Option<String>,
}

/// Order quarantine: the regime in force decides the days and tests; one episode in force
/// per person.
pub fn order_episode(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: OrderEpisode,
) -> AppResult<Outcome<EpisodeOut>> {
    let scope = actor.scope(Action::QuarantineOrder)?;
    let at = now();
    let today = vn_date(at);
    let id = input.id.map(|u| u.to_string()).unwrap_or_else(new_id);
    crate::db::write_tx(conn, |conn| {
        if let Some(existing) = store::get_episode(conn, &id)? {
            if existing.person_id != input.person_id || !scope.covers(&existing.unit_path) {
                return Err(AppError::Conflict {
                    detail: "this id belongs to another episode".into(),
                    existing_id: None,
                });
            }
            let tests = store::tests_of(conn, &id)?;
            return Ok(Outcome::Existing(episode_out(&existing, &tests, today)));
        }
        let person = match people_store::get(conn, &input.person_id)? {
            Some(p) if scope.covers(&p.row.unit_path) => p,
            _ => {
                return Err(AppError::field(
                    "person_id",
                    "no such person in your jurisdiction",
                ))
            }
        };
        if let Some(open) = store::open_episode_of(conn, &person.row.id)? {
            return Err(AppError::Conflict {
                detail: format!(
                    "the person already has an episode in state '{}'",
                    open.state
                ),
                existing_id: Some(open.id),
            });
        }
        let exposure =
            trace_store::exposure(conn, &person.row.id)?.filter(|x| x.status == "active");
        let level = match (&exposure, input.level) {
            (Some(x), _) if x.level == 0 => {
                return Err(AppError::field(
                    "person_id",
                    "an F0 is treated, not quarantined",
                ))
            }
            (Some(x), _) => x.level,
            (None, Some(l)) if (1..=3).contains(&l) => l,
            (None, Some(_)) => return Err(AppError::field("level", "must be 1, 2 or 3")),
            (None, None) => {
                return Err(AppError::field(
                    "level",
                    "the person is not classified: give the level to quarantine them at",
                ))
            }
        };
        let day1 = match input.day1 {
            Some(d) if d > today => {
                return Err(AppError::field("day1", "must not be in the future"))
            }
            Some(d) if d < today - Duration::days(60) => {
                return Err(AppError::field("day1", "must be within the last 60 days"))
            }
            Some(d) => d,
            None => {
                let via = exposure.as_ref().and_then(|x| x.via_person_id.clone());
                match via {
                    Some(v) => store::last_contact_between(conn, &person.row.id, &v)?
                        .map(vn_date)
                        .unwrap_or(today),
                    None => today,
                }
            }
        };
        let regime = match &input.regime_id {
            Some(rid) => store::get_regime(conn, rid)?
                .ok_or_else(|| AppError::field("regime_id", "no such regime"))?,
            None => {
                let rows = store::all_regimes(conn)?;
                let all: Vec<Regime> = rows.iter().map(regime_domain).collect::<AppResult<_>>()?;
                let chosen = select_regime(&all, today, province_of(&person.row.unit_path))
                    .ok_or_else(|| AppError::field("regime_id", "no regime is in force today"))?;
                rows.into_iter()
                    .find(|r| r.id == chosen.id)
                    .expect("chosen from these rows")
            }
        };
        let rules = regime_rules(&regime)?;
        let days = rules.days(level, input.mode).ok_or_else(|| {
            AppError::field(
                "mode",
                format!(
                    "the regime of {} has no {} quarantine for F{level}",
                    regime.document, input.mode
                ),
            )
        })?;
        let site_id = match (input.mode, &input.site_id) {
            (Mode::Concentrated, Some(s)) => {
                let site = store::get_site(conn, s)?
                    .ok_or_else(|| AppError::field("site_id", "no such site"))?;
                Some(site.id)
            }
            (Mode::Concentrated, None) => {
                return Err(AppError::field(
                    "site_id",
                    "a camp is needed for concentrated quarantine",
                ))
            }
            (Mode::Home, Some(_)) => {
                return Err(AppError::field("site_id", "home quarantine has no site"))
            }
            (Mode::Home, None) => None,
        };
        let p = plan(day1, days, &rules.test_days, today);
        let reason = input.reason.as_deref().map(crate::domain::text::tidy);
        let row = EpisodeRow {
            id: id.clone(),
            person_id: person.row.id.clone(),
            level,
            mode: input.mode.as_str().into(),
            state: EpisodeState::Ordered.as_str().into(),
            regime_id: regime.id.clone(),
            day1,
            days: days as i32,
            release_from: p.release_from,
            monitoring_days: rules.monitoring_days(level) as i32,
            site_id,
            room_id: None,
            bed_id: None,
            home_id: None,
            household_role: input
                .household_role
                .unwrap_or(HouseholdRole::Person)
                .as_str()
                .into(),
            admitted_at: None,
            released_at: None,
            monitoring_from: None,
            closed_at: None,
            destination: None,
            next_episode_id: None,
            previous_episode_id: None,
            commitment_signed_at: None,
            reason: reason.clone(),
            unit_path: person.row.unit_path.clone(),
            version: 1,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            updated_at: at,
        };
        store::insert_episode(conn, &row)?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&person.row.unit_path)),
            at,
            "episode",
            &row.id,
            "ordered",
            None,
            Some(
                &json!({"person_id": row.person_id, "mode": row.mode, "regime_id": row.regime_id,
                "day1": row.day1, "days": row.days, "site_id": row.site_id}),
            ),
            reason.as_deref(),
        )?;
        Ok(Outcome::Created(episode_out(&row, &[], today)))
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EpisodeQuery {
    pub state: Option<EpisodeState>,
    pub site_id: Option<String>,
    pub person_id: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn list_episodes(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: EpisodeQuery,
) -> AppResult<Page<EpisodeOut>> {
    let scope = actor.scope(Action::QuarantineRead)?;
    let limit = page_size(q.limit);
    let filter = EpisodeFilter {
        state: q.state.map(|s| s.as_str().to_string()),
        site_id: q.site_id,
        person_id: q.person_id,
        due_by: None,
        after: q.cursor,
        limit,
    };
    episodes_page(conn, &scope, filter)
}

fn episodes_page(
    conn: &mut AnyConnection,
    scope: &Scope,
    filter: EpisodeFilter,
) -> AppResult<Page<EpisodeOut>> {
    let limit = filter.limit;
    let rows = store::list_episodes(conn, &scope.ranges(), &filter)?;
    let ids: Vec<String> = rows.iter().map(|e| e.id.clone()).collect();
    let tests = store::tests_of_many(conn, &ids)?;
    let today = today();
    let items = rows.iter().map(|e| episode_out(e, &tests, today)).collect();
    Ok(Page::from_overfetch(items, limit, |e: &EpisodeOut| {
        e.id.clone()
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// The local date (default: today).
    pub date: Option<NaiveDate>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Line list: active episodes whose planned end is reached by the date (due for release).
pub fn due_for_release(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: DueQuery,
) -> AppResult<Page<EpisodeOut>> {
    let scope = actor.scope(Action::QuarantineRead)?;
    let filter = EpisodeFilter {
        due_by: Some(q.date.unwrap_or_else(today)),
        after: q.cursor,
        limit: page_size(q.limit),
        ..Default::default()
    };
    episodes_page(conn, &scope, filter)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotIsolatedOut {
    pub person_id: String,
    pub full_name: String,
    pub phones: Vec<String>,
    pub residence_unit_code: String,
    /// Classified F1 since.
    pub classified_at: DateTime<Utc>,
    /// The person they were classified through.
    pub via_person_id: Option<String>,
    /// An order not yet carried out, if any.
    pub ordered_episode_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Line list: F1s never admitted to quarantine (an order not yet carried out is shown).
pub fn not_isolated(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: ListQuery,
) -> AppResult<Page<NotIsolatedOut>> {
    let scope = actor.scope(Action::QuarantineRead)?;
    let limit = page_size(q.limit);
    let rows = store::f1_not_isolated(conn, &scope.ranges(), q.cursor.as_deref(), limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let people = people_store::get_many(conn, &ids)?;
    let mut items = Vec::new();
    for (person_id, classified_at, via) in rows {
        let Some(p) = people.iter().find(|p| p.row.id == person_id) else {
            continue;
        };
        let ordered = store::open_episode_of(conn, &person_id)?.map(|e| e.id);
        items.push(NotIsolatedOut {
            person_id,
            full_name: p.row.full_name.clone(),
            phones: p.phones.clone(),
            residence_unit_code: p.row.residence_unit_code.clone(),
            classified_at: utc(classified_at),
            via_person_id: via,
            ordered_episode_id: ordered,
        });
    }
    Ok(Page::from_overfetch(items, limit, |i: &NotIsolatedOut| {
        i.person_id.clone()
    }))
}

// ---- transitions ------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct EpisodeTransition {
    pub command: EpisodeCommand,
    pub version: i32,
    /// Required for `cancel`, `extend`, `restart` and `abscond`; at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
    /// For `extend`: the new number of days (more than now, at most 60).
    #[schema(minimum = 1, maximum = 60)]
    pub days: Option<u32>,
    /// For `restart`: the new day 1 (the date of the contact with the new positive).
    pub day1: Option<NaiveDate>,
    /// For `transfer`: `hospital` or `home`.
    pub destination: Option<Destination>,
    /// For `activate` at home: the home the person is quarantined in.
    pub home_id: Option<String>,
    /// For `activate` at home: the person signed the commitment.
    pub commitment_signed: Option<bool>,
}

/// Gather what the guards of an episode's moves read.
fn facts(conn: &mut AnyConnection, e: &EpisodeRow, today: NaiveDate) -> AppResult<EpisodeFacts> {
    let tests = store::tests_of(conn, &e.id)?;
    let describe = |phase: &str| -> Vec<String> {
        tests
            .iter()
            .filter(|t| t.phase == phase && t.superseded_at.is_none())
            .filter(|t| t.result.as_deref() != Some("negative"))
            .map(|t| match &t.result {
                None => format!("the day-{} {phase} test is pending", t.day),
                Some(r) => format!("the day-{} {phase} test is {r}", t.day),
            })
            .collect()
    };
    let monitoring_not_negative = describe("monitoring");
    let not_negative = describe("quarantine");
    let positive = tests
        .iter()
        .any(|t| t.result.as_deref() == Some("positive") && t.superseded_at.is_none())
        || trace_store::open_case_of(conn, &e.person_id)?.is_some();
    let regime = store::get_regime(conn, &e.regime_id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("episode without regime")))?;
    let rules = regime_rules(&regime)?;
    let home_transfer_allowed = rules.camp_to_home_after_negative_day.is_some_and(|day| {
        tests.iter().any(|t| {
            t.phase == "quarantine"
                && t.day == day as i32
                && t.superseded_at.is_none()
                && t.result.as_deref() == Some("negative")
        })
    });
    let upstream_cleared = e.level == 2 && rules.f2_release_on_f1_negative && {
        let via = trace_store::exposure(conn, &e.person_id)?.and_then(|x| x.via_person_id);
        match via {
            // the F1's quarantine is over: released (or closed after release) with every
            // scheduled test negative, and no case
            Some(f1) => {
                let mut cleared = false;
                for ep in store::episodes_of_person(conn, &f1)? {
                    if ep.released_at.is_some() {
                        let tests = store::tests_of(conn, &ep.id)?;
                        cleared |= tests
                            .iter()
                            .filter(|t| t.phase == "quarantine" && t.superseded_at.is_none())
                            .all(|t| t.result.as_deref() == Some("negative"));
                    }
                }
                cleared && trace_store::open_case_of(conn, &f1)?.is_none()
            }
            None => false,
        }
    };
    Ok(EpisodeFacts {
        today,
        release_from: e.release_from,
        tests_not_negative: not_negative,
        monitoring_days: e.monitoring_days.max(0) as u32,
        monitoring_from: e.monitoring_from,
        monitoring_tests_not_negative: monitoring_not_negative,
        positive,
        mode: Mode::parse(&e.mode),
        home_transfer_allowed,
        upstream_cleared,
    })
}

fn episode_regime(conn: &mut AnyConnection, e: &EpisodeRow) -> AppResult<RegimeRules> {
    let regime = store::get_regime(conn, &e.regime_id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("episode without regime")))?;
    regime_rules(&regime)
}

/// Schedule the quarantine tests of an episode from its regime, as of the admission date.
fn schedule_tests(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    admitted: NaiveDate,
    at: NaiveDateTime,
) -> AppResult<()> {
    let rules = episode_regime(conn, e)?;
    let p = plan(e.day1, e.days.max(1) as u32, &rules.test_days, admitted);
    // a home episode that continues a camp one keeps the camp's negative tests
    // (not after a restart: day 1 moved, every test is due again)
    let previous = match &e.previous_episode_id {
        Some(prev) => store::get_episode(conn, prev)?.filter(|p| p.day1 == e.day1),
        None => None,
    };
    let done: Vec<i32> = match previous.map(|p| p.id) {
        Some(prev) => store::tests_of(conn, &prev)?
            .into_iter()
            .filter(|t| t.result.as_deref() == Some("negative") && t.superseded_at.is_none())
            .map(|t| t.day)
            .collect(),
        None => Vec::new(),
    };
    let due: Vec<TestDue> = p
        .tests
        .into_iter()
        .filter(|t| !done.contains(&(t.day as i32)))
        .collect();
    insert_schedule(conn, e, "quarantine", &due, at)
}

/// Schedule the tests of the monitoring after release, counted from its first day.
fn schedule_monitoring_tests(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    from: NaiveDate,
    at: NaiveDateTime,
) -> AppResult<()> {
    let rules = episode_regime(conn, e)?;
    let days = e.monitoring_days.max(1) as u32;
    let p = plan(from, days, &rules.monitoring_test_days, from);
    insert_schedule(conn, e, "monitoring", &p.tests, at)
}

fn insert_schedule(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    phase: &str,
    due: &[TestDue],
    at: NaiveDateTime,
) -> AppResult<()> {
    let rows: Vec<TestRow> = due
        .iter()
        .map(|t| TestRow {
            id: new_id(),
            episode_id: e.id.clone(),
            phase: phase.into(),
            day: t.day as i32,
            due_date: t.due,
            result: None,
            resulted_at: None,
            recorded_by: None,
            superseded_at: None,
            created_at: at,
        })
        .collect();
    store::insert_tests(conn, &rows)?;
    // each scheduled test is a sample order (RT-PCR unless the officer changes it)
    order_samples_for(conn, e, &rows, SampleKind::RtPcr, "schedule", at)
}

/// What a transition needs beyond the episode: set by check-in (the bed) and by the home
/// activation (the home).
#[derive(Debug, Default, Clone)]
pub(crate) struct Placement {
    pub room_id: Option<String>,
    pub bed_id: Option<String>,
    pub home_id: Option<String>,
    pub commitment_signed: bool,
}

/// Apply one command to an episode inside the caller's transaction: guards, the new row,
/// its tests, the isolation of the person's exposure, the event. Returns the row written.
pub(crate) fn apply(
    conn: &mut AnyConnection,
    actor: &Actor,
    role: Role,
    e: &EpisodeRow,
    input: &EpisodeTransition,
    placement: Placement,
    at: NaiveDateTime,
) -> AppResult<EpisodeRow> {
    let today = vn_date(at);
    let state = EpisodeState::parse(&e.state).unwrap_or(EpisodeState::Ordered);
    let reason = match (&input.reason, input.command.needs_reason()) {
        (Some(r), _) => Some(require_reason(r)?),
        (None, true) => return Err(AppError::field("reason", "is required for this command")),
        (None, false) => None,
    };
    let f = facts(conn, e, today)?;
    let next = episode_transition(state, input.command, input.destination, &f)?;
    let who = who_as(actor, Some(role));
    let ended = format!("the episode moved: {}", input.command);
    let mut after = EpisodeRow {
        state: next.as_str().into(),
        version: e.version + 1,
        updated_at: at,
        ..e.clone()
    };
    let mut extra = json!({});
    match input.command {
        EpisodeCommand::Activate => {
            after.admitted_at = Some(at);
            after.room_id = placement.room_id.clone();
            after.bed_id = placement.bed_id.clone();
            if let Some(h) = &placement.home_id {
                after.home_id = Some(h.clone());
                after.commitment_signed_at = placement.commitment_signed.then_some(at);
            }
            schedule_tests(conn, e, today, at)?;
            isolate_exposure(conn, &e.person_id, at)?;
        }
        EpisodeCommand::Extend => {
            let days = input
                .days
                .ok_or_else(|| AppError::field("days", "the new number of days is required"))?;
            if days as i32 <= e.days || days > 60 {
                return Err(AppError::field(
                    "days",
                    format!("must be more than the {} days now, at most 60", e.days),
                ));
            }
            after.days = days as i32;
            after.release_from = crate::domain::quarantine::date_of_day(e.day1, days + 1);
            // the regime's test days that the longer quarantine now reaches
            let rules = episode_regime(conn, e)?;
            let admitted = e.admitted_at.map(vn_date).unwrap_or(today);
            let new_days: Vec<TestDue> = plan(e.day1, days, &rules.test_days, admitted)
                .tests
                .into_iter()
                .filter(|t| t.day as i32 > e.days)
                .collect();
            if e.admitted_at.is_some() {
                insert_schedule(conn, e, "quarantine", &new_days, at)?;
            }
            extra = json!({"days": days});
        }
        EpisodeCommand::Restart => {
            let day1 = input.day1.unwrap_or(today);
            if day1 > today || day1 < e.day1 {
                return Err(AppError::field(
                    "day1",
                    "must be between the current day 1 and today",
                ));
            }
            after.day1 = day1;
            after.release_from = crate::domain::quarantine::date_of_day(day1, e.days as u32 + 1);
            supersede(conn, &who, &e.id, at)?;
            schedule_tests(conn, &after, today, at)?;
            extra = json!({"day1": day1});
        }
        EpisodeCommand::Release => {
            cancel_pending_samples(conn, &who, &e.id, &ended, at)?;
            after.released_at = Some(at);
            after.room_id = None;
            after.bed_id = None;
        }
        EpisodeCommand::StartMonitoring => {
            // monitoring counts from the release, however late it is recorded
            let from = e.released_at.map(vn_date).unwrap_or(today);
            after.monitoring_from = Some(from);
            schedule_monitoring_tests(conn, e, from, at)?;
        }
        EpisodeCommand::Close | EpisodeCommand::Cancel => {
            cancel_pending_samples(conn, &who, &e.id, &ended, at)?;
            after.closed_at = Some(at);
        }
        EpisodeCommand::Transfer => {
            cancel_pending_samples(conn, &who, &e.id, &ended, at)?;
            after.destination = input.destination.map(|d| d.as_str().to_string());
            after.bed_id = None;
            if input.destination == Some(Destination::Home) {
                let next_id = new_id();
                after.next_episode_id = Some(next_id.clone());
                let home = EpisodeRow {
                    id: next_id,
                    mode: Mode::Home.as_str().into(),
                    state: EpisodeState::Ordered.as_str().into(),
                    site_id: None,
                    room_id: None,
                    bed_id: None,
                    admitted_at: None,
                    previous_episode_id: Some(e.id.clone()),
                    next_episode_id: None,
                    version: 1,
                    created_by: Some(actor.user_id.clone()),
                    created_at: at,
                    updated_at: at,
                    ..e.clone()
                };
                // the camp episode leaves the open states first (one open episode per person)
                write(conn, &after, e.version)?;
                store::insert_episode(conn, &home)?;
                record_move(
                    conn,
                    actor,
                    role,
                    e,
                    &after,
                    input,
                    reason.as_deref(),
                    extra,
                    at,
                )?;
                return Ok(after);
            }
        }
        EpisodeCommand::Abscond => {
            after.bed_id = None;
        }
        EpisodeCommand::Return => {}
    }
    write(conn, &after, e.version)?;
    record_move(
        conn,
        actor,
        role,
        e,
        &after,
        input,
        reason.as_deref(),
        extra,
        at,
    )?;
    Ok(after)
}

fn write(conn: &mut AnyConnection, after: &EpisodeRow, version: i32) -> AppResult<()> {
    if !store::update_episode(conn, after, version)? {
        return Err(AppError::StaleVersion {
            current: version + 1,
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record_move(
    conn: &mut AnyConnection,
    actor: &Actor,
    role: Role,
    before: &EpisodeRow,
    after: &EpisodeRow,
    input: &EpisodeTransition,
    reason: Option<&str>,
    mut extra: serde_json::Value,
    at: NaiveDateTime,
) -> AppResult<()> {
    extra["state"] = json!(after.state);
    if let Some(d) = &after.destination {
        extra["destination"] = json!(d);
    }
    if let Some(b) = &after.bed_id {
        extra["bed_id"] = json!(b);
    }
    if let Some(n) = &after.next_episode_id {
        extra["next_episode_id"] = json!(n);
    }
    events::record(
        conn,
        &who_as(actor, Some(role)),
        at,
        "episode",
        &before.id,
        input.command.as_str(),
        Some(&json!({"state": before.state, "days": before.days, "day1": before.day1})),
        Some(&extra),
        reason,
    )?;
    Ok(())
}

/// A person in quarantine no longer passes the infection on: their exposure window ends.
fn isolate_exposure(conn: &mut AnyConnection, person: &str, at: NaiveDateTime) -> AppResult<()> {
    if let Some(x) = trace_store::exposure(conn, person)? {
        if x.level > 0 && x.window_end.is_none() && x.window_start <= at {
            trace_store::set_window_end(conn, person, Some(at), at)?;
        }
    }
    Ok(())
}

/// The role (among those the actor holds over the episode) that may give this command.
pub(crate) fn commanding_role(
    roles: &[Role],
    mode: Mode,
    command: EpisodeCommand,
) -> AppResult<Role> {
    roles
        .iter()
        .copied()
        .find(|r| may_command(*r, mode, command))
        .ok_or_else(|| {
            AppError::Forbidden(format!(
                "your role may not '{command}' a {mode} quarantine episode"
            ))
        })
}

pub fn transition_episode(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: EpisodeTransition,
) -> AppResult<EpisodeOut> {
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::QuarantineCommand, id)?;
        let mode = Mode::parse(&e.mode).unwrap_or(Mode::Home);
        let role = commanding_role(&roles, mode, input.command)?;
        if e.version != input.version {
            return Err(AppError::StaleVersion { current: e.version });
        }
        let placement = match (input.command, mode) {
            (EpisodeCommand::Activate, Mode::Concentrated) => {
                return Err(AppError::field(
                    "command",
                    "a camp resident is activated by checking in at the site",
                ))
            }
            (EpisodeCommand::Activate, Mode::Home) => {
                super::homes::home_placement(conn, actor, &e, &input)?
            }
            _ => Placement::default(),
        };
        if input.command == EpisodeCommand::Release && e.site_id.is_some() {
            crate::store::quarantine::lock_site(conn, e.site_id.as_deref().unwrap_or(""))?;
        }
        let after = apply(conn, actor, role, &e, &input, placement, at)?;
        let tests = store::tests_of(conn, &after.id)?;
        Ok(episode_out(&after, &tests, vn_date(at)))
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecordTestResult {
    /// `negative` or `inconclusive`; a positive goes through its sample at the laboratory.
    #[schema(value_type = EpisodeTestResult)]
    pub result: TestResult,
}

/// The results a scheduled test is recorded with here: the `TestResult`s but `positive`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum EpisodeTestResult {
    Negative,
    Inconclusive,
}

/// Record the outcome of a scheduled test (health officers).
pub fn record_test_result(
    conn: &mut AnyConnection,
    actor: &Actor,
    episode_id: &str,
    test_id: &str,
    input: RecordTestResult,
) -> AppResult<EpisodeOut> {
    if input.result == TestResult::Positive {
        // a positive makes a new F0: it goes through its sample at the laboratory (or the
        // case is confirmed), so that the case, the cascade and the transfer follow at once
        return Err(AppError::field(
            "result",
            "a positive is recorded through its sample at the laboratory, or by confirming the case",
        ));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::QuarantineOrder, episode_id)?;
        if !store::tests_of(conn, &e.id)?
            .iter()
            .any(|t| t.id == test_id)
        {
            return Err(AppError::not_found("scheduled test"));
        }
        let who = who_as(actor, roles.first().copied());
        // a result from elsewhere (another lab's system, a paper record): the sample ordered
        // for this test is not needed any more
        cancel_samples_of_tests(
            conn,
            &who,
            &[test_id.to_string()],
            "the result was recorded without it",
            at,
        )?;
        test_resulted(conn, &who, test_id, input.result, SampleKind::RtPcr, at)?;
        let tests = store::tests_of(conn, &e.id)?;
        Ok(episode_out(&e, &tests, vn_date(at)))
    })
}

/// A scheduled test has its result (from a sample, or recorded directly): write it, and for
/// an inconclusive one schedule the same day again today, with a new sample of `retest`
/// kind. An event on the episode either way.
pub(crate) fn test_resulted(
    conn: &mut AnyConnection,
    who: &Who,
    test_id: &str,
    result: TestResult,
    retest: SampleKind,
    at: NaiveDateTime,
) -> AppResult<()> {
    let Some(test) = store::get_test(conn, test_id)? else {
        return Err(AppError::not_found("scheduled test"));
    };
    let by = who.actor_id.clone().unwrap_or_default();
    if !store::set_test_result(conn, test_id, result.as_str(), at, &by)? {
        return Err(Refused {
            state: test.result.clone().unwrap_or_else(|| "superseded".into()),
            command: "record result".into(),
        }
        .into());
    }
    if result == TestResult::Inconclusive {
        let again = TestRow {
            id: new_id(),
            due_date: vn_date(at),
            result: None,
            resulted_at: None,
            recorded_by: None,
            superseded_at: None,
            created_at: at,
            ..test.clone()
        };
        store::insert_tests(conn, std::slice::from_ref(&again))?;
        // the retest stands for this day now: the inconclusive row no longer blocks release
        store::supersede_test(conn, test_id, at)?;
        let e = store::get_episode(conn, &test.episode_id)?
            .ok_or_else(|| AppError::not_found("episode"))?;
        order_samples_for(conn, &e, &[again], retest, "retest", at)?;
    }
    events::record(
        conn,
        who,
        at,
        "episode",
        &test.episode_id,
        "test_resulted",
        None,
        Some(&json!({"test_id": test_id, "day": test.day, "result": result.as_str()})),
        None,
    )?;
    Ok(())
}

/// Samples for scheduled tests: one ordered sample per test, due on its date.
fn order_samples_for(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    tests: &[TestRow],
    kind: SampleKind,
    origin: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let rows: Vec<crate::store::samples::SampleRow> = tests
        .iter()
        .map(|t| crate::store::samples::SampleRow {
            id: new_id(),
            person_id: e.person_id.clone(),
            kind: kind.as_str().into(),
            state: "ordered".into(),
            origin: origin.into(),
            episode_test_id: Some(t.id.clone()),
            round_id: None,
            replaces_sample_id: None,
            due_date: t.due_date,
            barcode: None,
            pool_id: None,
            lab_id: None,
            collected_at: None,
            received_at: None,
            resulted_at: None,
            result: None,
            note: None,
            unit_path: e.unit_path.clone(),
            version: 1,
            created_by: None,
            created_at: at,
            updated_at: at,
        })
        .collect();
    crate::store::samples::insert_samples(conn, &rows)?;
    Ok(())
}

/// Replace the pending tests of an episode (a restart, a new regime): the tests are kept,
/// marked superseded, and the samples ordered for them cancelled.
fn supersede(conn: &mut AnyConnection, who: &Who, e: &str, at: NaiveDateTime) -> AppResult<()> {
    cancel_pending_samples(conn, who, e, "the test schedule changed", at)?;
    store::supersede_pending_tests(conn, e, at)?;
    Ok(())
}

/// Cancel the samples still only ordered for an episode's pending tests, each an event.
fn cancel_pending_samples(
    conn: &mut AnyConnection,
    who: &Who,
    e: &str,
    why: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let pending: Vec<String> = store::tests_of(conn, e)?
        .into_iter()
        .filter(|t| t.result.is_none() && t.superseded_at.is_none())
        .map(|t| t.id)
        .collect();
    cancel_samples_of_tests(conn, who, &pending, why, at)
}

fn cancel_samples_of_tests(
    conn: &mut AnyConnection,
    who: &Who,
    tests: &[String],
    why: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let cancelled = crate::store::samples::cancel_ordered_for_tests(conn, tests, at)?;
    let rows: Vec<crate::store::events::EventRow> = cancelled
        .iter()
        .map(|id| crate::store::events::EventRow {
            id: new_id(),
            entity_type: "sample".into(),
            entity_id: id.clone(),
            action: "cancel".into(),
            actor_id: who.actor_id.clone(),
            actor_role: who.role.clone(),
            at,
            before_json: Some(json!({"state": "ordered"}).to_string()),
            after_json: Some(json!({"state": "cancelled"}).to_string()),
            reason: Some(why.to_string()),
        })
        .collect();
    crate::db::batch::insert_events(conn, &rows)?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct MoveRegime {
    pub regime_id: String,
    pub version: i32,
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

/// Move an episode to another regime, explicitly: the same day 1, the new regime's days and
/// tests; pending tests of the old schedule are kept, marked superseded.
pub fn move_regime(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: MoveRegime,
) -> AppResult<EpisodeOut> {
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::QuarantineOrder, id)?;
        if e.version != input.version {
            return Err(AppError::StaleVersion { current: e.version });
        }
        let state = EpisodeState::parse(&e.state).unwrap_or(EpisodeState::Ordered);
        if !matches!(state, EpisodeState::Ordered | EpisodeState::Active) {
            return Err(Refused {
                state: e.state.clone(),
                command: "move_regime".into(),
            }
            .into());
        }
        let regime = store::get_regime(conn, &input.regime_id)?
            .ok_or_else(|| AppError::field("regime_id", "no such regime"))?;
        if regime.id == e.regime_id {
            return Err(AppError::field(
                "regime_id",
                "the episode is under this regime already",
            ));
        }
        let rules = regime_rules(&regime)?;
        let mode = Mode::parse(&e.mode).unwrap_or(Mode::Home);
        let days = rules.days(e.level, mode).ok_or_else(|| {
            AppError::field(
                "regime_id",
                format!("the regime has no {mode} quarantine for F{}", e.level),
            )
        })?;
        let after = EpisodeRow {
            regime_id: regime.id.clone(),
            days: days as i32,
            release_from: crate::domain::quarantine::date_of_day(e.day1, days + 1),
            monitoring_days: rules.monitoring_days(e.level) as i32,
            version: e.version + 1,
            updated_at: at,
            ..e.clone()
        };
        if state == EpisodeState::Active {
            supersede(conn, &who_as(actor, roles.first().copied()), &e.id, at)?;
            let admitted = e.admitted_at.map(vn_date).unwrap_or(vn_date(at));
            schedule_tests(conn, &after, admitted.max(vn_date(at)), at)?;
        }
        write(conn, &after, e.version)?;
        events::record(
            conn,
            &who_as(actor, roles.first().copied()),
            at,
            "episode",
            &e.id,
            "regime_moved",
            Some(&json!({"regime_id": e.regime_id, "days": e.days})),
            Some(&json!({"regime_id": after.regime_id, "days": after.days})),
            Some(&reason),
        )?;
        let tests = store::tests_of(conn, &e.id)?;
        Ok(episode_out(&after, &tests, vn_date(at)))
    })
}

/// A new positive among people quarantined together: their episodes start again at day 1
/// on the date of that contact (called when a case is confirmed).
pub fn restart_quarantined_with(
    conn: &mut AnyConnection,
    who: &Who,
    person: &str,
    contact_date: NaiveDate,
    at: NaiveDateTime,
) -> AppResult<usize> {
    let Some(own) = store::open_episode_of(conn, person)? else {
        return Ok(0);
    };
    let mut n = 0;
    for other in store::quarantined_with(conn, &own)? {
        if contact_date <= other.day1 {
            continue;
        }
        let after = EpisodeRow {
            day1: contact_date,
            release_from: crate::domain::quarantine::date_of_day(
                contact_date,
                other.days as u32 + 1,
            ),
            version: other.version + 1,
            updated_at: at,
            ..other.clone()
        };
        supersede(conn, who, &other.id, at)?;
        schedule_tests(conn, &after, vn_date(at), at)?;
        write(conn, &after, other.version)?;
        events::record(
            conn,
            who,
            at,
            "episode",
            &other.id,
            "restart",
            Some(&json!({"day1": other.day1})),
            Some(&json!({"day1": contact_date, "positive_person_id": person})),
            Some("a new positive among people quarantined together"),
        )?;
        n += 1;
    }
    Ok(n)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The events of an episode, oldest first.
pub fn episode_history(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    q: HistoryQuery,
) -> AppResult<Page<super::EventOut>> {
    let (e, _) = visible_episode(conn, actor, Action::QuarantineRead, id)?;
    let limit = page_size(q.limit);
    let rows = events::history(conn, "episode", &[e.id], q.cursor.as_deref(), limit + 1)?;
    let items: Vec<super::EventOut> = rows.into_iter().map(super::EventOut::from).collect();
    Ok(Page::from_overfetch(items, limit, |e: &super::EventOut| {
        e.id.clone()
    }))
}
