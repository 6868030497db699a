//! Storage: queries per aggregate, plain functions over `&mut AnyConnection`. No rules here:
//! what a command means is decided in `domain` and orchestrated in `service`.

/// Restrict a boxed query to rows whose path column lies in one of the byte ranges of the
/// actor's jurisdiction (`Scope::ranges`). Apply it before any other filter: it starts the
/// WHERE clause with an OR of the ranges, and later filters are AND-ed onto it. No range
/// means no row (fail closed).
macro_rules! in_ranges {
    ($q:expr, $col:expr, $ranges:expr) => {{
        let mut q = $q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
        for (lo, hi) in $ranges {
            q = q.or_filter($col.ge(lo.clone()).and($col.lt(hi.clone())));
        }
        q
    }};
}

pub mod events;
pub mod notices;
pub mod people;
pub mod quarantine;
pub mod replies;
pub mod reports;
pub mod risk;
pub mod samples;
pub mod sync;
pub mod trace;
pub mod units;
pub mod users;
pub mod workflow;
pub mod zones;

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond (what both databases keep).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// An instant from a request, to the microsecond (what both databases keep), so that what
/// is stored compares equal to what is sent again.
pub fn instant(t: chrono::DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

/// A new time-ordered identifier.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
