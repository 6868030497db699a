//! /sync: push batches made offline, pull what changed.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::sync::{self as svc, PullQuery, Pulled, PushBatch, PushResult};
use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(push).service(pull);
}

/// Push up to 1,000 items made offline. Each gets its own result; the same batch sent again
/// returns the same answer and changes nothing.
#[utoipa::path(tag = "sync", request_body = PushBatch, responses((status = 200, body = PushResult)))]
#[post("/sync/push")]
async fn push(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<PushBatch>,
) -> AppResult<web::Json<serde_json::Value>> {
    let rules = state.config.rules;
    let asked = crate::service::lookups::Asked {
        operation: "sync_push",
        national_ids: svc::national_ids_in(&body.0),
        phones: 0,
    };
    super::charge_lookups(&state, &actor, asked).await?;
    Ok(web::Json(
        state
            .write(move |c| svc::push(c, &actor, rules, body.0.clone()))
            .await?,
    ))
}

/// What changed in your jurisdiction since the cursor (people, contacts or classifications).
///
/// A record comes again each time it changes: a contact retracted since, with its
/// `retracted_at`, or moved to the record its person was linked into.
#[utoipa::path(tag = "sync", params(PullQuery), responses((status = 200, body = Pulled)))]
#[get("/sync/pull")]
async fn pull(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<PullQuery>,
) -> AppResult<web::Json<Pulled>> {
    let settle = state.config.sync_settle_secs;
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("pull", Action::ContactRead).from_replica(),
                move |c| svc::pull(c, &a, settle, q),
            )
            .await?,
    ))
}
