//! Quarantine: regimes as versioned data, episodes from order to close with their scheduled
//! tests, the restart of people quarantined with a new positive, and the line lists.

use super::Outcome;
use super::{require_reason, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::home::HouseholdRole;
use crate::domain::quarantine::{
    days_under, episode_transition, may_command, plan, restart_regime, result_refused,
    select_regime, shipped_regimes, Destination, EpisodeCommand, EpisodeFacts, EpisodeState, Mode,
    Regime, RegimeRules, TestDue,
};
use crate::domain::roles::{Action, Role};
use crate::domain::samples::{SampleKind, TestResult};
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::service::{utc, who_as};
use crate::store::events::{self, Who};
use crate::store::quarantine::{self as store, EpisodeFilter, EpisodeRow, RegimeRow, TestRow};
use crate::store::{new_id, now, people as people_store, trace as trace_store};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The province code of a unit path (`/22/203/06994/` → `22`).
fn province_of(path: &str) -> Option<&str> {
    path.split('/').find(|s| !s.is_empty())
}

mod episodes;
mod history;
mod lists;
mod regimes;
mod restarts;
mod tests;
mod transitions;

pub use episodes::*;
pub use history::*;
pub use lists::*;
pub use regimes::*;
pub use restarts::*;
pub use tests::*;
pub use transitions::*;
