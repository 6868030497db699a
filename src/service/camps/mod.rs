//! Concentrated quarantine sites: the room map (areas, rooms, beds), check-in from a phone
//! by national ID or name, check-out, occupancy and the residents a camp manager sees.

use super::quarantine::{
    apply, commanding_role, episode_out, moved_at, EpisodeOut, EpisodeTransition, Placement,
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
use crate::store::quarantine::{self as store, AreaRow, BedRow, EpisodeRow, RoomRow, SiteRow};
use crate::store::{new_id, now, trace as trace_store};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};

pub use crate::domain::camps::SiteKind;

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
            kind: s.kind.to_string(),
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

mod check_ins;
mod residents;
mod sites;

pub use check_ins::*;
pub use residents::*;
pub use sites::*;
