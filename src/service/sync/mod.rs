//! Phone sync. A phone works offline all night and pushes what it made (people, contacts,
//! landmarks, each with its own UUID) in batches of up to 1,000 items: every item gets its
//! own answer, a bad item never fails the rest, an item that meets different data already
//! stored is a conflict and overwrites nothing, and a batch sent again gets the stored
//! answer and changes nothing. A pull returns what changed in the user's jurisdiction.

mod batch;

use super::people::{create_in_tx, CreatePerson, PersonOut};
use super::trace::{log_contact_in_tx, ContactOut, ExposureOut, LogContact};
use super::workflow::{add_landmark_in_tx, CreateLandmark};
use super::{Made, Outcome};
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::domain::text::fold;
use crate::error::{AppError, AppResult, Problem};
use crate::store::sync::{self as store, BatchRow, Mark};
use crate::store::{instant, now};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const MAX_ITEMS: usize = 1000;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PushBatch {
    /// The phone's id for this batch: sending the same batch again returns the same answer.
    pub batch_id: Uuid,
    /// Up to 1,000 items, each `{"kind": "person" | "contact" | "landmark", "data": {…}}`.
    #[schema(value_type = Vec<SyncItem>, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

/// One pushed item. Every record carries the id the phone gave it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum SyncItem {
    Person(CreatePerson),
    Contact(LogContact),
    Landmark(SyncLandmark),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncLandmark {
    pub case_id: Uuid,
    pub landmark: CreateLandmark,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SyncItemStatus {
    Created,
    /// Already here, the same: nothing changed.
    Unchanged,
    /// Already here with other data: nothing was overwritten.
    Conflict,
    /// Refused: see the problem.
    Invalid,
    /// The person lives outside your jurisdiction: theirs was sent a notice (`notice_id`),
    /// and nothing was recorded here.
    Notified,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncItemResult {
    pub index: usize,
    pub kind: Option<String>,
    pub id: Option<String>,
    pub status: SyncItemStatus,
    /// For a `notified` item: the notice sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushResult {
    pub batch_id: String,
    pub results: Vec<SyncItemResult>,
    /// How many items ended in each status.
    pub counts: BTreeMap<String, usize>,
}

fn invalid(index: usize, kind: Option<String>, id: Option<String>, e: &AppError) -> SyncItemResult {
    SyncItemResult {
        index,
        kind,
        id,
        status: match e {
            AppError::Conflict { .. } | AppError::StaleVersion { .. } => SyncItemStatus::Conflict,
            _ => SyncItemStatus::Invalid,
        },
        notice_id: None,
        problem: Some(e.problem()),
    }
}

fn parse_item(raw: &serde_json::Value) -> Result<SyncItem, AppError> {
    serde_path_to_error::deserialize::<_, SyncItem>(raw).map_err(|err| {
        let path = err.path().to_string();
        let msg = err.into_inner().to_string();
        AppError::field(if path == "." { "kind" } else { &path }, msg)
    })
}

fn same_person(input: &CreatePerson, existing: &PersonOut) -> bool {
    let nid = input
        .national_id
        .as_deref()
        .and_then(|n| crate::domain::people::parse_national_id(n).ok())
        .map(|(n, _)| n);
    fold(&input.full_name) == fold(&existing.full_name)
        && nid == existing.national_id
        && input
            .birth_year
            .is_none_or(|y| Some(y) == existing.birth_year)
        && input.residence_unit_code == existing.residence_unit_code
}

/// Push a batch: one transaction. The items are checked in memory against what one
/// look-up per kind found, then written with a few multi-row statements and classified by
/// one cascade (see `batch`). Should another writer take an id or national ID between the
/// look-ups and the writes, the batch is replayed an item at a time, each in its own
/// savepoint, which gives the same answers.
pub fn push(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    input: PushBatch,
) -> AppResult<serde_json::Value> {
    if input.items.len() > MAX_ITEMS {
        return Err(AppError::field(
            "items",
            format!("at most {MAX_ITEMS} items per batch"),
        ));
    }
    // at least one of the sync roles
    if actor.scope(Action::PersonCreate).is_err() && actor.scope(Action::ContactLog).is_err() {
        return Err(AppError::Forbidden(
            "none of your role grants allows phone sync".into(),
        ));
    }
    let batch_id = input.batch_id.to_string();
    let at = now();
    crate::db::write_tx(conn, |conn| {
        // copies of the batch sent at once wait here for the first, then get its answer
        crate::db::lock_key(conn, &format!("batch {batch_id}"))?;
        if let Some(b) = store::get_batch(conn, &batch_id)? {
            if b.user_id != actor.user_id {
                return Err(AppError::conflict("this batch id was used by another user"));
            }
            return serde_json::from_str(&b.response).map_err(|e| AppError::Internal(e.into()));
        }
        let parsed: Vec<Parsed> = input
            .items
            .iter()
            .enumerate()
            .map(|(index, raw)| Parsed {
                index,
                kind: raw.get("kind").and_then(|k| k.as_str()).map(str::to_string),
                item: parse_item(raw),
            })
            .collect();
        let results = match conn.transaction(|c| batch::push_items(c, actor, rules, parsed, at)) {
            Ok(results) => results,
            Err(batch::Failure::Race) => {
                tracing::info!("a pushed batch met another writer: replaying it an item at a time");
                per_item(conn, actor, rules, &input.items, at)?
            }
            Err(batch::Failure::Error(e)) => return Err(e),
        };
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in &results {
            let key = serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            *counts.entry(key).or_default() += 1;
        }
        let result = PushResult {
            batch_id: batch_id.clone(),
            results,
            counts,
        };
        let value = serde_json::to_value(&result).map_err(|e| AppError::Internal(e.into()))?;
        store::insert_batch(
            conn,
            &BatchRow {
                id: batch_id.clone(),
                user_id: actor.user_id.clone(),
                item_count: result.results.len() as i32,
                response: value.to_string(),
                created_at: at,
            },
        )?;
        Ok(value)
    })
}

/// How many national IDs a batch carries (each one an identity look-up).
pub fn national_ids_in(batch: &PushBatch) -> usize {
    let has = |v: Option<&serde_json::Value>| v.is_some_and(|n| n.as_str().is_some());
    batch
        .items
        .iter()
        .take(MAX_ITEMS)
        .filter(|item| {
            let data = &item["data"];
            has(data.get("national_id"))
                || has(data
                    .get("contact_person")
                    .and_then(|p| p.get("national_id")))
        })
        .count()
}

/// An item as the phone sent it, parsed (or why it could not be).
struct Parsed {
    index: usize,
    kind: Option<String>,
    item: Result<SyncItem, AppError>,
}

/// The item's answer once `apply` has run it in its own savepoint.
fn applied(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    index: usize,
    kind: Option<String>,
    item: SyncItem,
    at: NaiveDateTime,
) -> AppResult<SyncItemResult> {
    match conn.transaction(|c| apply(c, actor, rules, item, at)) {
        Ok((id, status, notice_id)) => Ok(SyncItemResult {
            index,
            kind,
            id: Some(id),
            status,
            notice_id,
            problem: None,
        }),
        // an unexpected failure is the service's, not the item's: the batch fails whole
        // (and, when another transaction got in the way, runs again from the start)
        Err(ItemError { error, .. })
            if matches!(error, AppError::Internal(_)) || error.is_contention() =>
        {
            Err(error)
        }
        Err(ItemError { id, error }) => Ok(invalid(index, kind, id, &error)),
    }
}

/// Every item in turn, each in its own savepoint.
fn per_item(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    items: &[serde_json::Value],
    at: NaiveDateTime,
) -> AppResult<Vec<SyncItemResult>> {
    let mut results = Vec::with_capacity(items.len());
    for (index, raw) in items.iter().enumerate() {
        let kind = raw.get("kind").and_then(|k| k.as_str()).map(str::to_string);
        results.push(match parse_item(raw) {
            Ok(item) => applied(conn, actor, rules, index, kind, item, at)?,
            Err(e) => invalid(index, kind, None, &e),
        });
    }
    Ok(results)
}

/// An item's failure, with the id it carried.
struct ItemError {
    id: Option<String>,
    error: AppError,
}

impl From<diesel::result::Error> for ItemError {
    fn from(e: diesel::result::Error) -> Self {
        ItemError {
            id: None,
            error: e.into(),
        }
    }
}

fn apply(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    item: SyncItem,
    at: NaiveDateTime,
) -> Result<(String, SyncItemStatus, Option<String>), ItemError> {
    let need_id = |id: Option<Uuid>| {
        id.map(|u| u.to_string()).ok_or_else(|| ItemError {
            id: None,
            error: AppError::field(
                "data.id",
                "every synced record carries the id the phone gave it",
            ),
        })
    };
    match item {
        SyncItem::Person(p) => {
            let id = need_id(p.id)?;
            let fail = |error| ItemError {
                id: Some(id.clone()),
                error,
            };
            let scope = actor.scope(Action::PersonCreate).map_err(fail)?;
            let snapshot = p.clone();
            match create_in_tx(conn, actor, &scope, p, at, None).map_err(fail)? {
                Made::Notified(n) => Ok((id, SyncItemStatus::Notified, Some(n.id))),
                Made::Here(Outcome::Created(_)) => Ok((id, SyncItemStatus::Created, None)),
                Made::Here(Outcome::Existing(e)) if same_person(&snapshot, &e.person) => {
                    Ok((id, SyncItemStatus::Unchanged, None))
                }
                Made::Here(Outcome::Existing(e)) => Err(fail(AppError::Conflict {
                    detail: format!(
                        "a record with this id exists with other data (version {})",
                        e.person.version
                    ),
                    existing_id: Some(e.person.id),
                })),
            }
        }
        SyncItem::Contact(c) => {
            let id = need_id(c.id)?;
            let fail = |error| ItemError {
                id: Some(id.clone()),
                error,
            };
            let scope = actor.scope(Action::ContactLog).map_err(fail)?;
            let (a, first, last) = (
                c.person_id.to_string(),
                instant(c.first_at),
                instant(c.last_at),
            );
            match log_contact_in_tx(conn, actor, &scope, rules, c, at).map_err(fail)? {
                Made::Notified(n) => Ok((id, SyncItemStatus::Notified, Some(n.id))),
                Made::Here(Outcome::Created(_)) => Ok((id, SyncItemStatus::Created, None)),
                Made::Here(Outcome::Existing(e)) => {
                    let same = e.contact.person_id == a
                        && instant(e.contact.first_at) == first
                        && instant(e.contact.last_at) == last;
                    if same {
                        Ok((id, SyncItemStatus::Unchanged, None))
                    } else {
                        Err(fail(AppError::conflict(
                            "a contact with this id exists with other data",
                        )))
                    }
                }
            }
        }
        SyncItem::Landmark(l) => {
            let id = need_id(l.landmark.id)?;
            let fail = |error| ItemError {
                id: Some(id.clone()),
                error,
            };
            let scope = actor.scope(Action::ContactLog).map_err(fail)?;
            let existing = crate::store::workflow::landmarks_of_case(conn, &l.case_id.to_string())
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .find(|x| x.id == id);
            match existing {
                Some(x)
                    if x.place == crate::domain::text::tidy(&l.landmark.place)
                        && x.from_at == instant(l.landmark.from_at) =>
                {
                    Ok((id, SyncItemStatus::Unchanged, None))
                }
                Some(_) => Err(fail(AppError::conflict(
                    "a landmark with this id exists with other data",
                ))),
                None => {
                    add_landmark_in_tx(conn, actor, &scope, &l.case_id.to_string(), l.landmark, at)
                        .map_err(fail)?;
                    Ok((id, SyncItemStatus::Created, None))
                }
            }
        }
    }
}

// ---- pull -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    People,
    Contacts,
    Exposures,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    pub kind: Feed,
    /// The `next_cursor` of the last pull; absent for the first.
    #[param(pattern = "^[0-9]{1,16}_")]
    pub cursor: Option<String>,
    /// 1 to 1000 (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pulled {
    pub people: Vec<PersonOut>,
    pub contacts: Vec<ContactOut>,
    pub exposures: Vec<ExposureOut>,
    /// Pass it next time; it stays the same when nothing changed.
    pub next_cursor: String,
    /// More changes are waiting: pull again at once.
    pub more: bool,
}

fn parse_cursor(c: &str) -> AppResult<Mark> {
    let bad = || AppError::field("cursor", "not a cursor returned by a pull");
    let (micros, id) = c.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let ts = DateTime::<Utc>::from_timestamp_micros(micros)
        .ok_or_else(bad)?
        .naive_utc();
    Ok((ts, id.to_string()))
}

fn cursor_of(ts: NaiveDateTime, id: &str) -> String {
    format!("{}_{id}", ts.and_utc().timestamp_micros())
}

/// What changed in the user's jurisdiction since the cursor, oldest first by the time of
/// the last change (a contact retracted comes again). Changes younger than the settle time
/// wait for the next pull, so that none still committing is skipped.
pub fn pull(
    conn: &mut AnyConnection,
    actor: &Actor,
    settle_secs: i64,
    q: PullQuery,
) -> AppResult<Pulled> {
    let action = match q.kind {
        Feed::People => Action::PersonRead,
        Feed::Contacts | Feed::Exposures => Action::ContactRead,
    };
    let scope = actor.scope(action)?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(parse_cursor(c)?),
        None => None,
    };
    let until = now() - Duration::seconds(settle_secs);
    let ranges = scope.ranges();
    let mut out = Pulled {
        people: Vec::new(),
        contacts: Vec::new(),
        exposures: Vec::new(),
        next_cursor: q.cursor.clone().unwrap_or_default(),
        more: false,
    };
    let mut last: Option<Mark> = None;
    match q.kind {
        Feed::People => {
            let rows = store::people_changed(conn, &ranges, after.as_ref(), until, limit + 1)?;
            out.more = rows.len() as i64 > limit;
            for p in rows.into_iter().take(limit as usize) {
                last = Some((p.row.updated_at, p.row.id.clone()));
                out.people.push(PersonOut::from(&p));
            }
        }
        Feed::Contacts => {
            let rows = store::contacts_changed(conn, &ranges, after.as_ref(), until, limit + 1)?;
            out.more = rows.len() as i64 > limit;
            for c in rows.iter().take(limit as usize) {
                last = Some((c.updated_at, c.id.clone()));
                out.contacts.push(ContactOut::from(c));
            }
        }
        Feed::Exposures => {
            let rows = store::exposures_changed(conn, &ranges, after.as_ref(), until, limit + 1)?;
            out.more = rows.len() as i64 > limit;
            for e in rows.into_iter().take(limit as usize) {
                last = Some((e.updated_at, e.person_id.clone()));
                out.exposures.push(ExposureOut::from(e));
            }
        }
    }
    if let Some((ts, id)) = last {
        out.next_cursor = cursor_of(ts, &id);
    }
    Ok(out)
}
