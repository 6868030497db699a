//! Changing a person's record at the version read.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};
use chrono::NaiveDateTime;

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
        let before = lock_current(conn, &scope, id)?;
        versioned::expect(u.version, before.row.version)?;
        let r = &before.row;
        let valid = field_errors(rules::validate_person(
            &patched_facts(&u, &before),
            vn_date(at),
        ))?;
        let residence = match &u.residence_unit_code {
            Some(code) if code != &r.residence_unit_code => {
                (code.clone(), residence_path(conn, &scope, code)?)
            }
            _ => (r.residence_unit_code.clone(), r.unit_path.clone()),
        };
        let ids = national_id_change(conn, actor, &scope, r, valid.national_id.clone())?;
        let after = patched_record(&u, &before, valid, &ids, residence, &actor.user_id, at);
        if unchanged(&before, &after) {
            return Ok(PersonOut::from(&before)); // nothing changed: no new version, no event
        }
        versioned::applied(store::update(conn, &after, r.version)?, r.version)?;
        let path = &after.row.unit_path;
        if let Some(holder) = &ids.shared_with {
            let sent = SentPerson {
                national_id: after.row.pending_national_id.clone(),
                ..sent_of_record(&after)
            };
            let made = notices::identity(
                &scope,
                &who(actor, &scope, path),
                sent,
                (&after.row.id, path),
                holder,
                at,
                &actor.user_id,
            )?;
            notices::insert(conn, &[made])?;
        }
        let reason = u.reason.as_deref().map(tidy).filter(|s| !s.is_empty());
        Event::on(Entity::Person, id, "updated")
            .before(&snapshot(&before))
            .after(&snapshot(&after))
            .reason_opt(reason.as_deref())
            .write(conn, &who(actor, &scope, path), at)?;
        Ok(PersonOut::from(&after))
    })
}

/// Lock the record to update: one in the actor's jurisdiction that was not merged away.
fn lock_current(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<Person> {
    let before = match store::get_for_update(conn, id)? {
        Some(p) if scope.covers(&p.row.unit_path) => p,
        _ => return Err(AppError::not_found("person")),
    };
    if let Some(target) = &before.row.merged_into {
        return Err(AppError::conflict(format!(
            "this record was merged into {target}: update that one"
        )));
    }
    Ok(before)
}

/// A nullable field after a patch: absent keeps the current value, `null` clears it.
fn patched(patch: &Option<Option<String>>, current: &Option<String>) -> Option<String> {
    match patch {
        Some(v) => v.clone(),
        None => current.clone(),
    }
}

/// The facts the domain validates: the record with the patch applied.
fn patched_facts(u: &UpdatePerson, before: &Person) -> PersonFacts {
    let r = &before.row;
    PersonFacts {
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
            None => r.sex,
        },
        national_id: patched(&u.national_id, &r.national_id),
        passport_no: patched(&u.passport_no, &r.passport_no),
        nationality: patched(&u.nationality, &r.nationality),
        phones: u.phones.clone().unwrap_or_else(|| before.phones.clone()),
        vaccination_doses: u.vaccination_doses.unwrap_or(r.vaccination_doses),
    }
}

/// The record after the update, at the next version: the validated facts, its national
/// IDs, its residence `(unit code, path)`, and the other fields patched.
fn patched_record(
    u: &UpdatePerson,
    before: &Person,
    valid: rules::ValidPerson,
    ids: &NationalIds,
    (unit_code, path): (String, String),
    by: &str,
    at: NaiveDateTime,
) -> Person {
    let r = &before.row;
    Person {
        row: PersonRow {
            full_name: valid.full_name,
            name_folded: valid.name_folded,
            birth_date: valid.birth_date,
            birth_year: valid.birth_year,
            sex: valid.sex,
            national_id: ids.own.clone(),
            pending_national_id: ids.pending.clone(),
            passport_no: valid.passport_no,
            nationality: valid.nationality,
            residence_address: opt_text(patched(&u.residence_address, &r.residence_address)),
            residence_unit_code: unit_code,
            unit_path: path,
            current_location: opt_text(patched(&u.current_location, &r.current_location)),
            occupation: opt_text(patched(&u.occupation, &r.occupation)),
            workplace: opt_text(patched(&u.workplace, &r.workplace)),
            vaccination_doses: valid.vaccination_doses,
            source: u.source.unwrap_or(r.source),
            version: r.version + 1,
            updated_by: Some(by.to_string()),
            updated_at: at,
            ..r.clone()
        },
        phones: valid.phones,
    }
}

/// Whether an update changes nothing but the version and who touched it last.
fn unchanged(before: &Person, after: &Person) -> bool {
    let r = &before.row;
    let changed = PersonRow {
        version: r.version,
        updated_by: r.updated_by.clone(),
        updated_at: r.updated_at,
        ..after.row.clone()
    };
    changed == before.row && after.phones == before.phones
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
        sex: r.sex,
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
