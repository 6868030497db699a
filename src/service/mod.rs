//! Commands and queries: each one transaction that loads state through `store`, asks
//! `domain` what the command means, and writes the outcome with its events. The types here
//! are the API's request and response bodies.

pub mod accounts;
pub mod camps;
pub mod happened;
pub mod homes;
pub mod lookups;
pub mod notices;
pub mod paging;
pub mod people;
pub mod privacy;
pub mod quarantine;
pub mod reception;
pub mod replies;
pub mod reports;
pub mod retention;
pub mod risk;
pub mod samples;
pub mod sync;
pub mod trace;
pub mod units;
pub mod versioned;
pub mod workflow;
pub mod zones;

use crate::auth::{Actor, Scope};
use crate::domain::roles::Role;
use crate::store::events::Who;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

pub use paging::{Page, PageQuery, Paging, SizeQuery};

/// The unit named by `unit_code` in a body, when it lies in the scope; otherwise the field
/// error an unknown code gets, so that a unit outside says nothing of itself.
pub(crate) fn unit_in_scope(
    conn: &mut crate::db::AnyConnection,
    scope: &Scope,
    code: &str,
) -> crate::error::AppResult<crate::store::units::UnitRow> {
    match crate::store::units::get(conn, code)? {
        Some(u) if scope.covers(&u.path) => Ok(u),
        _ => Err(crate::error::AppError::field(
            "unit_code",
            "no such unit in your jurisdiction",
        )),
    }
}

/// The actor as an event names them: their id and the role under which they act on a
/// record at `path` (the grant covering it).
pub fn who(actor: &Actor, scope: &Scope, path: &str) -> Who {
    who_as(actor, scope.acting_role(path))
}

/// The actor as an event names them, acting under `role`.
pub fn who_as(actor: &Actor, role: Option<Role>) -> Who {
    Who {
        actor_id: Some(actor.user_id.clone()),
        role: role.map(|r| r.as_str().to_string()),
    }
}

/// A stored instant (UTC) as the API shows it.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// Whether a create made a new record or found the one the client made before.
pub enum Outcome<T> {
    Created(T),
    Existing(T),
}

/// What a create that may cross a border did: made (or found) the record here, or sent a
/// notice to the jurisdiction the person lives in (`notices`), making nothing here.
pub enum Made<T> {
    Here(Outcome<T>),
    Notified(Box<notices::NoticeOut>),
}

/// For PATCH bodies: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An entry of the event log as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: String,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    /// When it happened.
    pub at: chrono::DateTime<chrono::Utc>,
    /// When it was recorded (later than `at` for a fact synced or typed in late).
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// Why a fact older than the backdating limit was recorded late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backdate_reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    /// True when a purge erased the personal values of this change (before, after and the
    /// reasons are then null); absent otherwise. The event itself stays.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub erased: bool,
}

impl From<crate::store::events::EventRow> for EventOut {
    fn from(e: crate::store::events::EventRow) -> Self {
        EventOut {
            id: e.id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            action: e.action,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            at: e.at.and_utc(),
            recorded_at: e.recorded_at.unwrap_or(e.at).and_utc(),
            backdate_reason: e.backdate_reason,
            before: e.before_json.and_then(|s| serde_json::from_str(&s).ok()),
            after: e.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            reason: e.reason,
            erased: e.erased_at.is_some(),
        }
    }
}

/// An instant not before 2020 in UTC: from 2 January 2020 on in any time zone (an offset
/// moves it by less than a day), in RFC 3339.
#[derive(ToSchema)]
#[schema(
    format = DateTime,
    pattern = "^(2020-(01-(0[2-9]|[12][0-9]|3[01])|(0[2-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))|20(2[1-9]|[3-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)]
pub struct InstantSince2020(pub String);

/// An announced time (a cordon's start, a risk level's effect): from 2020 to a year ahead,
/// so that a typo is a 422 rather than a date the database cannot hold.
pub fn plausible_time(
    field: &str,
    t: chrono::DateTime<chrono::Utc>,
    now: chrono::NaiveDateTime,
) -> crate::error::AppResult<chrono::NaiveDateTime> {
    let t = crate::store::instant(t);
    let earliest = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(now);
    if t < earliest || t > now + chrono::Duration::days(366) {
        return Err(crate::error::AppError::field(
            field,
            "must be between 2020 and a year from now",
        ));
    }
    Ok(t)
}

/// The schema of a list of `min` to `max` distinct strings (UUIDs when `uuid`), for the
/// request fields that refuse an entry listed twice.
pub(crate) fn distinct_strings(
    min: usize,
    max: usize,
    uuid: bool,
    description: &str,
) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, Type};
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(uuid.then_some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Uuid,
        )));
    ArrayBuilder::new()
        .items(item)
        .min_items((min > 0).then_some(min))
        .max_items(Some(max))
        .unique_items(true)
        .description(Some(description))
        .build()
}

/// A reason is required for corrections, merges and revocations.
pub fn require_reason(reason: &str) -> crate::error::AppResult<String> {
    let r = crate::domain::text::tidy(reason);
    if r.chars().count() < 3 {
        return Err(crate::error::AppError::field(
            "reason",
            "must say why (at least 3 characters)",
        ));
    }
    if r.chars().count() > 1000 {
        return Err(crate::error::AppError::field(
            "reason",
            "must be at most 1000 characters",
        ));
    }
    Ok(r)
}
