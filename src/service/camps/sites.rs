//! Sites, their areas, rooms and beds.

use super::*;
use crate::store::events::{Entity, Event};

pub fn create_site(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateSite,
) -> AppResult<SiteOut> {
    let scope = actor.scope(Action::SiteManage)?;
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
    let name = tidy(&input.name);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", "must be 1 to 200 characters"));
    }
    let address = tidy(&input.address);
    if address.is_empty() || address.chars().count() > 500 {
        return Err(AppError::field("address", "must be 1 to 500 characters"));
    }
    if !(1..=100_000).contains(&input.capacity) {
        return Err(AppError::field("capacity", "must be 1 to 100000"));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let unit = crate::service::unit_in_scope(conn, &scope, &input.unit_code)?;
        if store::get_site(conn, &id)?.is_some() {
            return Err(AppError::Conflict {
                detail: format!("a site with id '{id}' exists"),
                existing_id: Some(id.clone()),
            });
        }
        let row = SiteRow {
            id: id.clone(),
            name,
            kind: input.kind,
            address,
            unit_code: unit.code.clone(),
            unit_path: unit.path.clone(),
            capacity: input.capacity,
            version: 1,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            updated_at: at,
        };
        store::insert_site(conn, &row)?;
        Event::on(Entity::Site, &row.id, "created")
            .after(&json!({"name": row.name, "unit_code": row.unit_code, "capacity": row.capacity}))
            .write(conn, &who_as(actor, scope.role_at(&unit.path)), at)?;
        Ok(site_outs(conn, vec![row])?.remove(0))
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SitesQuery {
    /// Only sites whose occupancy reaches this share of their capacity (0 to 1), e.g. 0.9.
    #[param(minimum = 0, maximum = 1)]
    pub near_capacity: Option<f64>,
}

/// The sites in scope with their occupancy; with `near_capacity`, the line list of camps
/// near capacity.
pub fn list_sites(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SitesQuery,
) -> AppResult<Vec<SiteOut>> {
    let scope: SiteScope = actor.site_scope(Action::SiteRead)?;
    if let Some(t) = q.near_capacity {
        if !(0.0..=1.0).contains(&t) || t.is_nan() {
            return Err(AppError::field("near_capacity", "must be between 0 and 1"));
        }
    }
    let ranges = scope.units.as_ref().map(|u| u.ranges()).unwrap_or_default();
    let rows = store::list_sites(conn, &ranges, &scope.sites)?;
    let mut out = site_outs(conn, rows)?;
    if let Some(t) = q.near_capacity {
        out.retain(|s| near_capacity(s.occupied, i64::from(s.capacity), t));
    }
    Ok(out)
}

pub fn get_site(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<SiteDetailOut> {
    let (site, _) = visible_site(conn, actor, Action::SiteRead, id)?;
    site_detail(conn, site)
}

fn site_detail(conn: &mut AnyConnection, site: SiteRow) -> AppResult<SiteDetailOut> {
    let areas = store::areas_of(conn, &site.id)?;
    let rooms = store::rooms_of(conn, &site.id)?;
    let beds = store::beds_of_site(conn, &site.id)?;
    let taken: HashSet<String> = store::residents(conn, &site.id)?
        .into_iter()
        .filter_map(|e| e.bed_id)
        .collect();
    let rooms = rooms
        .into_iter()
        .map(|r| {
            let beds: Vec<BedOut> = beds
                .iter()
                .filter(|b| b.room_id == r.id)
                .map(|b| BedOut {
                    id: b.id.clone(),
                    label: b.label.clone(),
                    occupied: taken.contains(&b.id),
                })
                .collect();
            RoomOut {
                occupied: beds.iter().filter(|b| b.occupied).count(),
                id: r.id,
                name: r.name,
                area_id: r.area_id,
                beds,
            }
        })
        .collect();
    Ok(SiteDetailOut {
        site: site_outs(conn, vec![site])?.remove(0),
        areas: areas
            .into_iter()
            .map(|a| AreaOut {
                id: a.id,
                name: a.name,
            })
            .collect(),
        rooms,
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateArea {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
}

pub fn create_area(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    input: CreateArea,
) -> AppResult<SiteDetailOut> {
    let name = tidy(&input.name);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "must be 1 to 100 characters"));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (site, role) = visible_site(conn, actor, Action::SiteLayout, site_id)?;
        if store::areas_of(conn, &site.id)?
            .iter()
            .any(|a| a.name == name)
        {
            return Err(AppError::field(
                "name",
                "the site has an area with this name",
            ));
        }
        let area = AreaRow {
            id: new_id(),
            site_id: site.id.clone(),
            name,
            created_at: at,
        };
        store::insert_area(conn, &area)?;
        Event::on(Entity::Site, &site.id, "area_added")
            .after(&json!({"area_id": area.id, "name": area.name}))
            .write(conn, &who_as(actor, Some(role)), at)?;
        site_detail(conn, site)
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    pub area_id: Option<String>,
    /// How many beds (labelled 1, 2, …), 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub beds: i32,
}

pub fn create_room(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    input: CreateRoom,
) -> AppResult<SiteDetailOut> {
    let name = tidy(&input.name);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "must be 1 to 100 characters"));
    }
    if !(1..=100).contains(&input.beds) {
        return Err(AppError::field("beds", "must be 1 to 100"));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (site, role) = visible_site(conn, actor, Action::SiteLayout, site_id)?;
        if let Some(a) = &input.area_id {
            match store::get_area(conn, a)? {
                Some(area) if area.site_id == site.id => {}
                _ => return Err(AppError::field("area_id", "no such area at this site")),
            }
        }
        if store::rooms_of(conn, &site.id)?
            .iter()
            .any(|r| r.name == name)
        {
            return Err(AppError::field(
                "name",
                "the site has a room with this name",
            ));
        }
        let room = RoomRow {
            id: new_id(),
            site_id: site.id.clone(),
            area_id: input.area_id.clone(),
            name,
            created_at: at,
        };
        let beds: Vec<BedRow> = (1..=input.beds)
            .map(|n| BedRow {
                id: new_id(),
                room_id: room.id.clone(),
                site_id: site.id.clone(),
                label: n.to_string(),
                created_at: at,
            })
            .collect();
        store::insert_room(conn, &room, &beds)?;
        Event::on(Entity::Site, &site.id, "room_added")
            .after(&json!({"room_id": room.id, "name": room.name, "beds": input.beds}))
            .write(conn, &who_as(actor, Some(role)), at)?;
        site_detail(conn, site)
    })
}
