//! Reception (tiếp nhận): the receiving jurisdiction answers a notice sent to it. It accepts
//! and links the person to one of its records (or makes one from what was sent), and from
//! then on owns them; or it rejects the notice with a reason. Accepting a residence notice
//! logs the contact it carried and classifies; accepting an identity notice links the
//! sender's record into the receiver's, with its contacts.

use super::notices::{self, NoticeOut, Reader};
use super::people::{create_in_tx, from_sent};
use super::trace::{cascade, log_notified_contact};
use super::{require_reason, Made, Outcome};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::notices::{notice_transition, NoticeCommand, NoticeReason, NoticeState};
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::error::{AppError, AppResult};
use crate::service::versioned;
use crate::service::who;
use crate::store::events::Who;
use crate::store::events::{Entity, Event};
use crate::store::notices::{self as store, NoticeRow};
use crate::store::people::{self as people_store, PersonRow};
use crate::store::{now, trace as trace_store};
use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptNotice {
    /// The version of the notice you read.
    pub version: i32,
    /// Your record of the person, to link them to. Absent: a record is made from what
    /// was sent (for an identity notice: the record that holds the national ID).
    pub person_id: Option<Uuid>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectNotice {
    pub version: i32,
    /// Why (kept, and shown to the sender of a residence notice), at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

/// A notice sent to the actor's jurisdiction, locked, at the version they read, that may
/// take `command`: its row and the state it moves to.
fn answerable(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
    version: i32,
    command: NoticeCommand,
) -> AppResult<(NoticeRow, NoticeState)> {
    let n = store::get_for_update(conn, id)?
        .filter(|n| scope.covers(&n.to_path))
        .ok_or_else(|| AppError::not_found("notice"))?;
    let next = notice_transition(n.state, command)?;
    versioned::expect(version, n.version)?;
    Ok((n, next))
}

/// Write the answer and its event.
fn answer(
    conn: &mut AnyConnection,
    w: &Who,
    before: &NoticeRow,
    after: NoticeRow,
    action: &str,
) -> AppResult<NoticeOut> {
    versioned::applied(
        store::resolve(conn, &after, before.version)?,
        before.version,
    )?;
    let detail = serde_json::json!({
        "state": after.state,
        "linked_person_id": after.linked_person_id,
    });
    Event::on(Entity::Notice, &after.id, action)
        .before(&serde_json::json!({ "state": before.state }))
        .after(&detail)
        .reason_opt(after.resolution_reason.as_deref())
        .write(conn, w, after.resolved_at.unwrap_or_else(now))?;
    notices::out(&after, Reader::Receiver)
}

/// A record of the receiver's jurisdiction to link a person to.
fn own_record(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<PersonRow> {
    people_store::get_row(conn, id)?
        .filter(|p| scope.covers(&p.unit_path) && p.merged_into.is_none())
        .ok_or_else(|| AppError::field("person_id", "no such person in your jurisdiction"))
}

/// Follow a record merged into others to the one that stands.
fn standing(conn: &mut AnyConnection, id: &str) -> AppResult<Option<PersonRow>> {
    let mut row = people_store::get_row(conn, id)?;
    for _ in 0..16 {
        match row {
            Some(r) if r.merged_into.is_some() => {
                row = people_store::get_row(conn, r.merged_into.as_deref().unwrap_or_default())?
            }
            other => return Ok(other),
        }
    }
    Ok(row)
}

pub fn accept(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    id: &str,
    input: AcceptNotice,
) -> AppResult<NoticeOut> {
    input.validate()?;
    let scope = actor.scope(Action::NoticeResolve)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (n, next) = answerable(conn, &scope, id, input.version, NoticeCommand::Accept)?;
        let w = who(actor, &scope, &n.to_path);
        let linked = match n.reason {
            NoticeReason::Residence => {
                accept_residence(conn, actor, &scope, &w, rules, &n, &input, at)?
            }
            NoticeReason::Identity => accept_identity(conn, &scope, &w, rules, &n, &input, at)?,
        };
        let after = NoticeRow {
            state: next,
            linked_person_id: Some(linked),
            resolved_by: Some(actor.user_id.clone()),
            resolved_at: Some(at),
            resolution_reason: input
                .reason
                .as_deref()
                .map(crate::domain::text::tidy)
                .filter(|r| !r.is_empty()),
            version: n.version + 1,
            ..n.clone()
        };
        answer(conn, &w, &n, after, "accepted")
    })
}

/// A person who lives here: linked to the record named, or registered from what was sent;
/// then the contact the notice carried is logged and classified. The linked record's id.
#[allow(clippy::too_many_arguments)]
fn accept_residence(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    w: &Who,
    rules: Rules,
    n: &NoticeRow,
    input: &AcceptNotice,
    at: NaiveDateTime,
) -> AppResult<String> {
    let person = match input.person_id {
        Some(pid) => own_record(conn, scope, &pid.to_string())?,
        None => {
            let sent: notices::SentPerson =
                serde_json::from_str(&n.person_json).map_err(|e| AppError::Internal(e.into()))?;
            let create_scope = actor.scope(Action::PersonCreate)?;
            let made = create_in_tx(conn, actor, &create_scope, from_sent(&sent), at, None)?;
            let id = match made {
                Made::Here(Outcome::Created(p) | Outcome::Existing(p)) => p.person.id,
                Made::Notified(_) => {
                    return Err(AppError::field(
                        "person_id",
                        "the person sent lives outside your jurisdiction: name your record",
                    ))
                }
            };
            people_store::get_row(conn, &id)?.ok_or_else(|| AppError::not_found("person"))?
        }
    };
    if let (Some(json), Some(source_id)) = (&n.contact_json, &n.source_person_id) {
        let sent: notices::SentContact =
            serde_json::from_str(json).map_err(|e| AppError::Internal(e.into()))?;
        // the person traced may have been merged since: the contact goes to who stands
        if let Some(source) = standing(conn, source_id)? {
            log_notified_contact(conn, w, rules, &source, &person.id, &sent, &n.sent_by, at)?;
        }
    }
    Ok(person.id)
}

/// The sender's record holding the national ID pending is linked into the receiver's: it is
/// marked merged, its contacts move over, and the receiver's record is classified.
fn accept_identity(
    conn: &mut AnyConnection,
    scope: &Scope,
    w: &Who,
    rules: Rules,
    n: &NoticeRow,
    input: &AcceptNotice,
    at: NaiveDateTime,
) -> AppResult<String> {
    let target_id = input
        .person_id
        .map(|u| u.to_string())
        .or_else(|| n.matched_person_id.clone())
        .ok_or_else(|| AppError::field("person_id", "name your record of the person"))?;
    let target = own_record(conn, scope, &target_id)?;
    let Some(local) = n.local_person_id.as_deref() else {
        return Ok(target.id);
    };
    let Some(local) = standing(conn, local)? else {
        return Ok(target.id);
    };
    if local.id == target.id {
        return Ok(target.id);
    }
    let before = people_store::get_for_update(conn, &local.id)?
        .ok_or_else(|| AppError::not_found("person"))?;
    let after = people_store::Person {
        row: PersonRow {
            merged_into: Some(target.id.clone()),
            pending_national_id: None,
            version: before.row.version + 1,
            updated_by: w.actor_id.clone(),
            updated_at: at,
            ..before.row.clone()
        },
        phones: before.phones.clone(),
    };
    versioned::applied(
        people_store::update(conn, &after, before.row.version)?,
        before.row.version,
    )?;
    let moved = trace_store::repoint_contacts(conn, &local.id, &target.id, at)?;
    let why = format!("notice {}", n.id);
    let link = serde_json::json!({ "merged_into": target.id, "contacts_moved": moved.len() });
    Event::on(Entity::Person, &local.id, "linked_into")
        .after(&link)
        .reason(&why)
        .write(conn, w, at)?;
    let merged = serde_json::json!({ "linked_from_notice": n.id, "contacts_moved": moved.len() });
    Event::on(Entity::Person, &target.id, "linked")
        .after(&merged)
        .reason(&why)
        .write(conn, w, at)?;
    // the moved contacts classify the record they now belong to, from both their ends
    let mut seeds: Vec<String> = moved
        .iter()
        .flat_map(|c| [c.person_a.clone(), c.person_b.clone()])
        .map(|p| if p == local.id { target.id.clone() } else { p })
        .collect();
    seeds.push(target.id.clone());
    seeds.sort();
    seeds.dedup();
    let h = crate::domain::happened::Happened::now(at);
    cascade(conn, w, seeds, rules, &h, &why)?;
    Ok(target.id)
}

pub fn reject(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: RejectNotice,
) -> AppResult<NoticeOut> {
    let scope = actor.scope(Action::NoticeResolve)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (n, next) = answerable(conn, &scope, id, input.version, NoticeCommand::Reject)?;
        let w = who(actor, &scope, &n.to_path);
        let after = NoticeRow {
            state: next,
            resolved_by: Some(actor.user_id.clone()),
            resolved_at: Some(at),
            resolution_reason: Some(reason.clone()),
            version: n.version + 1,
            ..n.clone()
        };
        answer(conn, &w, &n, after, "rejected")
    })
}
