//! A person's own data: everything held about them, as one document, for their request.

use super::{access_out, AccessOut};
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::roles::Action;
use crate::domain::time::vn_date;
use crate::error::{AppError, AppResult};
use crate::service::people::PersonOut;
use crate::service::quarantine::{episode_out, EpisodeOut};
use crate::service::samples::SampleOut;
use crate::service::trace::{CaseOut, ContactOut, ExposureOut};
use crate::service::EventOut;
use crate::store::{self, access, events, people as people_store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The most of each kind a document holds (a person's contacts, events, accesses): far
/// more than any one person has.
const MOST: i64 = 100_000;

/// Everything held about one person: their record, classification, contacts, cases,
/// quarantine episodes, samples, the history of their record (with records merged into
/// it), and who has read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dossier {
    pub produced_at: DateTime<Utc>,
    pub person: PersonOut,
    pub exposure: Option<ExposureOut>,
    pub contacts: Vec<ContactOut>,
    pub cases: Vec<CaseOut>,
    pub episodes: Vec<EpisodeOut>,
    pub samples: Vec<SampleOut>,
    pub history: Vec<EventOut>,
    pub access_log: Vec<AccessOut>,
}

/// The document for a person in the officer's jurisdiction (404 for anyone else).
pub fn dossier(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<Dossier> {
    let scope = actor.scope(Action::SubjectAccess)?;
    let person = match people_store::get(conn, id)? {
        Some(p) if scope.covers(&p.row.unit_path) => p,
        _ => return Err(AppError::not_found("person")),
    };
    let contacts = store::trace::contacts_of(conn, id, MOST)?
        .iter()
        .map(ContactOut::from)
        .collect();
    let cases = store::merge::cases_of(conn, id)?
        .iter()
        .map(CaseOut::from)
        .collect();
    let today = vn_date(store::now());
    let mut episodes = Vec::new();
    for e in store::quarantine::episodes_of_person(conn, id)? {
        let tests = store::quarantine::tests_of(conn, &e.id)?;
        episodes.push(episode_out(&e, &tests, today));
    }
    let samples = store::samples::samples_of_person(conn, id)?
        .iter()
        .map(SampleOut::from)
        .collect();
    let family = people_store::merged_family(conn, id)?;
    let history = events::history(conn, events::Entity::Person.as_str(), &family, None, MOST)?
        .into_iter()
        .map(EventOut::from)
        .collect();
    let accesses = access::for_person(conn, id, None, MOST)?;
    let ids: Vec<String> = accesses.iter().map(|a| a.id.clone()).collect();
    let counts: std::collections::HashMap<String, i64> =
        access::counts(conn, &ids)?.into_iter().collect();
    let mut access_log = Vec::with_capacity(accesses.len());
    for a in accesses {
        let username = store::users::get(conn, &a.actor_id)?.map(|u| u.username);
        let all = counts.get(&a.id).copied().unwrap_or(0);
        access_log.push(access_out(a, username, all, vec![id.to_string()]));
    }
    Ok(Dossier {
        produced_at: store::now().and_utc(),
        person: PersonOut::from(&person),
        exposure: store::trace::exposure(conn, id)?.map(ExposureOut::from),
        contacts,
        cases,
        episodes,
        samples,
        history,
        access_log,
    })
}
