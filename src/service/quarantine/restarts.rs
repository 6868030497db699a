//! Moving an episode to another regime, and restarting the quarantine of roommates.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

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
        versioned::expect(input.version, e.version)?;
        let state = e.state;
        crate::domain::quarantine::may_move_regime(state)?;
        let regime = store::get_regime(conn, &input.regime_id)?
            .ok_or_else(|| AppError::field("regime_id", "no such regime"))?;
        if regime.id == e.regime_id {
            return Err(AppError::field(
                "regime_id",
                "the episode is under this regime already",
            ));
        }
        let rules = regime_rules(&regime)?;
        let days = days_under(&regime_domain(&regime)?, e.level, e.mode)
            .map_err(|refused| AppError::field("regime_id", refused.to_string()))?;
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
            let now = crate::domain::happened::Happened::now(at);
            supersede(conn, &who_as(actor, roles.first().copied()), &e.id, &now)?;
            let admitted = e.admitted_at.map(vn_date).unwrap_or(vn_date(at));
            schedule_tests(conn, &after, admitted.max(vn_date(at)), at)?;
        }
        write_episode(conn, &after, e.version)?;
        Event::on(Entity::Episode, &e.id, "regime_moved")
            .before(&json!({"regime_id": e.regime_id, "days": e.days}))
            .after(&json!({"regime_id": after.regime_id, "days": after.days}))
            .reason(&reason)
            .write(conn, &who_as(actor, roles.first().copied()), at)?;
        let tests = store::tests_of(conn, &e.id)?;
        Ok(episode_out(&after, &tests, vn_date(at)))
    })
}

/// Day 1 of `e` moves to `day1` (a restart): `after` takes it, with the regime the day-1 rule
/// gives (`restart_regime`: the one in force on the new day 1 for an episode that followed
/// its day 1) and that regime's days and monitoring when it changes, else the days it has.
/// Returns what changed, for the event.
pub(super) fn restart_at(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    day1: NaiveDate,
    after: &mut EpisodeRow,
) -> AppResult<serde_json::Value> {
    let (_, all) = load_regimes(conn)?;
    let current = all.iter().find(|r| r.id == e.regime_id).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("episode {} without its regime", e.id))
    })?;
    let province = province_of(&e.unit_path);
    let moved = restart_regime(&all, current, (e.day1, day1), province, (e.level, e.mode));
    let mut changed = json!({"day1": day1});
    if let Some((next, days)) = moved {
        after.regime_id = next.id.clone();
        after.days = days as i32;
        after.monitoring_days = next.rules.monitoring_days(e.level) as i32;
        changed["regime_id"] = json!(next.id);
        changed["days"] = json!(days);
    }
    after.day1 = day1;
    after.release_from = crate::domain::quarantine::date_of_day(day1, after.days as u32 + 1);
    Ok(changed)
}

/// A new positive among people quarantined together: their episodes start again at day 1
/// on the date of that contact (called when a case is confirmed), under the regime of that
/// day 1 (`restart_at`).
pub fn restart_quarantined_with(
    conn: &mut AnyConnection,
    who: &Who,
    person: &str,
    contact_date: NaiveDate,
    h: &crate::domain::happened::Happened,
) -> AppResult<usize> {
    let at = h.at;
    let Some(own) = store::open_episode_of(conn, person)? else {
        return Ok(0);
    };
    let mut n = 0;
    for other in store::quarantined_with(conn, &own)? {
        if contact_date <= other.day1 {
            continue;
        }
        let mut after = EpisodeRow {
            version: other.version + 1,
            updated_at: h.recorded_at,
            ..other.clone()
        };
        let mut changed = restart_at(conn, &other, contact_date, &mut after)?;
        changed["positive_person_id"] = json!(person);
        supersede(conn, who, &other.id, h)?;
        schedule_tests(conn, &after, vn_date(at), h.recorded_at)?;
        write_episode(conn, &after, other.version)?;
        Event::on(Entity::Episode, &other.id, "restart")
            .before(&json!({"day1": other.day1, "regime_id": other.regime_id, "days": other.days}))
            .after(&changed)
            .reason("a new positive among people quarantined together")
            .write_fact(conn, who, h)?;
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
