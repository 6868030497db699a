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
use crate::db::batch::{insert_contacts, insert_events, insert_flags, insert_person_rows};
use crate::db::AnyConnection;
use crate::domain::people::parse_national_id;
use crate::domain::roles::Action;
use crate::error::AppError;
use crate::service::people::{
    created_event, duplicate_flag, new_person, residence_path_of, validate_create, who,
    CreatePerson, Outcome, PersonOut,
};
use crate::service::trace::{
    cascade_attributed, check_contact, contact_row, inline_person, inline_person_id, logged_event,
    visible_row, why_not, LogContact, Rules,
};
use crate::store::events::{EventRow, Who};
use crate::store::instant;
use crate::store::people::{self as people_store, FlagRow, Person, PersonRow, PhoneRow};
use crate::store::trace::{self as trace_store, ContactRow};
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
    /// Person ids by national ID, likewise.
    by_national_id: HashMap<String, String>,
    units: HashMap<String, UnitRow>,
    /// Contacts by id: those stored, then those the batch made.
    contacts: HashMap<String, ContactRow>,
    /// New people in the order they were made, with who made them.
    created: Vec<(Person, Who)>,
    /// New contacts in order, with who logged them.
    logged: Vec<(ContactRow, Who)>,
    events: Vec<EventRow>,
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
                Ok(id) => (Some(id), plan.person(actor, &scopes, p, at)),
                Err(e) => (None, Err(e)),
            },
            SyncItem::Contact(c) => match need_id(c.id) {
                Ok(id) => (Some(id), plan.contact(actor, &scopes, c, at)),
                Err(e) => (None, Err(e)),
            },
            SyncItem::Landmark(_) => unreachable!("set aside above"),
        };
        results.push(match (outcome, id) {
            (Ok(status), id) => SyncItemResult {
                index,
                kind,
                id,
                status,
                problem: None,
            },
            (Err(e @ AppError::Internal(_)), _) => return Err(Failure::Error(e)),
            (Err(e), id) => invalid(index, kind, id, &e),
        });
    }

    // what the duplicate flags and the cascade need of the stored state, read before writing
    let (flags, flag_events) = duplicate_flags(conn, &plan, at)?;
    let seeds = seeds(conn, &plan, rules)?;

    // 3. the writes, a few multi-row statements
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
    crate::db::batch::insert_phones(conn, &phones)?;
    let contacts: Vec<ContactRow> = plan.logged.iter().map(|(c, _)| c.clone()).collect();
    insert_contacts(conn, &contacts)?;
    insert_flags(conn, &flags)?;
    plan.events.extend(flag_events);
    insert_events(conn, &plan.events)?;

    // 4. one cascade for every new contact that classifies
    if !seeds.is_empty() {
        let by_contact: HashMap<String, Who> = plan
            .logged
            .iter()
            .map(|(c, w)| (c.id.clone(), w.clone()))
            .collect();
        let fallback = plan
            .logged
            .first()
            .map(|(_, w)| w.clone())
            .unwrap_or_default();
        let new_contacts: HashMap<String, usize> = plan
            .logged
            .iter()
            .enumerate()
            .map(|(n, (c, _))| (c.id.clone(), n))
            .collect();
        cascade_attributed(conn, seeds, rules, at, &new_contacts, &|contact| {
            let w = by_contact.get(contact).unwrap_or(&fallback).clone();
            (w, format!("contact {contact}"))
        })?;
    }

    // landmarks, an item at a time
    for (index, kind, item) in landmarks {
        results.push(applied(conn, actor, rules, index, kind, item, at)?);
    }
    results.sort_by_key(|r| r.index);
    Ok(results)
}

/// 1. Everything the items name, one query per kind (chunked).
fn look_up(conn: &mut AnyConnection, parsed: &[Parsed]) -> Result<Plan, Failure> {
    let mut person_ids = BTreeSet::new();
    let mut contact_ids = BTreeSet::new();
    let mut national_ids = BTreeSet::new();
    let mut codes = BTreeSet::new();
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
    let nids: Vec<String> = national_ids.into_iter().collect();
    for (n, id) in people_store::ids_by_national_ids(conn, &nids)? {
        plan.by_national_id.insert(n, id);
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
    fn create_person(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        read: Option<&Scope>,
        input: &CreatePerson,
        at: NaiveDateTime,
        residence_anywhere: bool,
    ) -> Result<Outcome<PersonRow>, AppError> {
        let valid = validate_create(input, at)?;
        if let Some(id) = input.id {
            if let Some(existing) = self.people.get(&id.to_string()) {
                if read.is_some_and(|s| s.covers(&existing.unit_path))
                    || scope.covers(&existing.unit_path)
                {
                    return Ok(Outcome::Existing(existing.clone()));
                }
                return Err(AppError::conflict(
                    "this id is already used by another record",
                ));
            }
        }
        let code = &input.residence_unit_code;
        let unit = self.units.get(code);
        let path = if residence_anywhere {
            residence_path_of(unit, &Scope::everywhere(), code)?
        } else {
            residence_path_of(unit, scope, code)?
        };
        if let Some(nid) = &valid.national_id {
            if let Some(existing) = self.by_national_id.get(nid) {
                return Err(AppError::Conflict {
                    detail: "a person with this national ID is already registered".into(),
                    existing_id: Some(existing.clone()),
                });
            }
        }
        let person = new_person(input, valid, &path, actor, at);
        let w = who(actor, scope, &path);
        self.events.push(created_event(&w, &person, at));
        if let Some(nid) = &person.row.national_id {
            self.by_national_id
                .insert(nid.clone(), person.row.id.clone());
        }
        self.people
            .insert(person.row.id.clone(), person.row.clone());
        let row = person.row.clone();
        self.created.push((person, w));
        Ok(Outcome::Created(row))
    }

    /// A person item: created, unchanged or a conflict (as `sync::apply`).
    fn person(
        &mut self,
        actor: &Actor,
        scopes: &Scopes,
        p: &CreatePerson,
        at: NaiveDateTime,
    ) -> Result<SyncItemStatus, AppError> {
        let scope = scope_of(&scopes.create)?;
        match self.create_person(actor, scope, scopes.read.as_ref(), p, at, false)? {
            Outcome::Created(_) => Ok(SyncItemStatus::Created),
            Outcome::Existing(row) => {
                let existing = PersonOut::from(&Person {
                    row,
                    phones: Vec::new(),
                });
                if same_person(p, &existing) {
                    Ok(SyncItemStatus::Unchanged)
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
        c: &LogContact,
        at: NaiveDateTime,
    ) -> Result<SyncItemStatus, AppError> {
        let scope = scope_of(&scopes.log)?;
        check_contact(c, at)?;
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
                    Ok(SyncItemStatus::Unchanged)
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
            (Some(id), _) => match self.people.get(&id.to_string()) {
                Some(p) if p.merged_into.is_none() => p.id.clone(),
                Some(p) => p.merged_into.clone().unwrap_or_default(),
                None => return Err(AppError::field("contact_person_id", "no such person")),
            },
            (None, Some(np)) => {
                let create = inline_person(np, &source.residence_unit_code);
                let made = self.create_person(
                    actor,
                    scope,
                    scopes.read.as_ref(),
                    &create,
                    at,
                    np.residence_unit_code.is_some(),
                );
                inline_person_id(made.map(|o| match o {
                    Outcome::Created(p) | Outcome::Existing(p) => p.id,
                }))?
            }
            (None, None) => unreachable!("checked by check_contact"),
        };
        if other_id == source.id {
            return Err(AppError::field(
                "contact_person_id",
                "a person cannot be their own contact",
            ));
        }
        let contact = contact_row(c, &source, other_id, actor, at);
        let w = who(actor, scope, &contact.unit_path);
        self.events.push(logged_event(&w, &contact, at));
        self.contacts.insert(contact.id.clone(), contact.clone());
        self.logged.push((contact, w));
        Ok(SyncItemStatus::Created)
    }
}

/// The likely-duplicate flags of the new people, as `people::flag_duplicates` would have
/// raised them one registration at a time: candidates are the stored people and those made
/// earlier in the batch (one query for all of the stored ones).
fn duplicate_flags(
    conn: &mut AnyConnection,
    plan: &Plan,
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
    let stored = people_store::duplicate_candidates(conn, &names, &phones)?;
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
        .flat_map(|(c, _)| [c.person_a.clone(), c.person_b.clone()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let exposures: HashMap<String, _> = trace_store::exposures_of(conn, &people)?
        .into_iter()
        .map(|e| (e.person_id.clone(), e))
        .collect();
    let mut seeds = Vec::new();
    for (c, _) in &plan.logged {
        let (a, b) = (exposures.get(&c.person_a), exposures.get(&c.person_b));
        if why_not(c, a, b, rules.max_depth).is_none() {
            seeds.push(c.person_a.clone());
            seeds.push(c.person_b.clone());
        }
    }
    Ok(seeds)
}
