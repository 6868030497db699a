//! /people: the registry.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::lookups::Asked;
use crate::service::notices::NoticeOut;
use crate::service::people::{
    self as svc, CreatePerson, CreatedPerson, DismissFlag, DuplicateFlagOut, MergePeople,
    PersonOut, PersonRead, SearchQuery, UpdatePerson,
};
use crate::service::replies;
use crate::service::PageQuery;
use crate::service::{EventOut, Page};
use actix_web::{get, patch, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(search)
        .service(create)
        .service(duplicates)
        .service(dismiss_duplicate)
        .service(get_person)
        .service(update)
        .service(history)
        .service(merge);
}

/// Search people in your jurisdiction by name (diacritics ignored), phone or national ID.
#[utoipa::path(tag = "people", operation_id = "search_people", params(SearchQuery), responses((status = 200, body = Page<PersonOut>)))]
#[get("/people")]
async fn search(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<SearchQuery>,
) -> AppResult<web::Json<Page<PersonOut>>> {
    let q = q.into_inner();
    let given =
        |v: &Option<String>| usize::from(v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let asked = Asked {
        operation: "search_people",
        national_ids: given(&q.national_id),
        phones: given(&q.phone),
    };
    super::charge_lookups(&state, &actor, asked).await?;
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("search_people", Action::PersonRead),
                move |c| svc::search(c, &a, q),
            )
            .await?,
    ))
}

/// Register a person. A known national ID is refused (409 names the existing record). The
/// same request sent again with its client-made id gets the first answer again; another
/// request with that id gets the record made the first time (200).
#[utoipa::path(tag = "people", operation_id = "register_person", request_body = CreatePerson, responses(
    (status = 201, body = CreatedPerson, description = "Registered"),
    (status = 200, body = CreatedPerson, description = "Registered under this id before (by another request, or longer ago than the first answer is kept): nothing changed"),
    (status = 202, body = NoticeOut, description = "The person lives outside your jurisdiction: theirs was sent a notice, and nothing was recorded here"),
))]
#[post("/people")]
async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreatePerson>,
) -> AppResult<HttpResponse> {
    let asked = Asked {
        operation: "register_person",
        national_ids: usize::from(body.0.national_id.is_some()),
        phones: 0,
    };
    super::charge_lookups(&state, &actor, asked).await?;
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "people", body.0.id, &body.1 .0, |c| {
                svc::create(c, &actor, body.0.clone())
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// Open likely-duplicate flags in your jurisdiction.
#[utoipa::path(tag = "people", params(PageQuery), responses((status = 200, body = Page<DuplicateFlagOut>)))]
#[get("/people/duplicates")]
async fn duplicates(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<DuplicateFlagOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state.run(move |c| svc::duplicates(c, &actor, q)).await?,
    ))
}

/// Dismiss a likely-duplicate flag: they are two different people.
#[utoipa::path(tag = "people", params(("flag_id" = String, Path)), request_body = DismissFlag, responses((status = 204, description = "Dismissed")))]
#[post("/people/duplicates/{flag_id}/dismiss")]
async fn dismiss_duplicate(
    state: web::Data<AppState>,
    actor: Actor,
    flag_id: web::Path<String>,
    body: ApiJson<DismissFlag>,
) -> AppResult<HttpResponse> {
    state
        .write(move |c| svc::dismiss_flag(c, &actor, &flag_id, body.0.clone()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One person.
///
/// A record merged into another answers 308 Permanent Redirect to the record kept (HTTP
/// clients follow it, and a 308 keeps the method), at `/api/v1/people/{kept_id}`: only when
/// that record is in your jurisdiction too. A record merged across a border (a notice
/// accepted) answers itself, its `merged_into` saying where it went; a record outside your
/// jurisdiction answers 404, merged or not.
#[utoipa::path(tag = "people", params(("id" = String, Path)), responses(
    (status = 200, body = PersonOut),
    (status = 308, description = "Merged into another record: read the one kept, at `Location`", headers(
        ("Location" = String, description = "The record kept: `/api/v1/people/{kept_id}`")
    )),
))]
#[get("/people/{id}")]
async fn get_person(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let a = actor.clone();
    Ok(
        match state
            .read_people(
                &actor,
                req.reading("get_person", Action::PersonRead),
                move |c| svc::get(c, &a, &id),
            )
            .await?
        {
            PersonRead::Found(p) => HttpResponse::Ok().json(p),
            PersonRead::MergedInto(kept) => HttpResponse::PermanentRedirect()
                .insert_header((
                    actix_web::http::header::LOCATION,
                    format!("{}/people/{kept}", super::API_BASE),
                ))
                .finish(),
        },
    )
}

/// Change a person's record; `version` must be the one you read (else 409).
#[utoipa::path(tag = "people", params(("id" = String, Path)), request_body = UpdatePerson, responses((status = 200, body = PersonOut)))]
#[patch("/people/{id}")]
async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<UpdatePerson>,
) -> AppResult<web::Json<PersonOut>> {
    let asked = Asked {
        operation: "update_person",
        national_ids: usize::from(matches!(body.0.national_id, Some(Some(_)))),
        phones: 0,
    };
    super::charge_lookups(&state, &actor, asked).await?;
    Ok(web::Json(
        state
            .write(move |c| svc::update(c, &actor, &id, body.0.clone()))
            .await?,
    ))
}

/// Every recorded change to a person, with the records merged into them.
#[utoipa::path(tag = "people", params(("id" = String, Path), PageQuery), responses((status = 200, body = Page<EventOut>)))]
#[get("/people/{id}/history")]
async fn history(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<EventOut>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("history", Action::PersonHistoryRead),
                move |c| svc::history(c, &a, &id, q),
            )
            .await?,
    ))
}

/// Merge a duplicate record into this one (audited; both histories are kept).
///
/// Everything recorded about the duplicate moves here in one transaction: its contacts
/// (one between the two records is retracted, "merged: same person"), its classification
/// (the closest level and earliest exposure of both), cases, quarantine episodes, samples,
/// trace tasks and notices; the neighbourhood is classified again. Refused (409) when the
/// two cannot be one person: two cases neither retracted, two quarantine episodes in force
/// (in two camps, or any two); nothing changes then. The duplicate then reads as a redirect
/// to this record.
#[utoipa::path(tag = "people", params(("id" = String, Path)), request_body = MergePeople, responses((status = 200, body = PersonOut)))]
#[post("/people/{id}/merge")]
async fn merge(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<MergePeople>,
) -> AppResult<web::Json<PersonOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::merge(c, &actor, rules, &id, body.0.clone()))
            .await?,
    ))
}
