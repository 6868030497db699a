//! The data protection officer: the access log, unusual reading, a person's own data.

use super::audit::RequestRef;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::privacy::{
    self as svc, AccessOut, AccessQuery, Dossier, UnusualQuery, UnusualReport,
};
use crate::service::Page;
use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(access_log).service(unusual).service(dossier);
}

/// Who has seen a person's record (`person_id`), or whose records a user opened
/// (`user_id`): every answer that showed their personal data, newest first, with the role
/// and grant, the operation, the request id and an export's purpose. Only people in your
/// jurisdiction are named.
#[utoipa::path(tag = "privacy", params(AccessQuery), responses((status = 200, body = Page<AccessOut>)))]
#[get("/access-log")]
async fn access_log(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<AccessQuery>,
) -> AppResult<web::Json<Page<AccessOut>>> {
    let q = q.into_inner();
    state.file_accesses(&actor, Action::AccessLogRead).await?;
    Ok(web::Json(
        state.run(move |c| svc::access_log(c, &actor, q)).await?,
    ))
}

/// Unusual reading on a day: the users of your jurisdiction who were shown far more people
/// than the others of their role (`UNUSUAL_READING_FACTOR` times their median, and at least
/// `UNUSUAL_READING_MIN_PEOPLE` people).
#[utoipa::path(tag = "privacy", params(UnusualQuery), responses((status = 200, body = UnusualReport)))]
#[get("/access-log/unusual")]
async fn unusual(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<UnusualQuery>,
) -> AppResult<web::Json<UnusualReport>> {
    let (rule, q) = (state.config.unusual_reading, q.into_inner());
    state.file_accesses(&actor, Action::AccessLogRead).await?;
    Ok(web::Json(
        state.run(move |c| svc::unusual(c, &actor, rule, q)).await?,
    ))
}

/// Everything held about one person, as one document, for a request from that person:
/// their record, classification, contacts, cases, episodes, samples, the history of their
/// record and who has read it. Producing it is itself recorded in the access log.
#[utoipa::path(tag = "privacy", params(("id" = String, Path)), responses((status = 200, body = Dossier)))]
#[get("/people/{id}/dossier")]
async fn dossier(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<Dossier>> {
    let reading = req.reading("person_dossier", Action::SubjectAccess);
    state.file_accesses(&actor, Action::SubjectAccess).await?;
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(&actor, reading, move |c| svc::dossier(c, &a, &id))
            .await?,
    ))
}
