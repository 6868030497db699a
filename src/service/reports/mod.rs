//! Reports (docs/domain.md §4 and §8): the 5S delays of the response to each F0 and of a
//! jurisdiction, the weekly report to the steering committee, and the line lists in one place.
//! The figures are SQL aggregations over what was recorded (`store::reports`); this module
//! picks the jurisdiction, shapes the answer and renders CSV.

use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::classification::label;
use crate::domain::reports::{csv_safe, FiveSStep, LineList, Week, LINE_COLUMNS};
use crate::domain::risk::{RiskLevel, Scale};
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::domain::time::{vn_date, vn_midnight};
use crate::domain::units::subtree_range;
use crate::error::{AppError, AppResult};
use crate::service::utc;
use crate::service::{Page, Paging};
use crate::store::people as people_store;
use crate::store::quarantine::{self as q_store, EpisodeFilter};
use crate::store::reports::{self as store, CaseFilter, Grouping, StepFigures};
use crate::store::units::{self as units, UnitRow};
use crate::store::{now, samples as samples_store, trace as trace_store};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

/// The unit a report is about: the one asked for, inside the actor's jurisdiction, or the
/// actor's jurisdiction when they hold one.
fn report_unit(conn: &mut AnyConnection, scope: &Scope, code: Option<&str>) -> AppResult<UnitRow> {
    match code {
        Some(code) => {
            let unit = units::get(conn, code.trim())?
                .ok_or_else(|| AppError::not_found("administrative unit"))?;
            if !scope.covers(&unit.path) {
                return Err(AppError::Forbidden(
                    "the unit is outside your jurisdiction".into(),
                ));
            }
            Ok(unit)
        }
        None => match scope.paths.as_slice() {
            [only] => store::unit_at(conn, only)?
                .ok_or_else(|| AppError::not_found("administrative unit")),
            _ => Err(AppError::field(
                "unit",
                "is required: you hold more than one jurisdiction",
            )),
        },
    }
}

fn children_grouping(
    conn: &mut AnyConnection,
    unit: &UnitRow,
) -> AppResult<(Vec<UnitRow>, Grouping)> {
    let children = units::children(conn, &unit.code)?;
    let groups = children
        .iter()
        .map(|c| {
            let (lo, hi) = subtree_range(&c.path);
            (c.code.clone(), lo, hi)
        })
        .collect();
    Ok((children, Grouping::Children(groups)))
}

mod five_s;
mod line_lists;
mod weekly;

pub use five_s::*;
pub use line_lists::*;
pub use weekly::*;
