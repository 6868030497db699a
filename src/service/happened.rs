//! The time a fact from the field happened, from a request (docs/domain.md §11).

use crate::domain::happened::{After, Happened};
use crate::domain::rules::Rules;
use crate::domain::time::earliest_fact;
use crate::error::{AppError, AppResult};
use crate::store::{instant, now};
use chrono::{DateTime, Utc};

/// When a fact claimed at `at` (default: now) happened, recorded now: in the bounds of the
/// rules, not before `after`, and with `reason` when it is older than the backdating limit.
/// A refusal names `field` (or `backdate_reason`).
pub fn happened(
    rules: &Rules,
    field: &str,
    at: Option<DateTime<Utc>>,
    reason: Option<&str>,
    after: Option<After<'_>>,
) -> AppResult<Happened> {
    happened_at(rules, now(), field, at, reason, after)
}

/// `happened`, at a given server time (a batch's, say).
pub fn happened_at(
    rules: &Rules,
    now: chrono::NaiveDateTime,
    field: &str,
    at: Option<DateTime<Utc>>,
    reason: Option<&str>,
    after: Option<After<'_>>,
) -> AppResult<Happened> {
    let claimed = at.map(instant);
    if claimed.is_some_and(|t| t < earliest_fact()) {
        return Err(AppError::field(field, "must not be before 2020"));
    }
    rules
        .facts
        .check(now, claimed, reason, after)
        .map_err(|r| match r.field() {
            "at" => AppError::field(field, r.message()),
            other => AppError::field(other, r.message()),
        })
}

/// A predecessor named for the answer.
pub fn after(at: chrono::NaiveDateTime, what: &str) -> After<'_> {
    After { at, what }
}
