//! The contact a notice carried, logged once its receiver accepted it.

use super::*;

/// Log the contact a notice carried, once its receiver accepted it: between the person the
/// sender traced and the person it is now linked to, as the sender logged it, then classify.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_notified_contact(
    conn: &mut AnyConnection,
    w: &Who,
    rules: Rules,
    source: &people_store::PersonRow,
    other_id: &str,
    sent: &SentContact,
    sent_by: &str,
    at: NaiveDateTime,
) -> AppResult<ContactOut> {
    let id = match sent.id.map(|u| u.to_string()) {
        Some(id) if store::get_contact(conn, &id)?.is_none() => id,
        _ => new_id(),
    };
    let contact = ContactRow {
        id,
        person_a: source.id.clone(),
        person_b: other_id.to_string(),
        first_at: instant(sent.first_at),
        last_at: instant(sent.last_at),
        place: sent.place.clone(),
        setting: sent.setting,
        proximity: sent.proximity,
        duration_minutes: sent.duration_minutes,
        masked: sent.masked,
        unit_path: source.unit_path.clone(),
        retracted_at: None,
        retract_reason: None,
        created_by: Some(sent_by.to_string()),
        created_at: at,
        // listed here when the receiver accepted it
        listed_at: at,
        updated_at: at,
    };
    let h = crate::domain::happened::Happened::now(at);
    store::insert_contact(conn, &contact)?;
    events::insert(conn, &logged_event(w, &contact, &h))?;
    let both = store::exposures_of(conn, &[contact.person_a.clone(), contact.person_b.clone()])?;
    let of = |id: &str| both.iter().find(|e| e.person_id == id).cloned();
    let (a, b) = (of(&contact.person_a), of(&contact.person_b));
    if why_not(&contact, a.as_ref(), b.as_ref(), rules.max_depth).is_none() {
        cascade(
            conn,
            w,
            vec![contact.person_a.clone(), contact.person_b.clone()],
            rules,
            &h,
            &format!("contact {}", contact.id),
        )?;
    }
    Ok(ContactOut::from(&contact))
}
