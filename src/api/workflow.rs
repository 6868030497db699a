//! /investigations, landmarks, /trace-tasks, isolation times and the public landmark list.

use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::trace::{self as trace, ExposureOut, RecordIsolation};
use crate::service::workflow::{
    self as svc, CreateLandmark, CreateTasks, InvestigationOut, InvestigationQuery, LandmarkOut,
    PublicLandmark, PublicQuery, StepTransition, TaskOut, TaskQuery, TaskTransition,
};
use crate::service::Page;
use actix_web::{get, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_investigations)
        .service(get_investigation)
        .service(transition_investigation)
        .service(add_landmark)
        .service(case_landmarks)
        .service(public_landmarks)
        .service(create_tasks)
        .service(list_tasks)
        .service(transition_task)
        .service(record_isolation);
}

/// Investigations (one per F0) in your jurisdiction, with each step's time and deadline.
#[utoipa::path(tag = "workflow", params(InvestigationQuery), responses((status = 200, body = Page<InvestigationOut>)))]
#[get("/investigations")]
async fn list_investigations(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<InvestigationQuery>,
) -> AppResult<web::Json<Page<InvestigationOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::list_investigations(c, &actor, q))
            .await?,
    ))
}

/// One investigation.
#[utoipa::path(tag = "workflow", params(("id" = String, Path)), responses((status = 200, body = InvestigationOut)))]
#[get("/investigations/{id}")]
async fn get_investigation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<InvestigationOut>> {
    Ok(web::Json(
        state
            .run(move |c| svc::get_investigation(c, &actor, &id))
            .await?,
    ))
}

/// Move the investigation to its next step; refused moves say what blocks them.
#[utoipa::path(tag = "workflow", params(("id" = String, Path)), request_body = StepTransition, responses((status = 200, body = InvestigationOut)))]
#[post("/investigations/{id}/transitions")]
async fn transition_investigation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<StepTransition>,
) -> AppResult<web::Json<InvestigationOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::transition_investigation(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}

/// Add an epidemiological landmark (a place and time the F0 visited).
#[utoipa::path(tag = "workflow", params(("id" = String, Path)), request_body = CreateLandmark, responses((status = 201, body = LandmarkOut)))]
#[post("/cases/{id}/landmarks")]
async fn add_landmark(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateLandmark>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::add_landmark(c, &actor, &id, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// The landmarks of a case.
#[utoipa::path(tag = "workflow", params(("id" = String, Path)), responses((status = 200, body = Vec<LandmarkOut>)))]
#[get("/cases/{id}/landmarks")]
async fn case_landmarks(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<LandmarkOut>>> {
    Ok(web::Json(
        state
            .run(move |c| svc::landmarks_of_case(c, &actor, &id))
            .await?,
    ))
}

/// Published places and times, for the press: no personal data, no token needed.
#[utoipa::path(tag = "public", params(PublicQuery), responses((status = 200, body = Vec<PublicLandmark>)))]
#[get("/public/landmarks")]
async fn public_landmarks(
    state: web::Data<AppState>,
    q: web::Query<PublicQuery>,
) -> AppResult<web::Json<Vec<PublicLandmark>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state.run(move |c| svc::public_landmarks(c, q)).await?,
    ))
}

/// Create trace tasks: people to locate, assigned to a user or a team, with a deadline.
#[utoipa::path(tag = "workflow", request_body = CreateTasks, responses((status = 201, body = Vec<TaskOut>)))]
#[post("/trace-tasks")]
async fn create_tasks(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateTasks>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let out = state
        .write(move |c| svc::create_tasks(c, &actor, rules, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Trace tasks in your jurisdiction: yours, by state, or overdue.
#[utoipa::path(tag = "workflow", params(TaskQuery), responses((status = 200, body = Page<TaskOut>)))]
#[get("/trace-tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<TaskQuery>,
) -> AppResult<web::Json<Page<TaskOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state.run(move |c| svc::list_tasks(c, &actor, q)).await?,
    ))
}

/// Work a trace task: start, done (located), unreachable (with a note), reopen.
#[utoipa::path(tag = "workflow", params(("id" = String, Path)), request_body = TaskTransition, responses((status = 200, body = TaskOut)))]
#[post("/trace-tasks/{id}/transitions")]
async fn transition_task(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<TaskTransition>,
) -> AppResult<web::Json<TaskOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::transition_task(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}

/// Record when a classified person was isolated: it closes their exposure window.
#[utoipa::path(tag = "workflow", params(("id" = String, Path)), request_body = RecordIsolation, responses((status = 200, body = ExposureOut)))]
#[post("/people/{id}/isolation")]
async fn record_isolation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<RecordIsolation>,
) -> AppResult<web::Json<ExposureOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| trace::record_isolation(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}
