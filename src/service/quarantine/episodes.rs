//! Episodes: ordering quarantine and reading an episode.

use super::*;
use crate::store::events::{Entity, Event};
use crate::store::trace::ExposureRow;

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
            result: t.result.map(String::from),
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
    /// The regime the episode is under (`GET /regimes/{id}`): the one in force on day 1,
    /// unless it was ordered under or moved to another by name.
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
        mode: e.mode,
        state: e.state,
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
        household_role: e.household_role,
        admitted_at: e.admitted_at.map(utc),
        released_at: e.released_at.map(utc),
        monitoring_from: e.monitoring_from,
        closed_at: e.closed_at.map(utc),
        destination: e.destination.map(String::from),
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

pub(super) fn today() -> NaiveDate {
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
    /// A regime other than the one in force on day 1 (by id).
    pub regime_id: Option<String>,
    pub reason: Option<String>,
    /// When it was ordered (default: now), at most a few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why an order given more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// Order quarantine: the regime in force on day 1 decides the days and tests; one episode in
/// force per person.
pub fn order_episode(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: OrderEpisode,
    time_rules: &crate::domain::rules::Rules,
) -> AppResult<Outcome<EpisodeOut>> {
    let scope = actor.scope(Action::QuarantineOrder)?;
    let h = crate::service::happened::happened(
        time_rules,
        "at",
        input.at,
        input.backdate_reason.as_deref(),
        None,
    )?;
    // the day it was ordered on
    let today = vn_date(h.at);
    let id = input.id.map(|u| u.to_string()).unwrap_or_else(new_id);
    crate::db::write_tx(conn, |conn| {
        if let Some(existing) = ordered_before(conn, &scope, &id, &input.person_id, today)? {
            return Ok(Outcome::Existing(existing));
        }
        let person = person_to_order(conn, &scope, &input.person_id)?;
        let exposure = trace_store::exposure(conn, &person.row.id)?
            .filter(|x| x.status == crate::domain::cases::ExposureStatus::Active);
        let level = level_to_quarantine(exposure.as_ref(), input.level)?;
        let day1 = day1_of(conn, input.day1, exposure.as_ref(), &person.row.id, today)?;
        let (regime, rules, days) =
            regime_and_days(conn, &input, level, day1, &person.row.unit_path)?;
        let site_id = site_for(conn, input.mode, input.site_id.as_deref())?;
        let p = plan(day1, days, &rules.test_days, today);
        let reason = input.reason.as_deref().map(crate::domain::text::tidy);
        let row = EpisodeRow {
            id: id.clone(),
            person_id: person.row.id.clone(),
            level,
            mode: input.mode,
            state: EpisodeState::Ordered,
            regime_id: regime.id.clone(),
            day1,
            days: days as i32,
            release_from: p.release_from,
            monitoring_days: rules.monitoring_days(level) as i32,
            site_id,
            room_id: None,
            bed_id: None,
            home_id: None,
            household_role: input.household_role.unwrap_or(HouseholdRole::Person),
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
            created_at: h.recorded_at,
            updated_at: h.recorded_at,
            ordered_at: h.at,
            state_at: h.at,
        };
        store::insert_episode(conn, &row)?;
        Event::on(Entity::Episode, &row.id, "ordered")
            .after(
                &json!({"person_id": row.person_id, "mode": row.mode, "regime_id": row.regime_id,
                "day1": row.day1, "days": row.days, "site_id": row.site_id}),
            )
            .reason_opt(reason.as_deref())
            .write_fact(
                conn,
                &who_as(actor, scope.role_at(&person.row.unit_path)),
                &h,
            )?;
        Ok(Outcome::Created(episode_out(
            &row,
            &[],
            vn_date(h.recorded_at),
        )))
    })
}

/// The level to quarantine at: the person's classification, or the one given for someone
/// not classified; an F0 is treated, not quarantined.
fn level_to_quarantine(exposure: Option<&ExposureRow>, asked: Option<i32>) -> AppResult<i32> {
    match (exposure, asked) {
        (Some(x), _) if x.level == 0 => Err(AppError::field(
            "person_id",
            "an F0 is treated, not quarantined",
        )),
        (Some(x), _) => Ok(x.level),
        (None, Some(l)) if (1..=3).contains(&l) => Ok(l),
        (None, Some(_)) => Err(AppError::field("level", "must be 1, 2 or 3")),
        (None, None) => Err(AppError::field(
            "level",
            "the person is not classified: give the level to quarantine them at",
        )),
    }
}

/// Day 1: as given (within the last 60 days), else the date of the last contact with the
/// person they were classified through, else today.
fn day1_of(
    conn: &mut AnyConnection,
    given: Option<NaiveDate>,
    exposure: Option<&ExposureRow>,
    person_id: &str,
    today: NaiveDate,
) -> AppResult<NaiveDate> {
    Ok(match given {
        Some(d) if d > today => return Err(AppError::field("day1", "must not be in the future")),
        Some(d) if d < today - Duration::days(60) => {
            return Err(AppError::field("day1", "must be within the last 60 days"))
        }
        Some(d) => d,
        None => match exposure.and_then(|x| x.via_person_id.as_deref()) {
            Some(v) => store::last_contact_between(conn, person_id, v)?
                .map(vn_date)
                .unwrap_or(today),
            None => today,
        },
    })
}

/// The regime asked for, or the one in force on day 1 where the person lives; its rules and
/// the days of `level` in the mode asked for, or a refusal that names the regime and the
/// modes it allows.
fn regime_and_days(
    conn: &mut AnyConnection,
    input: &OrderEpisode,
    level: i32,
    day1: NaiveDate,
    unit_path: &str,
) -> AppResult<(RegimeRow, RegimeRules, u32)> {
    let (regime, chosen) = match input.regime_id.as_deref() {
        Some(rid) => {
            let row = store::get_regime(conn, rid)?
                .ok_or_else(|| AppError::field("regime_id", "no such regime"))?;
            let domain = regime_domain(&row)?;
            (row, domain)
        }
        None => in_force_on(conn, day1, unit_path)?,
    };
    let days = days_under(&chosen, level, input.mode).map_err(|refused| {
        let refused = match input.regime_id {
            Some(_) => refused,
            None => refused.on_day1(day1),
        };
        AppError::field("mode", refused.to_string())
    })?;
    Ok((regime, chosen.rules, days))
}

/// The regime in force on `day1` where the person lives.
fn in_force_on(
    conn: &mut AnyConnection,
    day1: NaiveDate,
    unit_path: &str,
) -> AppResult<(RegimeRow, Regime)> {
    let (rows, all) = load_regimes(conn)?;
    let chosen = select_regime(&all, day1, province_of(unit_path)).ok_or_else(|| {
        AppError::field(
            "regime_id",
            format!("no regime was in force on day 1 ({day1}): name one"),
        )
    })?;
    let row = rows
        .into_iter()
        .find(|r| r.id == chosen.id)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "regime {} chosen but not loaded",
                chosen.id
            ))
        })?;
    Ok((row, chosen.clone()))
}

/// The camp of a concentrated quarantine; home quarantine has none.
fn site_for(
    conn: &mut AnyConnection,
    mode: Mode,
    site_id: Option<&str>,
) -> AppResult<Option<String>> {
    match (mode, site_id) {
        (Mode::Concentrated, Some(s)) => {
            let site = store::get_site(conn, s)?
                .ok_or_else(|| AppError::field("site_id", "no such site"))?;
            Ok(Some(site.id))
        }
        (Mode::Concentrated, None) => Err(AppError::field(
            "site_id",
            "a camp is needed for concentrated quarantine",
        )),
        (Mode::Home, Some(_)) => Err(AppError::field("site_id", "home quarantine has no site")),
        (Mode::Home, None) => Ok(None),
    }
}

/// The episode a client made before under this id (the same order sent again), if any.
fn ordered_before(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
    person_id: &str,
    today: NaiveDate,
) -> AppResult<Option<EpisodeOut>> {
    let Some(existing) = store::get_episode(conn, id)? else {
        return Ok(None);
    };
    if existing.person_id != person_id || !scope.covers(&existing.unit_path) {
        return Err(AppError::Conflict {
            detail: "this id belongs to another episode".into(),
            existing_id: None,
        });
    }
    let tests = store::tests_of(conn, id)?;
    Ok(Some(episode_out(&existing, &tests, today)))
}

/// The person to quarantine: in the jurisdiction, with no episode in force.
fn person_to_order(
    conn: &mut AnyConnection,
    scope: &Scope,
    person_id: &str,
) -> AppResult<people_store::Person> {
    let person = match people_store::get(conn, person_id)? {
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
    Ok(person)
}
