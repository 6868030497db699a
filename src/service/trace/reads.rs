//! Retracting a contact, and reading a person's contacts and classification.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RetractContact {
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetractedContact {
    pub contact: ContactOut,
    /// People put on the review list because their level could drop.
    pub reviews_opened: usize,
}

/// Retract a mistaken contact: it is kept, marked retracted; who it classified is reviewed.
pub fn retract_contact(
    conn: &mut AnyConnection,
    actor: &Actor,
    rules: Rules,
    id: &str,
    input: RetractContact,
) -> AppResult<RetractedContact> {
    let scope = actor.scope(Action::ContactLog)?;
    let reason = require_reason(&input.reason)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let contact = match store::get_contact(conn, id)? {
            Some(c) if scope.covers(&c.unit_path) => c,
            _ => return Err(AppError::not_found("contact")),
        };
        if !store::retract_contact(conn, id, at, &reason)? {
            return Err(AppError::conflict("this contact was already retracted"));
        }
        let w = who(actor, &scope, &contact.unit_path);
        Event::on(Entity::Contact, id, "retracted")
            .reason(&reason)
            .write(conn, &w, at)?;
        let opened = after_correction(
            conn,
            &w,
            vec![contact.person_a.clone(), contact.person_b.clone()],
            None,
            rules,
            at,
            &reason,
        )?;
        let after = store::get_contact(conn, id)?.ok_or_else(|| AppError::not_found("contact"))?;
        Ok(RetractedContact {
            contact: ContactOut::from(&after),
            reviews_opened: opened,
        })
    })
}

pub fn contacts_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
) -> AppResult<Vec<ContactOut>> {
    let scope = actor.scope(Action::ContactRead)?;
    match people_store::get(conn, person)? {
        Some(p) if scope.covers(&p.row.unit_path) => {}
        _ => return Err(AppError::not_found("person")),
    }
    Ok(store::contacts_of(conn, person, 500)?
        .iter()
        .map(ContactOut::from)
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureOut {
    pub person_id: String,
    /// F0, F1, F2, F3.
    pub level: String,
    /// active, recovered, deceased, declassified.
    pub status: String,
    pub window_start: DateTime<Utc>,
    pub window_end: Option<DateTime<Utc>>,
    /// The upstream person through whom the level was reached.
    pub via_person_id: Option<String>,
    pub case_id: Option<String>,
    pub classified_at: DateTime<Utc>,
}

pub fn exposure_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
) -> AppResult<ExposureOut> {
    let scope = actor.scope(Action::ContactRead)?;
    match people_store::get(conn, person)? {
        Some(p) if scope.covers(&p.row.unit_path) => {}
        _ => return Err(AppError::not_found("person")),
    }
    let e = store::exposure(conn, person)?
        .ok_or_else(|| AppError::NotFound("this person is not classified".into()))?;
    Ok(ExposureOut::from(e))
}

impl From<ExposureRow> for ExposureOut {
    fn from(e: ExposureRow) -> Self {
        ExposureOut {
            person_id: e.person_id,
            level: label(e.level as u8),
            status: e.status.to_string(),
            window_start: utc(e.window_start),
            window_end: e.window_end.map(utc),
            via_person_id: e.via_person_id,
            case_id: e.case_id,
            classified_at: utc(e.classified_at),
        }
    }
}
