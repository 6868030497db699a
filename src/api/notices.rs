//! /notices: people notified across jurisdictions, as each side sees them, and the
//! receiving side's answers.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::notices::{self as svc, NoticeOut, NoticeQuery};
use crate::service::reception::{self, AcceptNotice, RejectNotice};
use crate::service::Page;
use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_notices)
        .service(get_notice)
        .service(accept_notice)
        .service(reject_notice);
}

/// Notices sent to your jurisdiction ("notified from elsewhere", `side=incoming`), or those
/// it sent of people who live elsewhere (`side=sent`).
#[utoipa::path(tag = "notices", params(NoticeQuery), responses((status = 200, body = Page<NoticeOut>)))]
#[get("/notices")]
async fn list_notices(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<NoticeQuery>,
) -> AppResult<web::Json<Page<NoticeOut>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("list_notices", Action::NoticeRead),
                move |c| svc::list(c, &a, q),
            )
            .await?,
    ))
}

/// One notice, as your side sees it.
#[utoipa::path(tag = "notices", params(("id" = String, Path)), responses((status = 200, body = NoticeOut)))]
#[get("/notices/{id}")]
async fn get_notice(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<NoticeOut>> {
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("get_notice", Action::NoticeRead),
                move |c| svc::get(c, &a, &id),
            )
            .await?,
    ))
}

/// Accept a notice sent to your jurisdiction: the person is linked to your record (or one is
/// made from what was sent), the contact it carried is logged and classified, and from then
/// on the person is yours.
#[utoipa::path(tag = "notices", params(("id" = String, Path)), request_body = AcceptNotice, responses((status = 200, body = NoticeOut)))]
#[post("/notices/{id}/accept")]
async fn accept_notice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<AcceptNotice>,
) -> AppResult<web::Json<NoticeOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| reception::accept(c, &actor, rules, &id, body.0.clone()))
            .await?,
    ))
}

/// Reject a notice sent to your jurisdiction, with a reason.
#[utoipa::path(tag = "notices", params(("id" = String, Path)), request_body = RejectNotice, responses((status = 200, body = NoticeOut)))]
#[post("/notices/{id}/reject")]
async fn reject_notice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<RejectNotice>,
) -> AppResult<web::Json<NoticeOut>> {
    Ok(web::Json(
        state
            .write(move |c| reception::reject(c, &actor, &id, body.0.clone()))
            .await?,
    ))
}
