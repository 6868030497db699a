//! Contacts: log one (the person met may be new, or live elsewhere), and the rules the batch path shares.

use super::*;
use std::ops::ControlFlow;

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewContactPerson {
    /// No digits or control characters.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^0-9\\x00-\\x1F\\x7F-\\x9F]*[^0-9\\s\\x00-\\x1F\\x7F-\\x9F][^0-9\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub full_name: String,
    /// At most 5.
    #[serde(default)]
    #[schema(value_type = Vec<crate::service::people::Phone>, max_items = 5)]
    pub phones: Vec<String>,
    /// CCCD (12 digits) or CMND (9 digits).
    #[schema(pattern = "^([0-9]{9}|[0-9]{12})$")]
    pub national_id: Option<String>,
    /// Where they live, if known; by default the unit of the person they met.
    #[schema(min_length = 1, max_length = 40)]
    pub residence_unit_code: Option<String>,
    /// From 1900 to this year.
    #[schema(minimum = 1900)]
    pub birth_year: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LogContact {
    /// A client-made UUID (a phone working offline): sending it again changes nothing.
    pub id: Option<Uuid>,
    /// The person being traced (usually the F0 or F1 interviewed).
    pub person_id: Uuid,
    /// The person they met, if registered …
    pub contact_person_id: Option<Uuid>,
    /// … or a new person: a name and a phone are enough.
    #[validate(nested)]
    pub contact_person: Option<NewContactPerson>,
    #[schema(value_type = crate::service::InstantSince2020)]
    pub first_at: DateTime<Utc>,
    /// Not before `first_at`, at most 60 days after it, and not in the future.
    pub last_at: DateTime<Utc>,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub place: Option<String>,
    pub setting: Setting,
    pub proximity: Proximity,
    #[validate(range(min = 0, max = 100000))]
    #[schema(minimum = 0, maximum = 100000)]
    pub duration_minutes: Option<i32>,
    #[serde(default)]
    pub masked: bool,
    /// When the tracer listed the contact (default: now); not before `first_at`, at most a
    /// few minutes ahead of the server's clock. The F1 is listed from then.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a contact listed more than the backdating limit (30 days) ago is recorded now.
    #[validate(length(min = 3, max = 1000))]
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: String,
    pub person_id: String,
    pub contact_person_id: String,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub place: Option<String>,
    pub setting: Setting,
    pub proximity: Proximity,
    pub duration_minutes: Option<i32>,
    pub masked: bool,
    pub retracted_at: Option<DateTime<Utc>>,
    pub retract_reason: Option<String>,
    /// When it was listed.
    pub listed_at: DateTime<Utc>,
    /// When it reached the server.
    pub created_at: DateTime<Utc>,
}

impl From<&ContactRow> for ContactOut {
    fn from(c: &ContactRow) -> Self {
        ContactOut {
            id: c.id.clone(),
            person_id: c.person_a.clone(),
            contact_person_id: c.person_b.clone(),
            first_at: utc(c.first_at),
            last_at: utc(c.last_at),
            place: c.place.clone(),
            setting: c.setting,
            proximity: c.proximity,
            duration_minutes: c.duration_minutes,
            masked: c.masked,
            retracted_at: c.retracted_at.map(utc),
            retract_reason: c.retract_reason.clone(),
            listed_at: utc(c.listed_at),
            created_at: utc(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedContact {
    pub contact: ContactOut,
    /// Whether the contact falls inside a classified person's window and is close.
    pub classifies: bool,
    /// Why it does not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub cascade: CascadeReport,
}

/// Why a contact does not classify, or None when it does.
pub(crate) fn why_not(
    c: &ContactRow,
    a: Option<&ExposureRow>,
    b: Option<&ExposureRow>,
    max_depth: u8,
) -> Option<String> {
    let proximity = c.proximity;
    if let Err(e) = is_close(proximity, c.masked, c.duration_minutes) {
        return Some(format!("not a close contact: {e}"));
    }
    let sides: Vec<&ExposureRow> = [a, b]
        .into_iter()
        .flatten()
        .filter(|e| e.status == ExposureStatus::Active)
        .collect();
    if sides.is_empty() {
        return Some("neither person is an active F0, F1 or F2".into());
    }
    let mut reasons = Vec::new();
    for e in sides {
        let w = Window {
            start: e.window_start,
            end: e.window_end,
        };
        if through(e.level as u8, &w, c.first_at, c.last_at, max_depth).is_some() {
            return None;
        }
        let name = label(e.level as u8);
        if e.level as u8 >= max_depth {
            reasons.push(format!("the {name} is at the deepest level traced"));
        } else if c.last_at < w.start {
            reasons.push(format!(
                "the contact ended before the {name}'s window opened ({})",
                utc(w.start)
            ));
        } else if let Some(end) = w.end {
            reasons.push(format!(
                "the contact began after the {name} was isolated ({})",
                utc(end)
            ));
        }
    }
    Some(reasons.join("; "))
}

/// What can be checked of a contact without the database: its times against the server's
/// clock `now`; it is listed when the answer says.
pub(crate) fn check_contact(
    input: &LogContact,
    rules: &Rules,
    now: NaiveDateTime,
) -> AppResult<Happened> {
    input.validate()?;
    let (first, last) = (instant(input.first_at), instant(input.last_at));
    if first < crate::domain::time::earliest_fact() {
        return Err(AppError::field("first_at", "must not be before 2020"));
    }
    if last < first {
        return Err(AppError::field("last_at", "must not be before first_at"));
    }
    if last > now + chrono::Duration::minutes(rules.facts.skew_minutes) {
        return Err(AppError::field("last_at", "must not be in the future"));
    }
    if (last - first).num_days() > 60 {
        return Err(AppError::field(
            "first_at",
            "a contact spans at most 60 days",
        ));
    }
    match (&input.contact_person_id, &input.contact_person) {
        (Some(_), None) | (None, Some(_)) => {}
        _ => {
            return Err(AppError::field(
                "contact_person_id",
                "give either contact_person_id or contact_person",
            ))
        }
    }
    let began = crate::service::happened::after(first, "the contact began (first_at)");
    crate::service::happened::happened_at(
        rules,
        now,
        "at",
        input.at,
        input.backdate_reason.as_deref(),
        Some(began),
    )
}

/// The registration of a person met, named in a contact (by default living where the
/// person traced lives).
pub(crate) fn inline_person(np: &NewContactPerson, source_unit_code: &str) -> CreatePerson {
    CreatePerson {
        id: None,
        full_name: np.full_name.clone(),
        birth_date: None,
        birth_year: np.birth_year,
        sex: None,
        national_id: np.national_id.clone(),
        passport_no: None,
        nationality: None,
        phones: np.phones.clone(),
        residence_address: None,
        residence_unit_code: np
            .residence_unit_code
            .clone()
            .unwrap_or_else(|| source_unit_code.to_string()),
        current_location: None,
        occupation: None,
        workplace: None,
        vaccination_doses: 0,
        source: Some(crate::domain::people::Source::TracingInterview),
    }
}

/// The id of the person met from the registration's outcome: a known national ID means the
/// contact is with that person, never a second record; the registration's field errors are
/// named under `contact_person`.
pub(crate) fn inline_person_id(made: AppResult<String>) -> AppResult<String> {
    match made {
        Ok(id) => Ok(id),
        Err(AppError::Conflict {
            existing_id: Some(id),
            ..
        }) => Ok(id),
        Err(AppError::Validation(errs)) => Err(AppError::Validation(
            errs.into_iter()
                .map(|e| {
                    crate::domain::FieldError::new(format!("contact_person.{}", e.field), e.message)
                })
                .collect(),
        )),
        Err(e) => Err(e),
    }
}

/// The contact a valid log makes.
pub(crate) fn contact_row(
    input: &LogContact,
    source: &people_store::PersonRow,
    other_id: String,
    actor: &Actor,
    h: &Happened,
) -> ContactRow {
    ContactRow {
        id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
        person_a: source.id.clone(),
        person_b: other_id,
        first_at: instant(input.first_at),
        last_at: instant(input.last_at),
        place: input.place.as_deref().map(tidy).filter(|s| !s.is_empty()),
        setting: input.setting,
        proximity: input.proximity,
        duration_minutes: input.duration_minutes,
        masked: input.masked,
        unit_path: source.unit_path.clone(),
        retracted_at: None,
        retract_reason: None,
        created_by: Some(actor.user_id.clone()),
        created_at: h.recorded_at,
        listed_at: h.at,
        updated_at: h.recorded_at,
    }
}

/// The event row of a logged contact.
pub(crate) fn logged_event(w: &Who, contact: &ContactRow, h: &Happened) -> EventRow {
    let after = serde_json::to_value(ContactOut::from(contact)).unwrap_or_default();
    Event::on(Entity::Contact, &contact.id, "logged")
        .after(&after)
        .fact_row(w, h)
}

pub fn log_contact(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    input: LogContact,
) -> AppResult<Made<LoggedContact>> {
    let scope = actor.scope(Action::ContactLog)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        log_contact_in_tx(conn, actor, &scope, rules, input, at)
    })
}

/// The level a contact would give the person met, from the classification of the person
/// traced: what a notice of them carries.
pub(crate) fn implied_level(
    source: Option<&ExposureRow>,
    input: &LogContact,
    max_depth: u8,
) -> Option<u8> {
    let up = source.filter(|e| e.status == ExposureStatus::Active)?;
    is_close(input.proximity, input.masked, input.duration_minutes).ok()?;
    let window = Window {
        start: up.window_start,
        end: up.window_end,
    };
    through(
        up.level as u8,
        &window,
        instant(input.first_at),
        instant(input.last_at),
        max_depth,
    )
    .map(|(level, _)| level)
}

/// What a notice of the person met carries of the contact.
pub(crate) fn sent_contact(input: &LogContact) -> SentContact {
    SentContact {
        id: input.id,
        first_at: input.first_at,
        last_at: input.last_at,
        place: input.place.as_deref().map(tidy).filter(|s| !s.is_empty()),
        setting: input.setting,
        proximity: input.proximity,
        duration_minutes: input.duration_minutes,
        masked: input.masked,
    }
}

/// The person met, by id: only someone in the actor's jurisdiction (a record merged into
/// another is followed). Anyone else answers as an id nobody has.
fn met_by_id(
    conn: &mut AnyConnection,
    scope: &Scope,
    row: Option<people_store::PersonRow>,
) -> AppResult<people_store::PersonRow> {
    let no_such = || AppError::field("contact_person_id", "no such person");
    let row = match row {
        Some(p) if p.merged_into.is_some() => {
            people_store::get_row(conn, p.merged_into.as_deref().unwrap_or_default())?
        }
        other => other,
    };
    row.filter(|p| scope.covers(&p.unit_path))
        .ok_or_else(no_such)
}

pub fn log_contact_in_tx(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    rules: Rules,
    input: LogContact,
    at: NaiveDateTime,
) -> AppResult<Made<LoggedContact>> {
    let h = check_contact(&input, &rules, at)?;
    if let Some(logged) = already_logged(conn, scope, &input)? {
        return Ok(Made::Here(Outcome::Existing(logged)));
    }
    let (source, other_id, known) = match (&input.contact_person_id, &input.contact_person) {
        (Some(id), _) => met_known(conn, scope, &input.person_id.to_string(), &id.to_string())?,
        (None, Some(np)) => match met_new(conn, actor, scope, rules, &input, np, at)? {
            ControlFlow::Continue(ends) => ends,
            ControlFlow::Break(notified) => return Ok(notified),
        },
        (None, None) => unreachable!("checked above"),
    };
    if other_id == source.id {
        return Err(AppError::field(
            "contact_person_id",
            "a person cannot be their own contact",
        ));
    }
    let contact = contact_row(&input, &source, other_id, actor, &h);
    store::insert_contact(conn, &contact)?;
    let w = who(actor, scope, &contact.unit_path);
    events::insert(conn, &logged_event(&w, &contact, &h))?;
    let (a, b) = match known {
        Some(pair) => pair,
        None => exposures_of_ends(conn, &contact)?,
    };
    let reason = why_not(&contact, a.as_ref(), b.as_ref(), rules.max_depth);
    let report = if reason.is_none() {
        cascade(
            conn,
            &w,
            vec![contact.person_a.clone(), contact.person_b.clone()],
            rules,
            &h,
            &format!("contact {}", contact.id),
        )?
    } else {
        CascadeReport::default()
    };
    Ok(Made::Here(Outcome::Created(LoggedContact {
        contact: ContactOut::from(&contact),
        classifies: reason.is_none(),
        reason,
        cascade: report,
    })))
}

/// The exposures of a contact's two ends, when both are known (`None` for someone
/// unclassified).
type EndExposures = (Option<ExposureRow>, Option<ExposureRow>);

/// The two ends of a contact about to be logged: the source, the other person's id and,
/// when the look-up of the people brought them, the exposures of both.
type Ends = (people_store::PersonRow, String, Option<EndExposures>);

/// A contact whose id was already used: the same contact again if the actor may see it
/// (logging it is idempotent), a conflict otherwise.
fn already_logged(
    conn: &mut AnyConnection,
    scope: &Scope,
    input: &LogContact,
) -> AppResult<Option<LoggedContact>> {
    let Some(id) = input.id else {
        return Ok(None);
    };
    let Some(existing) = store::get_contact(conn, &id.to_string())? else {
        return Ok(None);
    };
    if scope.covers(&existing.unit_path) {
        return Ok(Some(LoggedContact {
            contact: ContactOut::from(&existing),
            classifies: false,
            reason: Some("already logged".into()),
            cascade: CascadeReport::default(),
        }));
    }
    Err(AppError::conflict(
        "this id is already used by another record",
    ))
}

/// The ends of a contact with someone already on record (`id`), both people and their
/// exposures read in one query.
fn met_known(
    conn: &mut AnyConnection,
    scope: &Scope,
    source_id: &str,
    id: &str,
) -> AppResult<Ends> {
    let mut rows = store::pair_with_exposures(conn, source_id, id)?;
    let mut take = |wanted: &str| {
        rows.iter()
            .position(|(p, _)| p.id == wanted)
            .map(|i| rows.swap_remove(i))
    };
    let (source_row, other_row) = (take(source_id), take(id));
    let source_exposure = source_row.as_ref().and_then(|(_, e)| e.clone());
    let source = visible_row(source_row.map(|(p, _)| p), scope, "person_id")?;
    Ok(match other_row {
        Some((p, e)) if p.merged_into.is_none() && scope.covers(&p.unit_path) => {
            (source, p.id, Some((source_exposure, e)))
        }
        None if id == source_id => (source, id.to_string(), None),
        other => {
            let met = met_by_id(conn, scope, other.map(|(p, _)| p))?;
            (source, met.id, None)
        }
    })
}

/// The ends of a contact with someone described inline: the person is created (or found)
/// first. One said to live elsewhere may be notified there with the contact instead, which
/// ends the logging here (`Break`).
fn met_new(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    rules: Rules,
    input: &LogContact,
    np: &NewContactPerson,
    at: NaiveDateTime,
) -> AppResult<ControlFlow<Made<LoggedContact>, Ends>> {
    let source = visible_person(conn, scope, &input.person_id.to_string(), "person_id")?;
    let create = inline_person(np, &source.residence_unit_code);
    // a person said to live elsewhere may be notified there, with the contact
    let notice = match &np.residence_unit_code {
        Some(_) => {
            let up = store::exposures_of(conn, std::slice::from_ref(&source.id))?;
            Some(ContactNotice {
                source_id: source.id.clone(),
                source_path: source.unit_path.clone(),
                contact: sent_contact(input),
                implied_level: implied_level(up.first(), input, rules.max_depth),
            })
        }
        None => None,
    };
    let made = create_in_tx(conn, actor, scope, create, at, notice);
    let other_id = match made {
        Ok(Made::Notified(n)) => return Ok(ControlFlow::Break(Made::Notified(n))),
        Ok(Made::Here(Outcome::Created(p) | Outcome::Existing(p))) => Ok(p.person.id),
        Err(e) => Err(e),
    };
    Ok(ControlFlow::Continue((
        source,
        inline_person_id(other_id)?,
        None,
    )))
}

/// The exposures of both ends of a logged contact, read after it was written.
fn exposures_of_ends(conn: &mut AnyConnection, contact: &ContactRow) -> AppResult<EndExposures> {
    let both = store::exposures_of(conn, &[contact.person_a.clone(), contact.person_b.clone()])?;
    let of = |id: &str| both.iter().find(|e| e.person_id == id).cloned();
    Ok((of(&contact.person_a), of(&contact.person_b)))
}
