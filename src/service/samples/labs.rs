//! Laboratories: registering them, and the one a technician works for.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateLab {
    /// A short code, lower case (`cdc-quang-ninh`): 1 to 64 letters, digits or '-'.
    #[schema(pattern = "^[a-z0-9-]{1,64}$")]
    pub id: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub unit_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabOut {
    pub id: String,
    pub name: String,
    pub unit_code: String,
}

pub fn create_lab(conn: &mut AnyConnection, actor: &Actor, input: CreateLab) -> AppResult<LabOut> {
    let scope = actor.scope(Action::LabManage)?;
    let id = input.id.trim().to_string();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(AppError::field(
            "id",
            "must be 1 to 64 lower-case letters, digits or '-'",
        ));
    }
    let name = crate::domain::text::tidy(&input.name);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", "must be 1 to 200 characters"));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let unit = crate::service::unit_in_scope(conn, &scope, &input.unit_code)?;
        if store::get_lab(conn, &id)?.is_some() {
            return Err(AppError::Conflict {
                detail: format!("a laboratory with id '{id}' exists"),
                existing_id: Some(id.clone()),
            });
        }
        let lab = LabRow {
            id: id.clone(),
            name,
            unit_code: unit.code,
            unit_path: unit.path,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_lab(conn, &lab)?;
        Event::on(Entity::Lab, &lab.id, "created")
            .after(&json!({"name": lab.name, "unit_code": lab.unit_code}))
            .write(conn, &who_as(actor, scope.role_at(&lab.unit_path)), at)?;
        Ok(LabOut {
            id: lab.id,
            name: lab.name,
            unit_code: lab.unit_code,
        })
    })
}

/// A laboratory inside the lab technician's jurisdiction.
pub(super) fn own_lab(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
) -> AppResult<(LabRow, Scope)> {
    let scope = actor.scope(Action::LabWork)?;
    match store::get_lab(conn, id)? {
        Some(l) if scope.covers(&l.unit_path) => Ok((l, scope)),
        _ => Err(AppError::not_found("laboratory")),
    }
}
