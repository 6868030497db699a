//! /zones (cordon zones and their residents) and the risk levels of /units.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::replies;
use crate::service::risk::{
    self as risk, CurrentQuery, CurrentRiskLevel, HistoryQuery, RecordRiskLevel, RiskLevelOut,
};
use crate::service::zones::{
    self as svc, CreateZone, ResidentQuery, ZoneOut, ZoneQuery, ZoneResidents, ZoneTransition,
};
use crate::service::Page;
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_zones)
        .service(create_zone)
        .service(get_zone)
        .service(transition_zone)
        .service(zone_residents)
        .service(record_risk_level)
        .service(risk_history)
        .service(current_risk_level);
}

/// Cordon zones with at least one unit in your jurisdiction.
#[utoipa::path(tag = "zones", params(ZoneQuery), responses((status = 200, body = Page<ZoneOut>)))]
#[get("/zones")]
async fn list_zones(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<ZoneQuery>,
) -> AppResult<web::Json<Page<ZoneOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state.run(move |c| svc::list(c, &actor, q)).await?,
    ))
}

/// Declare a cordon zone (proposed); sending the same `id` again answers 200 and changes nothing.
#[utoipa::path(tag = "zones", request_body = CreateZone, responses((status = 201, body = ZoneOut), (status = 200, body = ZoneOut)))]
#[post("/zones")]
async fn create_zone(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateZone>,
) -> AppResult<HttpResponse> {
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "zones", body.0.id, &body.1 .0, |c| {
                svc::create(c, &actor, body.0.clone())
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// One cordon zone.
#[utoipa::path(tag = "zones", params(("id" = String, Path)), responses((status = 200, body = ZoneOut)))]
#[get("/zones/{id}")]
async fn get_zone(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<ZoneOut>> {
    Ok(web::Json(
        state.run(move |c| svc::get(c, &actor, &id)).await?,
    ))
}

/// Activate a proposed zone or lift an active one (with a reason).
#[utoipa::path(tag = "zones", params(("id" = String, Path)), request_body = ZoneTransition, responses((status = 200, body = ZoneOut)))]
#[post("/zones/{id}/transitions")]
async fn transition_zone(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<ZoneTransition>,
) -> AppResult<web::Json<ZoneOut>> {
    Ok(web::Json(
        state
            .write(move |c| svc::transition(c, &actor, &id, body.0.clone()))
            .await?,
    ))
}

/// The people living inside the zone's units (and your jurisdiction), for mass sampling.
#[utoipa::path(tag = "zones", params(("id" = String, Path), ResidentQuery), responses((status = 200, body = ZoneResidents)))]
#[get("/zones/{id}/residents")]
async fn zone_residents(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
    q: web::Query<ResidentQuery>,
) -> AppResult<web::Json<ZoneResidents>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("zone_residents", Action::ZoneResidentsRead),
                move |c| svc::residents(c, &a, &id, q),
            )
            .await?,
    ))
}

/// Record a commune's risk level (append-only: a new entry, never a change).
#[utoipa::path(tag = "risk", params(("code" = String, Path)), request_body = RecordRiskLevel, responses((status = 201, body = RiskLevelOut)))]
#[post("/units/{code}/risk-levels")]
async fn record_risk_level(
    state: web::Data<AppState>,
    actor: Actor,
    code: web::Path<String>,
    body: ApiJson<RecordRiskLevel>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| risk::record(c, &actor, &code, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// A unit's recorded risk levels, the newest effective first.
#[utoipa::path(tag = "risk", params(("code" = String, Path), HistoryQuery), responses((status = 200, body = Page<RiskLevelOut>)))]
#[get("/units/{code}/risk-levels")]
async fn risk_history(
    state: web::Data<AppState>,
    actor: Actor,
    code: web::Path<String>,
    q: web::Query<HistoryQuery>,
) -> AppResult<web::Json<Page<RiskLevelOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| risk::history(c, &actor, &code, q))
            .await?,
    ))
}

/// The current level of a commune, or a district's level derived from its communes.
#[utoipa::path(tag = "risk", params(("code" = String, Path), CurrentQuery), responses((status = 200, body = CurrentRiskLevel)))]
#[get("/units/{code}/risk-level")]
async fn current_risk_level(
    state: web::Data<AppState>,
    actor: Actor,
    code: web::Path<String>,
    q: web::Query<CurrentQuery>,
) -> AppResult<web::Json<CurrentRiskLevel>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| risk::current(c, &actor, &code, q))
            .await?,
    ))
}
