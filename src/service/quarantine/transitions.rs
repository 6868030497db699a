//! Moves of an episode, each guarded by the facts, with its schedule of tests.

use super::*;
use crate::domain::cases::{exposure_transition, ExposureCommand};
use crate::domain::happened::Happened;
use crate::domain::home::{Checklist, HouseholdRole};
use crate::service::versioned;
use crate::store::events::{Entity, Event};
use crate::store::quarantine::HomeRow;

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
    /// For `restart`: the new day 1 (the date of the contact with the new positive). An
    /// episode under the regime of its old day 1 goes on under the one in force on the new
    /// day 1, with its days, when that regime allows its mode.
    pub day1: Option<NaiveDate>,
    /// For `transfer`: `hospital` or `home`.
    pub destination: Option<Destination>,
    /// For `activate` at home: the home the person is quarantined in.
    pub home_id: Option<String>,
    /// For `activate` at home: the person signed the commitment.
    pub commitment_signed: Option<bool>,
    /// When it happened (default: now): not before the episode's last move, at most a few
    /// minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a move more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// Gather what the guards of an episode's moves read.
fn facts(conn: &mut AnyConnection, e: &EpisodeRow, today: NaiveDate) -> AppResult<EpisodeFacts> {
    let tests = store::tests_of(conn, &e.id)?;
    let describe = |phase: &str| -> Vec<String> {
        tests
            .iter()
            .filter(|t| t.phase == phase && t.superseded_at.is_none())
            .filter(|t| t.result != Some(TestResult::Negative))
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
        .any(|t| t.result == Some(TestResult::Positive) && t.superseded_at.is_none())
        || trace_store::open_case_of(conn, &e.person_id)?.is_some();
    let regime = store::get_regime(conn, &e.regime_id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("episode without regime")))?;
    let rules = regime_rules(&regime)?;
    let home_transfer_allowed = rules.camp_to_home_after_negative_day.is_some_and(|day| {
        tests.iter().any(|t| {
            t.phase == "quarantine"
                && t.day == day as i32
                && t.superseded_at.is_none()
                && t.result == Some(TestResult::Negative)
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
                            .all(|t| t.result == Some(TestResult::Negative));
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
        mode: Some(e.mode),
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
pub(super) fn schedule_tests(
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
            .filter(|t| t.result == Some(TestResult::Negative) && t.superseded_at.is_none())
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
    h: &Happened,
) -> AppResult<EpisodeRow> {
    let at = h.at;
    let today = vn_date(at);
    let state = e.state;
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
        state: next,
        version: e.version + 1,
        updated_at: h.recorded_at,
        state_at: at,
        ..e.clone()
    };
    let mut extra = json!({});
    let mut written = false;
    match input.command {
        EpisodeCommand::Activate => {
            after.admitted_at = Some(at);
            after.room_id = placement.room_id.clone();
            after.bed_id = placement.bed_id.clone();
            if let Some(h) = &placement.home_id {
                after.home_id = Some(h.clone());
                after.commitment_signed_at = placement.commitment_signed.then_some(at);
            }
            schedule_tests(conn, e, today, h.recorded_at)?;
            isolate_exposure(conn, &e.person_id, h)?;
        }
        EpisodeCommand::Extend => extra = extend(conn, e, input.days, &mut after, today, h)?,
        EpisodeCommand::Restart => {
            extra = restart(conn, &who, e, input.day1, &mut after, today, h)?;
        }
        EpisodeCommand::Release => {
            cancel_pending_samples(conn, &who, &e.id, &ended, h.recorded_at)?;
            clear_exposure(conn, &who, &e.person_id, &e.id, h)?;
            after.released_at = Some(at);
            after.room_id = None;
            after.bed_id = None;
        }
        EpisodeCommand::StartMonitoring => {
            // monitoring counts from the release, however late it is recorded
            let from = e.released_at.map(vn_date).unwrap_or(today);
            after.monitoring_from = Some(from);
            schedule_monitoring_tests(conn, e, from, h.recorded_at)?;
        }
        EpisodeCommand::Close | EpisodeCommand::Cancel => {
            cancel_pending_samples(conn, &who, &e.id, &ended, h.recorded_at)?;
            after.closed_at = Some(at);
        }
        EpisodeCommand::Transfer => {
            cancel_pending_samples(conn, &who, &e.id, &ended, h.recorded_at)?;
            after.destination = input.destination;
            after.bed_id = None;
            if input.destination == Some(Destination::Home) {
                let home = home_episode(actor, e, h);
                after.next_episode_id = Some(home.id.clone());
                // the camp episode leaves the open states first (one open episode per person)
                write_episode(conn, &after, e.version)?;
                store::insert_episode(conn, &home)?;
                written = true;
            }
        }
        EpisodeCommand::Abscond => {
            after.bed_id = None;
        }
        EpisodeCommand::Return => {
            // back in camp through the check-in, with the bed it found
            if placement.bed_id.is_some() {
                after.room_id = placement.room_id.clone();
                after.bed_id = placement.bed_id.clone();
            }
        }
    }
    if !written {
        write_episode(conn, &after, e.version)?;
    }
    record_move(
        conn,
        actor,
        role,
        e,
        &after,
        input,
        reason.as_deref(),
        extra,
        h,
    )?;
    Ok(after)
}

/// Extend to `days` (more than now, at most 60), with the regime's test days it now reaches.
fn extend(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    days: Option<u32>,
    after: &mut EpisodeRow,
    today: NaiveDate,
    h: &Happened,
) -> AppResult<serde_json::Value> {
    let days = days.ok_or_else(|| AppError::field("days", "the new number of days is required"))?;
    if days as i32 <= e.days || days > 60 {
        return Err(AppError::field(
            "days",
            format!("must be more than the {} days now, at most 60", e.days),
        ));
    }
    after.days = days as i32;
    after.release_from = crate::domain::quarantine::date_of_day(e.day1, days + 1);
    let rules = episode_regime(conn, e)?;
    let admitted = e.admitted_at.map(vn_date).unwrap_or(today);
    let new_days: Vec<TestDue> = plan(e.day1, days, &rules.test_days, admitted)
        .tests
        .into_iter()
        .filter(|t| t.day as i32 > e.days)
        .collect();
    if e.admitted_at.is_some() {
        insert_schedule(conn, e, "quarantine", &new_days, h.recorded_at)?;
    }
    Ok(json!({"days": days}))
}

/// Start again at `day1` (between the current day 1 and today), under the regime of that
/// day 1 (`restart_at`), with a new test schedule.
fn restart(
    conn: &mut AnyConnection,
    who: &Who,
    e: &EpisodeRow,
    day1: Option<NaiveDate>,
    after: &mut EpisodeRow,
    today: NaiveDate,
    h: &Happened,
) -> AppResult<serde_json::Value> {
    let day1 = day1.unwrap_or(today);
    if day1 > today || day1 < e.day1 {
        return Err(AppError::field(
            "day1",
            "must be between the current day 1 and today",
        ));
    }
    let changed = restart_at(conn, e, day1, after)?;
    supersede(conn, who, &e.id, h)?;
    schedule_tests(conn, after, today, h.recorded_at)?;
    Ok(changed)
}

/// The home episode a camp episode transfers into: ordered, at the same day 1 and regime.
fn home_episode(actor: &Actor, e: &EpisodeRow, h: &Happened) -> EpisodeRow {
    EpisodeRow {
        id: new_id(),
        mode: Mode::Home,
        state: EpisodeState::Ordered,
        site_id: None,
        room_id: None,
        bed_id: None,
        admitted_at: None,
        previous_episode_id: Some(e.id.clone()),
        next_episode_id: None,
        version: 1,
        created_by: Some(actor.user_id.clone()),
        created_at: h.recorded_at,
        updated_at: h.recorded_at,
        ordered_at: h.at,
        state_at: h.at,
        ..e.clone()
    }
}

pub(super) fn write_episode(
    conn: &mut AnyConnection,
    after: &EpisodeRow,
    version: i32,
) -> AppResult<()> {
    versioned::applied(store::update_episode(conn, after, version)?, version)?;
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
    h: &Happened,
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
    Event::on(Entity::Episode, &before.id, input.command.as_str())
        .before(&json!({"state": before.state, "days": before.days, "day1": before.day1}))
        .after(&extra)
        .reason_opt(reason)
        .write_fact(conn, &who_as(actor, Some(role)), h)?;
    Ok(())
}

/// A person released is no longer an active F1 (or F2) and passes nothing on; a new
/// exposure after the release classifies them again (docs/domain.md §5).
fn clear_exposure(
    conn: &mut AnyConnection,
    who: &Who,
    person: &str,
    episode: &str,
    h: &Happened,
) -> AppResult<()> {
    let Some(x) = trace_store::exposure(conn, person)? else {
        return Ok(());
    };
    if x.level == 0 {
        return Ok(());
    }
    let Ok(status) = exposure_transition(x.status, ExposureCommand::Clear) else {
        // not in force (declassified, say): nothing to clear
        return Ok(());
    };
    trace_store::clear_exposure(conn, person, status, h.at, h.recorded_at)?;
    Event::on(Entity::Person, person, "cleared")
        .before(&json!({"status": x.status}))
        .after(&json!({"status": status, "cleared_at": crate::service::utc(h.at)}))
        .reason(format!("released from quarantine (episode {episode})"))
        .write_fact(conn, who, h)?;
    Ok(())
}

/// A person in quarantine no longer passes the infection on: their exposure window ends.
fn isolate_exposure(conn: &mut AnyConnection, person: &str, h: &Happened) -> AppResult<()> {
    if let Some(x) = trace_store::exposure(conn, person)? {
        if x.level > 0 && x.window_end.is_none() && x.window_start <= h.at {
            trace_store::set_window_end(conn, person, Some(h.at), h.recorded_at)?;
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
    rules: &crate::domain::rules::Rules,
) -> AppResult<EpisodeOut> {
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::QuarantineCommand, id)?;
        let mode = e.mode;
        let role = commanding_role(&roles, mode, input.command)?;
        versioned::expect(input.version, e.version)?;
        let h = moved_at(rules, at, &e, input.at, input.backdate_reason.as_deref())?;
        let placement = match (input.command, mode) {
            (c, m) if crate::domain::quarantine::goes_through_check_in(m, c) => {
                return Err(AppError::field(
                    "command",
                    "a camp resident is activated, or returns, by checking in at the site",
                ))
            }
            (EpisodeCommand::Activate, Mode::Home) => home_placement(conn, actor, &e, &input)?,
            _ => Placement::default(),
        };
        if input.command == EpisodeCommand::Release && e.site_id.is_some() {
            crate::store::quarantine::lock_site(conn, e.site_id.as_deref().unwrap_or(""))?;
        }
        let after = apply(conn, actor, role, &e, &input, placement, &h)?;
        let tests = store::tests_of(conn, &after.id)?;
        Ok(episode_out(&after, &tests, vn_date(at)))
    })
}

/// When a move of episode `e` claimed at `claimed` happened: not before the move that left
/// it in its state (its order, for an episode not yet begun).
pub(crate) fn moved_at(
    rules: &crate::domain::rules::Rules,
    now: NaiveDateTime,
    e: &EpisodeRow,
    claimed: Option<DateTime<Utc>>,
    reason: Option<&str>,
) -> AppResult<Happened> {
    let last = crate::service::happened::after(e.state_at, "the episode's last move");
    crate::service::happened::happened_at(rules, now, "at", claimed, reason, Some(last))
}

/// The checklist a home was found to meet.
pub(crate) fn checklist_of(h: &HomeRow) -> Checklist {
    Checklist {
        own_room: h.own_room,
        own_toilet: h.own_toilet,
        no_shared_air_conditioning: h.no_shared_air_conditioning,
    }
}

/// For activating a home episode: the home must be suitable, the person (not a household
/// member or carer) must have signed the commitment.
fn home_placement(
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
    if e.household_role == HouseholdRole::Person && !signed {
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
