//! Mass-sampling rounds of active cordon zones.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateRound {
    /// A client-made id: sending the same round again returns it, ordering nothing more.
    pub id: Option<Uuid>,
    pub kind: SampleKind,
    /// The local date of the round (default: today).
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOut {
    pub id: String,
    pub zone_id: String,
    pub date: NaiveDate,
    pub kind: String,
    /// Samples ordered for the zone's residents.
    pub ordered: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundsOut {
    pub rounds: Vec<RoundOut>,
    /// Whether the zone's communes are high-risk (every 2 days; else every 5 to 7).
    pub high_risk: bool,
    pub interval_days: i64,
    pub next_due: NaiveDate,
}

impl From<&RoundRow> for RoundOut {
    fn from(r: &RoundRow) -> Self {
        RoundOut {
            id: r.id.clone(),
            zone_id: r.zone_id.clone(),
            date: r.round_date,
            kind: r.kind.to_string(),
            ordered: r.ordered,
        }
    }
}

/// Whether any commune of a zone is at a high level (2686: high or very high; 128: orange or red).
fn zone_high_risk(conn: &mut AnyConnection, zone: &str, at: NaiveDateTime) -> AppResult<bool> {
    let codes: Vec<String> = crate::store::zones::units_of(conn, &[zone.to_string()])?
        .into_iter()
        .map(|u| u.unit_code)
        .collect();
    for scale in [Scale::Qd2686, Scale::Nq128] {
        let levels = crate::store::risk::in_effect(conn, &codes, scale.as_str(), at)?;
        // each unit's newest level in effect comes first
        let mut seen = std::collections::HashSet::new();
        for l in levels {
            if seen.insert(l.unit_code.clone()) && l.level.is_high() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn visible_zone(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
) -> AppResult<(crate::store::zones::ZoneRow, Vec<(String, String)>)> {
    let zone = crate::store::zones::get(conn, id)?.ok_or_else(|| AppError::not_found("zone"))?;
    let units = crate::store::zones::units_of(conn, std::slice::from_ref(&zone.id))?;
    // the part of the zone inside the actor's jurisdiction, as path ranges
    let mut ranges = Vec::new();
    for u in &units {
        for root in &scope.paths {
            if crate::domain::units::in_subtree(root, &u.unit_path) {
                ranges.push(crate::domain::units::subtree_range(&u.unit_path));
            } else if crate::domain::units::in_subtree(&u.unit_path, root) {
                ranges.push(crate::domain::units::subtree_range(root));
            }
        }
    }
    if ranges.is_empty() {
        return Err(AppError::not_found("zone"));
    }
    Ok((zone, ranges))
}

pub fn rounds(
    conn: &mut AnyConnection,
    actor: &Actor,
    zone_id: &str,
    rules: &Rules,
) -> AppResult<RoundsOut> {
    let scope = actor.scope(Action::SampleRead)?;
    let (zone, _) = visible_zone(conn, &scope, zone_id)?;
    let at = now();
    let rows = store::rounds_of(conn, &zone.id)?;
    let high = zone_high_risk(conn, &zone.id, at)?;
    let interval = round_interval_days(high, rules.round_interval_days);
    Ok(RoundsOut {
        next_due: next_round(rows.first().map(|r| r.round_date), vn_date(at), interval),
        rounds: rows.iter().map(RoundOut::from).collect(),
        high_risk: high,
        interval_days: interval,
    })
}

/// A mass-sampling round: a sample ordered for every resident of the zone inside the actor's
/// jurisdiction, in one transaction.
pub fn create_round(
    conn: &mut AnyConnection,
    actor: &Actor,
    zone_id: &str,
    input: CreateRound,
) -> AppResult<crate::service::Outcome<RoundOut>> {
    let scope = actor.scope(Action::SampleOrder)?;
    let at = now();
    let today = vn_date(at);
    let date = input.date.unwrap_or(today);
    if date < today || date > today + Duration::days(14) {
        return Err(AppError::field(
            "date",
            "must be from today to 14 days ahead",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        let (zone, ranges) = visible_zone(conn, &scope, zone_id)?;
        crate::domain::zones::may_order_round(zone.state)?;
        if let Some(id) = input.id {
            if let Some(r) = store::get_round(conn, &id.to_string())? {
                if r.zone_id != zone.id {
                    return Err(AppError::conflict("this id belongs to another round"));
                }
                return Ok(crate::service::Outcome::Existing(RoundOut::from(&r)));
            }
        }
        let round = RoundRow {
            id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
            zone_id: zone.id.clone(),
            round_date: date,
            kind: input.kind,
            ordered: 0,
            unit_path: zone.unit_path.clone(),
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_round(conn, &round)?;
        let mut ordered = 0;
        let mut after: Option<String> = None;
        loop {
            let page = store::residents(conn, &ranges, after.as_deref(), 5000)?;
            if page.is_empty() {
                break;
            }
            after = page.last().map(|r| r.0.clone());
            let rows: Vec<SampleRow> = page
                .iter()
                .map(|(id, path)| {
                    let mut s = new_sample(id, path, input.kind, "mass", date, at);
                    s.round_id = Some(round.id.clone());
                    s.created_by = Some(actor.user_id.clone());
                    s
                })
                .collect();
            ordered += rows.len();
            store::insert_samples(conn, &rows)?;
        }
        let done = RoundRow {
            ordered: ordered as i32,
            ..round
        };
        store::set_round_ordered(conn, &done.id, done.ordered)?;
        Event::on(Entity::Zone, &zone.id, "sampling_round")
            .after(
                &json!({"round_id": done.id, "date": date, "kind": done.kind, "ordered": ordered}),
            )
            .write(conn, &who_as(actor, scope.role_at(&zone.unit_path)), at)?;
        Ok(crate::service::Outcome::Created(RoundOut::from(&done)))
    })
}
