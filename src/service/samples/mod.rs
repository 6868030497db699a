//! Sampling: ad hoc orders and mass-sampling rounds, collection from phones by barcode,
//! pools, laboratories receiving and resulting in bulk, the turnaround deadline, and the
//! positive results that make a new F0 in the same transaction.

use super::quarantine::{apply, EpisodeTransition, Placement};
use super::trace::{confirm_in_tx, NewCase};
use super::Page;
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::quarantine::{Destination, EpisodeCommand};
use crate::domain::risk::Scale;
use crate::domain::roles::{Action, Role};
use crate::domain::rules::Rules;
use crate::domain::samples::{
    barcode_free, can_join_pool, check_barcode, next_round, pool_member_outcome, pool_transition,
    positive_means, round_interval_days, sample_transition, PoolState, PositiveMeans,
    SampleCommand, SampleKind, SampleState, TestResult, TubeKind,
};
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::service::{utc, who_as};
use crate::store::events::Who;
use crate::store::samples::{self as store, LabRow, PoolRow, RoundRow, SampleRow};
use crate::store::{
    new_id, now, people as people_store, quarantine as q_store, trace as trace_store,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The most items one bulk call carries.
pub const MAX_ITEMS: usize = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct SampleOut {
    pub id: String,
    pub person_id: String,
    pub kind: SampleKind,
    pub state: SampleState,
    /// Why it was taken: `schedule`, `mass`, `ad_hoc`, `retest` or `confirmation`.
    pub origin: String,
    /// The scheduled test of a quarantine episode it is for.
    pub episode_test_id: Option<String>,
    pub round_id: Option<String>,
    /// The sample this one repeats (inconclusive, or a member of a positive pool).
    pub replaces_sample_id: Option<String>,
    pub due_date: NaiveDate,
    pub barcode: Option<String>,
    pub pool_id: Option<String>,
    pub lab_id: Option<String>,
    pub collected_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub resulted_at: Option<DateTime<Utc>>,
    pub result: Option<TestResult>,
    pub note: Option<String>,
    pub version: i32,
}

impl From<&SampleRow> for SampleOut {
    fn from(s: &SampleRow) -> Self {
        SampleOut {
            id: s.id.clone(),
            person_id: s.person_id.clone(),
            kind: s.kind,
            state: s.state,
            origin: s.origin.clone(),
            episode_test_id: s.episode_test_id.clone(),
            round_id: s.round_id.clone(),
            replaces_sample_id: s.replaces_sample_id.clone(),
            due_date: s.due_date,
            barcode: s.barcode.clone(),
            pool_id: s.pool_id.clone(),
            lab_id: s.lab_id.clone(),
            collected_at: s.collected_at.map(utc),
            received_at: s.received_at.map(utc),
            resulted_at: s.resulted_at.map(utc),
            result: s.result,
            note: s.note.clone(),
            version: s.version,
        }
    }
}

fn new_sample(
    person: &str,
    unit_path: &str,
    kind: SampleKind,
    origin: &str,
    due: NaiveDate,
    at: NaiveDateTime,
) -> SampleRow {
    SampleRow {
        id: new_id(),
        person_id: person.into(),
        kind,
        state: SampleState::Ordered,
        origin: origin.into(),
        episode_test_id: None,
        round_id: None,
        replaces_sample_id: None,
        due_date: due,
        barcode: None,
        pool_id: None,
        lab_id: None,
        collected_at: None,
        received_at: None,
        resulted_at: None,
        result: None,
        note: None,
        unit_path: unit_path.into(),
        version: 1,
        created_by: None,
        created_at: at,
        updated_at: at,
    }
}

/// The lock of a barcode while a tube is given it (`db::lock_keys`): a pool's and a
/// sample's are one key, so that neither takes a barcode the other is taking.
fn barcode_key(barcode: &str) -> String {
    format!("barcode {barcode}")
}

fn visible_sample(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<SampleRow> {
    match store::get_sample(conn, id)? {
        Some(s) if scope.covers(&s.unit_path) => Ok(s),
        _ => Err(AppError::not_found("sample")),
    }
}

mod collection;
mod labs;
mod orders;
mod pools;
mod receipts;
mod results;
mod rounds;
mod turnaround;

pub use collection::*;
pub use labs::*;
pub use orders::*;
pub use pools::*;
pub use receipts::*;
pub use results::*;
pub use rounds::*;
pub use turnaround::*;
