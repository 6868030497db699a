//! Home quarantine: the home and its checklist, the warning sign at the door, daily reports
//! that raise follow-ups, violations, and the police list.

use super::quarantine::{checklist_of, episode_out, visible_episode, EpisodeOut};
use super::SizeQuery;
use super::{require_reason, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::home::{
    follow_up_transition, missed_days, remove_sign, report_needs_follow_up, violation_transition,
    Checklist, FollowUpCommand, FollowUpKind, FollowUpState, ReportSource, SignState,
    ViolationCommand, ViolationState,
};
use crate::domain::roles::Action;
use crate::domain::text::tidy;
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::service::{utc, who_as};
use crate::store::events;
use crate::store::quarantine::{
    self as store, EpisodeRow, FollowUpRow, HomeRow, ReportRow, SignRow, ViolationRow,
};
use crate::store::{new_id, now, users};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateHome {
    pub id: Option<Uuid>,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub address: String,
    pub unit_code: String,
    pub checklist: Checklist,
    /// The commune officer who watches this home.
    pub officer_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpdateHome {
    pub checklist: Option<Checklist>,
    pub officer_id: Option<String>,
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignOut {
    pub id: String,
    pub home_id: String,
    pub state: SignState,
    pub posted_at: DateTime<Utc>,
    pub posted_by: Option<String>,
    pub photo_ref: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
    pub removed_reason: Option<String>,
    pub version: i32,
}

impl From<&SignRow> for SignOut {
    fn from(s: &SignRow) -> Self {
        SignOut {
            id: s.id.clone(),
            home_id: s.home_id.clone(),
            state: s.state,
            posted_at: utc(s.posted_at),
            posted_by: s.posted_by.clone(),
            photo_ref: s.photo_ref.clone(),
            removed_at: s.removed_at.map(utc),
            removed_by: s.removed_by.clone(),
            removed_reason: s.removed_reason.clone(),
            version: s.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HomeOut {
    pub id: String,
    pub address: String,
    pub unit_code: String,
    pub checklist: Checklist,
    /// What the address lacks for home quarantine; empty when suitable.
    pub missing: Vec<String>,
    pub officer_id: Option<String>,
    /// The episodes of everyone quarantined here (the person, household members, carers).
    pub episode_ids: Vec<String>,
    pub signs: Vec<SignOut>,
    pub version: i32,
}

fn home_out(conn: &mut AnyConnection, h: &HomeRow) -> AppResult<HomeOut> {
    let episodes = store::home_episodes(conn, &h.id)?;
    let signs = store::signs_of(conn, &h.id)?;
    let c = checklist_of(h);
    Ok(HomeOut {
        id: h.id.clone(),
        address: h.address.clone(),
        unit_code: h.unit_code.clone(),
        checklist: c,
        missing: c.missing().into_iter().map(str::to_string).collect(),
        officer_id: h.officer_id.clone(),
        episode_ids: episodes.into_iter().map(|e| e.id).collect(),
        signs: signs.iter().map(SignOut::from).collect(),
        version: h.version,
    })
}

fn visible_home(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<HomeRow> {
    match store::get_home(conn, id)? {
        Some(h) if scope.covers(&h.unit_path) => Ok(h),
        _ => Err(AppError::not_found("home")),
    }
}

mod records;
mod reports;
mod signs;
mod violations;

pub use records::*;
pub use reports::*;
pub use signs::*;
pub use violations::*;
