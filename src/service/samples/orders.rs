//! Sample orders: ad hoc, and reading samples.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct OrderSample {
    pub id: Option<Uuid>,
    pub person_id: String,
    pub kind: SampleKind,
    /// The local date it is due (default: today).
    pub due_date: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Order a sample ad hoc (health officers).
pub fn order_sample(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: OrderSample,
) -> AppResult<crate::service::Outcome<SampleOut>> {
    let scope = actor.scope(Action::SampleOrder)?;
    let at = now();
    let today = vn_date(at);
    let due = input.due_date.unwrap_or(today);
    if due < today - Duration::days(1) || due > today + Duration::days(60) {
        return Err(AppError::field(
            "due_date",
            "must be from yesterday to 60 days ahead",
        ));
    }
    crate::db::write_tx(conn, |conn| {
        if let Some(id) = input.id {
            if let Some(s) = store::get_sample(conn, &id.to_string())? {
                if s.person_id == input.person_id && scope.covers(&s.unit_path) {
                    return Ok(crate::service::Outcome::Existing(SampleOut::from(&s)));
                }
                return Err(AppError::conflict("this id belongs to another sample"));
            }
        }
        let person = match people_store::get_row(conn, &input.person_id)? {
            Some(p) if scope.covers(&p.unit_path) => p,
            _ => {
                return Err(AppError::field(
                    "person_id",
                    "no such person in your jurisdiction",
                ))
            }
        };
        let mut s = new_sample(&person.id, &person.unit_path, input.kind, "ad_hoc", due, at);
        if let Some(id) = input.id {
            s.id = id.to_string();
        }
        s.note = input.note.as_deref().map(crate::domain::text::tidy);
        s.created_by = Some(actor.user_id.clone());
        store::insert_samples(conn, std::slice::from_ref(&s))?;
        Event::on(Entity::Sample, &s.id, "ordered")
            .after(&json!({"person_id": s.person_id, "kind": s.kind, "due_date": due}))
            .write(conn, &who_as(actor, scope.role_at(&s.unit_path)), at)?;
        Ok(crate::service::Outcome::Created(SampleOut::from(&s)))
    })
}

pub fn get_sample(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<SampleOut> {
    let scope = actor.scope(Action::SampleRead)?;
    Ok(SampleOut::from(&visible_sample(conn, &scope, id)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplesQuery {
    pub person_id: String,
}

pub fn samples_of_person(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SamplesQuery,
) -> AppResult<Vec<SampleOut>> {
    let scope = actor.scope(Action::SampleRead)?;
    match people_store::get_row(conn, &q.person_id)? {
        Some(p) if scope.covers(&p.unit_path) => {}
        _ => {
            return Err(AppError::field(
                "person_id",
                "no such person in your jurisdiction",
            ))
        }
    }
    Ok(store::samples_of_person(conn, &q.person_id)?
        .iter()
        .map(SampleOut::from)
        .collect())
}
