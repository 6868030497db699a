//! The administrative tree: read it, search it, add villages and quarters under a commune.

use super::Page;
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::roles::{Action, Role};
use crate::domain::text::{fold, tidy};
use crate::domain::units::{child_path, subtree_range, valid_custom_code, village_code, Level};
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::store::events::Who;
use crate::store::events::{Entity, Event};
use crate::store::now;
use crate::store::units::NewUnit;
use crate::store::units::{self as store, UnitRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    /// GSO code (provinces 2 digits, districts 3, communes 5); villages `<commune>-NNN`.
    pub code: String,
    pub parent_code: Option<String>,
    pub level: Level,
    pub name: String,
    /// As the official list says: tỉnh, huyện, xã, phường, thị trấn …
    pub unit_type: String,
}

impl From<&UnitRow> for UnitOut {
    fn from(u: &UnitRow) -> Self {
        UnitOut {
            code: u.code.clone(),
            parent_code: u.parent_code.clone(),
            level: u.level,
            name: u.name.clone(),
            unit_type: u.unit_type.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: UnitOut,
    /// Ancestors, from the country down to the parent.
    pub ancestors: Vec<UnitOut>,
}

pub fn get(conn: &mut AnyConnection, actor: &Actor, code: &str) -> AppResult<UnitDetail> {
    actor.may(Action::UnitRead)?;
    let unit = store::get(conn, code)?.ok_or_else(|| AppError::not_found("administrative unit"))?;
    let ancestors = store::ancestry(conn, &unit.path)?;
    Ok(UnitDetail {
        unit: UnitOut::from(&unit),
        ancestors: ancestors
            .iter()
            .filter(|a| a.code != unit.code)
            .map(UnitOut::from)
            .collect(),
    })
}

pub fn children(conn: &mut AnyConnection, actor: &Actor, code: &str) -> AppResult<Vec<UnitOut>> {
    actor.may(Action::UnitRead)?;
    store::get(conn, code)?.ok_or_else(|| AppError::not_found("administrative unit"))?;
    Ok(store::children(conn, code)?
        .iter()
        .map(UnitOut::from)
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitSearch {
    /// Part of the name, diacritics and case ignored (`van don`).
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub level: Option<Level>,
    /// Only units under this one.
    pub within: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn search(conn: &mut AnyConnection, actor: &Actor, q: UnitSearch) -> AppResult<Page<UnitOut>> {
    actor.may(Action::UnitRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 200) {
        return Err(AppError::field("q", "must be at most 200 characters"));
    }
    let within = match q.within.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => {
            let u = store::get(conn, code)?
                .ok_or_else(|| AppError::field("within", format!("no unit has code '{code}'")))?;
            Some(subtree_range(&u.path))
        }
        None => None,
    };
    // the cursor is the last unit's code; paging follows the path order
    let after = match paging.after() {
        Some(code) => Some(
            store::get(conn, code)?
                .ok_or_else(|| AppError::field("cursor", "unknown cursor"))?
                .path,
        ),
        None => None,
    };
    let rows = store::search(
        conn,
        q.q.as_deref().unwrap_or(""),
        q.level,
        within,
        after.as_deref(),
        paging.fetch(),
    )?;
    let out = rows.iter().map(UnitOut::from).collect();
    Ok(paging.page(out, |u: &UnitOut| u.code.clone()))
}

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateVillage {
    /// Thôn, bản, ấp, tổ dân phố, khu phố …
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// Defaults to `thôn`.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    pub unit_type: Option<String>,
    /// Optional local code, 1 to 32 letters, digits, '-' or '_'; by default
    /// `<commune code>-NNN`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: Option<String>,
}

pub fn add_village(
    conn: &mut AnyConnection,
    actor: &Actor,
    commune_code: &str,
    input: CreateVillage,
) -> AppResult<UnitOut> {
    input.validate()?;
    let scope = actor.scope(Action::UnitCreate)?;
    let name = tidy(&input.name);
    if name.is_empty() {
        return Err(AppError::field("name", "must not be empty"));
    }
    if let Some(code) = &input.code {
        if !valid_custom_code(code) {
            return Err(AppError::field(
                "code",
                "1 to 32 letters, digits, '-' or '_'",
            ));
        }
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let commune = store::get(conn, commune_code)?
            .ok_or_else(|| AppError::not_found("administrative unit"))?;
        if !scope.covers(&commune.path) {
            return Err(AppError::Forbidden(
                "the commune is outside your jurisdiction".into(),
            ));
        }
        if commune.level != Level::Commune {
            return Err(AppError::conflict(
                "villages and quarters can be added only under a commune",
            ));
        }
        let siblings = store::children(conn, commune_code)?;
        if siblings.iter().any(|s| fold(&s.name) == fold(&name)) {
            return Err(AppError::conflict(format!(
                "the commune already has a unit named '{name}'"
            )));
        }
        let code = match &input.code {
            Some(c) => c.clone(),
            None => {
                let mut seq = store::count_children(conn, commune_code)? as u32 + 1;
                while store::get(conn, &village_code(commune_code, seq))?.is_some() {
                    seq += 1;
                }
                village_code(commune_code, seq)
            }
        };
        if store::get(conn, &code)?.is_some() {
            return Err(AppError::Conflict {
                detail: format!("the code '{code}' is taken"),
                existing_id: Some(code),
            });
        }
        let unit = NewUnit {
            code: code.clone(),
            parent_code: Some(commune.code.clone()),
            level: Level::Village,
            name_folded: fold(&name),
            name,
            unit_type: input
                .unit_type
                .as_deref()
                .map(tidy)
                .unwrap_or_else(|| "thôn".into()),
            path: child_path(&commune.path, &code),
            created_at: at,
            created_by: Some(actor.user_id.clone()),
        };
        store::insert_one(conn, &unit)?;
        let who = Who {
            actor_id: Some(actor.user_id.clone()),
            role: scope
                .role_at(&commune.path)
                .map(Role::as_str)
                .map(str::to_string),
        };
        let after = serde_json::json!({"code": unit.code, "name": unit.name, "parent_code": unit.parent_code, "unit_type": unit.unit_type});
        Event::on(Entity::AdminUnit, &unit.code, "created")
            .after(&after)
            .write(conn, &who, at)?;
        let row =
            store::get(conn, &code)?.ok_or_else(|| AppError::not_found("administrative unit"))?;
        Ok(UnitOut::from(&row))
    })
}
