//! Cordon zones: declare (idempotent on the client's id), read, list, activate and lift, and
//! list the residents inside a zone for mass sampling.

use super::Outcome;
use super::{require_reason, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::roles::Action;
use crate::domain::text::tidy;
use crate::domain::units::{subtree_range, Level};
use crate::domain::zones::{
    check_declaration, common_ancestor, intersect_subtrees, times_after, zone_transition,
    ZoneCommand, ZoneLevel, ZoneState, ZoneTimes,
};
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::service::versioned;
use crate::service::Paging;
use crate::store::events::Who;
use crate::store::events::{Entity, Event};
use crate::store::zones::{self as store, ZoneInvestigationRow, ZoneRow, ZoneUnitRow};
use crate::store::{instant, now, units, workflow};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneOut {
    pub id: String,
    /// "Phong tỏa đảo Cái Bầu", "Chợ Cái Rồng".
    pub name: String,
    pub level: ZoneLevel,
    /// A named area (a market, a street) inside the zone's one unit; absent when the zone is
    /// the whole of its units.
    pub area_name: Option<String>,
    pub state: ZoneState,
    /// When the cordon took (or takes) effect: set at activation unless announced.
    pub start_at: Option<DateTime<Utc>>,
    /// When it was lifted.
    pub end_at: Option<DateTime<Utc>>,
    /// The latest reason given, at declaration or with a change (each one is kept in the
    /// zone's events).
    pub reason: Option<String>,
    pub unit_codes: Vec<String>,
    /// The investigations that caused the zone.
    pub investigation_ids: Vec<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A zone as loaded: the row with its units and investigation links.
struct Zone {
    row: ZoneRow,
    units: Vec<ZoneUnitRow>,
    investigations: Vec<String>,
}

impl Zone {
    fn state(&self) -> ZoneState {
        self.row.state
    }
    /// Visible when any of its units lies in the scope.
    fn seen_by(&self, scope: &Scope) -> bool {
        self.units.iter().any(|u| scope.covers(&u.unit_path))
    }
    /// Changed only by someone whose jurisdiction holds every one of its units.
    fn wholly_in(&self, scope: &Scope) -> bool {
        self.units.iter().all(|u| scope.covers(&u.unit_path))
    }
    fn out(&self) -> ZoneOut {
        let r = &self.row;
        ZoneOut {
            id: r.id.clone(),
            name: r.name.clone(),
            level: r.level,
            area_name: r.area_name.clone(),
            state: self.state(),
            start_at: r.start_at.map(|t| t.and_utc()),
            end_at: r.end_at.map(|t| t.and_utc()),
            reason: r.reason.clone(),
            unit_codes: self.units.iter().map(|u| u.unit_code.clone()).collect(),
            investigation_ids: self.investigations.clone(),
            version: r.version,
            created_by: r.created_by.clone(),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

fn who(actor: &Actor, scope: &Scope, path: &str) -> Who {
    Who {
        actor_id: Some(actor.user_id.clone()),
        role: scope.acting_role(path).map(|r| r.as_str().to_string()),
    }
}

/// Zones with their units and links, in the order of `rows`.
fn load_many(conn: &mut AnyConnection, rows: Vec<ZoneRow>) -> AppResult<Vec<Zone>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let units = store::units_of(conn, &ids)?;
    let links = store::investigations_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Zone {
            units: units
                .iter()
                .filter(|u| u.zone_id == row.id)
                .cloned()
                .collect(),
            investigations: links
                .iter()
                .filter(|l| l.zone_id == row.id)
                .map(|l| l.investigation_id.clone())
                .collect(),
            row,
        })
        .collect())
}

fn load(conn: &mut AnyConnection, id: &str) -> AppResult<Option<Zone>> {
    match store::get(conn, id)? {
        Some(row) => Ok(load_many(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// The zone when any of its units is in the scope; 404 otherwise, as if it did not exist.
fn visible(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<Zone> {
    match load(conn, id)? {
        Some(z) if z.seen_by(scope) => Ok(z),
        _ => Err(AppError::not_found("zone")),
    }
}

// ---- declare ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateZone {
    /// A client-made UUID: sending the same id again changes nothing.
    pub id: Option<Uuid>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub level: ZoneLevel,
    #[validate(length(max = 100))]
    #[schema(schema_with = zone_units)]
    pub unit_codes: Vec<String>,
    /// A named area inside exactly one unit ("Chợ Cái Rồng", "Khu tập thể Đồng Tâm").
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub area_name: Option<String>,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(schema_with = zone_investigations)]
    pub investigation_ids: Vec<Uuid>,
    /// An announced start ("from 0h on 2 February"); default: when it is activated. At most
    /// a year from now.
    #[schema(value_type = Option<super::InstantSince2020>)]
    pub start_at: Option<DateTime<Utc>>,
    /// Why the cordon is proposed.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

fn zone_units() -> utoipa::openapi::schema::Array {
    super::distinct_strings(
        1,
        100,
        false,
        "The administrative units the zone covers (communes, villages, a district …), each inside your jurisdiction.",
    )
}

fn zone_investigations() -> utoipa::openapi::schema::Array {
    super::distinct_strings(0, 100, true, "The investigations that caused the zone.")
}

/// Shape errors of the body and of the declaration together, one per field.
fn check_shape(input: &CreateZone) -> AppResult<()> {
    let mut errors = input
        .validate()
        .err()
        .map(|e| crate::error::validation_fields(&e, ""))
        .unwrap_or_default();
    if tidy(&input.name).is_empty() && !errors.iter().any(|e| e.field == "name") {
        errors.push(FieldError::new("name", "must not be empty"));
    }
    let area = input.area_name.as_deref().map(tidy);
    for e in check_declaration(&input.unit_codes, area.as_deref()) {
        if !errors.iter().any(|x| x.field == e.field) {
            errors.push(e);
        }
    }
    for (i, id) in input.investigation_ids.iter().enumerate() {
        if input.investigation_ids[..i].contains(id) {
            errors.push(FieldError::new(
                format!("investigation_ids[{i}]"),
                "is listed twice",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Each unit code names a unit below the country inside the scope.
fn resolve_units(
    conn: &mut AnyConnection,
    scope: &Scope,
    zone_id: &str,
    codes: &[String],
) -> AppResult<Vec<ZoneUnitRow>> {
    let mut out = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let field = format!("unit_codes[{i}]");
        let unit = units::get(conn, code)?.ok_or_else(|| {
            AppError::field(&field, format!("no administrative unit has code '{code}'"))
        })?;
        if unit.level == Level::Country {
            return Err(AppError::field(
                &field,
                "must be a province or a unit below it",
            ));
        }
        if !scope.covers(&unit.path) {
            return Err(AppError::field(
                &field,
                "the unit is outside your jurisdiction",
            ));
        }
        out.push(ZoneUnitRow {
            zone_id: zone_id.into(),
            unit_code: unit.code,
            unit_path: unit.path,
        });
    }
    Ok(out)
}

/// Each investigation exists inside the scope (one elsewhere is as unknown as a missing one).
fn resolve_investigations(
    conn: &mut AnyConnection,
    scope: &Scope,
    zone_id: &str,
    ids: &[Uuid],
) -> AppResult<Vec<ZoneInvestigationRow>> {
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match workflow::get_investigation(conn, &id.to_string())? {
            Some(inv) if scope.covers(&inv.unit_path) => out.push(ZoneInvestigationRow {
                zone_id: zone_id.into(),
                investigation_id: inv.id,
            }),
            _ => {
                return Err(AppError::field(
                    &format!("investigation_ids[{i}]"),
                    "no such investigation in your jurisdiction",
                ))
            }
        }
    }
    Ok(out)
}

pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateZone,
) -> AppResult<Outcome<ZoneOut>> {
    let scope = actor.scope(Action::ZoneManage)?;
    check_shape(&input)?;
    let at = now();
    if let Some(t) = input.start_at {
        super::plausible_time("start_at", t, at)?;
    }
    crate::db::write_tx(conn, |conn| create_in_tx(conn, actor, &scope, input, at))
}

fn create_in_tx(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    input: CreateZone,
    at: NaiveDateTime,
) -> AppResult<Outcome<ZoneOut>> {
    let id = input
        .id
        .map(|u| u.to_string())
        .unwrap_or_else(crate::store::new_id);
    if let Some(existing) = load(conn, &id)? {
        if existing.seen_by(scope) {
            return Ok(Outcome::Existing(existing.out()));
        }
        return Err(AppError::conflict(
            "this id is already used by another record",
        ));
    }
    let units = resolve_units(conn, scope, &id, &input.unit_codes)?;
    let links = resolve_investigations(conn, scope, &id, &input.investigation_ids)?;
    let reason = input.reason.as_deref().map(tidy).filter(|r| !r.is_empty());
    let row = ZoneRow {
        id: id.clone(),
        name: tidy(&input.name),
        level: input.level,
        area_name: input.area_name.as_deref().map(tidy),
        state: ZoneState::Proposed,
        start_at: input.start_at.map(instant),
        end_at: None,
        reason: reason.clone(),
        unit_path: common_ancestor(&units.iter().map(|u| &u.unit_path).collect::<Vec<_>>()),
        version: 1,
        created_by: Some(actor.user_id.clone()),
        created_at: at,
        updated_at: at,
    };
    store::insert(conn, &row, &units, &links)?;
    let zone = Zone {
        row,
        units,
        investigations: links.into_iter().map(|l| l.investigation_id).collect(),
    };
    let out = zone.out();
    Event::on(Entity::Zone, &id, "declared")
        .after(&serde_json::to_value(&out).unwrap_or_default())
        .reason_opt(reason.as_deref())
        .write(conn, &who(actor, scope, &zone.row.unit_path), at)?;
    Ok(Outcome::Created(out))
}

// ---- read -------------------------------------------------------------------------------

pub fn get(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<ZoneOut> {
    let scope = actor.scope(Action::ZoneRead)?;
    Ok(visible(conn, &scope, id)?.out())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZoneQuery {
    pub state: Option<ZoneState>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn list(conn: &mut AnyConnection, actor: &Actor, q: ZoneQuery) -> AppResult<Page<ZoneOut>> {
    let scope = actor.scope(Action::ZoneRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::list(
        conn,
        &scope.ranges(),
        q.state.map(ZoneState::as_str),
        paging.after(),
        paging.fetch(),
    )?;
    let out = load_many(conn, rows)?.iter().map(Zone::out).collect();
    Ok(paging.page(out, |z: &ZoneOut| z.id.clone()))
}

// ---- activate and lift ------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ZoneTransition {
    pub command: ZoneCommand,
    /// The version read: a stale one answers 409.
    pub version: i32,
    /// Why (required to lift), at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
}

fn transition_reason(input: &ZoneTransition) -> AppResult<Option<String>> {
    match input.reason.as_deref() {
        Some(r) if input.command.needs_reason() || !tidy(r).is_empty() => {
            require_reason(r).map(Some)
        }
        None if input.command.needs_reason() => {
            Err(AppError::field("reason", "say why the zone is lifted"))
        }
        _ => Ok(None),
    }
}

pub fn transition(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: ZoneTransition,
) -> AppResult<ZoneOut> {
    let scope = actor.scope(Action::ZoneManage)?;
    let reason = transition_reason(&input)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let zone = visible(conn, &scope, id)?;
        if !zone.wholly_in(&scope) {
            return Err(AppError::Forbidden(
                "the zone reaches outside your jurisdiction".into(),
            ));
        }
        let state = zone.state();
        let next = zone_transition(state, input.command)?;
        versioned::expect(input.version, zone.row.version)?;
        let times = times_after(
            input.command,
            ZoneTimes {
                start_at: zone.row.start_at,
                end_at: zone.row.end_at,
            },
            at,
        );
        let row = ZoneRow {
            state: next,
            start_at: times.start_at,
            end_at: times.end_at,
            reason: reason.clone().or(zone.row.reason.clone()),
            version: zone.row.version + 1,
            updated_at: at,
            ..zone.row.clone()
        };
        versioned::write(
            conn,
            zone.row.version,
            |c| store::update(c, &row, zone.row.version),
            Event::on(Entity::Zone, &row.id, input.command.as_str()).before(&json!({"state": state.as_str(), "start_at": zone.row.start_at.map(|t| t.and_utc())}),).after(&json!({"state": next.as_str(), "start_at": row.start_at.map(|t| t.and_utc()), "end_at": row.end_at.map(|t| t.and_utc())}),).reason_opt(reason.as_deref()),
            &who(actor, &scope, &row.unit_path),
            at,
        )?;
        Ok(Zone { row, ..zone }.out())
    })
}

// ---- residents --------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneResident {
    pub id: String,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub residence_address: Option<String>,
    pub residence_unit_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneResidents {
    pub zone_id: String,
    /// The zone's named area, when it has one.
    pub area_name: Option<String>,
    /// True for a named-area zone: addresses are not matched to the area, so every resident
    /// of its unit is listed.
    pub whole_unit_listed: bool,
    /// People whose residence is inside the zone's units and inside your jurisdiction, by id.
    pub items: Vec<ZoneResident>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentQuery {
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn residents(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    q: ResidentQuery,
) -> AppResult<ZoneResidents> {
    let scope = actor.scope(Action::ZoneResidentsRead)?;
    let zone = visible(conn, &scope, id)?;
    let zone_paths: Vec<String> = zone.units.iter().map(|u| u.unit_path.clone()).collect();
    let ranges: Vec<(String, String)> = intersect_subtrees(&zone_paths, &scope.paths)
        .iter()
        .map(|p| subtree_range(p))
        .collect();
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::residents(conn, &ranges, paging.after(), paging.fetch())?;
    let out = rows
        .into_iter()
        .map(|r| ZoneResident {
            birth_year: r
                .birth_year
                .or(r.birth_date.map(|d| chrono::Datelike::year(&d))),
            id: r.id,
            full_name: r.full_name,
            residence_address: r.residence_address,
            residence_unit_code: r.residence_unit_code,
        })
        .collect();
    let page = paging.page(out, |r: &ZoneResident| r.id.clone());
    Ok(ZoneResidents {
        zone_id: zone.row.id,
        whole_unit_listed: zone.row.area_name.is_some(),
        area_name: zone.row.area_name,
        items: page.items,
        next_cursor: page.next_cursor,
    })
}
