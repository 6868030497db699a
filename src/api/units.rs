//! /units: the administrative tree.

use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::units::{self as svc, CreateVillage, UnitDetail, UnitOut, UnitSearch};
use crate::service::Page;
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(search)
        .service(get_unit)
        .service(children)
        .service(add_village);
}

/// Search units by name (diacritics ignored), level and subtree.
#[utoipa::path(tag = "units", operation_id = "search_units", params(UnitSearch), responses((status = 200, body = Page<UnitOut>)))]
#[get("/units")]
async fn search(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<UnitSearch>,
) -> AppResult<web::Json<Page<UnitOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state.run(move |c| svc::search(c, &actor, q)).await?,
    ))
}

/// One unit with its ancestors.
#[utoipa::path(tag = "units", params(("code" = String, Path)), responses((status = 200, body = UnitDetail)))]
#[get("/units/{code}")]
async fn get_unit(
    state: web::Data<AppState>,
    actor: Actor,
    code: web::Path<String>,
) -> AppResult<web::Json<UnitDetail>> {
    Ok(web::Json(
        state.run(move |c| svc::get(c, &actor, &code)).await?,
    ))
}

/// The units directly below one.
#[utoipa::path(tag = "units", params(("code" = String, Path)), responses((status = 200, body = Vec<UnitOut>)))]
#[get("/units/{code}/children")]
async fn children(
    state: web::Data<AppState>,
    actor: Actor,
    code: web::Path<String>,
) -> AppResult<web::Json<Vec<UnitOut>>> {
    Ok(web::Json(
        state.run(move |c| svc::children(c, &actor, &code)).await?,
    ))
}

/// Add a village or quarter under a commune.
#[utoipa::path(tag = "units", params(("code" = String, Path)), request_body = CreateVillage, responses((status = 201, body = UnitOut)))]
#[post("/units/{code}/villages")]
async fn add_village(
    state: web::Data<AppState>,
    actor: Actor,
    code: web::Path<String>,
    body: ApiJson<CreateVillage>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::add_village(c, &actor, &code, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}
