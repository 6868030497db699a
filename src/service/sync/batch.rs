//! The set-based push. A phone's batch is up to 1,000 items; run one by one, each costs a
//! savepoint and a dozen statements, which on PostgreSQL are as many network round trips.
//! Here the batch costs a handful of statements whatever its size:
//!
//! 1. look up, one `IN (…)` query per kind, every record the items name (people by id and
//!    by national ID, contacts by id, administrative units);
//! 2. run the items in order in memory against what was found, with the same checks and
//!    answers as `people::create_in_tx` and `trace::log_contact_in_tx` (which share these
//!    rules), each item seeing what the items before it made;
//! 3. write what they made with multi-row inserts (people, phones, contacts, duplicate
//!    flags, events);
//! 4. classify with one cascade seeded by every new contact that classifies, each change
//!    attributed to the contact it descends from.
//!
//! Landmarks are rare in a batch and keep the per-item path.

use super::{applied, invalid, same_person, Parsed, SyncItem, SyncItemResult, SyncItemStatus};
use crate::auth::{Actor, Scope};
use crate::db::AnyConnection;
use crate::domain::happened::Happened;
use crate::domain::people::parse_national_id;
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::error::AppError;
use crate::service::notices::{self, ContactNotice, Destination, Reader};
use crate::service::people::{
    created_event, duplicate_flag, new_person, placement, sent_person, validate_create,
    CreatePerson, PersonOut, Placement,
};
use crate::service::trace::{
    cascade_attributed, check_contact, contact_row, implied_level, inline_person, inline_person_id,
    logged_event, sent_contact, visible_row, why_not, LogContact,
};
use crate::service::who;
use crate::service::{Made, Outcome};
use crate::store::events::insert_many as insert_events;
use crate::store::events::{EventRow, Who};
use crate::store::instant;
use crate::store::notices::NoticeRow;
use crate::store::people::{
    self as people_store, FlagRow, NationalIdHolder, Person, PersonRow, PhoneRow,
};
use crate::store::people::{insert_flags, insert_rows as insert_person_rows};
use crate::store::trace::insert_contacts;
use crate::store::trace::{self as trace_store, ContactRow, ExposureRow};
use crate::store::units::{self as units_store, UnitRow};
use chrono::NaiveDateTime;
use std::collections::{BTreeSet, HashMap};

/// How many candidates the per-person duplicate query looks at (`likely_duplicates_of`).
const DUPLICATE_CANDIDATES: usize = 20;

/// Why the set-based push gave up.
pub(super) enum Failure {
    /// A write met a unique value another writer took after the look-ups: replay the batch
    /// an item at a time.
    Race,
    Error(AppError),
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_unique_violation(&e) {
            Failure::Race
        } else {
            Failure::Error(e.into())
        }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::Error(e)
    }
}

/// What the batch found and made so far, in memory.
#[derive(Default)]
struct Plan {
    /// People by id: those stored, then those the batch made.
    people: HashMap<String, PersonRow>,
    /// The records holding each national ID, likewise.
    by_national_id: HashMap<String, Vec<NationalIdHolder>>,
    /// The classifications of the people traced whose contact may be notified elsewhere.
    exposures: HashMap<String, ExposureRow>,
    units: HashMap<String, UnitRow>,
    /// Contacts by id: those stored, then those the batch made.
    contacts: HashMap<String, ContactRow>,
    /// New people in the order they were made, with who made them.
    created: Vec<(Person, Who)>,
    /// New contacts in order, with who logged them and when they were listed.
    logged: Vec<(ContactRow, Who, Happened)>,
    events: Vec<EventRow>,
    /// Notices sent to other jurisdictions.
    notices: Vec<(NoticeRow, EventRow)>,
}

/// The scopes of the actor, resolved once for the whole batch.
struct Scopes {
    create: Result<Scope, AppError>,
    log: Result<Scope, AppError>,
    read: Option<Scope>,
}

fn scope_of(s: &Result<Scope, AppError>) -> Result<&Scope, AppError> {
    match s {
        Ok(scope) => Ok(scope),
        Err(AppError::Forbidden(m)) => Err(AppError::Forbidden(m.clone())),
        Err(_) => Err(AppError::Forbidden(
            "none of your role grants allows this action".into(),
        )),
    }
}

fn need_id(id: Option<uuid::Uuid>) -> Result<String, AppError> {
    id.map(|u| u.to_string()).ok_or_else(|| {
        AppError::field(
            "data.id",
            "every synced record carries the id the phone gave it",
        )
    })
}

pub(super) fn push_items(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    parsed: Vec<Parsed>,
    at: NaiveDateTime,
) -> Result<Vec<SyncItemResult>, Failure> {
    let scopes = Scopes {
        create: actor.scope(Action::PersonCreate),
        log: actor.scope(Action::ContactLog),
        read: actor.scope(Action::PersonRead).ok(),
    };
    let mut plan = look_up(conn, &parsed)?;

    // 2. the items in order, in memory; landmarks wait for the per-item path
    let (mut results, landmarks) = plan_items(actor, &scopes, rules, &mut plan, parsed, at)?;

    // what the duplicate flags and the cascade need of the stored state, read before writing
    let (flags, flag_events) = duplicate_flags(conn, &plan, &scopes, at)?;
    let seeds = seeds(conn, &plan, rules)?;
    plan.events.extend(flag_events);

    // 3. the writes, a few multi-row statements
    write_plan(conn, &plan, &flags)?;

    // 4. one cascade for every new contact that classifies
    if !seeds.is_empty() {
        cascade_plan(conn, &plan, seeds, rules, at)?;
    }

    // landmarks, an item at a time
    for (index, kind, item) in landmarks {
        results.push(applied(conn, actor, rules, index, kind, item, at)?);
    }
    results.sort_by_key(|r| r.index);
    Ok(results)
}

/// A landmark, left for the per-item path: its index and kind as sent.
type SetAside = (usize, Option<String>, SyncItem);

/// 2. Each item against the plan, in memory: its result, and the landmarks set aside.
fn plan_items(
    actor: &Actor,
    scopes: &Scopes,
    rules: Rules,
    plan: &mut Plan,
    parsed: Vec<Parsed>,
    at: NaiveDateTime,
) -> Result<(Vec<SyncItemResult>, Vec<SetAside>), Failure> {
    let mut results: Vec<SyncItemResult> = Vec::with_capacity(parsed.len());
    let mut landmarks = Vec::new();
    for Parsed { index, kind, item } in parsed {
        let item = match item {
            Ok(SyncItem::Landmark(l)) => {
                landmarks.push((index, kind, SyncItem::Landmark(l)));
                continue;
            }
            Ok(item) => item,
            Err(e) => {
                results.push(invalid(index, kind, None, &e));
                continue;
            }
        };
        let (id, outcome) = match &item {
            SyncItem::Person(p) => match need_id(p.id) {
                Ok(id) => (Some(id), plan.person(actor, scopes, p, at)),
                Err(e) => (None, Err(e)),
            },
            SyncItem::Contact(c) => match need_id(c.id) {
                Ok(id) => (Some(id), plan.contact(actor, scopes, rules, c, at)),
                Err(e) => (None, Err(e)),
            },
            SyncItem::Landmark(_) => unreachable!("set aside above"),
        };
        results.push(match (outcome, id) {
            (Ok((status, notice_id)), id) => SyncItemResult {
                index,
                kind,
                id,
                status,
                notice_id,
                problem: None,
            },
            (Err(e @ AppError::Internal(_)), _) => return Err(Failure::Error(e)),
            (Err(e), id) => invalid(index, kind, id, &e),
        });
    }
    Ok((results, landmarks))
}

/// 3. The writes of the plan, a few multi-row statements.
fn write_plan(conn: &mut AnyConnection, plan: &Plan, flags: &[FlagRow]) -> Result<(), Failure> {
    let rows: Vec<PersonRow> = plan.created.iter().map(|(p, _)| p.row.clone()).collect();
    insert_person_rows(conn, &rows)?;
    let phones: Vec<PhoneRow> = plan
        .created
        .iter()
        .flat_map(|(p, _)| {
            p.phones.iter().map(|phone| PhoneRow {
                person_id: p.row.id.clone(),
                phone: phone.clone(),
            })
        })
        .collect();
    crate::store::people::insert_phones(conn, &phones)?;
    let contacts: Vec<ContactRow> = plan.logged.iter().map(|(c, _, _)| c.clone()).collect();
    insert_contacts(conn, &contacts)?;
    insert_flags(conn, flags)?;
    insert_events(conn, &plan.events)?;
    notices::insert(conn, &plan.notices)?;
    Ok(())
}

/// 4. One cascade for every new contact that classifies, attributed to the contacts.
fn cascade_plan(
    conn: &mut AnyConnection,
    plan: &Plan,
    seeds: Vec<String>,
    rules: Rules,
    at: NaiveDateTime,
) -> Result<(), Failure> {
    let by_contact: HashMap<String, (Who, Happened)> = plan
        .logged
        .iter()
        .map(|(c, w, h)| (c.id.clone(), (w.clone(), h.clone())))
        .collect();
    let fallback = plan
        .logged
        .first()
        .map(|(_, w, h)| (w.clone(), h.clone()))
        .unwrap_or_else(|| (Who::default(), Happened::now(at)));
    let new_contacts: HashMap<String, usize> = plan
        .logged
        .iter()
        .enumerate()
        .map(|(n, (c, _, _))| (c.id.clone(), n))
        .collect();
    cascade_attributed(conn, seeds, rules, &new_contacts, &|contact| {
        let (w, h) = by_contact.get(contact).unwrap_or(&fallback).clone();
        (w, format!("contact {contact}"), h)
    })?;
    Ok(())
}

/// 1. Everything the items name, one query per kind (chunked).
fn look_up(conn: &mut AnyConnection, parsed: &[Parsed]) -> Result<Plan, Failure> {
    let mut person_ids = BTreeSet::new();
    let mut contact_ids = BTreeSet::new();
    let mut national_ids = BTreeSet::new();
    let mut codes = BTreeSet::new();
    let mut traced_elsewhere = BTreeSet::new();
    let mut nid = |raw: &Option<String>| {
        if let Some((n, _)) = raw.as_deref().and_then(|n| parse_national_id(n).ok()) {
            national_ids.insert(n);
        }
    };
    for p in parsed {
        match &p.item {
            Ok(SyncItem::Person(x)) => {
                if let Some(id) = x.id {
                    person_ids.insert(id.to_string());
                }
                nid(&x.national_id);
                codes.insert(x.residence_unit_code.clone());
            }
            Ok(SyncItem::Contact(c)) => {
                if let Some(id) = c.id {
                    contact_ids.insert(id.to_string());
                }
                person_ids.insert(c.person_id.to_string());
                if let Some(id) = c.contact_person_id {
                    person_ids.insert(id.to_string());
                }
                if let Some(np) = &c.contact_person {
                    nid(&np.national_id);
                    if let Some(code) = &np.residence_unit_code {
                        codes.insert(code.clone());
                        traced_elsewhere.insert(c.person_id.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    let mut plan = Plan::default();
    let ids: Vec<String> = person_ids.into_iter().collect();
    for row in people_store::rows_by_ids(conn, &ids)? {
        // a contact's new person lives, by default, where the person traced lives
        codes.insert(row.residence_unit_code.clone());
        plan.people.insert(row.id.clone(), row);
    }
    // the records the merged ones were merged into, where a contact is logged against them
    let targets: Vec<String> = plan
        .people
        .values()
        .filter_map(|p| p.merged_into.clone())
        .filter(|t| !plan.people.contains_key(t))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for row in people_store::rows_by_ids(conn, &targets)? {
        plan.people.insert(row.id.clone(), row);
    }
    let nids: Vec<String> = national_ids.into_iter().collect();
    for (n, holder) in people_store::holders_of(conn, &nids)? {
        plan.by_national_id.entry(n).or_default().push(holder);
    }
    let traced: Vec<String> = traced_elsewhere.into_iter().collect();
    for e in trace_store::exposures_of(conn, &traced)? {
        plan.exposures.insert(e.person_id.clone(), e);
    }
    let codes: Vec<String> = codes.into_iter().collect();
    for u in units_store::get_many(conn, &codes)? {
        plan.units.insert(u.code.clone(), u);
    }
    let ids: Vec<String> = contact_ids.into_iter().collect();
    for c in trace_store::contacts_by_ids(conn, &ids)? {
        plan.contacts.insert(c.id.clone(), c);
    }
    Ok(plan)
}

impl Plan {
    /// `people::create_in_tx` over what the batch knows.
    #[allow(clippy::too_many_arguments)]
    fn create_person(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        read: Option<&Scope>,
        input: &CreatePerson,
        at: NaiveDateTime,
        contact: Option<ContactNotice>,
    ) -> Result<Made<PersonRow>, AppError> {
        let valid = validate_create(input, at)?;
        if let Some(id) = input.id {
            if let Some(existing) = self.people.get(&id.to_string()) {
                if read.is_some_and(|s| s.covers(&existing.unit_path))
                    || scope.covers(&existing.unit_path)
                {
                    return Ok(Made::Here(Outcome::Existing(existing.clone())));
                }
                return Err(AppError::conflict(
                    "this id is already used by another record",
                ));
            }
        }
        let code = &input.residence_unit_code;
        let no_holders = Vec::new();
        let holders = valid
            .national_id
            .as_ref()
            .and_then(|n| self.by_national_id.get(n))
            .unwrap_or(&no_holders);
        let (path, shared_with) = match placement(self.units.get(code), code, scope, read, holders)?
        {
            Placement::Elsewhere { unit_code, path } => {
                let w = who(actor, scope, &path);
                let to = Destination {
                    unit_code: &unit_code,
                    path: &path,
                };
                let made = notices::residence(
                    actor,
                    scope,
                    &w,
                    sent_person(input, &valid),
                    to,
                    contact,
                    at,
                )?;
                let out = notices::out(&made.0, Reader::Sender)?;
                self.notices.push(made);
                return Ok(Made::Notified(Box::new(out)));
            }
            Placement::Here { path, shared_with } => (path, shared_with),
        };
        let sent = shared_with.as_ref().map(|_| sent_person(input, &valid));
        let mut person = new_person(input, valid, &path, actor, at);
        if shared_with.is_some() {
            person.row.pending_national_id = person.row.national_id.take();
        }
        let w = who(actor, scope, &path);
        self.events.push(created_event(&w, &person, at));
        if let (Some(holder), Some(sent)) = (&shared_with, sent) {
            self.notices.push(notices::identity(
                scope,
                &w,
                sent,
                (&person.row.id, &path),
                holder,
                at,
                &actor.user_id,
            )?);
        }
        if let Some(nid) = person.row.national_id_here() {
            self.by_national_id
                .entry(nid.to_string())
                .or_default()
                .push(NationalIdHolder {
                    id: person.row.id.clone(),
                    unit_code: person.row.residence_unit_code.clone(),
                    unit_path: path.clone(),
                    pending: person.row.pending_national_id.is_some(),
                });
        }
        self.people
            .insert(person.row.id.clone(), person.row.clone());
        let row = person.row.clone();
        self.created.push((person, w));
        Ok(Made::Here(Outcome::Created(row)))
    }

    /// A person item: created, unchanged or a conflict (as `sync::apply`).
    fn person(
        &mut self,
        actor: &Actor,
        scopes: &Scopes,
        p: &CreatePerson,
        at: NaiveDateTime,
    ) -> Result<(SyncItemStatus, Option<String>), AppError> {
        let scope = scope_of(&scopes.create)?;
        match self.create_person(actor, scope, scopes.read.as_ref(), p, at, None)? {
            Made::Notified(n) => Ok((SyncItemStatus::Notified, Some(n.id))),
            Made::Here(Outcome::Created(_)) => Ok((SyncItemStatus::Created, None)),
            Made::Here(Outcome::Existing(row)) => {
                let existing = PersonOut::from(&Person {
                    row,
                    phones: Vec::new(),
                });
                if same_person(p, &existing) {
                    Ok((SyncItemStatus::Unchanged, None))
                } else {
                    Err(AppError::Conflict {
                        detail: format!(
                            "a record with this id exists with other data (version {})",
                            existing.version
                        ),
                        existing_id: Some(existing.id),
                    })
                }
            }
        }
    }

    /// A contact item: `trace::log_contact_in_tx` over what the batch knows, without the
    /// cascade (run once for the batch).
    fn contact(
        &mut self,
        actor: &Actor,
        scopes: &Scopes,
        rules: Rules,
        c: &LogContact,
        at: NaiveDateTime,
    ) -> Result<(SyncItemStatus, Option<String>), AppError> {
        let scope = scope_of(&scopes.log)?;
        let h = check_contact(c, &rules, at)?;
        if let Some(id) = c.id {
            if let Some(existing) = self.contacts.get(&id.to_string()) {
                if !scope.covers(&existing.unit_path) {
                    return Err(AppError::conflict(
                        "this id is already used by another record",
                    ));
                }
                let same = existing.person_a == c.person_id.to_string()
                    && existing.first_at == instant(c.first_at)
                    && existing.last_at == instant(c.last_at);
                return if same {
                    Ok((SyncItemStatus::Unchanged, None))
                } else {
                    Err(AppError::conflict(
                        "a contact with this id exists with other data",
                    ))
                };
            }
        }
        let source = visible_row(
            self.people.get(&c.person_id.to_string()).cloned(),
            scope,
            "person_id",
        )?;
        let other_id = match (&c.contact_person_id, &c.contact_person) {
            (Some(id), _) => {
                // the person met, by id: only someone in the jurisdiction (a merged record
                // followed); anyone else answers as an id nobody has
                let met = match self.people.get(&id.to_string()) {
                    Some(p) if p.merged_into.is_some() => self
                        .people
                        .get(p.merged_into.as_deref().unwrap_or_default()),
                    other => other,
                };
                match met.filter(|p| scope.covers(&p.unit_path)) {
                    Some(p) => p.id.clone(),
                    None => return Err(AppError::field("contact_person_id", "no such person")),
                }
            }
            (None, Some(np)) => {
                let create = inline_person(np, &source.residence_unit_code);
                let notice = np.residence_unit_code.as_ref().map(|_| ContactNotice {
                    source_id: source.id.clone(),
                    source_path: source.unit_path.clone(),
                    contact: sent_contact(c),
                    implied_level: implied_level(
                        self.exposures.get(&source.id),
                        c,
                        rules.max_depth,
                    ),
                });
                let made =
                    self.create_person(actor, scope, scopes.read.as_ref(), &create, at, notice);
                let made = match made {
                    Ok(Made::Notified(n)) => return Ok((SyncItemStatus::Notified, Some(n.id))),
                    Ok(Made::Here(Outcome::Created(p) | Outcome::Existing(p))) => Ok(p.id),
                    Err(e) => Err(e),
                };
                inline_person_id(made)?
            }
            (None, None) => unreachable!("checked by check_contact"),
        };
        if other_id == source.id {
            return Err(AppError::field(
                "contact_person_id",
                "a person cannot be their own contact",
            ));
        }
        let contact = contact_row(c, &source, other_id, actor, &h);
        let w = who(actor, scope, &contact.unit_path);
        self.events.push(logged_event(&w, &contact, &h));
        self.contacts.insert(contact.id.clone(), contact.clone());
        self.logged.push((contact, w, h));
        Ok((SyncItemStatus::Created, None))
    }
}

/// The likely-duplicate flags of the new people, as `people::flag_duplicates` would have
/// raised them one registration at a time: candidates are the stored people and those made
/// earlier in the batch (one query for all of the stored ones).
fn duplicate_flags(
    conn: &mut AnyConnection,
    plan: &Plan,
    scopes: &Scopes,
    at: NaiveDateTime,
) -> Result<(Vec<FlagRow>, Vec<EventRow>), Failure> {
    let eligible = |p: &Person| !p.phones.is_empty() && p.row.birth_year.is_some();
    let mut names = BTreeSet::new();
    let mut phones = BTreeSet::new();
    for (p, _) in plan.created.iter().filter(|(p, _)| eligible(p)) {
        names.insert(p.row.name_folded.clone());
        phones.extend(p.phones.iter().cloned());
    }
    if names.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let names: Vec<String> = names.into_iter().collect();
    let phones: Vec<String> = phones.into_iter().collect();
    // only records of the actor's jurisdiction are ever named to them
    let ours = |path: &str| {
        [
            scopes.create.as_ref().ok(),
            scopes.log.as_ref().ok(),
            scopes.read.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|s| s.covers(path))
    };
    let stored: Vec<Person> = people_store::duplicate_candidates(conn, &names, &phones)?
        .into_iter()
        .filter(|p| ours(&p.row.unit_path))
        .collect();
    let (mut flags, mut events) = (Vec::new(), Vec::new());
    for (i, (p, w)) in plan.created.iter().enumerate() {
        if !eligible(p) {
            continue;
        }
        let matches = |c: &&Person| {
            c.row.id != p.row.id
                && c.row.merged_into.is_none()
                && c.row.name_folded == p.row.name_folded
                && c.row.birth_year == p.row.birth_year
                && c.phones.iter().any(|x| p.phones.contains(x))
        };
        let mut candidates: Vec<&Person> = stored
            .iter()
            .chain(plan.created[..i].iter().map(|(q, _)| q))
            .filter(matches)
            .collect();
        candidates.sort_by(|a, b| a.row.id.cmp(&b.row.id));
        candidates.truncate(DUPLICATE_CANDIDATES);
        for c in candidates {
            if let Some((flag, event)) = duplicate_flag(w, p, c, at) {
                flags.push(flag);
                events.push(event);
            }
        }
    }
    Ok((flags, events))
}

/// Both people of every new contact that classifies on what is stored. A contact that only
/// classifies through an earlier one of the batch is reached by the cascade itself, from
/// the person that earlier contact classified.
fn seeds(conn: &mut AnyConnection, plan: &Plan, rules: Rules) -> Result<Vec<String>, Failure> {
    if plan.logged.is_empty() {
        return Ok(Vec::new());
    }
    let people: Vec<String> = plan
        .logged
        .iter()
        .flat_map(|(c, _, _)| [c.person_a.clone(), c.person_b.clone()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let exposures: HashMap<String, _> = trace_store::exposures_of(conn, &people)?
        .into_iter()
        .map(|e| (e.person_id.clone(), e))
        .collect();
    let mut seeds = Vec::new();
    for (c, _, _) in &plan.logged {
        let (a, b) = (exposures.get(&c.person_a), exposures.get(&c.person_b));
        if why_not(c, a, b, rules.max_depth).is_none() {
            seeds.push(c.person_a.clone());
            seeds.push(c.person_b.clone());
        }
    }
    Ok(seeds)
}
