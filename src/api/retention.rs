//! /privacy/retention-policies and /privacy/purge: how long personal data is kept, and the
//! purge that anonymises the people due (national administrators only).

use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::retention::{self as svc, CreatePolicy, PolicyOut, PurgeInput, PurgeOut};
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_policies)
        .service(create_policy)
        .service(purge);
}

/// Every version of the retention policy, oldest first; the last one is in force.
#[utoipa::path(tag = "privacy", responses((status = 200, body = Vec<PolicyOut>)))]
#[get("/privacy/retention-policies")]
async fn list_policies(
    state: web::Data<AppState>,
    actor: Actor,
) -> AppResult<web::Json<Vec<PolicyOut>>> {
    Ok(web::Json(state.run(move |c| svc::list(c, &actor)).await?))
}

/// A new version of the retention policy, in force from now on (policies are never
/// edited). National administrators only.
#[utoipa::path(tag = "privacy", request_body = CreatePolicy, responses((status = 201, body = PolicyOut)))]
#[post("/privacy/retention-policies")]
async fn create_policy(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreatePolicy>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::create(c, &actor, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// List (`dry_run`) or purge the people due under the retention policy in force: names,
/// phones, national IDs, addresses, free text and photo references are erased, with the
/// values of every change about them in the event log; levels, units, dates and links
/// stay, so that no report changes. National administrators only; the run is an event.
#[utoipa::path(tag = "privacy", request_body = PurgeInput, responses((status = 200, body = PurgeOut)))]
#[post("/privacy/purge")]
async fn purge(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<PurgeInput>,
) -> AppResult<web::Json<PurgeOut>> {
    let input = body.0.clone();
    let out = state
        .write(move |c| svc::purge(c, &actor, input.clone()))
        .await?;
    if !out.dry_run {
        state.run(svc::flush_erased).await?;
    }
    Ok(web::Json(out))
}
