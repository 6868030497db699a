//! Registering a person: validate, place, write with its events and duplicate flags.

use super::*;

pub(super) fn field_errors(
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

pub(super) fn opt_text(s: Option<String>) -> Option<String> {
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
            sex: valid.sex,
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
            source: input.source.unwrap_or(Source::TracingInterview),
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
    Event::on(Entity::Person, &person.row.id, "created")
        .after(&snapshot(person))
        .row(who, at)
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
    let event = Event::on(Entity::Person, &person.row.id, "flagged_duplicate")
        .after(&detail)
        .reason(&flag.reason)
        .row(who, at);
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
