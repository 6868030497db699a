//! The people registry: register (idempotent on the client's id), read, search, update with
//! optimistic versions, likely-duplicate flags and audited merges.

use super::notices::{self, ContactNotice, SentPerson};
use super::{double_option, require_reason, EventOut, Made, Outcome, Page};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::people::{self as rules, id_kind_of, IdKind, PersonFacts, Sex, Source};
use crate::domain::roles::Action;
use crate::domain::text::{fold, tidy};
use crate::domain::time::vn_date;
use crate::domain::units::{subtree_range, Level};
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::service::{who, PageQuery};
use crate::store::events::{self, Entity, Event, EventRow, Who};
use crate::store::people::{self as store, FlagRow, NationalIdHolder, Person, PersonRow};
use crate::store::{new_id, now, units};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "person";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonOut {
    pub id: String,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    pub national_id: Option<String>,
    pub id_kind: Option<IdKind>,
    pub passport_no: Option<String>,
    pub nationality: Option<String>,
    /// Normalised to E.164 (`+84912345678`).
    pub phones: Vec<String>,
    pub residence_address: Option<String>,
    pub residence_unit_code: String,
    pub current_location: Option<String>,
    pub occupation: Option<String>,
    pub workplace: Option<String>,
    pub vaccination_doses: i32,
    pub source: Source,
    /// Set when this record was merged into another: follow it.
    pub merged_into: Option<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Person> for PersonOut {
    fn from(p: &Person) -> Self {
        let r = &p.row;
        PersonOut {
            id: r.id.clone(),
            full_name: r.full_name.clone(),
            birth_date: r.birth_date,
            birth_year: r.birth_year,
            sex: r.sex,
            national_id: r.national_id_here().map(str::to_string),
            id_kind: r.national_id_here().and_then(id_kind_of),
            passport_no: r.passport_no.clone(),
            nationality: r.nationality.clone(),
            phones: p.phones.clone(),
            residence_address: r.residence_address.clone(),
            residence_unit_code: r.residence_unit_code.clone(),
            current_location: r.current_location.clone(),
            occupation: r.occupation.clone(),
            workplace: r.workplace.clone(),
            vaccination_doses: r.vaccination_doses,
            source: r.source,
            merged_into: r.merged_into.clone(),
            version: r.version,
            created_by: r.created_by.clone(),
            created_at: r.created_at.and_utc(),
            updated_by: r.updated_by.clone(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

fn snapshot(p: &Person) -> serde_json::Value {
    serde_json::to_value(PersonOut::from(p)).unwrap_or_default()
}

/// A phone number as a client may send it: `0` and 9 or 10 digits, `+84` and 9 or 10 digits,
/// or `+`, a country code and 8 to 15 digits in all.
#[derive(ToSchema)]
#[schema(
    pattern = "^(0[1-9][0-9]{8,9}|\\+84[1-9][0-9]{8,9}|\\+([1-79][0-9]{7,14}|8[0-35-9][0-9]{6,13}))$"
)]
pub struct Phone(pub String);

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePerson {
    /// A client-made UUID (a phone working offline): sending the same id again changes nothing.
    pub id: Option<Uuid>,
    /// No digits or control characters.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^0-9\\x00-\\x1F\\x7F-\\x9F]*[^0-9\\s\\x00-\\x1F\\x7F-\\x9F][^0-9\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub full_name: String,
    /// From 1900 to today.
    #[schema(pattern = "^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: Option<NaiveDate>,
    /// From 1900 to this year.
    #[schema(minimum = 1900)]
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    /// CCCD (12 digits) or CMND (9 digits).
    #[schema(pattern = "^([0-9]{9}|[0-9]{12})$")]
    pub national_id: Option<String>,
    /// 6 to 20 letters and digits.
    #[schema(pattern = "^[A-Za-z0-9]{6,20}$")]
    pub passport_no: Option<String>,
    /// ISO 3166 alpha-2 (`VN`).
    #[schema(pattern = "^[A-Za-z]{2}$")]
    pub nationality: Option<String>,
    /// At most 5.
    #[serde(default)]
    #[schema(value_type = Vec<Phone>, max_items = 5)]
    pub phones: Vec<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub residence_address: Option<String>,
    /// The administrative unit of residence: it decides the jurisdiction.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub residence_unit_code: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub current_location: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub occupation: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub workplace: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10)]
    pub vaccination_doses: i32,
    /// Where the facts come from; default `tracing_interview`.
    pub source: Option<Source>,
}

/// A record that looks like the same person.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    pub id: String,
    /// Only when the candidate is inside your jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub birth_year: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPerson {
    pub person: PersonOut,
    /// Likely duplicates (same name without diacritics, birth year and a phone): flagged for
    /// a health officer to merge or dismiss.
    pub likely_duplicates: Vec<DuplicateCandidate>,
}

mod duplicates;
mod history;
mod merge;
mod merge_records;
mod placement;
mod reads;
mod register;
mod update;

pub use duplicates::*;
pub use history::*;
pub use merge::*;
pub(crate) use placement::*;
pub use reads::*;
pub use register::*;
pub use update::*;
