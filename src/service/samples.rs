//! Sampling: ad hoc orders and mass-sampling rounds, collection from phones by barcode,
//! pools, laboratories receiving and resulting in bulk, the turnaround deadline, and the
//! positive results that make a new F0 in the same transaction.

use super::quarantine::{apply, EpisodeTransition, Placement};
use super::trace::{confirm_in_tx, NewCase};
use super::Page;
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::cases::Refused;
use crate::domain::quarantine::{Destination, EpisodeCommand};
use crate::domain::risk::{RiskLevel, Scale};
use crate::domain::roles::{Action, Role};
use crate::domain::rules::Rules;
use crate::domain::samples::{
    can_join_pool, check_barcode, next_round, pool_member_outcome, pool_transition, positive_means,
    round_interval_days, sample_transition, PoolState, PositiveMeans, SampleCommand, SampleKind,
    SampleState, TestResult,
};
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::{utc, who_as};
use crate::store::events::{self, Who};
use crate::store::samples::{self as store, LabRow, PoolRow, RoundRow, SampleRow};
use crate::store::{
    instant, new_id, now, page_size, people as people_store, quarantine as q_store,
    trace as trace_store, units,
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
            kind: SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr),
            state: SampleState::parse(&s.state).unwrap_or(SampleState::Ordered),
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
            result: s.result.as_deref().and_then(TestResult::parse),
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
        kind: kind.as_str().into(),
        state: SampleState::Ordered.as_str().into(),
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

fn visible_sample(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<SampleRow> {
    match store::get_sample(conn, id)? {
        Some(s) if scope.covers(&s.unit_path) => Ok(s),
        _ => Err(AppError::not_found("sample")),
    }
}

fn refused(s: &SampleRow, command: &str, why: &str) -> AppError {
    Refused {
        state: s.state.clone(),
        command: format!("{command} ({why})"),
    }
    .into()
}

// ---- laboratories -------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateLab {
    /// A short code, lower case (`cdc-quang-ninh`): 1 to 64 letters, digits or '-'.
    #[schema(pattern = "^[a-z0-9-]{1,64}$")]
    pub id: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub unit_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabOut {
    pub id: String,
    pub name: String,
    pub unit_code: String,
}

pub fn create_lab(conn: &mut AnyConnection, actor: &Actor, input: CreateLab) -> AppResult<LabOut> {
    let scope = actor.scope(Action::LabManage)?;
    let id = input.id.trim().to_string();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(AppError::field(
            "id",
            "must be 1 to 64 lower-case letters, digits or '-'",
        ));
    }
    let name = crate::domain::text::tidy(&input.name);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", "must be 1 to 200 characters"));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let unit = match units::get(conn, &input.unit_code)? {
            Some(u) if scope.covers(&u.path) => u,
            _ => {
                return Err(AppError::field(
                    "unit_code",
                    "no such unit in your jurisdiction",
                ))
            }
        };
        if store::get_lab(conn, &id)?.is_some() {
            return Err(AppError::Conflict {
                detail: format!("a laboratory with id '{id}' exists"),
                existing_id: Some(id.clone()),
            });
        }
        let lab = LabRow {
            id: id.clone(),
            name,
            unit_code: unit.code,
            unit_path: unit.path,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_lab(conn, &lab)?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&lab.unit_path)),
            at,
            "lab",
            &lab.id,
            "created",
            None,
            Some(&json!({"name": lab.name, "unit_code": lab.unit_code})),
            None,
        )?;
        Ok(LabOut {
            id: lab.id,
            name: lab.name,
            unit_code: lab.unit_code,
        })
    })
}

/// A laboratory inside the lab technician's jurisdiction.
fn own_lab(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<(LabRow, Scope)> {
    let scope = actor.scope(Action::LabWork)?;
    match store::get_lab(conn, id)? {
        Some(l) if scope.covers(&l.unit_path) => Ok((l, scope)),
        _ => Err(AppError::not_found("laboratory")),
    }
}

// ---- orders ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct OrderSample {
    pub id: Option<Uuid>,
    pub person_id: String,
    pub kind: SampleKind,
    /// The local date it is due (default: today).
    pub due_date: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Order a sample ad hoc (health officers).
pub fn order_sample(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: OrderSample,
) -> AppResult<super::Outcome<SampleOut>> {
    let scope = actor.scope(Action::SampleOrder)?;
    let at = now();
    let today = vn_date(at);
    let due = input.due_date.unwrap_or(today);
    if due < today - Duration::days(1) || due > today + Duration::days(60) {
        return Err(AppError::field(
            "due_date",
            "must be from yesterday to 60 days ahead",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        if let Some(id) = input.id {
            if let Some(s) = store::get_sample(conn, &id.to_string())? {
                if s.person_id == input.person_id && scope.covers(&s.unit_path) {
                    return Ok(super::Outcome::Existing(SampleOut::from(&s)));
                }
                return Err(AppError::conflict("this id belongs to another sample"));
            }
        }
        let person = match people_store::get_row(conn, &input.person_id)? {
            Some(p) if scope.covers(&p.unit_path) => p,
            _ => {
                return Err(AppError::field(
                    "person_id",
                    "no such person in your jurisdiction",
                ))
            }
        };
        let mut s = new_sample(&person.id, &person.unit_path, input.kind, "ad_hoc", due, at);
        if let Some(id) = input.id {
            s.id = id.to_string();
        }
        s.note = input.note.as_deref().map(crate::domain::text::tidy);
        s.created_by = Some(actor.user_id.clone());
        store::insert_samples(conn, std::slice::from_ref(&s))?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&s.unit_path)),
            at,
            "sample",
            &s.id,
            "ordered",
            None,
            Some(&json!({"person_id": s.person_id, "kind": s.kind, "due_date": due})),
            None,
        )?;
        Ok(super::Outcome::Created(SampleOut::from(&s)))
    })
}

pub fn get_sample(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<SampleOut> {
    let scope = actor.scope(Action::SampleRead)?;
    Ok(SampleOut::from(&visible_sample(conn, &scope, id)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplesQuery {
    pub person_id: String,
}

pub fn samples_of_person(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SamplesQuery,
) -> AppResult<Vec<SampleOut>> {
    let scope = actor.scope(Action::SampleRead)?;
    match people_store::get_row(conn, &q.person_id)? {
        Some(p) if scope.covers(&p.unit_path) => {}
        _ => {
            return Err(AppError::field(
                "person_id",
                "no such person in your jurisdiction",
            ))
        }
    }
    Ok(store::samples_of_person(conn, &q.person_id)?
        .iter()
        .map(SampleOut::from)
        .collect())
}

// ---- collection ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// The ordered sample; or `person_id` and `kind` for a sample taken on the spot.
    pub sample_id: Option<String>,
    pub person_id: Option<String>,
    pub kind: Option<SampleKind>,
    /// The tube's barcode: 4 to 40 letters, digits or '-' (another is answered `invalid`,
    /// in its item).
    pub barcode: String,
    /// When it was taken (default: now).
    pub collected_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Collections {
    /// Up to 1,000 samples.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<Collection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SampleItemStatus {
    /// Done now.
    Done,
    /// Done before, the same way: nothing changed.
    Unchanged,
    /// Refused: the record is in another state, or the barcode is another sample's.
    Conflict,
    Invalid,
    NotFound,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SampleItemResult {
    pub index: usize,
    pub status: SampleItemStatus,
    pub sample_id: Option<String>,
    pub barcode: Option<String>,
    pub detail: Option<String>,
}

impl SampleItemResult {
    fn new(
        index: usize,
        status: SampleItemStatus,
        sample: Option<&str>,
        barcode: Option<&str>,
        detail: Option<String>,
    ) -> Self {
        SampleItemResult {
            index,
            status,
            sample_id: sample.map(str::to_string),
            barcode: barcode.map(str::to_string),
            detail,
        }
    }
}

fn check_items<T>(items: &[T]) -> AppResult<()> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(AppError::field(
            "items",
            format!("must hold 1 to {MAX_ITEMS} items"),
        ));
    }
    Ok(())
}

/// Collect samples from a phone, in batches: each item gets its own result, a bad item never
/// fails the others, and the same batch sent again changes nothing.
pub fn collect(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: Collections,
) -> AppResult<Vec<SampleItemResult>> {
    let scope = actor.scope(Action::SampleOrder)?;
    check_items(&input.items)?;
    let at = now();
    let who = Who {
        actor_id: Some(actor.user_id.clone()),
        role: scope.acting_role("/").map(|r| r.as_str().to_string()),
    };
    crate::db::write_tx(conn, |conn| {
        let barcodes: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| check_barcode(&i.barcode).ok())
            .collect();
        let by_barcode: HashMap<String, SampleRow> = store::samples_by_barcode(conn, &barcodes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, s)))
            .collect();
        let ids: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| i.sample_id.clone())
            .collect();
        let mut by_id: HashMap<String, SampleRow> = store::samples_by_id(conn, &ids)?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut results = Vec::with_capacity(input.items.len());
        let mut fresh: Vec<SampleRow> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, item) in input.items.iter().enumerate() {
            let r = collect_one(
                conn,
                &scope,
                &who,
                item,
                index,
                &by_barcode,
                &mut by_id,
                &mut seen,
                &mut fresh,
                at,
            )?;
            results.push(r);
        }
        store::insert_samples(conn, &fresh)?;
        let events: Vec<crate::store::events::EventRow> = fresh
            .iter()
            .map(|s| crate::store::events::EventRow {
                id: new_id(),
                entity_type: "sample".into(),
                entity_id: s.id.clone(),
                action: "collected".into(),
                actor_id: who.actor_id.clone(),
                actor_role: who.role.clone(),
                at,
                before_json: None,
                after_json: Some(json!({"person_id": s.person_id, "kind": s.kind, "barcode": s.barcode, "origin": s.origin}).to_string()),
                reason: None,
            })
            .collect();
        crate::db::batch::insert_events(conn, &events)?;
        Ok(results)
    })
}

#[allow(clippy::too_many_arguments)]
fn collect_one(
    conn: &mut AnyConnection,
    scope: &Scope,
    who: &Who,
    item: &Collection,
    index: usize,
    by_barcode: &HashMap<String, SampleRow>,
    by_id: &mut HashMap<String, SampleRow>,
    seen: &mut HashMap<String, usize>,
    fresh: &mut Vec<SampleRow>,
    at: NaiveDateTime,
) -> AppResult<SampleItemResult> {
    let barcode = match check_barcode(&item.barcode) {
        Ok(b) => b,
        Err(e) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Invalid,
                None,
                None,
                Some(format!("barcode: {e}")),
            ))
        }
    };
    let collected = item.collected_at.map(instant).unwrap_or(at);
    if collected > at + Duration::minutes(5) || collected < at - Duration::days(14) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Invalid,
            None,
            Some(&barcode),
            Some("collected_at: must be within the last 14 days".into()),
        ));
    }
    if let Some(first) = seen.insert(barcode.clone(), index) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            None,
            Some(&barcode),
            Some(format!("the barcode is also in item {first}")),
        ));
    }
    let existing = by_barcode.get(&barcode);
    match (&item.sample_id, &item.person_id, item.kind) {
        (Some(id), None, None) => {
            let Some(s) = by_id
                .get(id)
                .filter(|s| scope.covers(&s.unit_path))
                .cloned()
            else {
                return Ok(SampleItemResult::new(
                    index,
                    SampleItemStatus::NotFound,
                    Some(id),
                    Some(&barcode),
                    None,
                ));
            };
            if let Some(other) = existing {
                let status = if other.id == s.id {
                    SampleItemStatus::Unchanged
                } else {
                    SampleItemStatus::Conflict
                };
                let detail = (status == SampleItemStatus::Conflict)
                    .then(|| "the barcode is another sample's".to_string());
                return Ok(SampleItemResult::new(
                    index,
                    status,
                    Some(&s.id),
                    Some(&barcode),
                    detail,
                ));
            }
            let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
            let state = SampleState::parse(&s.state).unwrap_or(SampleState::Ordered);
            if let Err(r) = sample_transition(kind, state, SampleCommand::Collect, false) {
                return Ok(SampleItemResult::new(
                    index,
                    SampleItemStatus::Conflict,
                    Some(&s.id),
                    Some(&barcode),
                    Some(r.to_string()),
                ));
            }
            let after = SampleRow {
                state: SampleState::Collected.as_str().into(),
                barcode: Some(barcode.clone()),
                collected_at: Some(collected),
                version: s.version + 1,
                updated_at: at,
                ..s.clone()
            };
            if !store::update_sample(conn, &after, s.version)? {
                return Ok(SampleItemResult::new(
                    index,
                    SampleItemStatus::Conflict,
                    Some(&s.id),
                    Some(&barcode),
                    Some("changed meanwhile".into()),
                ));
            }
            events::record(
                conn,
                who,
                at,
                "sample",
                &s.id,
                "collected",
                Some(&json!({"state": s.state})),
                Some(&json!({"state": after.state, "barcode": barcode})),
                None,
            )?;
            by_id.insert(s.id.clone(), after);
            Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Done,
                Some(&s.id),
                Some(&barcode),
                None,
            ))
        }
        (None, Some(person), Some(kind)) => {
            if let Some(other) = existing {
                let same = other.person_id == *person && other.kind == kind.as_str();
                let status = if same {
                    SampleItemStatus::Unchanged
                } else {
                    SampleItemStatus::Conflict
                };
                let detail = (!same).then(|| "the barcode is another sample's".to_string());
                return Ok(SampleItemResult::new(
                    index,
                    status,
                    Some(&other.id),
                    Some(&barcode),
                    detail,
                ));
            }
            let p = match people_store::get_row(conn, person)? {
                Some(p) if scope.covers(&p.unit_path) && p.merged_into.is_none() => p,
                _ => {
                    return Ok(SampleItemResult::new(
                        index,
                        SampleItemStatus::NotFound,
                        None,
                        Some(&barcode),
                        Some("person_id: no such person in your jurisdiction".into()),
                    ))
                }
            };
            let mut s = new_sample(&p.id, &p.unit_path, kind, "ad_hoc", vn_date(collected), at);
            s.state = SampleState::Collected.as_str().into();
            s.barcode = Some(barcode.clone());
            s.collected_at = Some(collected);
            s.created_by = who.actor_id.clone();
            let id = s.id.clone();
            fresh.push(s);
            Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Done,
                Some(&id),
                Some(&barcode),
                None,
            ))
        }
        _ => Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Invalid,
            item.sample_id.as_deref(),
            Some(&barcode),
            Some("give sample_id, or person_id and kind".into()),
        )),
    }
}

// ---- pools -----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreatePool {
    /// The pool tube's barcode: 4 to 40 letters, digits or '-'.
    #[schema(pattern = "^[A-Za-z0-9-]{4,40}$")]
    pub barcode: String,
    #[schema(schema_with = pool_members)]
    pub sample_ids: Vec<String>,
    /// The most specimens it may hold, 2 to 10 (default: `POOL_MAX_SIZE`).
    #[schema(minimum = 2, maximum = 10)]
    pub max_size: Option<i32>,
}

fn pool_members() -> utoipa::openapi::schema::Array {
    super::distinct_strings(
        2,
        10,
        false,
        "The collected `rt_pcr_pooled` samples in it, by id: 2 to `max_size`, each once.",
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PoolOut {
    pub id: String,
    pub barcode: String,
    pub state: PoolState,
    pub max_size: i32,
    pub lab_id: Option<String>,
    pub result: Option<TestResult>,
    pub members: Vec<SampleOut>,
}

fn pool_out(conn: &mut AnyConnection, p: &PoolRow) -> AppResult<PoolOut> {
    let members = store::pool_members(conn, &p.id)?;
    Ok(PoolOut {
        id: p.id.clone(),
        barcode: p.barcode.clone(),
        state: PoolState::parse(&p.state).unwrap_or(PoolState::Open),
        max_size: p.max_size,
        lab_id: p.lab_id.clone(),
        result: p.result.as_deref().and_then(TestResult::parse),
        members: members.iter().map(SampleOut::from).collect(),
    })
}

/// Put collected specimens in one pool tube (health officers, where they are collected).
pub fn create_pool(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreatePool,
    rules: &Rules,
) -> AppResult<PoolOut> {
    let scope = actor.scope(Action::SampleOrder)?;
    let barcode = check_barcode(&input.barcode).map_err(|e| AppError::field("barcode", e))?;
    let max = input.max_size.unwrap_or(rules.pool_max_size);
    if !(2..=10).contains(&max) {
        return Err(AppError::field("max_size", "must be 2 to 10"));
    }
    if input.sample_ids.len() < 2 || input.sample_ids.len() > max as usize {
        return Err(AppError::field(
            "sample_ids",
            format!("a pool holds 2 to {max} specimens"),
        ));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        if !store::pools_by_barcode(conn, std::slice::from_ref(&barcode))?.is_empty()
            || !store::samples_by_barcode(conn, std::slice::from_ref(&barcode))?.is_empty()
        {
            return Err(AppError::field("barcode", "is another tube's"));
        }
        let members = store::samples_by_id(conn, &input.sample_ids)?;
        let mut pool = PoolRow {
            id: new_id(),
            barcode: barcode.clone(),
            state: PoolState::Open.as_str().into(),
            max_size: max,
            lab_id: None,
            result: None,
            note: None,
            unit_path: String::new(),
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            received_at: None,
            resulted_at: None,
            version: 1,
        };
        let mut rows = Vec::new();
        for (i, id) in input.sample_ids.iter().enumerate() {
            let field = format!("sample_ids[{i}]");
            let Some(s) = members
                .iter()
                .find(|s| &s.id == id && scope.covers(&s.unit_path))
            else {
                return Err(AppError::field(
                    &field,
                    "no such sample in your jurisdiction",
                ));
            };
            if input.sample_ids[..i].contains(id) {
                return Err(AppError::field(&field, "is listed twice"));
            }
            let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
            let state = SampleState::parse(&s.state).unwrap_or(SampleState::Ordered);
            can_join_pool(
                PoolState::Open,
                i,
                max as usize,
                kind,
                state,
                s.pool_id.is_some(),
            )
            .map_err(|e| AppError::field(&field, e))?;
            rows.push(s.clone());
        }
        // the pool belongs where its first member lives (for the lab's and the lists' scope)
        pool.unit_path = rows[0].unit_path.clone();
        store::insert_pool(conn, &pool)?;
        for s in &rows {
            let after = SampleRow {
                pool_id: Some(pool.id.clone()),
                version: s.version + 1,
                updated_at: at,
                ..s.clone()
            };
            if !store::update_sample(conn, &after, s.version)? {
                return Err(AppError::StaleVersion {
                    current: s.version + 1,
                });
            }
        }
        events::record(
            conn,
            &who_as(actor, scope.role_at(&pool.unit_path)),
            at,
            "pool",
            &pool.id,
            "created",
            None,
            Some(&json!({"barcode": barcode, "sample_ids": input.sample_ids})),
            None,
        )?;
        pool_out(conn, &pool)
    })
}

pub fn get_pool(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<PoolOut> {
    let scope = actor.scope(Action::SampleRead)?;
    match store::get_pool(conn, id)? {
        Some(p) if scope.covers(&p.unit_path) => pool_out(conn, &p),
        _ => Err(AppError::not_found("pool")),
    }
}

// ---- the laboratory ------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Receipts {
    /// Barcodes of samples or pools arriving at the laboratory (up to 1,000), each 4 to 40
    /// letters, digits or '-' (another is answered `invalid`, in its item).
    #[schema(min_items = 1, max_items = 1000)]
    pub barcodes: Vec<String>,
}

/// A laboratory receives tubes (samples or pools) in bulk, idempotently.
pub fn receive(
    conn: &mut AnyConnection,
    actor: &Actor,
    lab_id: &str,
    input: Receipts,
) -> AppResult<Vec<SampleItemResult>> {
    check_items(&input.barcodes)
        .map_err(|_| AppError::field("barcodes", format!("must hold 1 to {MAX_ITEMS} barcodes")))?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (lab, scope) = own_lab(conn, actor, lab_id)?;
        let who = who_as(actor, scope.role_at(&lab.unit_path));
        let codes: Vec<String> = input
            .barcodes
            .iter()
            .filter_map(|b| check_barcode(b).ok())
            .collect();
        let samples: HashMap<String, SampleRow> = store::samples_by_barcode(conn, &codes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, s)))
            .collect();
        let pools: HashMap<String, PoolRow> = store::pools_by_barcode(conn, &codes)?
            .into_iter()
            .map(|p| (p.barcode.clone(), p))
            .collect();
        let mut out = Vec::with_capacity(input.barcodes.len());
        for (index, raw) in input.barcodes.iter().enumerate() {
            let Ok(b) = check_barcode(raw) else {
                out.push(SampleItemResult::new(
                    index,
                    SampleItemStatus::Invalid,
                    None,
                    Some(raw),
                    Some("not a barcode".into()),
                ));
                continue;
            };
            if let Some(p) = pools.get(&b) {
                out.push(receive_pool(conn, &who, &lab, p, index, at)?);
            } else if let Some(s) = samples.get(&b) {
                out.push(receive_sample(conn, &who, &lab, s, index, at)?);
            } else {
                out.push(SampleItemResult::new(
                    index,
                    SampleItemStatus::NotFound,
                    None,
                    Some(&b),
                    None,
                ));
            }
        }
        Ok(out)
    })
}

fn receive_sample(
    conn: &mut AnyConnection,
    who: &Who,
    lab: &LabRow,
    s: &SampleRow,
    index: usize,
    at: NaiveDateTime,
) -> AppResult<SampleItemResult> {
    let bc = s.barcode.as_deref();
    if s.state == "received" && s.lab_id.as_deref() == Some(lab.id.as_str()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Unchanged,
            Some(&s.id),
            bc,
            None,
        ));
    }
    if s.pool_id.is_some() {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some("a pooled specimen arrives in its pool".into()),
        ));
    }
    let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
    let state = SampleState::parse(&s.state).unwrap_or(SampleState::Ordered);
    if let Err(r) = sample_transition(kind, state, SampleCommand::Receive, false) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some(r.to_string()),
        ));
    }
    let after = SampleRow {
        state: SampleState::Received.as_str().into(),
        lab_id: Some(lab.id.clone()),
        received_at: Some(at),
        version: s.version + 1,
        updated_at: at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some("changed meanwhile".into()),
        ));
    }
    events::record(
        conn,
        who,
        at,
        "sample",
        &s.id,
        "received",
        Some(&json!({"state": s.state})),
        Some(&json!({"state": "received", "lab_id": lab.id})),
        None,
    )?;
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        Some(&s.id),
        bc,
        None,
    ))
}

fn receive_pool(
    conn: &mut AnyConnection,
    who: &Who,
    lab: &LabRow,
    p: &PoolRow,
    index: usize,
    at: NaiveDateTime,
) -> AppResult<SampleItemResult> {
    let bc = Some(p.barcode.as_str());
    if p.state == "received" && p.lab_id.as_deref() == Some(lab.id.as_str()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Unchanged,
            None,
            bc,
            None,
        ));
    }
    let members = store::pool_members(conn, &p.id)?;
    let state = PoolState::parse(&p.state).unwrap_or(PoolState::Open);
    if let Err(r) = pool_transition(state, SampleCommand::Receive, members.len()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            None,
            bc,
            Some(r.to_string()),
        ));
    }
    let after = PoolRow {
        state: PoolState::Received.as_str().into(),
        lab_id: Some(lab.id.clone()),
        received_at: Some(at),
        version: p.version + 1,
        ..p.clone()
    };
    if !store::update_pool(conn, &after, p.version)? {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            None,
            bc,
            Some("changed meanwhile".into()),
        ));
    }
    // only the specimens still waiting in the pool travel with it (not one rejected alone)
    for m in members.into_iter().filter(|m| m.state == "collected") {
        let moved = SampleRow {
            state: SampleState::Received.as_str().into(),
            lab_id: Some(lab.id.clone()),
            received_at: Some(at),
            version: m.version + 1,
            updated_at: at,
            ..m.clone()
        };
        store::update_sample(conn, &moved, m.version)?;
    }
    events::record(
        conn,
        who,
        at,
        "pool",
        &p.id,
        "received",
        None,
        Some(&json!({"lab_id": lab.id})),
        None,
    )?;
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        None,
        bc,
        None,
    ))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LabResult {
    /// The barcode of a sample or a pool: 4 to 40 letters, digits or '-' (another is
    /// answered `invalid`, in its item).
    pub barcode: String,
    /// The result; or `reject_reason` for a damaged or mislabelled tube.
    pub result: Option<TestResult>,
    /// At least 3 characters (a shorter one is answered `invalid`, in its item).
    pub reject_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LabResults {
    /// Up to 1,000 results.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<LabResult>,
}

/// What one result (or rejection) is about.
enum Tube {
    Sample(SampleRow),
    Pool(PoolRow),
}

/// A laboratory's results in bulk, idempotently: the same result again is `unchanged`, a
/// different one a `conflict`. A positive confirms the person as F0 in the same transaction.
pub fn record_results(
    conn: &mut AnyConnection,
    actor: &Actor,
    lab_id: &str,
    input: LabResults,
    rules: Rules,
) -> AppResult<Vec<SampleItemResult>> {
    check_items(&input.items)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (lab, scope) = own_lab(conn, actor, lab_id)?;
        let codes: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| check_barcode(&i.barcode).ok())
            .collect();
        let mut tubes: HashMap<String, Tube> = store::samples_by_barcode(conn, &codes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, Tube::Sample(s))))
            .collect();
        for p in store::pools_by_barcode(conn, &codes)? {
            tubes.insert(p.barcode.clone(), Tube::Pool(p));
        }
        let ctx = ResultContext {
            actor,
            who: who_as(actor, scope.role_at(&lab.unit_path)),
            rules,
            at,
        };
        let mut out = Vec::with_capacity(input.items.len());
        for (index, item) in input.items.iter().enumerate() {
            let Ok(b) = check_barcode(&item.barcode) else {
                out.push(SampleItemResult::new(
                    index,
                    SampleItemStatus::Invalid,
                    None,
                    Some(&item.barcode),
                    Some("not a barcode".into()),
                ));
                continue;
            };
            let outcome = match (item.result, item.reject_reason.as_deref().map(str::trim)) {
                (Some(r), None) => Ok(r),
                (None, Some(why)) if why.chars().count() >= 3 => Err(why.to_string()),
                _ => {
                    out.push(SampleItemResult::new(
                        index,
                        SampleItemStatus::Invalid,
                        None,
                        Some(&b),
                        Some("give a result, or a reject_reason of 3 characters or more".into()),
                    ));
                    continue;
                }
            };
            let r = match tubes.get(&b) {
                None => {
                    SampleItemResult::new(index, SampleItemStatus::NotFound, None, Some(&b), None)
                }
                Some(Tube::Sample(s)) if s.lab_id.as_deref() != Some(lab.id.as_str()) => {
                    SampleItemResult::new(
                        index,
                        SampleItemStatus::Conflict,
                        Some(&s.id),
                        Some(&b),
                        Some("not received at this laboratory".into()),
                    )
                }
                Some(Tube::Pool(p)) if p.lab_id.as_deref() != Some(lab.id.as_str()) => {
                    SampleItemResult::new(
                        index,
                        SampleItemStatus::Conflict,
                        None,
                        Some(&b),
                        Some("not received at this laboratory".into()),
                    )
                }
                Some(Tube::Sample(s)) => {
                    let current = store::get_sample(conn, &s.id)?.unwrap_or_else(|| s.clone());
                    result_sample(conn, &ctx, &current, outcome, index)?
                }
                Some(Tube::Pool(p)) => {
                    let current = store::get_pool(conn, &p.id)?.unwrap_or_else(|| p.clone());
                    result_pool(conn, &ctx, &current, outcome, index)?
                }
            };
            out.push(r);
        }
        Ok(out)
    })
}

struct ResultContext<'a> {
    actor: &'a Actor,
    who: Who,
    rules: Rules,
    at: NaiveDateTime,
}

fn result_sample(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    outcome: Result<TestResult, String>,
    index: usize,
) -> AppResult<SampleItemResult> {
    let bc = s.barcode.as_deref();
    match (&outcome, s.state.as_str(), s.result.as_deref()) {
        (Ok(r), "resulted", Some(prev)) if prev == r.as_str() => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                Some(&s.id),
                bc,
                None,
            ))
        }
        (Err(_), "rejected", _) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                Some(&s.id),
                bc,
                None,
            ))
        }
        _ => {}
    }
    let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
    let state = SampleState::parse(&s.state).unwrap_or(SampleState::Ordered);
    let command = if outcome.is_ok() {
        SampleCommand::Result
    } else {
        SampleCommand::Reject
    };
    if let Err(r) = sample_transition(kind, state, command, s.pool_id.is_some()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some(r.to_string()),
        ));
    }
    match outcome {
        Ok(result) => apply_result(conn, ctx, s, result, None)?,
        Err(why) => reject_sample(conn, ctx, s, &why)?,
    }
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        Some(&s.id),
        bc,
        None,
    ))
}

/// A rejected tube: the sample is taken again.
fn reject_sample(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    why: &str,
) -> AppResult<()> {
    let after = SampleRow {
        state: SampleState::Rejected.as_str().into(),
        note: Some(why.to_string()),
        // a tube rejected alone leaves its pool: the pool's result is not its result
        pool_id: None,
        version: s.version + 1,
        updated_at: ctx.at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        return Err(AppError::StaleVersion {
            current: s.version + 1,
        });
    }
    events::record(
        conn,
        &ctx.who,
        ctx.at,
        "sample",
        &s.id,
        "rejected",
        Some(&json!({"state": s.state, "pool_id": s.pool_id})),
        Some(&json!({"state": "rejected"})),
        Some(why),
    )?;
    let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
    resample(conn, s, kind, "retest", ctx.at)
}

fn resample(
    conn: &mut AnyConnection,
    s: &SampleRow,
    kind: SampleKind,
    origin: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let mut again = new_sample(&s.person_id, &s.unit_path, kind, origin, vn_date(at), at);
    again.replaces_sample_id = Some(s.id.clone());
    again.episode_test_id = s.episode_test_id.clone();
    store::insert_samples(conn, std::slice::from_ref(&again))?;
    Ok(())
}

/// Write a sample's result and what follows from it: its scheduled test, a new sample when
/// inconclusive, and for a positive the new F0 with the episode transferred.
fn apply_result(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    result: TestResult,
    note: Option<&str>,
) -> AppResult<()> {
    let after = SampleRow {
        state: SampleState::Resulted.as_str().into(),
        result: Some(result.as_str().into()),
        resulted_at: Some(ctx.at),
        note: note.map(str::to_string).or(s.note.clone()),
        version: s.version + 1,
        updated_at: ctx.at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        return Err(AppError::StaleVersion {
            current: s.version + 1,
        });
    }
    events::record(
        conn,
        &ctx.who,
        ctx.at,
        "sample",
        &s.id,
        "resulted",
        None,
        Some(&json!({"result": result.as_str(), "note": note})),
        None,
    )?;
    let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
    // a re-test is an individual RT-PCR for a pooled specimen, the same kind otherwise
    let retest = if kind == SampleKind::RtPcrPooled {
        SampleKind::RtPcr
    } else {
        kind
    };
    match &s.episode_test_id {
        Some(test) => {
            let current = q_store::get_test(conn, test)?;
            if current.is_some_and(|t| t.result.is_none() && t.superseded_at.is_none()) {
                super::quarantine::test_resulted(conn, &ctx.who, test, result, retest, ctx.at)?;
            } else if result == TestResult::Inconclusive {
                resample(conn, s, retest, "retest", ctx.at)?;
            }
        }
        None if result == TestResult::Inconclusive => resample(conn, s, retest, "retest", ctx.at)?,
        None => {}
    }
    if result == TestResult::Positive {
        positive(conn, ctx, &after, kind)?;
    }
    Ok(())
}

/// A positive individual result: confirm the F0 (case, investigation, cascade), transfer
/// their quarantine episode to hospital; or order the RT-PCR an antigen positive needs.
fn positive(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    kind: SampleKind,
) -> AppResult<()> {
    if trace_store::open_case_of(conn, &s.person_id)?.is_some() {
        return Ok(());
    }
    let level = trace_store::exposure(conn, &s.person_id)?
        .filter(|x| x.status == "active")
        .map(|x| x.level);
    let collected = s.collected_at.unwrap_or(ctx.at);
    let earlier: Vec<NaiveDateTime> = store::samples_of_person(conn, &s.person_id)?
        .iter()
        .filter(|o| o.id != s.id && o.result.as_deref() == Some("positive"))
        .filter(|o| SampleKind::parse(&o.kind).is_some_and(SampleKind::is_antigen))
        .filter_map(|o| o.collected_at)
        .collect();
    let test = match positive_means(kind, level, collected, &earlier) {
        PositiveMeans::Confirms(t) => t,
        PositiveMeans::NeedsRtPcr => {
            let mut confirm = new_sample(
                &s.person_id,
                &s.unit_path,
                SampleKind::RtPcr,
                "confirmation",
                vn_date(ctx.at),
                ctx.at,
            );
            confirm.replaces_sample_id = Some(s.id.clone());
            store::insert_samples(conn, std::slice::from_ref(&confirm))?;
            events::record(
                conn,
                &ctx.who,
                ctx.at,
                "sample",
                &confirm.id,
                "ordered",
                None,
                Some(
                    &json!({"person_id": s.person_id, "kind": "rt_pcr", "origin": "confirmation"}),
                ),
                Some("a positive antigen test to confirm"),
            )?;
            return Ok(());
        }
    };
    let Some(person) = people_store::get_row(conn, &s.person_id)? else {
        return Ok(());
    };
    let new = NewCase {
        id: new_id(),
        confirmation_test: test,
        test_ref: s.barcode.clone().unwrap_or_else(|| s.id.clone()),
        sample_date: vn_date(collected),
        onset_date: None,
        isolated_at: None,
        case_number: None,
    };
    let confirmed = confirm_in_tx(conn, &ctx.who, ctx.rules, &person, new, ctx.at)?;
    events::record(
        conn,
        &ctx.who,
        ctx.at,
        "sample",
        &s.id,
        "confirmed_case",
        None,
        Some(&json!({"case_id": confirmed.case.id})),
        None,
    )?;
    if let Some(e) = q_store::open_episode_of(conn, &s.person_id)? {
        if e.state == "active" {
            let move_to_hospital = EpisodeTransition {
                command: EpisodeCommand::Transfer,
                version: e.version,
                reason: Some(format!(
                    "positive sample {}",
                    s.barcode.clone().unwrap_or_default()
                )),
                days: None,
                day1: None,
                destination: Some(Destination::Hospital),
                home_id: None,
                commitment_signed: None,
            };
            apply(
                conn,
                ctx.actor,
                Role::LabTechnician,
                &e,
                &move_to_hospital,
                Placement::default(),
                ctx.at,
            )?;
        }
    }
    Ok(())
}

fn result_pool(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    p: &PoolRow,
    outcome: Result<TestResult, String>,
    index: usize,
) -> AppResult<SampleItemResult> {
    let bc = Some(p.barcode.as_str());
    match (&outcome, p.state.as_str(), p.result.as_deref()) {
        (Ok(r), "resulted", Some(prev)) if prev == r.as_str() => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                None,
                bc,
                None,
            ))
        }
        (Err(_), "rejected", _) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                None,
                bc,
                None,
            ))
        }
        _ => {}
    }
    let members = store::pool_members(conn, &p.id)?;
    let state = PoolState::parse(&p.state).unwrap_or(PoolState::Open);
    let command = if outcome.is_ok() {
        SampleCommand::Result
    } else {
        SampleCommand::Reject
    };
    let next = match pool_transition(state, command, members.len()) {
        Ok(n) => n,
        Err(r) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Conflict,
                None,
                bc,
                Some(r.to_string()),
            ))
        }
    };
    let after = PoolRow {
        state: next.as_str().into(),
        result: outcome.as_ref().ok().map(|r| r.as_str().to_string()),
        note: outcome.as_ref().err().cloned(),
        resulted_at: Some(ctx.at),
        version: p.version + 1,
        ..p.clone()
    };
    if !store::update_pool(conn, &after, p.version)? {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            None,
            bc,
            Some("changed meanwhile".into()),
        ));
    }
    events::record(
        conn,
        &ctx.who,
        ctx.at,
        "pool",
        &p.id,
        command.as_str(),
        None,
        Some(&json!({"result": after.result, "members": members.len()})),
        outcome.as_ref().err().map(String::as_str),
    )?;
    let member_result = match &outcome {
        Ok(r) => pool_member_outcome(*r).result,
        // a rejected pool says nothing about its members: each is taken again
        Err(_) => TestResult::Inconclusive,
    };
    let note = match (&outcome, member_result) {
        (Ok(TestResult::Negative), _) => format!("pool {} negative", p.barcode),
        (Ok(_), _) => format!(
            "pool {} positive or unreadable: an individual sample is ordered",
            p.barcode
        ),
        (Err(why), _) => format!("pool {} rejected: {why}", p.barcode),
    };
    for m in members.iter().filter(|m| m.state == "received") {
        apply_result(conn, ctx, m, member_result, Some(&note))?;
    }
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        None,
        bc,
        None,
    ))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct AntigenResult {
    pub result: TestResult,
    pub version: i32,
}

/// The result of an antigen test, read where it was taken (health officers).
pub fn antigen_result(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: AntigenResult,
    rules: Rules,
) -> AppResult<SampleOut> {
    let scope = actor.scope(Action::SampleOrder)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let s = visible_sample(conn, &scope, id)?;
        if s.version != input.version {
            return Err(AppError::StaleVersion { current: s.version });
        }
        let kind = SampleKind::parse(&s.kind).unwrap_or(SampleKind::RtPcr);
        if !kind.is_antigen() {
            return Err(refused(
                &s,
                "result",
                "an RT-PCR sample is resulted by its laboratory",
            ));
        }
        let state = SampleState::parse(&s.state).unwrap_or(SampleState::Ordered);
        sample_transition(kind, state, SampleCommand::Result, false)?;
        let ctx = ResultContext {
            actor,
            who: who_as(actor, scope.role_at(&s.unit_path)),
            rules,
            at,
        };
        apply_result(conn, &ctx, &s, input.result, None)?;
        let after = store::get_sample(conn, &s.id)?.ok_or_else(|| AppError::not_found("sample"))?;
        Ok(SampleOut::from(&after))
    })
}

// ---- turnaround ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Samples collected longer ago than the deadline and still without a result.
pub fn overdue(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: OverdueQuery,
    rules: &Rules,
) -> AppResult<Page<SampleOut>> {
    let scope = actor.scope(Action::SampleRead)?;
    let limit = page_size(q.limit);
    let rows = store::overdue(
        conn,
        &scope.ranges(),
        rules.overdue_before(now()),
        q.cursor.as_deref(),
        limit,
    )?;
    let items: Vec<SampleOut> = rows.iter().map(SampleOut::from).collect();
    Ok(Page::from_overfetch(items, limit, |s: &SampleOut| {
        s.id.clone()
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabFigures {
    pub lab_id: String,
    pub received: usize,
    pub resulted: usize,
    pub rejected: usize,
    pub positive: usize,
    /// Received, no result yet.
    pub pending: usize,
    /// Resulted after the deadline, or pending past it.
    pub overdue: usize,
    /// Hours from collection to result: the median and the 90th percentile.
    pub turnaround_p50_hours: Option<f64>,
    pub turnaround_p90_hours: Option<f64>,
}

/// A laboratory's figures: volumes and turnaround from collection to result.
pub fn lab_figures(
    conn: &mut AnyConnection,
    actor: &Actor,
    lab_id: &str,
    rules: &Rules,
) -> AppResult<LabFigures> {
    let scope = actor.scope(Action::SampleRead)?;
    let lab = match store::get_lab(conn, lab_id)? {
        Some(l) if scope.covers(&l.unit_path) => l,
        _ => return Err(AppError::not_found("laboratory")),
    };
    let rows = store::lab_samples(conn, &lab.id)?;
    let at = now();
    let mut turnaround: Vec<f64> = rows
        .iter()
        .filter_map(|s| match (s.collected_at, s.resulted_at) {
            (Some(c), Some(r)) => Some((r - c).num_seconds() as f64 / 3600.0),
            _ => None,
        })
        .collect();
    turnaround.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| -> Option<f64> {
        if turnaround.is_empty() {
            return None;
        }
        let i = ((turnaround.len() as f64 - 1.0) * p).round() as usize;
        Some((turnaround[i] * 10.0).round() / 10.0)
    };
    Ok(LabFigures {
        lab_id: lab.id.clone(),
        received: rows.len(),
        resulted: rows.iter().filter(|s| s.state == "resulted").count(),
        rejected: rows.iter().filter(|s| s.state == "rejected").count(),
        positive: rows
            .iter()
            .filter(|s| s.result.as_deref() == Some("positive"))
            .count(),
        pending: rows.iter().filter(|s| s.state == "received").count(),
        overdue: rows
            .iter()
            .filter(|s| {
                s.collected_at
                    .is_some_and(|c| rules.is_late(c, s.resulted_at, at))
            })
            .count(),
        turnaround_p50_hours: pct(0.5),
        turnaround_p90_hours: pct(0.9),
    })
}

// ---- mass-sampling rounds ----------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateRound {
    /// A client-made id: sending the same round again returns it, ordering nothing more.
    pub id: Option<Uuid>,
    pub kind: SampleKind,
    /// The local date of the round (default: today).
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOut {
    pub id: String,
    pub zone_id: String,
    pub date: NaiveDate,
    pub kind: String,
    /// Samples ordered for the zone's residents.
    pub ordered: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundsOut {
    pub rounds: Vec<RoundOut>,
    /// Whether the zone's communes are high-risk (every 2 days; else every 5 to 7).
    pub high_risk: bool,
    pub interval_days: i64,
    pub next_due: NaiveDate,
}

impl From<&RoundRow> for RoundOut {
    fn from(r: &RoundRow) -> Self {
        RoundOut {
            id: r.id.clone(),
            zone_id: r.zone_id.clone(),
            date: r.round_date,
            kind: r.kind.clone(),
            ordered: r.ordered,
        }
    }
}

/// Whether any commune of a zone is at a high level (2686: high or very high; 128: orange or red).
fn zone_high_risk(conn: &mut AnyConnection, zone: &str, at: NaiveDateTime) -> AppResult<bool> {
    let codes: Vec<String> = crate::store::zones::units_of(conn, &[zone.to_string()])?
        .into_iter()
        .map(|u| u.unit_code)
        .collect();
    for scale in [Scale::Qd2686, Scale::Nq128] {
        let levels = crate::store::risk::in_effect(conn, &codes, scale.as_str(), at)?;
        // each unit's newest level in effect comes first
        let mut seen = std::collections::HashSet::new();
        for l in levels {
            if seen.insert(l.unit_code.clone())
                && RiskLevel::parse(&l.level).is_some_and(RiskLevel::is_high)
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn visible_zone(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
) -> AppResult<(crate::store::zones::ZoneRow, Vec<(String, String)>)> {
    let zone = crate::store::zones::get(conn, id)?.ok_or_else(|| AppError::not_found("zone"))?;
    let units = crate::store::zones::units_of(conn, std::slice::from_ref(&zone.id))?;
    // the part of the zone inside the actor's jurisdiction, as path ranges
    let mut ranges = Vec::new();
    for u in &units {
        for root in &scope.paths {
            if crate::domain::units::in_subtree(root, &u.unit_path) {
                ranges.push(crate::domain::units::subtree_range(&u.unit_path));
            } else if crate::domain::units::in_subtree(&u.unit_path, root) {
                ranges.push(crate::domain::units::subtree_range(root));
            }
        }
    }
    if ranges.is_empty() {
        return Err(AppError::not_found("zone"));
    }
    Ok((zone, ranges))
}

pub fn rounds(
    conn: &mut AnyConnection,
    actor: &Actor,
    zone_id: &str,
    rules: &Rules,
) -> AppResult<RoundsOut> {
    let scope = actor.scope(Action::SampleRead)?;
    let (zone, _) = visible_zone(conn, &scope, zone_id)?;
    let at = now();
    let rows = store::rounds_of(conn, &zone.id)?;
    let high = zone_high_risk(conn, &zone.id, at)?;
    let interval = round_interval_days(high, rules.round_interval_days);
    Ok(RoundsOut {
        next_due: next_round(rows.first().map(|r| r.round_date), vn_date(at), interval),
        rounds: rows.iter().map(RoundOut::from).collect(),
        high_risk: high,
        interval_days: interval,
    })
}

/// A mass-sampling round: a sample ordered for every resident of the zone inside the actor's
/// jurisdiction, in one transaction.
pub fn create_round(
    conn: &mut AnyConnection,
    actor: &Actor,
    zone_id: &str,
    input: CreateRound,
) -> AppResult<super::Outcome<RoundOut>> {
    let scope = actor.scope(Action::SampleOrder)?;
    let at = now();
    let today = vn_date(at);
    let date = input.date.unwrap_or(today);
    if date < today || date > today + Duration::days(14) {
        return Err(AppError::field(
            "date",
            "must be from today to 14 days ahead",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        let (zone, ranges) = visible_zone(conn, &scope, zone_id)?;
        if zone.state != "active" {
            return Err(Refused {
                state: zone.state.clone(),
                command: "sampling round".into(),
            }
            .into());
        }
        if let Some(id) = input.id {
            if let Some(r) = store::get_round(conn, &id.to_string())? {
                if r.zone_id != zone.id {
                    return Err(AppError::conflict("this id belongs to another round"));
                }
                return Ok(super::Outcome::Existing(RoundOut::from(&r)));
            }
        }
        let round = RoundRow {
            id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
            zone_id: zone.id.clone(),
            round_date: date,
            kind: input.kind.as_str().into(),
            ordered: 0,
            unit_path: zone.unit_path.clone(),
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_round(conn, &round)?;
        let mut ordered = 0;
        let mut after: Option<String> = None;
        loop {
            let page = store::residents(conn, &ranges, after.as_deref(), 5000)?;
            if page.is_empty() {
                break;
            }
            after = page.last().map(|r| r.0.clone());
            let rows: Vec<SampleRow> = page
                .iter()
                .map(|(id, path)| {
                    let mut s = new_sample(id, path, input.kind, "mass", date, at);
                    s.round_id = Some(round.id.clone());
                    s.created_by = Some(actor.user_id.clone());
                    s
                })
                .collect();
            ordered += rows.len();
            store::insert_samples(conn, &rows)?;
        }
        let done = RoundRow {
            ordered: ordered as i32,
            ..round
        };
        store::set_round_ordered(conn, &done.id, done.ordered)?;
        events::record(
            conn,
            &who_as(actor, scope.role_at(&zone.unit_path)),
            at,
            "zone",
            &zone.id,
            "sampling_round",
            None,
            Some(
                &json!({"round_id": done.id, "date": date, "kind": done.kind, "ordered": ordered}),
            ),
            None,
        )?;
        Ok(super::Outcome::Created(RoundOut::from(&done)))
    })
}
