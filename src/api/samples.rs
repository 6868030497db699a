//! /samples, /pools, /labs and the mass-sampling rounds of cordon zones.

use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::replies;
use crate::service::samples::{
    self as svc, AntigenResult, Collections, CreateLab, CreatePool, CreateRound, LabFigures,
    LabOut, LabResults, OrderSample, OverdueQuery, PoolOut, Receipts, RoundOut, RoundsOut,
    SampleItemResult, SampleOut, SamplesQuery,
};
use crate::service::Page;
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_lab)
        .service(lab_figures)
        .service(receive)
        .service(results)
        .service(order_sample)
        .service(samples_of_person)
        .service(overdue)
        .service(collect)
        .service(get_sample)
        .service(antigen_result)
        .service(create_pool)
        .service(get_pool)
        .service(create_round)
        .service(rounds);
}

/// Register a laboratory (administrators).
#[utoipa::path(tag = "samples", request_body = CreateLab, responses((status = 201, body = LabOut)))]
#[post("/labs")]
async fn create_lab(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateLab>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::create_lab(c, &actor, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// A laboratory's volumes and turnaround from collection to result.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), responses((status = 200, body = LabFigures)))]
#[get("/labs/{id}/figures")]
async fn lab_figures(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<LabFigures>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .run(move |c| svc::lab_figures(c, &actor, &id, &rules))
            .await?,
    ))
}

/// Samples and pools arriving at a laboratory, by barcode, in bulk.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), request_body = Receipts, responses((status = 200, body = Vec<SampleItemResult>)))]
#[post("/labs/{id}/receipts")]
async fn receive(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<Receipts>,
) -> AppResult<web::Json<Vec<SampleItemResult>>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::receive(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}

/// A laboratory's results (or rejections) in bulk, by barcode; a positive makes the person
/// F0 in the same transaction.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), request_body = LabResults, responses((status = 200, body = Vec<SampleItemResult>)))]
#[post("/labs/{id}/results")]
async fn results(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<LabResults>,
) -> AppResult<web::Json<Vec<SampleItemResult>>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::record_results(c, &actor, &id, body.0.clone(), rules))
            .await?,
    ))
}

/// Order a sample ad hoc.
#[utoipa::path(tag = "samples", request_body = OrderSample, responses((status = 201, body = SampleOut), (status = 200, description = "The same order again", body = SampleOut)))]
#[post("/samples")]
async fn order_sample(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<OrderSample>,
) -> AppResult<HttpResponse> {
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "samples", body.0.id, &body.1 .0, |c| {
                svc::order_sample(c, &actor, body.0.clone())
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// A person's samples.
#[utoipa::path(tag = "samples", params(SamplesQuery), responses((status = 200, body = Vec<SampleOut>)))]
#[get("/samples")]
async fn samples_of_person(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<SamplesQuery>,
) -> AppResult<web::Json<Vec<SampleOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::samples_of_person(c, &actor, q))
            .await?,
    ))
}

/// Samples without a result past the deadline from their collection.
#[utoipa::path(tag = "samples", params(OverdueQuery), responses((status = 200, body = Page<SampleOut>)))]
#[get("/samples/overdue")]
async fn overdue(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<OverdueQuery>,
) -> AppResult<web::Json<Page<SampleOut>>> {
    let q = q.into_inner();
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .run(move |c| svc::overdue(c, &actor, q, &rules))
            .await?,
    ))
}

/// Samples collected, from a phone, in batches of up to 1,000: a result per item.
#[utoipa::path(tag = "samples", request_body = Collections, responses((status = 200, body = Vec<SampleItemResult>)))]
#[post("/samples/collections")]
async fn collect(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<Collections>,
) -> AppResult<web::Json<Vec<SampleItemResult>>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::collect(c, &actor, body.0.clone(), &rules))
            .await?,
    ))
}

/// One sample.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), responses((status = 200, body = SampleOut)))]
#[get("/samples/{id}")]
async fn get_sample(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<SampleOut>> {
    Ok(web::Json(
        state.run(move |c| svc::get_sample(c, &actor, &id)).await?,
    ))
}

/// The result of an antigen test, read where it was taken.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), request_body = AntigenResult, responses((status = 200, body = SampleOut)))]
#[post("/samples/{id}/result")]
async fn antigen_result(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<AntigenResult>,
) -> AppResult<web::Json<SampleOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::antigen_result(c, &actor, &id, body.0.clone(), rules))
            .await?,
    ))
}

/// Put collected specimens in one pool tube.
#[utoipa::path(tag = "samples", request_body = CreatePool, responses((status = 201, body = PoolOut)))]
#[post("/pools")]
async fn create_pool(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreatePool>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let out = state
        .write(move |c| svc::create_pool(c, &actor, body.0.clone(), &rules))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// A pool with its members.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), responses((status = 200, body = PoolOut)))]
#[get("/pools/{id}")]
async fn get_pool(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<PoolOut>> {
    Ok(web::Json(
        state.run(move |c| svc::get_pool(c, &actor, &id)).await?,
    ))
}

/// A mass-sampling round of an active cordon zone: a sample ordered for every resident.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), request_body = CreateRound, responses((status = 201, body = RoundOut), (status = 200, description = "The same round again", body = RoundOut)))]
#[post("/zones/{id}/sampling-rounds")]
async fn create_round(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateRound>,
) -> AppResult<HttpResponse> {
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "sampling_rounds", body.0.id, &body.1 .0, |c| {
                svc::create_round(c, &actor, &id, body.0.clone())
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// A zone's sampling rounds and when the next one is due by its risk level.
#[utoipa::path(tag = "samples", params(("id" = String, Path)), responses((status = 200, body = RoundsOut)))]
#[get("/zones/{id}/sampling-rounds")]
async fn rounds(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<RoundsOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .run(move |c| svc::rounds(c, &actor, &id, &rules))
            .await?,
    ))
}
