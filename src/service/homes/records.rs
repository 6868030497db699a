//! Homes: created with their checklist, read and changed.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

fn check_officer(conn: &mut AnyConnection, id: &Option<String>) -> AppResult<()> {
    if let Some(o) = id {
        if users::get(conn, o)?.is_none() {
            return Err(AppError::field("officer_id", "no such user"));
        }
    }
    Ok(())
}

pub fn create_home(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateHome,
) -> AppResult<HomeOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let address = tidy(&input.address);
    if address.is_empty() || address.chars().count() > 500 {
        return Err(AppError::field("address", "must be 1 to 500 characters"));
    }
    let at = now();
    let id = input.id.map(|u| u.to_string()).unwrap_or_else(new_id);
    crate::db::write_tx(conn, |conn| {
        if let Some(h) = store::get_home(conn, &id)? {
            if !scope.covers(&h.unit_path) {
                return Err(AppError::conflict("this id belongs to another home"));
            }
            return home_out(conn, &h);
        }
        let unit = crate::service::unit_in_scope(conn, &scope, &input.unit_code)?;
        check_officer(conn, &input.officer_id)?;
        let h = HomeRow {
            id: id.clone(),
            address,
            unit_code: unit.code.clone(),
            unit_path: unit.path.clone(),
            own_room: input.checklist.own_room,
            own_toilet: input.checklist.own_toilet,
            no_shared_air_conditioning: input.checklist.no_shared_air_conditioning,
            officer_id: input.officer_id.clone(),
            version: 1,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            updated_at: at,
        };
        store::insert_home(conn, &h)?;
        Event::on(Entity::Home, &h.id, "created")
            .after(&json!({"checklist": input.checklist, "officer_id": h.officer_id}))
            .write(conn, &who_as(actor, scope.role_at(&h.unit_path)), at)?;
        home_out(conn, &h)
    })
}

pub fn get_home(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<HomeOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let h = visible_home(conn, &scope, id)?;
    home_out(conn, &h)
}

pub fn update_home(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: UpdateHome,
) -> AppResult<HomeOut> {
    let scope = actor.scope(Action::HomeQuarantine)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let h = visible_home(conn, &scope, id)?;
        versioned::expect(input.version, h.version)?;
        check_officer(conn, &input.officer_id)?;
        let c = input.checklist.unwrap_or_else(|| checklist_of(&h));
        let after = HomeRow {
            own_room: c.own_room,
            own_toilet: c.own_toilet,
            no_shared_air_conditioning: c.no_shared_air_conditioning,
            officer_id: input.officer_id.clone().or(h.officer_id.clone()),
            version: h.version + 1,
            updated_at: at,
            ..h.clone()
        };
        versioned::write(
            conn,
            h.version,
            |c| store::update_home(c, &after, h.version),
            Event::on(Entity::Home, &h.id, "updated")
                .before(&json!({"checklist": checklist_of(&h), "officer_id": h.officer_id}))
                .after(&json!({"checklist": c, "officer_id": after.officer_id})),
            &who_as(actor, scope.role_at(&h.unit_path)),
            at,
        )?;
        home_out(conn, &after)
    })
}
