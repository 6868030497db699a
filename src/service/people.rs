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
use crate::service::{who, PageQuery};
use crate::store::events::{self, EventRow, Who};
use crate::store::people::{self as store, FlagRow, NationalIdHolder, Person, PersonRow};
use crate::store::{new_id, now, page_size, units};
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
            sex: r.sex.as_deref().and_then(Sex::parse),
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
            source: Source::parse(&r.source).unwrap_or(Source::TracingInterview),
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

/// A unit people can live in (a province or below), or the field error of its code.
fn residence_unit<'a>(
    unit: Option<&'a units::UnitRow>,
    code: &str,
) -> AppResult<&'a units::UnitRow> {
    let unit = unit.ok_or_else(|| {
        AppError::field(
            "residence_unit_code",
            format!("no administrative unit has code '{code}'"),
        )
    })?;
    if unit.level == Level::Country.as_str() {
        return Err(AppError::field(
            "residence_unit_code",
            "must be a province or a unit below it",
        ));
    }
    Ok(unit)
}

/// Check that `code` names a unit people can live in, inside `scope`; returns its path.
fn residence_path(conn: &mut AnyConnection, scope: &Scope, code: &str) -> AppResult<String> {
    let unit = units::get(conn, code)?;
    let unit = residence_unit(unit.as_ref(), code)?;
    if !scope.covers(&unit.path) {
        return Err(AppError::Forbidden(
            "residence_unit_code: the unit is outside your jurisdiction".into(),
        ));
    }
    Ok(unit.path.clone())
}

/// Where a registration goes, from what the registry holds (docs/domain.md, "Across
/// borders"). Nothing in it depends on records outside the actor's jurisdiction but what
/// they are told nothing of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Placement {
    /// Made here, at `path`. `shared_with`: a record outside the jurisdiction holds the
    /// national ID; this one holds it pending, and that record's jurisdiction is notified.
    Here {
        path: String,
        shared_with: Option<NationalIdHolder>,
    },
    /// The person lives outside the actor's jurisdiction: a notice goes there.
    Elsewhere { unit_code: String, path: String },
}

/// Decide where a registration goes. A record holding the national ID that the actor may
/// see answers 409 with its id, as always; one they may not see changes nothing in the
/// answer.
pub(crate) fn placement(
    unit: Option<&units::UnitRow>,
    code: &str,
    scope: &Scope,
    read: Option<&Scope>,
    holders: &[NationalIdHolder],
) -> AppResult<Placement> {
    let unit = residence_unit(unit, code)?;
    let sees = |h: &&NationalIdHolder| {
        scope.covers(&h.unit_path) || read.is_some_and(|r| r.covers(&h.unit_path))
    };
    if let Some(h) = holders.iter().find(sees) {
        return Err(AppError::Conflict {
            detail: "a person with this national ID is already registered".into(),
            existing_id: Some(h.id.clone()),
        });
    }
    if !scope.covers(&unit.path) {
        return Ok(Placement::Elsewhere {
            unit_code: unit.code.clone(),
            path: unit.path.clone(),
        });
    }
    let shared_with = holders
        .iter()
        .find(|h| !h.pending)
        .or(holders.first())
        .cloned();
    Ok(Placement::Here {
        path: unit.path.clone(),
        shared_with,
    })
}

/// What the sender of a notice gave of a person.
pub(crate) fn sent_person(input: &CreatePerson, valid: &rules::ValidPerson) -> SentPerson {
    SentPerson {
        full_name: valid.full_name.clone(),
        birth_date: valid.birth_date,
        birth_year: valid.birth_year,
        sex: valid.sex,
        national_id: valid.national_id.clone(),
        passport_no: valid.passport_no.clone(),
        nationality: valid.nationality.clone(),
        phones: valid.phones.clone(),
        residence_address: opt_text(input.residence_address.clone()),
        residence_unit_code: input.residence_unit_code.clone(),
        occupation: opt_text(input.occupation.clone()),
        workplace: opt_text(input.workplace.clone()),
    }
}

/// The registration a receiving jurisdiction makes of a person sent to it.
pub(crate) fn from_sent(p: &SentPerson) -> CreatePerson {
    CreatePerson {
        id: None,
        full_name: p.full_name.clone(),
        birth_date: p.birth_date,
        birth_year: p.birth_year,
        sex: p.sex,
        national_id: p.national_id.clone(),
        passport_no: p.passport_no.clone(),
        nationality: p.nationality.clone(),
        phones: p.phones.clone(),
        residence_address: p.residence_address.clone(),
        residence_unit_code: p.residence_unit_code.clone(),
        current_location: None,
        occupation: p.occupation.clone(),
        workplace: p.workplace.clone(),
        vaccination_doses: 0,
        source: Some(Source::TracingInterview),
    }
}

fn field_errors(
    result: Result<rules::ValidPerson, Vec<crate::domain::FieldError>>,
) -> AppResult<rules::ValidPerson> {
    result.map_err(AppError::Validation)
}

/// Report the body's shape errors (lengths) and the domain's together, one per field.
fn merge_errors(
    shape: Option<validator::ValidationErrors>,
    domain: Result<rules::ValidPerson, Vec<crate::domain::FieldError>>,
) -> AppResult<rules::ValidPerson> {
    let mut errors = shape
        .map(|e| crate::error::validation_fields(&e, ""))
        .unwrap_or_default();
    match domain {
        Ok(valid) if errors.is_empty() => return Ok(valid),
        Ok(_) => {}
        Err(more) => {
            for e in more {
                if !errors.iter().any(|x| x.field == e.field) {
                    errors.push(e);
                }
            }
        }
    }
    Err(AppError::Validation(errors))
}

fn opt_text(s: Option<String>) -> Option<String> {
    s.map(|v| tidy(&v)).filter(|v| !v.is_empty())
}

/// The body's shape and the domain's rules, in memory: the normalised person or every
/// field that is wrong.
pub(crate) fn validate_create(
    input: &CreatePerson,
    at: chrono::NaiveDateTime,
) -> AppResult<rules::ValidPerson> {
    let shape = input.validate().err();
    merge_errors(
        shape,
        rules::validate_person(
            &PersonFacts {
                full_name: input.full_name.clone(),
                birth_date: input.birth_date,
                birth_year: input.birth_year,
                sex: input.sex,
                national_id: input.national_id.clone(),
                passport_no: input.passport_no.clone(),
                nationality: input.nationality.clone(),
                phones: input.phones.clone(),
                vaccination_doses: input.vaccination_doses,
            },
            vn_date(at),
        ),
    )
}

/// The record a valid create makes (the client's id, else a new one).
pub(crate) fn new_person(
    input: &CreatePerson,
    valid: rules::ValidPerson,
    path: &str,
    actor: &Actor,
    at: chrono::NaiveDateTime,
) -> Person {
    Person {
        row: PersonRow {
            id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
            full_name: valid.full_name,
            name_folded: valid.name_folded,
            birth_date: valid.birth_date,
            birth_year: valid.birth_year,
            sex: valid.sex.map(|s| s.as_str().to_string()),
            national_id: valid.national_id,
            passport_no: valid.passport_no,
            nationality: valid.nationality,
            residence_address: opt_text(input.residence_address.clone()),
            residence_unit_code: input.residence_unit_code.clone(),
            unit_path: path.to_string(),
            current_location: opt_text(input.current_location.clone()),
            occupation: opt_text(input.occupation.clone()),
            workplace: opt_text(input.workplace.clone()),
            vaccination_doses: valid.vaccination_doses,
            source: input
                .source
                .unwrap_or(Source::TracingInterview)
                .as_str()
                .to_string(),
            merged_into: None,
            pending_national_id: None,
            version: 1,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            updated_by: Some(actor.user_id.clone()),
            updated_at: at,
        },
        phones: valid.phones,
    }
}

/// The event row of a registration.
pub(crate) fn created_event(who: &Who, person: &Person, at: chrono::NaiveDateTime) -> EventRow {
    EventRow {
        id: new_id(),
        entity_type: ENTITY.into(),
        entity_id: person.row.id.clone(),
        action: "created".into(),
        actor_id: who.actor_id.clone(),
        actor_role: who.role.clone(),
        at,
        before_json: None,
        after_json: Some(snapshot(person).to_string()),
        reason: None,
    }
}

/// The flag and its event when `candidate` is a likely duplicate of `person`.
pub(crate) fn duplicate_flag(
    who: &Who,
    person: &Person,
    candidate: &Person,
    at: chrono::NaiveDateTime,
) -> Option<(FlagRow, EventRow)> {
    if !rules::likely_duplicate(
        &person.row.name_folded,
        person.row.birth_year,
        &person.phones,
        &candidate.row.name_folded,
        candidate.row.birth_year,
        &candidate.phones,
    ) {
        return None;
    }
    let flag = FlagRow {
        id: new_id(),
        person_id: person.row.id.clone(),
        candidate_id: candidate.row.id.clone(),
        reason: "same name, birth year and phone".into(),
        flagged_at: at,
        resolved_at: None,
        resolution: None,
        resolved_by: None,
    };
    let detail = serde_json::json!({ "candidate_id": candidate.row.id, "flag_id": flag.id });
    let event = EventRow {
        id: new_id(),
        entity_type: ENTITY.into(),
        entity_id: person.row.id.clone(),
        action: "flagged_duplicate".into(),
        actor_id: who.actor_id.clone(),
        actor_role: who.role.clone(),
        at,
        before_json: None,
        after_json: Some(detail.to_string()),
        reason: Some(flag.reason.clone()),
    };
    Some((flag, event))
}

pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreatePerson,
) -> AppResult<Made<CreatedPerson>> {
    let scope = actor.scope(Action::PersonCreate)?;
    crate::db::write_tx(conn, |conn| {
        create_in_tx(conn, actor, &scope, input, now(), None)
    })
}

/// Register a person inside the caller's transaction (contact logging registers the
/// contacted person in the same transaction as the contact, and gives the contact for a
/// notice should the person live elsewhere).
pub fn create_in_tx(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    input: CreatePerson,
    at: chrono::NaiveDateTime,
    contact: Option<ContactNotice>,
) -> AppResult<Made<CreatedPerson>> {
    let valid = validate_create(&input, at)?;
    let read = actor.scope(Action::PersonRead).ok();
    if let Some(id) = input.id {
        if let Some(existing) = store::get(conn, &id.to_string())? {
            if read
                .as_ref()
                .is_some_and(|s| s.covers(&existing.row.unit_path))
                || scope.covers(&existing.row.unit_path)
            {
                return Ok(Made::Here(Outcome::Existing(CreatedPerson {
                    person: PersonOut::from(&existing),
                    likely_duplicates: Vec::new(),
                })));
            }
            return Err(AppError::conflict(
                "this id is already used by another record",
            ));
        }
    }
    let unit = units::get(conn, &input.residence_unit_code)?;
    let holders: Vec<NationalIdHolder> = match &valid.national_id {
        Some(nid) => store::holders_of(conn, std::slice::from_ref(nid))?
            .into_iter()
            .map(|(_, h)| h)
            .collect(),
        None => Vec::new(),
    };
    let placed = placement(
        unit.as_ref(),
        &input.residence_unit_code,
        scope,
        read.as_ref(),
        &holders,
    )?;
    let (path, shared_with) = match placed {
        Placement::Elsewhere { unit_code, path } => {
            let who = who(actor, scope, &path);
            let to = notices::Destination {
                unit_code: &unit_code,
                path: &path,
            };
            let made = notices::residence(
                actor,
                scope,
                &who,
                sent_person(&input, &valid),
                to,
                contact,
                at,
            )?;
            notices::insert(conn, std::slice::from_ref(&made))?;
            let out = notices::out(&made.0, notices::Reader::Sender)?;
            return Ok(Made::Notified(Box::new(out)));
        }
        Placement::Here { path, shared_with } => (path, shared_with),
    };
    let sent = shared_with.as_ref().map(|_| sent_person(&input, &valid));
    let mut person = new_person(&input, valid, &path, actor, at);
    if shared_with.is_some() {
        person.row.pending_national_id = person.row.national_id.take();
    }
    store::insert(conn, &person).map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            AppError::conflict("a person with this national ID or id is already registered")
        } else {
            e.into()
        }
    })?;
    let who = who(actor, scope, &path);
    crate::store::events::insert(conn, &created_event(&who, &person, at))?;
    if let (Some(holder), Some(sent)) = (&shared_with, sent) {
        let made = notices::identity(
            scope,
            &who,
            sent,
            (&person.row.id, &path),
            holder,
            at,
            &actor.user_id,
        )?;
        notices::insert(conn, &[made])?;
    }
    let candidates = flag_duplicates(conn, scope, read.as_ref(), &who, &person, at)?;
    Ok(Made::Here(Outcome::Created(CreatedPerson {
        person: PersonOut::from(&person),
        likely_duplicates: candidates,
    })))
}

/// Flag the likely duplicates of a new record among those the actor's jurisdiction holds
/// (a record elsewhere is never named to them).
fn flag_duplicates(
    conn: &mut AnyConnection,
    scope: &Scope,
    read: Option<&Scope>,
    who: &Who,
    person: &Person,
    at: chrono::NaiveDateTime,
) -> AppResult<Vec<DuplicateCandidate>> {
    let mut out = Vec::new();
    for c in store::likely_duplicates_of(conn, person)? {
        let visible = read.is_some_and(|s| s.covers(&c.row.unit_path));
        if !visible && !scope.covers(&c.row.unit_path) {
            continue;
        }
        let Some((flag, event)) = duplicate_flag(who, person, &c, at) else {
            continue;
        };
        store::insert_flag(conn, &flag)?;
        crate::store::events::insert(conn, &event)?;
        out.push(DuplicateCandidate {
            id: c.row.id.clone(),
            full_name: visible.then(|| c.row.full_name.clone()),
            birth_year: c.row.birth_year,
        });
    }
    Ok(out)
}

/// A person the actor may read, or 404 (a record outside the jurisdiction does not exist).
fn visible(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<Person> {
    match store::get(conn, id)? {
        Some(p) if scope.covers(&p.row.unit_path) => Ok(p),
        _ => Err(AppError::not_found("person")),
    }
}

pub fn get(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<PersonOut> {
    let scope = actor.scope(Action::PersonRead)?;
    Ok(PersonOut::from(&visible(conn, &scope, id)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of the name; diacritics and case are ignored (`nguyen van an`). At most 66
    /// characters: the name is compared decomposed, which can triple a character, and
    /// at most 200 characters are compared.
    #[param(max_length = 66)]
    pub q: Option<String>,
    /// A phone in any usual form (`0912…`, `+84912…`, `84 912…`).
    #[param(value_type = Option<Phone>, inline)]
    pub phone: Option<String>,
    /// CCCD or CMND.
    #[param(pattern = "^([0-9]{9}|[0-9]{12})$")]
    pub national_id: Option<String>,
    /// Only people living in this unit's subtree.
    pub unit: Option<String>,
    /// Include records merged into others (default false).
    pub include_merged: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn search(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SearchQuery,
) -> AppResult<Page<PersonOut>> {
    let scope = actor.scope(Action::PersonRead)?;
    let limit = page_size(q.limit);
    let phone = match q.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(p) => Some(rules::normalize_phone(p).map_err(|e| AppError::field("phone", e))?),
    };
    let national_id = match q
        .national_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(n) => Some(
            rules::parse_national_id(n)
                .map_err(|e| AppError::field("national_id", e))?
                .0,
        ),
    };
    let within = match q.unit.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => {
            let unit = units::get(conn, code)?
                .ok_or_else(|| AppError::field("unit", format!("no unit has code '{code}'")))?;
            Some(subtree_range(&unit.path))
        }
    };
    let name = q.q.as_deref().map(fold).filter(|s| !s.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(AppError::field("q", "must be at most 200 characters"));
    }
    let people = store::search(
        conn,
        &scope.ranges(),
        &store::Search {
            name_folded: name,
            phone,
            national_id,
            within,
            include_merged: q.include_merged.unwrap_or(false),
            after_id: q.cursor.filter(|c| !c.is_empty()),
            limit: limit + 1,
        },
    )?;
    let out: Vec<PersonOut> = people.iter().map(PersonOut::from).collect();
    Ok(Page::from_overfetch(out, limit, |p| p.id.clone()))
}

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    /// The version you read: a stale one is refused with 409.
    pub version: i32,
    /// No digits or control characters.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^0-9\\x00-\\x1F\\x7F-\\x9F]*[^0-9\\s\\x00-\\x1F\\x7F-\\x9F][^0-9\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub full_name: Option<String>,
    /// From 1900 to today.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(
        value_type = Option<NaiveDate>,
        pattern = "^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
    )]
    pub birth_date: Option<Option<NaiveDate>>,
    /// From 1900 to this year.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1900)]
    pub birth_year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Sex>)]
    pub sex: Option<Option<Sex>>,
    /// CCCD (12 digits) or CMND (9 digits).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^([0-9]{9}|[0-9]{12})$")]
    pub national_id: Option<Option<String>>,
    /// 6 to 20 letters and digits.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9]{6,20}$")]
    pub passport_no: Option<Option<String>>,
    /// ISO 3166 alpha-2 (`VN`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z]{2}$")]
    pub nationality: Option<Option<String>>,
    /// Replaces the list of phones; at most 5.
    #[schema(value_type = Option<Vec<Phone>>, max_items = 5)]
    pub phones: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub residence_address: Option<Option<String>>,
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub residence_unit_code: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub current_location: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub occupation: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub workplace: Option<Option<String>>,
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub vaccination_doses: Option<i32>,
    pub source: Option<Source>,
    /// Why the record changes (kept in its history).
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

fn check_text_lengths(u: &UpdatePerson) -> AppResult<()> {
    let mut errs = Vec::new();
    let limits: [(&str, &Option<Option<String>>, usize); 4] = [
        ("residence_address", &u.residence_address, 500),
        ("current_location", &u.current_location, 500),
        ("occupation", &u.occupation, 200),
        ("workplace", &u.workplace, 200),
    ];
    for (name, value, max) in limits {
        if let Some(Some(v)) = value {
            if v.chars().count() > max {
                errs.push(crate::domain::FieldError::new(
                    name,
                    format!("length must be at most {max}"),
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    u: UpdatePerson,
) -> AppResult<PersonOut> {
    u.validate()?;
    check_text_lengths(&u)?;
    let scope = actor.scope(Action::PersonUpdate)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let before = match store::get_for_update(conn, id)? {
            Some(p) if scope.covers(&p.row.unit_path) => p,
            _ => return Err(AppError::not_found("person")),
        };
        if let Some(target) = &before.row.merged_into {
            return Err(AppError::conflict(format!(
                "this record was merged into {target}: update that one"
            )));
        }
        if before.row.version != u.version {
            return Err(AppError::StaleVersion {
                current: before.row.version,
            });
        }
        let r = &before.row;
        let pick = |patch: &Option<Option<String>>, current: &Option<String>| match patch {
            Some(v) => v.clone(),
            None => current.clone(),
        };
        let facts = PersonFacts {
            full_name: u.full_name.clone().unwrap_or_else(|| r.full_name.clone()),
            birth_date: u.birth_date.unwrap_or(r.birth_date),
            birth_year: match (u.birth_year, u.birth_date) {
                (Some(y), _) => y,
                // a new birth date decides the year unless one is given
                (None, Some(Some(_))) => None,
                (None, _) => r.birth_year,
            },
            sex: match u.sex {
                Some(s) => s,
                None => r.sex.as_deref().and_then(Sex::parse),
            },
            national_id: pick(&u.national_id, &r.national_id),
            passport_no: pick(&u.passport_no, &r.passport_no),
            nationality: pick(&u.nationality, &r.nationality),
            phones: u.phones.clone().unwrap_or_else(|| before.phones.clone()),
            vaccination_doses: u.vaccination_doses.unwrap_or(r.vaccination_doses),
        };
        let valid = field_errors(rules::validate_person(&facts, vn_date(at)))?;
        let (unit_code, path) = match &u.residence_unit_code {
            Some(code) if code != &r.residence_unit_code => {
                (code.clone(), residence_path(conn, &scope, code)?)
            }
            _ => (r.residence_unit_code.clone(), r.unit_path.clone()),
        };
        let ids = national_id_change(conn, actor, &scope, r, valid.national_id.clone())?;
        let after = Person {
            row: PersonRow {
                full_name: valid.full_name,
                name_folded: valid.name_folded,
                birth_date: valid.birth_date,
                birth_year: valid.birth_year,
                sex: valid.sex.map(|s| s.as_str().to_string()),
                national_id: ids.own,
                pending_national_id: ids.pending,
                passport_no: valid.passport_no,
                nationality: valid.nationality,
                residence_address: opt_text(pick(&u.residence_address, &r.residence_address)),
                residence_unit_code: unit_code,
                unit_path: path.clone(),
                current_location: opt_text(pick(&u.current_location, &r.current_location)),
                occupation: opt_text(pick(&u.occupation, &r.occupation)),
                workplace: opt_text(pick(&u.workplace, &r.workplace)),
                vaccination_doses: valid.vaccination_doses,
                source: u
                    .source
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| r.source.clone()),
                version: r.version + 1,
                updated_by: Some(actor.user_id.clone()),
                updated_at: at,
                ..r.clone()
            },
            phones: valid.phones,
        };
        let changed = PersonRow {
            version: r.version,
            updated_by: r.updated_by.clone(),
            updated_at: r.updated_at,
            ..after.row.clone()
        };
        if changed == before.row && after.phones == before.phones {
            return Ok(PersonOut::from(&before)); // nothing changed: no new version, no event
        }
        if !store::update(conn, &after, r.version)? {
            return Err(AppError::StaleVersion {
                current: r.version + 1,
            });
        }
        if let Some(holder) = &ids.shared_with {
            let sent = SentPerson {
                national_id: after.row.pending_national_id.clone(),
                ..sent_of_record(&after)
            };
            let made = notices::identity(
                &scope,
                &who(actor, &scope, &path),
                sent,
                (&after.row.id, &path),
                holder,
                at,
                &actor.user_id,
            )?;
            notices::insert(conn, &[made])?;
        }
        let reason = u.reason.as_deref().map(tidy).filter(|s| !s.is_empty());
        events::record(
            conn,
            &who(actor, &scope, &path),
            at,
            ENTITY,
            id,
            "updated",
            Some(&snapshot(&before)),
            Some(&snapshot(&after)),
            reason.as_deref(),
        )?;
        Ok(PersonOut::from(&after))
    })
}

/// A record's national ID after a change: its own, or pending when a record outside the
/// actor's jurisdiction holds it (whose jurisdiction is then notified).
struct NationalIds {
    own: Option<String>,
    pending: Option<String>,
    shared_with: Option<NationalIdHolder>,
}

fn national_id_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    r: &PersonRow,
    wanted: Option<String>,
) -> AppResult<NationalIds> {
    let Some(nid) = wanted else {
        return Ok(NationalIds {
            own: None,
            pending: None,
            shared_with: None,
        });
    };
    if Some(nid.as_str()) == r.national_id_here() {
        return Ok(NationalIds {
            own: r.national_id.clone(),
            pending: r.pending_national_id.clone(),
            shared_with: None,
        });
    }
    let holders: Vec<NationalIdHolder> = store::holders_of(conn, std::slice::from_ref(&nid))?
        .into_iter()
        .map(|(_, h)| h)
        .filter(|h| h.id != r.id)
        .collect();
    let read = actor.scope(Action::PersonRead).ok();
    let sees = |h: &&NationalIdHolder| {
        scope.covers(&h.unit_path) || read.as_ref().is_some_and(|s| s.covers(&h.unit_path))
    };
    if let Some(h) = holders.iter().find(sees) {
        return Err(AppError::Conflict {
            detail: "another person is registered with this national ID".into(),
            existing_id: Some(h.id.clone()),
        });
    }
    Ok(match holders.into_iter().next() {
        Some(h) => NationalIds {
            own: None,
            pending: Some(nid),
            shared_with: Some(h),
        },
        None => NationalIds {
            own: Some(nid),
            pending: None,
            shared_with: None,
        },
    })
}

/// A stored record as a notice carries it.
fn sent_of_record(p: &Person) -> SentPerson {
    let r = &p.row;
    SentPerson {
        full_name: r.full_name.clone(),
        birth_date: r.birth_date,
        birth_year: r.birth_year,
        sex: r.sex.as_deref().and_then(Sex::parse),
        national_id: r.national_id_here().map(str::to_string),
        passport_no: r.passport_no.clone(),
        nationality: r.nationality.clone(),
        phones: p.phones.clone(),
        residence_address: r.residence_address.clone(),
        residence_unit_code: r.residence_unit_code.clone(),
        occupation: r.occupation.clone(),
        workplace: r.workplace.clone(),
    }
}

/// The history of a person, including the records merged into them.
pub fn history(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    q: PageQuery,
) -> AppResult<Page<EventOut>> {
    let scope = actor.scope(Action::PersonHistoryRead)?;
    visible(conn, &scope, id)?;
    let limit = page_size(q.limit);
    let ids = store::merged_family(conn, id)?;
    let rows = events::history(
        conn,
        ENTITY,
        &ids,
        q.cursor.as_deref().filter(|c| !c.is_empty()),
        limit + 1,
    )?;
    let out: Vec<EventOut> = rows.into_iter().map(EventOut::from).collect();
    Ok(Page::from_overfetch(out, limit, |e| e.id.clone()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateFlagOut {
    pub id: String,
    pub person_id: String,
    pub candidate_id: String,
    pub reason: String,
    pub flagged_at: DateTime<Utc>,
}

pub fn duplicates(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: PageQuery,
) -> AppResult<Page<DuplicateFlagOut>> {
    let scope = actor.scope(Action::PersonMerge)?;
    let limit = page_size(q.limit);
    let rows = store::open_flags(
        conn,
        &scope.ranges(),
        q.cursor.as_deref().filter(|c| !c.is_empty()),
        limit + 1,
    )?;
    let out = rows
        .into_iter()
        .map(|f| DuplicateFlagOut {
            id: f.id,
            person_id: f.person_id,
            candidate_id: f.candidate_id,
            reason: f.reason,
            flagged_at: f.flagged_at.and_utc(),
        })
        .collect();
    Ok(Page::from_overfetch(out, limit, |f: &DuplicateFlagOut| {
        f.id.clone()
    }))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct DismissFlag {
    /// Why these are two different people, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

pub fn dismiss_flag(
    conn: &mut AnyConnection,
    actor: &Actor,
    flag_id: &str,
    input: DismissFlag,
) -> AppResult<()> {
    let scope = actor.scope(Action::PersonMerge)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let flag =
            store::flag(conn, flag_id)?.ok_or_else(|| AppError::not_found("duplicate flag"))?;
        let person = visible(conn, &scope, &flag.person_id)
            .map_err(|_| AppError::not_found("duplicate flag"))?;
        if flag.resolved_at.is_some() {
            return Err(AppError::conflict("this flag was already resolved"));
        }
        store::resolve_flags_between(
            conn,
            &flag.person_id,
            &flag.candidate_id,
            "dismissed",
            &actor.user_id,
            at,
        )?;
        let detail = serde_json::json!({ "candidate_id": flag.candidate_id, "flag_id": flag.id });
        events::record(
            conn,
            &who(actor, &scope, &person.row.unit_path),
            at,
            ENTITY,
            &flag.person_id,
            "duplicate_dismissed",
            None,
            Some(&detail),
            Some(&reason),
        )?;
        Ok(())
    })
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct MergePeople {
    /// The record to fold into this one; it is kept, marked as merged.
    pub duplicate_id: Uuid,
    /// The version of this record you read.
    pub version: i32,
    /// The version of the duplicate you read.
    pub duplicate_version: i32,
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

/// Merge `duplicate_id` into `id`: the survivor keeps its facts and gains the duplicate's
/// phones (and national ID or passport when it had none); the duplicate is kept, pointing at
/// the survivor; both histories stay readable from the survivor.
pub fn merge(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: MergePeople,
) -> AppResult<PersonOut> {
    let scope = actor.scope(Action::PersonMerge)?;
    let reason = require_reason(&input.reason)?;
    let dup_id = input.duplicate_id.to_string();
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let survivor = match store::get_for_update(conn, id)? {
            Some(p) if scope.covers(&p.row.unit_path) => p,
            _ => return Err(AppError::not_found("person")),
        };
        let dup = match store::get_for_update(conn, &dup_id)? {
            Some(p) if scope.covers(&p.row.unit_path) => p,
            _ => {
                return Err(AppError::field(
                    "duplicate_id",
                    "no such person in your jurisdiction",
                ))
            }
        };
        rules::check_merge(
            &survivor.row.id,
            survivor.row.national_id_here(),
            survivor.row.merged_into.is_some(),
            &dup.row.id,
            dup.row.national_id_here(),
            dup.row.merged_into.is_some(),
        )
        .map_err(AppError::conflict)?;
        if survivor.row.version != input.version {
            return Err(AppError::StaleVersion {
                current: survivor.row.version,
            });
        }
        if dup.row.version != input.duplicate_version {
            return Err(AppError::StaleVersion {
                current: dup.row.version,
            });
        }
        let mut phones = survivor.phones.clone();
        for p in &dup.phones {
            if !phones.contains(p) {
                phones.push(p.clone());
            }
        }
        // the duplicate's national ID (its own, or pending) moves when the survivor has none
        let moves_nid =
            survivor.row.national_id_here().is_none() && dup.row.national_id_here().is_some();
        let dup_after = Person {
            row: PersonRow {
                merged_into: Some(survivor.row.id.clone()),
                national_id: if moves_nid {
                    None
                } else {
                    dup.row.national_id.clone()
                },
                pending_national_id: if moves_nid {
                    None
                } else {
                    dup.row.pending_national_id.clone()
                },
                version: dup.row.version + 1,
                updated_by: Some(actor.user_id.clone()),
                updated_at: at,
                ..dup.row.clone()
            },
            phones: dup.phones.clone(),
        };
        // the duplicate first: a national ID moving across must leave it before it arrives
        if !store::update(conn, &dup_after, dup.row.version)? {
            return Err(AppError::StaleVersion {
                current: dup.row.version + 1,
            });
        }
        let surv_after = Person {
            row: PersonRow {
                national_id: if moves_nid {
                    dup.row.national_id.clone()
                } else {
                    survivor.row.national_id.clone()
                },
                pending_national_id: if moves_nid {
                    dup.row.pending_national_id.clone()
                } else {
                    survivor.row.pending_national_id.clone()
                },
                passport_no: survivor
                    .row
                    .passport_no
                    .clone()
                    .or(dup.row.passport_no.clone()),
                nationality: survivor
                    .row
                    .nationality
                    .clone()
                    .or(dup.row.nationality.clone()),
                birth_date: survivor.row.birth_date.or(dup.row.birth_date),
                birth_year: survivor.row.birth_year.or(dup.row.birth_year),
                sex: survivor.row.sex.clone().or(dup.row.sex.clone()),
                version: survivor.row.version + 1,
                updated_by: Some(actor.user_id.clone()),
                updated_at: at,
                ..survivor.row.clone()
            },
            phones,
        };
        if !store::update(conn, &surv_after, survivor.row.version)? {
            return Err(AppError::StaleVersion {
                current: survivor.row.version + 1,
            });
        }
        store::resolve_flags_between(
            conn,
            &survivor.row.id,
            &dup.row.id,
            "merged",
            &actor.user_id,
            at,
        )?;
        let w = who(actor, &scope, &survivor.row.unit_path);
        events::record(
            conn,
            &w,
            at,
            ENTITY,
            &dup.row.id,
            "merged_into",
            Some(&snapshot(&dup)),
            Some(&snapshot(&dup_after)),
            Some(&reason),
        )?;
        events::record(
            conn,
            &w,
            at,
            ENTITY,
            &survivor.row.id,
            "merged",
            Some(&snapshot(&survivor)),
            Some(&snapshot(&surv_after)),
            Some(&reason),
        )?;
        Ok(PersonOut::from(&surv_after))
    })
}
