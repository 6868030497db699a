//! Risk levels: recorded for communes (append-only history), derived for districts from
//! their communes' current levels.

use super::{require_reason, Page};
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::risk::{district_rank, CommuneCounts, RiskLevel, Scale};
use crate::domain::roles::{Action, Role};
use crate::domain::units::Level;
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::store::events::Who;
use crate::store::events::{Entity, Event};
use crate::store::risk::{self as store, RiskRow};
use crate::store::units::{self, UnitRow};
use crate::store::{new_id, now};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskLevelOut {
    pub id: String,
    pub unit_code: String,
    pub scale: Scale,
    pub level: RiskLevel,
    pub effective_at: DateTime<Utc>,
    pub reason: String,
    pub set_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&RiskRow> for RiskLevelOut {
    fn from(r: &RiskRow) -> Self {
        let level = r.level;
        RiskLevelOut {
            id: r.id.clone(),
            unit_code: r.unit_code.clone(),
            scale: r.scale,
            level,
            effective_at: r.effective_at.and_utc(),
            reason: r.reason.clone(),
            set_by: r.set_by.clone(),
            created_at: r.created_at.and_utc(),
        }
    }
}

fn unit_or_404(conn: &mut AnyConnection, code: &str) -> AppResult<UnitRow> {
    units::get(conn, code)?.ok_or_else(|| AppError::not_found("administrative unit"))
}

// ---- record -----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecordRiskLevel {
    pub scale: Scale,
    /// A level of that scale.
    pub level: RiskLevel,
    /// Default: now. A later time records a level announced in advance; at most a year from
    /// now.
    #[schema(value_type = Option<super::InstantSince2020>)]
    pub effective_at: Option<DateTime<Utc>>,
    /// The decision or the facts behind it, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    code: &str,
    input: RecordRiskLevel,
) -> AppResult<RiskLevelOut> {
    let scope = actor.scope(Action::RiskLevelSet)?;
    let reason = require_reason(&input.reason)?;
    if input.level.scale() != input.scale {
        return Err(AppError::field(
            "level",
            format!("is not a level of the {} scale", input.scale.as_str()),
        ));
    }
    let at = now();
    let effective_at = match input.effective_at {
        Some(t) => super::plausible_time("effective_at", t, at)?,
        None => at,
    };
    crate::db::write_tx(conn, |conn| {
        let unit = unit_or_404(conn, code)?;
        if !scope.covers(&unit.path) {
            return Err(AppError::Forbidden(
                "the unit is outside your jurisdiction".into(),
            ));
        }
        if unit.level != Level::Commune {
            return Err(AppError::field(
                "unit_code",
                "levels are recorded for communes; a district's is derived from them",
            ));
        }
        let row = RiskRow {
            id: new_id(),
            unit_code: unit.code.clone(),
            unit_path: unit.path.clone(),
            scale: input.scale,
            level: input.level,
            effective_at,
            reason,
            set_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert(conn, &row)?;
        let who = Who {
            actor_id: Some(actor.user_id.clone()),
            role: scope
                .role_at(&unit.path)
                .map(Role::as_str)
                .map(str::to_string),
        };
        Event::on(Entity::AdminUnit, &unit.code, "risk_level_recorded").after(&json!({"id": row.id, "scale": row.scale, "level": row.level, "effective_at": row.effective_at.and_utc()}),).reason(&row.reason).write(conn, &who, at)?;
        Ok(RiskLevelOut::from(&row))
    })
}

// ---- history ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this scale (default: both).
    pub scale: Option<Scale>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A unit's recorded levels, the newest effective first.
pub fn history(
    conn: &mut AnyConnection,
    actor: &Actor,
    code: &str,
    q: HistoryQuery,
) -> AppResult<Page<RiskLevelOut>> {
    actor.may(Action::UnitRead)?;
    let unit = unit_or_404(conn, code)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let after = match paging.after() {
        Some(c) => match store::get(conn, c)? {
            Some(r) if r.unit_code == unit.code => Some((r.effective_at, r.id)),
            _ => return Err(AppError::field("cursor", "unknown cursor")),
        },
        None => None,
    };
    let rows = store::history(
        conn,
        &unit.code,
        q.scale.map(Scale::as_str),
        after,
        paging.fetch(),
    )?;
    let out = rows.iter().map(RiskLevelOut::from).collect();
    Ok(paging.page(out, |r: &RiskLevelOut| r.id.clone()))
}

// ---- current ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CurrentQuery {
    /// The scale to answer on.
    #[param(required)]
    pub scale: Option<Scale>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelCount {
    pub level: RiskLevel,
    /// Communes at this level (those with none recorded count at the lowest).
    pub communes: usize,
}

/// What a district's level was derived from.
#[derive(Debug, Serialize, ToSchema)]
pub struct DerivedFrom {
    pub communes: usize,
    /// Communes with no level recorded on the scale (counted at the lowest level).
    pub unrecorded: usize,
    /// From the lowest level to the highest.
    pub by_level: Vec<LevelCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentRiskLevel {
    pub unit_code: String,
    pub unit_level: Level,
    pub scale: Scale,
    /// The commune's level in effect (absent when none was ever recorded), or the district's
    /// derived level.
    pub level: Option<RiskLevel>,
    /// For a commune: the entry in effect.
    pub since: Option<DateTime<Utc>>,
    pub entry_id: Option<String>,
    /// True for a district: the level is derived from its communes.
    pub derived: bool,
    /// For a district: the counts the level was derived from.
    pub derived_from: Option<DerivedFrom>,
}

pub fn current(
    conn: &mut AnyConnection,
    actor: &Actor,
    code: &str,
    q: CurrentQuery,
) -> AppResult<CurrentRiskLevel> {
    actor.may(Action::UnitRead)?;
    let scale = q
        .scale
        .ok_or_else(|| AppError::field("scale", "is required (qd2686 or nq128)"))?;
    let unit = unit_or_404(conn, code)?;
    level_at(conn, &unit, scale, now())?.ok_or_else(|| {
        AppError::field(
            "unit_code",
            "levels are kept for communes and derived for districts",
        )
    })
}

/// A commune's level in effect at an instant, or a district's derived from its communes';
/// `None` for other units.
pub(crate) fn level_at(
    conn: &mut AnyConnection,
    unit: &UnitRow,
    scale: Scale,
    at: NaiveDateTime,
) -> AppResult<Option<CurrentRiskLevel>> {
    Ok(match unit.level {
        Level::Commune => Some(commune_level(conn, unit, scale, at)?),
        Level::District => Some(district_level(conn, unit, scale, at)?),
        _ => None,
    })
}

fn commune_level(
    conn: &mut AnyConnection,
    unit: &UnitRow,
    scale: Scale,
    at: NaiveDateTime,
) -> AppResult<CurrentRiskLevel> {
    let rows = store::in_effect(conn, std::slice::from_ref(&unit.code), scale.as_str(), at)?;
    let entry = rows.first();
    Ok(CurrentRiskLevel {
        unit_code: unit.code.clone(),
        unit_level: Level::Commune,
        scale,
        level: entry.map(|r| r.level),
        since: entry.map(|r| r.effective_at.and_utc()),
        entry_id: entry.map(|r| r.id.clone()),
        derived: false,
        derived_from: None,
    })
}

fn district_level(
    conn: &mut AnyConnection,
    unit: &UnitRow,
    scale: Scale,
    at: NaiveDateTime,
) -> AppResult<CurrentRiskLevel> {
    let communes = store::communes_of(conn, &unit.code)?;
    let rows = store::in_effect(conn, &communes, scale.as_str(), at)?;
    // rows come each unit's newest first: the first row of a unit is its level in effect
    let levels: Vec<Option<RiskLevel>> = communes
        .iter()
        .map(|c| rows.iter().find(|r| &r.unit_code == c).map(|r| r.level))
        .collect();
    let counts = CommuneCounts::of(&levels);
    Ok(CurrentRiskLevel {
        unit_code: unit.code.clone(),
        unit_level: Level::District,
        scale,
        level: Some(scale.level(district_rank(&counts))),
        since: None,
        entry_id: None,
        derived: true,
        derived_from: Some(DerivedFrom {
            communes: counts.total(),
            unrecorded: counts.unrecorded,
            by_level: scale
                .levels()
                .iter()
                .zip(counts.by_rank)
                .map(|(l, n)| LevelCount {
                    level: *l,
                    communes: n,
                })
                .collect(),
        }),
    })
}
