//! /auth and /users: log in, tokens, passwords; accounts and role grants.

use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::accounts::{
    self as svc, ChangePassword, CreateGrant, CreateUser, GrantOut, LoginInput, RefreshInput,
    RevokeGrant, Tokens, UnlockUser, UpdateUser, UserOut,
};
use crate::service::PageQuery;
use crate::service::{EventOut, Page};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(change_password)
        .service(me)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(user_history)
        .service(unlock_user)
        .service(add_grant)
        .service(revoke_grant);
}

/// Log in with a username and password.
#[utoipa::path(tag = "auth", request_body = LoginInput, responses((status = 200, body = Tokens)))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginInput>,
) -> AppResult<web::Json<Tokens>> {
    let (keys, config) = (state.keys.clone(), state.config.clone());
    let client = super::extract::client_addr(&req, config.trust_forwarded);
    Ok(web::Json(
        state
            .run(move |c| svc::login(c, &keys, &config, &client, body.0))
            .await?,
    ))
}

/// Exchange a refresh token for new tokens (the old one stops working).
#[utoipa::path(tag = "auth", request_body = RefreshInput, responses((status = 200, body = Tokens)))]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshInput>,
) -> AppResult<web::Json<Tokens>> {
    let (keys, config) = (state.keys.clone(), state.config.clone());
    let out = state
        .run(move |c| svc::refresh(c, &keys, &config, body.0))
        .await;
    // a replayed refresh token ends its session, refused or not
    state.actors.clear();
    Ok(web::Json(out?))
}

/// Log out: revoke the refresh token and those rotated from the same login.
#[utoipa::path(tag = "auth", request_body = RefreshInput, responses((status = 204, description = "Logged out")))]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<RefreshInput>,
) -> AppResult<HttpResponse> {
    state.run(move |c| svc::logout(c, &actor, body.0)).await?;
    state.actors.clear();
    Ok(HttpResponse::NoContent().finish())
}

/// Change your own password; every session ends.
#[utoipa::path(tag = "auth", request_body = ChangePassword, responses((status = 204, description = "Changed")))]
#[post("/auth/password")]
async fn change_password(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<ChangePassword>,
) -> AppResult<HttpResponse> {
    state
        .run(move |c| svc::change_password(c, &actor, body.0))
        .await?;
    state.actors.clear();
    Ok(HttpResponse::NoContent().finish())
}

/// Who you are, and your role grants.
#[utoipa::path(tag = "auth", responses((status = 200, body = UserOut)))]
#[get("/me")]
async fn me(state: web::Data<AppState>, actor: Actor) -> AppResult<web::Json<UserOut>> {
    Ok(web::Json(state.run(move |c| svc::me(c, &actor)).await?))
}

/// Accounts an administrator manages (with grants in their jurisdiction, or none yet).
#[utoipa::path(tag = "users", params(PageQuery), responses((status = 200, body = Page<UserOut>)))]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<UserOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::list_users(c, &actor, q.cursor, q.limit))
            .await?,
    ))
}

/// Create an account (it has no grant until one is added).
#[utoipa::path(tag = "users", request_body = CreateUser, responses((status = 201, body = UserOut)))]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateUser>,
) -> AppResult<HttpResponse> {
    let out = state
        .run(move |c| svc::create_user(c, &actor, body.0))
        .await?;
    state.actors.clear();
    Ok(HttpResponse::Created().json(out))
}

/// One account with its active grants.
#[utoipa::path(tag = "users", params(("id" = String, Path)), responses((status = 200, body = UserOut)))]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<UserOut>> {
    Ok(web::Json(
        state.run(move |c| svc::get_user(c, &actor, &id)).await?,
    ))
}

/// Change an account: name, active, or a new password set by the administrator.
#[utoipa::path(tag = "users", params(("id" = String, Path)), request_body = UpdateUser, responses((status = 200, body = UserOut)))]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<UpdateUser>,
) -> AppResult<web::Json<UserOut>> {
    let out = state
        .run(move |c| svc::update_user(c, &actor, &id, body.0))
        .await?;
    // deactivated, or a password set: sessions may have ended
    state.actors.clear();
    Ok(web::Json(out))
}

/// Lift the login locks and slow-downs of an account at every client, with a reason.
#[utoipa::path(tag = "users", params(("id" = String, Path)), request_body = UnlockUser, responses((status = 200, body = UserOut)))]
#[post("/users/{id}/unlock")]
async fn unlock_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<UnlockUser>,
) -> AppResult<web::Json<UserOut>> {
    Ok(web::Json(
        state
            .run(move |c| svc::unlock_user(c, &actor, &id, body.0))
            .await?,
    ))
}

/// The history of an account and its grants.
#[utoipa::path(tag = "users", params(("id" = String, Path), PageQuery), responses((status = 200, body = Page<EventOut>)))]
#[get("/users/{id}/history")]
async fn user_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<EventOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::user_history(c, &actor, &id, q.cursor, q.limit))
            .await?,
    ))
}

/// Grant a role on a jurisdiction node (or, for camp managers, a site).
#[utoipa::path(tag = "users", params(("id" = String, Path)), request_body = CreateGrant, responses((status = 201, body = GrantOut)))]
#[post("/users/{id}/grants")]
async fn add_grant(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateGrant>,
) -> AppResult<HttpResponse> {
    let out = state
        .run(move |c| svc::add_grant(c, &actor, &id, body.0))
        .await?;
    state.actors.clear();
    Ok(HttpResponse::Created().json(out))
}

/// Revoke a grant, with a reason. The grant is kept, marked revoked.
#[utoipa::path(tag = "users", params(("id" = String, Path), ("grant_id" = String, Path)), request_body = RevokeGrant, responses((status = 204, description = "Revoked")))]
#[post("/users/{id}/grants/{grant_id}/revoke")]
async fn revoke_grant(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    body: ApiJson<RevokeGrant>,
) -> AppResult<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    state
        .run(move |c| svc::revoke_grant(c, &actor, &id, &grant_id, body.0))
        .await?;
    state.actors.clear();
    Ok(HttpResponse::NoContent().finish())
}
