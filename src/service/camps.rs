//! Concentrated quarantine sites: the room map (areas, rooms, beds), check-in from a phone
//! by national ID or name, check-out, occupancy and the residents a camp manager sees.

use super::quarantine::{
    apply, commanding_role, episode_out, EpisodeOut, EpisodeTransition, Placement,
};
use super::Outcome;
use crate::auth::{Actor, SiteScope};
use crate::db::AnyConnection;
use crate::domain::camps::{admit_to_room, near_capacity, Occupant};
use crate::domain::quarantine::{Destination, EpisodeCommand, Mode};
use crate::domain::roles::{Action, Role};
use crate::domain::rules::Rules;
use crate::domain::text::{fold, tidy};
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::{utc, who_as};
use crate::store::events;
use crate::store::quarantine::{self as store, AreaRow, BedRow, EpisodeRow, RoomRow, SiteRow};
use crate::store::{new_id, now, trace as trace_store, units};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Barracks,
    Dormitory,
    Hotel,
    Other,
}

impl SiteKind {
    fn as_str(self) -> &'static str {
        match self {
            SiteKind::Barracks => "barracks",
            SiteKind::Dormitory => "dormitory",
            SiteKind::Hotel => "hotel",
            SiteKind::Other => "other",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    /// A short code, lower case (`vd-barracks-1`); camp-manager grants name it. 1 to 64
    /// letters, digits or '-'.
    #[schema(pattern = "^[a-z0-9-]{1,64}$")]
    pub id: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub kind: SiteKind,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub address: String,
    /// The administrative unit the site is in.
    pub unit_code: String,
    /// How many people the site may hold.
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteOut {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub unit_code: String,
    pub capacity: i32,
    /// Beds laid out in rooms.
    pub beds: i64,
    /// People checked in now.
    pub occupied: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomOut {
    pub id: String,
    pub name: String,
    pub area_id: Option<String>,
    pub beds: Vec<BedOut>,
    pub occupied: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BedOut {
    pub id: String,
    pub label: String,
    pub occupied: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaOut {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDetailOut {
    #[serde(flatten)]
    pub site: SiteOut,
    pub areas: Vec<AreaOut>,
    pub rooms: Vec<RoomOut>,
}

fn site_outs(conn: &mut AnyConnection, rows: Vec<SiteRow>) -> AppResult<Vec<SiteOut>> {
    let ids: Vec<String> = rows.iter().map(|s| s.id.clone()).collect();
    let occ: HashMap<String, i64> = store::occupancy(conn, &ids)?.into_iter().collect();
    let beds: HashMap<String, i64> = store::bed_counts(conn, &ids)?.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|s| SiteOut {
            beds: beds.get(&s.id).copied().unwrap_or(0),
            occupied: occ.get(&s.id).copied().unwrap_or(0),
            id: s.id,
            name: s.name,
            kind: s.kind,
            address: s.address,
            unit_code: s.unit_code,
            capacity: s.capacity,
        })
        .collect())
}

/// A site in the actor's scope for `action`, with the role they act under; 404 otherwise.
fn visible_site(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: Action,
    id: &str,
) -> AppResult<(SiteRow, Role)> {
    let scope = actor.site_scope(action)?;
    match store::get_site(conn, id)? {
        Some(s) => match scope.role_at(&s.id, &s.unit_path) {
            Some(role) => Ok((s, role)),
            None => Err(AppError::not_found("site")),
        },
        None => Err(AppError::not_found("site")),
    }
}

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
        let unit = match units::get(conn, &input.unit_code)? {
            Some(u) if scope.covers(&u.path) => u,
            _ => {
                return Err(AppError::field(
                    "unit_code",
                    "no such unit in your jurisdiction",
                ))
            }
        };
        if store::get_site(conn, &id)?.is_some() {
            return Err(AppError::Conflict {
                detail: format!("a site with id '{id}' exists"),
                existing_id: Some(id.clone()),
            });
        }
        let row = SiteRow {
            id: id.clone(),
            name,
            kind: input.kind.as_str().into(),
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
        events::record(
            conn,
            &who_as(actor, scope.role_at(&unit.path)),
            at,
            "site",
            &row.id,
            "created",
            None,
            Some(&json!({"name": row.name, "unit_code": row.unit_code, "capacity": row.capacity})),
            None,
        )?;
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
        events::record(
            conn,
            &who_as(actor, Some(role)),
            at,
            "site",
            &site.id,
            "area_added",
            None,
            Some(&json!({"area_id": area.id, "name": area.name})),
            None,
        )?;
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
        events::record(
            conn,
            &who_as(actor, Some(role)),
            at,
            "site",
            &site.id,
            "room_added",
            None,
            Some(&json!({"room_id": room.id, "name": room.name, "beds": input.beds})),
            None,
        )?;
        site_detail(conn, site)
    })
}

// ---- residents --------------------------------------------------------------------------

/// A camp resident as the camp sees them: enough to recognise and house them, nothing more.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampResident {
    pub episode_id: String,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub sex: Option<String>,
    /// The current level: 0 for F0 (to hospital), 1 for F1, …
    pub level: i32,
    pub state: String,
    pub room_id: Option<String>,
    pub bed_id: Option<String>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub day1: NaiveDate,
    pub release_from: NaiveDate,
    /// The next scheduled test not yet resulted.
    pub next_test_due: Option<NaiveDate>,
    pub version: i32,
}

/// Current levels: an open case is 0, else the active classification, else the ordered one.
fn current_levels(conn: &mut AnyConnection, eps: &[EpisodeRow]) -> AppResult<HashMap<String, i32>> {
    let people: Vec<String> = eps.iter().map(|e| e.person_id.clone()).collect();
    let mut levels: HashMap<String, i32> =
        eps.iter().map(|e| (e.person_id.clone(), e.level)).collect();
    for x in trace_store::exposures_of(conn, &people)? {
        if x.status == "active" {
            levels.insert(x.person_id.clone(), x.level);
        }
    }
    for c in trace_store::open_cases_of(conn, &people)? {
        levels.insert(c.person_id.clone(), 0);
    }
    Ok(levels)
}

fn residents_out(conn: &mut AnyConnection, eps: Vec<EpisodeRow>) -> AppResult<Vec<CampResident>> {
    let ids: Vec<String> = eps.iter().map(|e| e.person_id.clone()).collect();
    let basics = store::person_basics(conn, &ids)?;
    let levels = current_levels(conn, &eps)?;
    let ep_ids: Vec<String> = eps.iter().map(|e| e.id.clone()).collect();
    let tests = store::tests_of_many(conn, &ep_ids)?;
    Ok(eps
        .into_iter()
        .map(|e| {
            let b = basics.iter().find(|b| b.id == e.person_id);
            CampResident {
                full_name: b.map(|b| b.full_name.clone()).unwrap_or_default(),
                birth_year: b.and_then(|b| b.birth_year),
                sex: b.and_then(|b| b.sex.clone()),
                level: levels.get(&e.person_id).copied().unwrap_or(e.level),
                next_test_due: tests
                    .iter()
                    .filter(|t| t.episode_id == e.id && t.result.is_none())
                    .map(|t| t.due_date)
                    .min(),
                episode_id: e.id,
                state: e.state,
                room_id: e.room_id,
                bed_id: e.bed_id,
                admitted_at: e.admitted_at.map(utc),
                day1: e.day1,
                release_from: e.release_from,
                version: e.version,
            }
        })
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentsQuery {
    /// `resident` (checked in, the default) or `expected` (ordered here, not yet arrived).
    pub status: Option<ResidentStatus>,
    /// A national ID or a name (without diacritics is fine) to find one person.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResidentStatus {
    Resident,
    Expected,
}

pub fn residents(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    q: ResidentsQuery,
) -> AppResult<Vec<CampResident>> {
    let (site, _) = visible_site(conn, actor, Action::SiteResidents, site_id)?;
    let eps = match q.status.unwrap_or(ResidentStatus::Resident) {
        ResidentStatus::Resident => store::residents(conn, &site.id)?,
        ResidentStatus::Expected => {
            let (nid, name) = lookup_key(q.q.as_deref());
            store::expected_at_site(conn, &site.id, nid.as_deref(), name.as_deref())?
        }
    };
    residents_out(conn, eps)
}

/// A search key: digits are a national ID, anything else a name.
fn lookup_key(q: Option<&str>) -> (Option<String>, Option<String>) {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        None => (None, None),
        Some(s) if s.chars().all(|c| c.is_ascii_digit() || c == ' ') => {
            (Some(s.replace(' ', "")), None)
        }
        Some(s) => (None, Some(fold(s))),
    }
}

// ---- check-in and check-out --------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The episode ordered to this site; or find the person by `national_id` or `name`.
    pub episode_id: Option<String>,
    pub national_id: Option<String>,
    pub name: Option<String>,
    /// A room to put them in (default: the first room that may take them).
    pub room_id: Option<String>,
    /// A bed (default: the first free bed of the room).
    pub bed_id: Option<String>,
}

/// Check a person in: their ordered episode becomes active with a bed. Refused when the camp
/// or room is full, or when the room would mix an F0 with others or two admission cohorts.
pub fn check_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    input: CheckIn,
    rules: &Rules,
) -> AppResult<Outcome<CampResident>> {
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (site, _) = visible_site(conn, actor, Action::QuarantineCommand, site_id)?;
        // queue behind any other check-in at this site until this transaction ends
        store::lock_site(conn, &site.id)?;
        // a phone sending the same check-in again gets the same answer
        if let Some(id) = &input.episode_id {
            if let Some(e) = store::get_episode(conn, id)? {
                if e.state == "active" && e.site_id.as_deref() == Some(site.id.as_str()) {
                    return Ok(Outcome::Existing(residents_out(conn, vec![e])?.remove(0)));
                }
            }
        }
        let e = find_expected(conn, &site, &input)?;
        let roles = super::quarantine::roles_over(conn, actor, Action::QuarantineCommand, &e)?;
        let role = commanding_role(&roles, Mode::Concentrated, EpisodeCommand::Activate)?;
        let residents = store::residents(conn, &site.id)?;
        if residents.len() as i64 >= i64::from(site.capacity) {
            return Err(AppError::conflict(format!(
                "the camp is full: {} of {} places taken",
                residents.len(),
                site.capacity
            )));
        }
        let mut all = residents.clone();
        all.push(e.clone());
        let levels = current_levels(conn, &all)?;
        let arriving = Occupant {
            level: levels.get(&e.person_id).copied().unwrap_or(e.level),
            admitted_at: at,
        };
        if arriving.level == 0 {
            return Err(AppError::conflict(
                "the person is a confirmed case (F0): treatment, not a quarantine camp",
            ));
        }
        let (room_id, bed_id) = choose_bed(
            conn,
            &site,
            &residents,
            &levels,
            arriving,
            &input,
            Duration::hours(rules.cohort_hours),
        )?;
        let command = EpisodeTransition {
            command: EpisodeCommand::Activate,
            version: e.version,
            reason: None,
            days: None,
            day1: None,
            destination: None,
            home_id: None,
            commitment_signed: None,
        };
        let placement = Placement {
            room_id: Some(room_id),
            bed_id: Some(bed_id),
            ..Default::default()
        };
        let after = apply(conn, actor, role, &e, &command, placement, at)?;
        Ok(Outcome::Created(
            residents_out(conn, vec![after])?.remove(0),
        ))
    })
}

fn find_expected(
    conn: &mut AnyConnection,
    site: &SiteRow,
    input: &CheckIn,
) -> AppResult<EpisodeRow> {
    let found = match (&input.episode_id, &input.national_id, &input.name) {
        (Some(id), _, _) => match store::get_episode(conn, id)? {
            Some(e) if e.site_id.as_deref() == Some(site.id.as_str()) => {
                if e.state != "ordered" {
                    return Err(crate::domain::cases::Refused {
                        state: e.state,
                        command: "check in".into(),
                    }
                    .into());
                }
                vec![e]
            }
            _ => {
                return Err(AppError::field(
                    "episode_id",
                    "nobody is ordered to this site with this episode",
                ))
            }
        },
        (None, Some(nid), _) => {
            let nid: String = nid.chars().filter(|c| !c.is_whitespace()).collect();
            store::expected_at_site(conn, &site.id, Some(&nid), None)?
        }
        (None, None, Some(name)) => {
            store::expected_at_site(conn, &site.id, None, Some(&fold(name)))?
        }
        (None, None, None) => {
            return Err(AppError::field(
                "episode_id",
                "give the episode, the national ID or the name",
            ))
        }
    };
    match found.len() {
        0 => Err(AppError::not_found("person expected at this site")),
        1 => Ok(found.into_iter().next().expect("one")),
        n => Err(AppError::conflict(format!(
            "{n} people expected here match: check in by national ID or episode"
        ))),
    }
}

/// The room and bed for an arrival: the one asked for, or the first that may take them.
fn choose_bed(
    conn: &mut AnyConnection,
    site: &SiteRow,
    residents: &[EpisodeRow],
    levels: &HashMap<String, i32>,
    arriving: Occupant,
    input: &CheckIn,
    window: Duration,
) -> AppResult<(String, String)> {
    let beds = store::beds_of_site(conn, &site.id)?;
    let taken: HashSet<&str> = residents
        .iter()
        .filter_map(|e| e.bed_id.as_deref())
        .collect();
    let wanted_room = match (&input.bed_id, &input.room_id) {
        (Some(b), _) => {
            let bed = beds
                .iter()
                .find(|x| &x.id == b)
                .ok_or_else(|| AppError::field("bed_id", "no such bed at this site"))?;
            if taken.contains(bed.id.as_str()) {
                return Err(AppError::conflict("the bed is taken"));
            }
            Some(bed.room_id.clone())
        }
        (None, Some(r)) => match store::get_room(conn, r)? {
            Some(room) if room.site_id == site.id => Some(room.id),
            _ => return Err(AppError::field("room_id", "no such room at this site")),
        },
        (None, None) => None,
    };
    let rooms = store::rooms_of(conn, &site.id)?;
    let mut last_refusal = None;
    for room in rooms
        .iter()
        .filter(|r| wanted_room.as_ref().is_none_or(|w| w == &r.id))
    {
        let room_beds: Vec<&BedRow> = beds.iter().filter(|b| b.room_id == room.id).collect();
        let occupants: Vec<Occupant> = residents
            .iter()
            .filter(|e| e.room_id.as_deref() == Some(room.id.as_str()))
            .map(|e| Occupant {
                level: levels.get(&e.person_id).copied().unwrap_or(e.level),
                admitted_at: e.admitted_at.unwrap_or(e.created_at),
            })
            .collect();
        match admit_to_room(room_beds.len(), &occupants, arriving, window) {
            Ok(()) => {
                let bed = match &input.bed_id {
                    Some(b) => room_beds.iter().find(|x| &x.id == b),
                    None => room_beds.iter().find(|x| !taken.contains(x.id.as_str())),
                };
                if let Some(bed) = bed {
                    return Ok((room.id.clone(), bed.id.clone()));
                }
                last_refusal = Some(format!("room {}: the room is full", room.name));
            }
            Err(why) => last_refusal = Some(format!("room {}: {why}", room.name)),
        }
    }
    Err(AppError::conflict(match (wanted_room, last_refusal) {
        (Some(_), Some(why)) => format!("refused: {why}"),
        (None, Some(why)) => format!("no room can take this person (last tried: {why})"),
        (_, None) => "the site has no rooms laid out".to_string(),
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutKind {
    /// Released at the end of quarantine.
    Release,
    /// To hospital: the person is positive.
    Hospital,
    /// To home quarantine, where the regime allows after a negative test.
    Home,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CheckOut {
    pub episode_id: String,
    pub kind: CheckOutKind,
    pub version: i32,
    /// At least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
}

/// Check a resident out: a release, or a transfer to hospital or home. The bed is freed.
pub fn check_out(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    input: CheckOut,
) -> AppResult<EpisodeOut> {
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (site, _) = visible_site(conn, actor, Action::QuarantineCommand, site_id)?;
        store::lock_site(conn, &site.id)?;
        let e = match store::get_episode(conn, &input.episode_id)? {
            Some(e) if e.site_id.as_deref() == Some(site.id.as_str()) && e.state == "active" => e,
            _ => {
                return Err(AppError::field(
                    "episode_id",
                    "no resident of this site has this episode",
                ))
            }
        };
        if e.version != input.version {
            return Err(AppError::StaleVersion { current: e.version });
        }
        let (command, destination) = match input.kind {
            CheckOutKind::Release => (EpisodeCommand::Release, None),
            CheckOutKind::Hospital => (EpisodeCommand::Transfer, Some(Destination::Hospital)),
            CheckOutKind::Home => (EpisodeCommand::Transfer, Some(Destination::Home)),
        };
        let roles = super::quarantine::roles_over(conn, actor, Action::QuarantineCommand, &e)?;
        let role = commanding_role(&roles, Mode::Concentrated, command)?;
        let t = EpisodeTransition {
            command,
            version: e.version,
            reason: input.reason.clone(),
            days: None,
            day1: None,
            destination,
            home_id: None,
            commitment_signed: None,
        };
        let after = apply(conn, actor, role, &e, &t, Placement::default(), at)?;
        let tests = store::tests_of(conn, &after.id)?;
        Ok(episode_out(&after, &tests, vn_date(at)))
    })
}
