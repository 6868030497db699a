//! Trace: confirm F0s, log contacts, classify everyone downstream by cascade, correct
//! mistakes (never downgrading automatically), and read chains of exposure.

use super::notices::{ContactNotice, SentContact};
use super::people::{create_in_tx, CreatePerson};
use super::{require_reason, Page};
use super::{Made, Outcome};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::cases::{
    case_transition, exposure_command_of, exposure_transition, is_close, may_classify, CaseCommand,
    CaseState, ConfirmationTest, ExposureCommand, ExposureStatus, Proximity, Setting, Treatment,
};
use crate::domain::classification::{classify, f0_window, improve, label, through, Edge, Window};
use crate::domain::happened::Happened;
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::domain::text::tidy;
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::service::{utc, who};
use crate::store::events::insert_many as insert_events;
use crate::store::events::{self, Entity, Event, EventRow, Who};
use crate::store::people as people_store;
use crate::store::trace::upsert_exposures;
use crate::store::trace::{self as store, CaseRow, ContactRow, ExposureRow, ReviewRow};
use crate::store::{instant, new_id, now};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// How many people a command classified or moved up, by level.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct CascadeReport {
    /// People whose level was set or lowered.
    pub changed: usize,
    /// Of those, how many are now at each level (`F1`, `F2`, `F3`).
    pub by_level: BTreeMap<String, usize>,
    /// People whose exposure window was widened without a level change.
    pub widened: usize,
}

mod cascade;
mod cases;
mod chain;
mod clusters;
mod contacts;
mod corrections;
mod isolation;
mod notified;
mod reads;
mod reviews;

pub use cascade::*;
pub use cases::*;
pub use chain::*;
pub use clusters::*;
pub use contacts::*;
pub(crate) use corrections::*;
pub use isolation::*;
pub(crate) use notified::*;
pub use reads::*;
pub use reviews::*;
