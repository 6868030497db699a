//! /sites: concentrated quarantine camps, their room map, residents, check-in and check-out.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::camps::{
    self as svc, CampResident, CheckIn, CheckOut, CreateArea, CreateRoom, CreateSite,
    ResidentsQuery, SiteDetailOut, SiteOut, SitesQuery,
};
use crate::service::quarantine::EpisodeOut;
use crate::service::Outcome;
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_sites)
        .service(create_site)
        .service(get_site)
        .service(create_area)
        .service(create_room)
        .service(residents)
        .service(check_in)
        .service(check_out);
}

/// Sites in your scope with their occupancy; `near_capacity=0.9` lists camps near capacity.
#[utoipa::path(tag = "camps", params(SitesQuery), responses((status = 200, body = Vec<SiteOut>)))]
#[get("/sites")]
async fn list_sites(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<SitesQuery>,
) -> AppResult<web::Json<Vec<SiteOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state.run(move |c| svc::list_sites(c, &actor, q)).await?,
    ))
}

/// Open a quarantine site (administrators).
#[utoipa::path(tag = "camps", request_body = CreateSite, responses((status = 201, body = SiteOut)))]
#[post("/sites")]
async fn create_site(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateSite>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::create_site(c, &actor, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// A site with its room map and which beds are taken.
#[utoipa::path(tag = "camps", params(("id" = String, Path)), responses((status = 200, body = SiteDetailOut)))]
#[get("/sites/{id}")]
async fn get_site(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<SiteDetailOut>> {
    Ok(web::Json(
        state.run(move |c| svc::get_site(c, &actor, &id)).await?,
    ))
}

/// Add an area (a building, a floor) to a site.
#[utoipa::path(tag = "camps", params(("id" = String, Path)), request_body = CreateArea, responses((status = 201, body = SiteDetailOut)))]
#[post("/sites/{id}/areas")]
async fn create_area(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateArea>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::create_area(c, &actor, &id, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Add a room with its beds.
#[utoipa::path(tag = "camps", params(("id" = String, Path)), request_body = CreateRoom, responses((status = 201, body = SiteDetailOut)))]
#[post("/sites/{id}/rooms")]
async fn create_room(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateRoom>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::create_room(c, &actor, &id, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// The residents of a site (or those expected), with the least personal data needed.
#[utoipa::path(tag = "camps", params(("id" = String, Path), ResidentsQuery), responses((status = 200, body = Vec<CampResident>)))]
#[get("/sites/{id}/residents")]
async fn residents(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
    q: web::Query<ResidentsQuery>,
) -> AppResult<web::Json<Vec<CampResident>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("residents", Action::SiteResidents),
                move |c| svc::residents(c, &a, &id, q),
            )
            .await?,
    ))
}

/// Check a person in by episode, national ID or name: assigns a bed, or says why not.
#[utoipa::path(tag = "camps", params(("id" = String, Path)), request_body = CheckIn, responses((status = 201, body = CampResident), (status = 200, description = "Checked in already: the same answer", body = CampResident)))]
#[post("/sites/{id}/check-ins")]
async fn check_in(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CheckIn>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    Ok(
        match state
            .write(move |c| svc::check_in(c, &actor, &id, body.0.clone(), &rules))
            .await?
        {
            Outcome::Created(out) => HttpResponse::Created().json(out),
            Outcome::Existing(out) => HttpResponse::Ok().json(out),
        },
    )
}

/// Check a resident out: release, transfer to hospital, or transfer home.
#[utoipa::path(tag = "camps", params(("id" = String, Path)), request_body = CheckOut, responses((status = 200, body = EpisodeOut)))]
#[post("/sites/{id}/check-outs")]
async fn check_out(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CheckOut>,
) -> AppResult<web::Json<EpisodeOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::check_out(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}
