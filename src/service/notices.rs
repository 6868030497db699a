//! Notices across jurisdictions (`domain::notices`): what a sender sends, and the lists each
//! side reads. A notice is made in the transaction of the registration or the contact that
//! crossed the border; the receiving side answers it in `reception`.

use super::Page;
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::cases::{Proximity, Setting};
use crate::domain::classification::label;
use crate::domain::notices::{sender_sees, NoticeReason, NoticeState};
use crate::domain::people::Sex;
use crate::domain::roles::Action;
use crate::domain::units::code_of_path;
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::store::events::{Entity, Event, EventRow, Who};
use crate::store::new_id;
use crate::store::notices::{self as store, NoticeRow, Side};
use crate::store::people::NationalIdHolder;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A person as the sender gave them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentPerson {
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    pub national_id: Option<String>,
    pub passport_no: Option<String>,
    pub nationality: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    pub residence_address: Option<String>,
    pub residence_unit_code: String,
    pub occupation: Option<String>,
    pub workplace: Option<String>,
}

/// A contact as the sender logged it, between the person they traced and the person sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentContact {
    /// The phone's id for the contact: the contact's id once the notice is accepted.
    pub id: Option<Uuid>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub place: Option<String>,
    pub setting: Setting,
    pub proximity: Proximity,
    pub duration_minutes: Option<i32>,
    pub masked: bool,
}

/// The contact a residence notice carries, with the traced person and the level it implies.
pub struct ContactNotice {
    pub source_id: String,
    pub source_path: String,
    pub contact: SentContact,
    pub implied_level: Option<u8>,
}

/// A notice, as the side reading it may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: String,
    pub reason: NoticeReason,
    pub state: NoticeState,
    /// The jurisdiction that sent it.
    pub from_unit_code: String,
    /// The jurisdiction it was sent to.
    pub to_unit_code: String,
    pub sent_at: DateTime<Utc>,
    /// The person as the sender gave them.
    pub person: SentPerson,
    /// The contact the sender logged with them, if the notice came from one.
    pub contact: Option<SentContact>,
    /// The level the contact implies (`F1`, `F2`, …) when it was sent, if any.
    pub implied_level: Option<String>,
    /// For the receiving side: its record that holds the national ID sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_person_id: Option<String>,
    /// For the receiving side: the record the person was linked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_person_id: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub resolution_reason: Option<String>,
    pub version: i32,
}

/// Which side reads a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Receiver,
    Sender,
}

/// A stored notice as `reader` may see it.
pub fn out(n: &NoticeRow, reader: Reader) -> AppResult<NoticeOut> {
    let bad = |what: &str| AppError::Internal(anyhow::anyhow!("notice {}: {what}", n.id));
    let receiver = reader == Reader::Receiver;
    Ok(NoticeOut {
        id: n.id.clone(),
        reason: n.reason,
        state: n.state,
        from_unit_code: n.from_unit_code.clone(),
        to_unit_code: n.to_unit_code.clone(),
        sent_at: n.sent_at.and_utc(),
        person: serde_json::from_str(&n.person_json).map_err(|_| bad("person"))?,
        contact: match &n.contact_json {
            Some(c) => Some(serde_json::from_str(c).map_err(|_| bad("contact"))?),
            None => None,
        },
        implied_level: n.implied_level.map(|l| label(l as u8)),
        matched_person_id: n.matched_person_id.clone().filter(|_| receiver),
        linked_person_id: n.linked_person_id.clone().filter(|_| receiver),
        resolved_at: n.resolved_at.map(|t| t.and_utc()),
        resolution_reason: n.resolution_reason.clone(),
        version: n.version,
    })
}

/// The sender's jurisdiction: the root of theirs that holds `near` (the traced person, or
/// the record made), else their first.
fn from_root(scope: &Scope, near: Option<&str>) -> String {
    near.and_then(|p| scope.paths.iter().find(|root| p.starts_with(root.as_str())))
        .or(scope.paths.first())
        .cloned()
        .unwrap_or_else(|| "/".into())
}

fn sent_event(who: &Who, n: &NoticeRow, at: NaiveDateTime) -> EventRow {
    let detail = serde_json::json!({
        "reason": n.reason,
        "from_unit_code": n.from_unit_code,
        "to_unit_code": n.to_unit_code,
        "implied_level": n.implied_level,
    });
    Event::on(Entity::Notice, &n.id, "sent")
        .after(&detail)
        .row(who, at)
}

/// Where a notice goes: a unit's code and path.
pub struct Destination<'a> {
    pub unit_code: &'a str,
    pub path: &'a str,
}

/// A notice that a person the actor registered or traced lives at `to`, outside their
/// jurisdiction: nothing is recorded of them here.
pub fn residence(
    actor: &Actor,
    scope: &Scope,
    who: &Who,
    person: SentPerson,
    to: Destination,
    contact: Option<ContactNotice>,
    at: NaiveDateTime,
) -> AppResult<(NoticeRow, EventRow)> {
    let from = from_root(scope, contact.as_ref().map(|c| c.source_path.as_str()));
    let row = NoticeRow {
        id: new_id(),
        reason: NoticeReason::Residence,
        state: NoticeState::Sent,
        from_unit_code: code_of_path(&from).to_string(),
        from_path: from,
        to_unit_code: to.unit_code.to_string(),
        to_path: to.path.to_string(),
        person_json: to_json(&person)?,
        contact_json: match &contact {
            Some(c) => Some(to_json(&c.contact)?),
            None => None,
        },
        source_person_id: contact.as_ref().map(|c| c.source_id.clone()),
        implied_level: contact
            .as_ref()
            .and_then(|c| c.implied_level)
            .map(i32::from),
        local_person_id: None,
        matched_person_id: None,
        linked_person_id: None,
        sent_by: actor.user_id.clone(),
        sent_at: at,
        resolved_by: None,
        resolved_at: None,
        resolution_reason: None,
        version: 1,
    };
    let event = sent_event(who, &row, at);
    Ok((row, event))
}

/// A notice that the record `local` the actor made carries a national ID that `holder`
/// (outside their jurisdiction) holds: the holder's jurisdiction links or rejects it. The
/// actor is not told.
pub fn identity(
    scope: &Scope,
    who: &Who,
    person: SentPerson,
    local: (&str, &str),
    holder: &NationalIdHolder,
    at: NaiveDateTime,
    sent_by: &str,
) -> AppResult<(NoticeRow, EventRow)> {
    let (local_id, local_path) = local;
    let from = from_root(scope, Some(local_path));
    let row = NoticeRow {
        id: new_id(),
        reason: NoticeReason::Identity,
        state: NoticeState::Sent,
        from_unit_code: code_of_path(&from).to_string(),
        from_path: from,
        to_unit_code: holder.unit_code.clone(),
        to_path: holder.unit_path.clone(),
        person_json: to_json(&person)?,
        contact_json: None,
        source_person_id: None,
        implied_level: None,
        local_person_id: Some(local_id.to_string()),
        matched_person_id: Some(holder.id.clone()),
        linked_person_id: None,
        sent_by: sent_by.to_string(),
        sent_at: at,
        resolved_by: None,
        resolved_at: None,
        resolution_reason: None,
        version: 1,
    };
    let event = sent_event(who, &row, at);
    Ok((row, event))
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))
}

/// Write notices and their events.
pub fn insert(conn: &mut AnyConnection, made: &[(NoticeRow, EventRow)]) -> AppResult<()> {
    let rows: Vec<NoticeRow> = made.iter().map(|(n, _)| n.clone()).collect();
    store::insert(conn, &rows)?;
    let events: Vec<EventRow> = made.iter().map(|(_, e)| e.clone()).collect();
    crate::store::events::insert_many(conn, &events)?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NoticeSide {
    /// Notices sent to your jurisdiction ("notified from elsewhere").
    Incoming,
    /// Notices your jurisdiction sent (of people who live elsewhere).
    Sent,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `incoming` (default) or `sent`.
    pub side: Option<NoticeSide>,
    pub state: Option<NoticeState>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

pub fn list(conn: &mut AnyConnection, actor: &Actor, q: NoticeQuery) -> AppResult<Page<NoticeOut>> {
    let scope = actor.scope(Action::NoticeRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let (side, reader) = match q.side.unwrap_or(NoticeSide::Incoming) {
        NoticeSide::Incoming => (Side::Incoming, Reader::Receiver),
        NoticeSide::Sent => (Side::Sent, Reader::Sender),
    };
    let rows = store::list(
        conn,
        &scope.ranges(),
        side,
        q.state.map(NoticeState::as_str),
        paging.after(),
        paging.fetch(),
    )?;
    let items = rows
        .iter()
        .map(|n| out(n, reader))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.page(items, |n| n.id.clone()))
}

/// Which side may read a notice: its receiver, or (for a residence notice) its sender.
pub fn reader_of(scope: &Scope, n: &NoticeRow) -> Option<Reader> {
    if scope.covers(&n.to_path) {
        return Some(Reader::Receiver);
    }
    (sender_sees(n.reason) && scope.covers(&n.from_path)).then_some(Reader::Sender)
}

pub fn get(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<NoticeOut> {
    let scope = actor.scope(Action::NoticeRead)?;
    let n = store::get(conn, id)?.ok_or_else(|| AppError::not_found("notice"))?;
    match reader_of(&scope, &n) {
        Some(reader) => out(&n, reader),
        None => Err(AppError::not_found("notice")),
    }
}
