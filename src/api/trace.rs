//! /cases, /contacts, /reviews and the chain of a person: the trace step.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::domain::rules::Rules;
use crate::error::AppResult;
use crate::service::lookups::Asked;
use crate::service::notices::NoticeOut;
use crate::service::replies;
use crate::service::trace::{
    self as svc, CaseOut, CaseQuery, CaseTransition, Chain, ChainQuery, ConfirmCase, ConfirmedCase,
    ContactOut, ExposureOut, LogContact, LoggedContact, ResolveReview, RetractContact,
    RetractedContact, ReviewOut, TransitionedCase,
};
use crate::service::Page;
use crate::service::PageQuery;
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(confirm_case)
        .service(list_cases)
        .service(get_case)
        .service(transition_case)
        .service(log_contact)
        .service(retract_contact)
        .service(person_contacts)
        .service(person_exposure)
        .service(person_chain)
        .service(reviews)
        .service(resolve_review)
        .service(clusters);
}

/// Clusters of classified people connected by close contacts, largest first.
#[utoipa::path(tag = "trace", params(svc::ClusterQuery), responses((status = 200, body = svc::Clusters)))]
#[get("/clusters")]
async fn clusters(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<svc::ClusterQuery>,
) -> AppResult<web::Json<svc::Clusters>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run_lagging(move |c| svc::clusters(c, &actor, q))
            .await?,
    ))
}

fn rules(state: &AppState) -> Rules {
    state.config.rules
}

/// Confirm an F0 from a positive test; their contacts inside the window are classified in
/// the same transaction (F1, F2, F3 to the configured depth).
#[utoipa::path(tag = "trace", request_body = ConfirmCase, responses(
    (status = 201, body = ConfirmedCase, description = "Confirmed; `cascade` says who changed level"),
    (status = 200, body = ConfirmedCase, description = "Confirmed under this id before, by another request: nothing changed"),
))]
#[post("/cases")]
async fn confirm_case(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<ConfirmCase>,
) -> AppResult<HttpResponse> {
    let r = rules(&state);
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "cases", body.0.id, &body.1 .0, |c| {
                svc::confirm_case(c, &actor, r, body.0.clone())
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// Cases in your jurisdiction.
#[utoipa::path(tag = "trace", params(CaseQuery), responses((status = 200, body = Page<CaseOut>)))]
#[get("/cases")]
async fn list_cases(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<CaseQuery>,
) -> AppResult<web::Json<Page<CaseOut>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("list_cases", Action::CaseRead),
                move |c| svc::list_cases(c, &a, q),
            )
            .await?,
    ))
}

/// One case.
#[utoipa::path(tag = "trace", params(("id" = String, Path)), responses((status = 200, body = CaseOut)))]
#[get("/cases/{id}")]
async fn get_case(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<CaseOut>> {
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("get_case", Action::CaseRead),
                move |c| svc::get_case(c, &a, &id),
            )
            .await?,
    ))
}

/// Move a case: start_treatment, recover, die, or retract (a false positive, with a reason).
#[utoipa::path(tag = "trace", params(("id" = String, Path)), request_body = CaseTransition, responses((status = 200, body = TransitionedCase)))]
#[post("/cases/{id}/transitions")]
async fn transition_case(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CaseTransition>,
) -> AppResult<web::Json<TransitionedCase>> {
    let r = rules(&state);
    Ok(web::Json(
        state
            .write(move |c| svc::transition_case(c, &actor, r, &id, body.0.clone()))
            .await?,
    ))
}

/// Log a contact between two people (the second may be new: a name and a phone are
/// enough). The answer says whether it classifies, and why not when it does not.
#[utoipa::path(tag = "trace", request_body = LogContact, responses(
    (status = 201, body = LoggedContact, description = "Logged"),
    (status = 200, body = LoggedContact, description = "Logged under this id before, by another request: nothing changed"),
    (status = 202, body = NoticeOut, description = "The person met lives outside your jurisdiction: theirs was sent a notice with the contact, and nothing was recorded here"),
))]
#[post("/contacts")]
async fn log_contact(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<LogContact>,
) -> AppResult<HttpResponse> {
    let asked = Asked {
        operation: "log_contact",
        national_ids: usize::from(
            body.0
                .contact_person
                .as_ref()
                .is_some_and(|p| p.national_id.is_some()),
        ),
        phones: 0,
    };
    super::charge_lookups(&state, &actor, asked).await?;
    let r = rules(&state);
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "contacts", body.0.id, &body.1 .0, |c| {
                svc::log_contact(c, &actor, r, body.0.clone())
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// Retract a mistaken contact (kept, marked retracted); people whose level could drop go to
/// the review list.
#[utoipa::path(tag = "trace", params(("id" = String, Path)), request_body = RetractContact, responses((status = 200, body = RetractedContact)))]
#[post("/contacts/{id}/retract")]
async fn retract_contact(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<RetractContact>,
) -> AppResult<web::Json<RetractedContact>> {
    let r = rules(&state);
    Ok(web::Json(
        state
            .write(move |c| svc::retract_contact(c, &actor, r, &id, body.0.clone()))
            .await?,
    ))
}

/// A person's contacts, newest first.
#[utoipa::path(tag = "trace", params(("id" = String, Path)), responses((status = 200, body = Vec<ContactOut>)))]
#[get("/people/{id}/contacts")]
async fn person_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<ContactOut>>> {
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("person_contacts", Action::ContactRead),
                move |c| svc::contacts_of(c, &a, &id),
            )
            .await?,
    ))
}

/// A person's classification (F0 … F3), window and source.
#[utoipa::path(tag = "trace", params(("id" = String, Path)), responses((status = 200, body = ExposureOut)))]
#[get("/people/{id}/exposure")]
async fn person_exposure(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<ExposureOut>> {
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("person_exposure", Action::ContactRead),
                move |c| svc::exposure_of(c, &a, &id),
            )
            .await?,
    ))
}

/// The chain of exposure around a person, as nodes and edges for a graph viewer.
#[utoipa::path(tag = "trace", params(("id" = String, Path), ChainQuery), responses((status = 200, body = Chain)))]
#[get("/people/{id}/chain")]
async fn person_chain(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
    q: web::Query<ChainQuery>,
) -> AppResult<web::Json<Chain>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("person_chain", Action::ChainRead)
                    .from_replica(),
                move |c| svc::chain(c, &a, &id, q),
            )
            .await?,
    ))
}

/// People whose level could drop after a correction, for a health officer to decide.
#[utoipa::path(tag = "trace", params(PageQuery), responses((status = 200, body = Page<ReviewOut>)))]
#[get("/reviews")]
async fn reviews(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<ReviewOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::reviews(c, &actor, q.cursor, q.limit))
            .await?,
    ))
}

/// Apply the computed level or keep the current one, with a reason.
#[utoipa::path(tag = "trace", params(("id" = String, Path)), request_body = ResolveReview, responses((status = 204, description = "Resolved")))]
#[post("/reviews/{id}/resolve")]
async fn resolve_review(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<ResolveReview>,
) -> AppResult<HttpResponse> {
    state
        .write(move |c| svc::resolve_review(c, &actor, &id, body.0.clone()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
