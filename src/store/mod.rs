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

/// A nullable text column that holds an optional enum: rows read it as text and convert it
/// with the enum's `TryFrom<String>` (an unknown value is an error naming the type), and
/// write the enum's text or NULL. `deserialize_as`/`serialize_as` go through this type
/// because `Option<String>` and `Option<Enum>` are both foreign to the crate.
#[derive(Debug, Clone, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct OptText(pub Option<String>);

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for OptText
where
    DB: diesel::backend::Backend,
    String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        match &self.0 {
            Some(s) => s.to_sql(out),
            None => Ok(diesel::serialize::IsNull::Yes),
        }
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>
    for OptText
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        String::from_sql(bytes).map(|s| OptText(Some(s)))
    }
    fn from_nullable_sql(bytes: Option<DB::RawValue<'_>>) -> diesel::deserialize::Result<Self> {
        match bytes {
            Some(b) => Self::from_sql(b),
            None => Ok(OptText(None)),
        }
    }
}

/// The conversions between [`OptText`] and an optional enum.
macro_rules! opt_text {
    ($($t:ty),+) => {$(
        impl TryFrom<OptText> for Option<$t> {
            type Error = String;
            fn try_from(v: OptText) -> Result<Self, String> {
                v.0.map(<$t>::try_from).transpose()
            }
        }
        impl From<Option<$t>> for OptText {
            fn from(v: Option<$t>) -> OptText {
                OptText(v.map(String::from))
            }
        }
    )+};
}

opt_text!(
    crate::domain::cases::Treatment,
    crate::domain::samples::TestResult,
    crate::domain::quarantine::Destination,
    crate::domain::people::Sex
);

pub mod access;
pub mod events;
pub mod merge;
pub mod notices;
pub mod people;
pub mod purge;
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
