//! /regimes, /episodes and the quarantine line lists; /homes with their warning signs, daily
//! reports, follow-ups and violations; the police list.

use super::audit::RequestRef;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::Actor;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::homes::{
    self as homes, CreateHome, DailyReport, FollowUpOut, FollowUpQuery, HandleViolation, HomeOut,
    PoliceListOut, PostSign, RemoveSign, ReportOut, ReportViolation, ResolveFollowUp, SignOut,
    UpdateHome, ViolationOut,
};
use crate::service::quarantine::{
    self as svc, CreateRegime, DueQuery, EpisodeOut, EpisodeQuery, EpisodeTransition, HistoryQuery,
    MoveRegime, NotIsolatedOut, OrderEpisode, RecordTestResult, RegimeOut,
};
use crate::service::replies;
use crate::service::{EventOut, Page, PageQuery, SizeQuery};
use actix_web::{get, patch, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_regimes)
        .service(get_regime)
        .service(create_regime)
        .service(order_episode)
        .service(list_episodes)
        .service(due_for_release)
        .service(not_isolated)
        .service(get_episode)
        .service(episode_history)
        .service(transition_episode)
        .service(move_regime)
        .service(record_test_result)
        .service(record_report)
        .service(list_reports)
        .service(report_violation)
        .service(create_home)
        .service(get_home)
        .service(update_home)
        .service(post_sign)
        .service(remove_sign)
        .service(signs_not_removed)
        .service(follow_ups)
        .service(resolve_follow_up)
        .service(police_list)
        .service(handle_violation);
}

/// The quarantine regimes, every version, oldest first.
#[utoipa::path(tag = "quarantine", responses((status = 200, body = Vec<RegimeOut>)))]
#[get("/regimes")]
async fn list_regimes(
    state: web::Data<AppState>,
    actor: Actor,
) -> AppResult<web::Json<Vec<RegimeOut>>> {
    Ok(web::Json(
        state.run(move |c| svc::list_regimes(c, &actor)).await?,
    ))
}

/// One regime.
#[utoipa::path(tag = "quarantine", params(("id" = String, Path)), responses((status = 200, body = RegimeOut)))]
#[get("/regimes/{id}")]
async fn get_regime(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<RegimeOut>> {
    Ok(web::Json(
        state.run(move |c| svc::get_regime(c, &actor, &id)).await?,
    ))
}

/// Add a regime, or a new version of one (regimes are never edited).
#[utoipa::path(tag = "quarantine", request_body = CreateRegime, responses((status = 201, body = RegimeOut)))]
#[post("/regimes")]
async fn create_regime(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateRegime>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| svc::create_regime(c, &actor, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Order quarantine for a person: the regime in force on day 1 decides the days and tests; a
/// mode it does not allow is refused (422 on `mode`) naming the regime and what it allows.
#[utoipa::path(tag = "quarantine", request_body = OrderEpisode, responses((status = 201, body = EpisodeOut), (status = 200, description = "The same order again", body = EpisodeOut)))]
#[post("/episodes")]
async fn order_episode(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<OrderEpisode>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let reply = state
        .write(move |c| {
            replies::once(c, &actor, "episodes", body.0.id, &body.1 .0, |c| {
                svc::order_episode(c, &actor, body.0.clone(), &rules)
            })
        })
        .await?;
    Ok(super::answer(reply))
}

/// Quarantine episodes in your jurisdiction.
#[utoipa::path(tag = "quarantine", params(EpisodeQuery), responses((status = 200, body = Page<EpisodeOut>)))]
#[get("/episodes")]
async fn list_episodes(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<EpisodeQuery>,
) -> AppResult<web::Json<Page<EpisodeOut>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("list_episodes", Action::QuarantineRead),
                move |c| svc::list_episodes(c, &a, q),
            )
            .await?,
    ))
}

/// Line list: episodes due for release (planned end reached) by a date.
#[utoipa::path(tag = "quarantine", params(DueQuery), responses((status = 200, body = Page<EpisodeOut>)))]
#[get("/episodes/due-for-release")]
async fn due_for_release(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<DueQuery>,
) -> AppResult<web::Json<Page<EpisodeOut>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("due_for_release", Action::QuarantineRead),
                move |c| svc::due_for_release(c, &a, q),
            )
            .await?,
    ))
}

/// Line list: F1s not yet isolated (never admitted to quarantine).
#[utoipa::path(tag = "quarantine", params(PageQuery), responses((status = 200, body = Page<NotIsolatedOut>)))]
#[get("/quarantine/not-isolated")]
async fn not_isolated(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<NotIsolatedOut>>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("not_isolated", Action::QuarantineRead),
                move |c| svc::not_isolated(c, &a, q),
            )
            .await?,
    ))
}

/// One episode with its scheduled tests.
#[utoipa::path(tag = "quarantine", params(("id" = String, Path)), responses((status = 200, body = EpisodeOut)))]
#[get("/episodes/{id}")]
async fn get_episode(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<EpisodeOut>> {
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("get_episode", Action::QuarantineRead),
                move |c| svc::get_episode(c, &a, &id),
            )
            .await?,
    ))
}

/// The events of an episode, oldest first.
#[utoipa::path(tag = "quarantine", params(("id" = String, Path), HistoryQuery), responses((status = 200, body = Page<EventOut>)))]
#[get("/episodes/{id}/history")]
async fn episode_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    q: web::Query<HistoryQuery>,
) -> AppResult<web::Json<Page<EventOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::episode_history(c, &actor, &id, q))
            .await?,
    ))
}

/// Move an episode: activate (home), cancel, extend, restart, release, start_monitoring,
/// close, transfer, abscond, return. Refused moves say what blocks them.
#[utoipa::path(tag = "quarantine", params(("id" = String, Path)), request_body = EpisodeTransition, responses((status = 200, body = EpisodeOut)))]
#[post("/episodes/{id}/transitions")]
async fn transition_episode(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<EpisodeTransition>,
) -> AppResult<web::Json<EpisodeOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| svc::transition_episode(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}

/// Move an episode to another regime, explicitly (a health officer's decision).
#[utoipa::path(tag = "quarantine", params(("id" = String, Path)), request_body = MoveRegime, responses((status = 200, body = EpisodeOut)))]
#[post("/episodes/{id}/regime")]
async fn move_regime(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<MoveRegime>,
) -> AppResult<web::Json<EpisodeOut>> {
    Ok(web::Json(
        state
            .write(move |c| svc::move_regime(c, &actor, &id, body.0.clone()))
            .await?,
    ))
}

/// Record the outcome of a scheduled test.
#[utoipa::path(tag = "quarantine", params(("id" = String, Path), ("test_id" = String, Path)), request_body = RecordTestResult, responses((status = 200, body = EpisodeOut)))]
#[post("/episodes/{id}/tests/{test_id}/result")]
async fn record_test_result(
    state: web::Data<AppState>,
    actor: Actor,
    ids: web::Path<(String, String)>,
    body: ApiJson<RecordTestResult>,
) -> AppResult<web::Json<EpisodeOut>> {
    let rules = state.config.rules;
    let (id, test) = ids.into_inner();
    Ok(web::Json(
        state
            .write(move |c| svc::record_test_result(c, &actor, &id, &test, body.0.clone(), &rules))
            .await?,
    ))
}

/// A daily report (temperature, symptoms) of someone in home quarantine; fever or a symptom
/// raises a follow-up.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = DailyReport, responses((status = 201, body = ReportOut)))]
#[post("/episodes/{id}/reports")]
async fn record_report(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<DailyReport>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let out = state
        .write(move |c| homes::record_report(c, &actor, &id, body.0.clone(), &rules))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// The daily reports of an episode.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), responses((status = 200, body = Vec<ReportOut>)))]
#[get("/episodes/{id}/reports")]
async fn list_reports(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<ReportOut>>> {
    Ok(web::Json(
        state.run(move |c| homes::reports(c, &actor, &id)).await?,
    ))
}

/// Report a violation of home quarantine (leaving home, …): it goes to the police list.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = ReportViolation, responses((status = 201, body = ViolationOut)))]
#[post("/episodes/{id}/violations")]
async fn report_violation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<ReportViolation>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let out = state
        .write(move |c| homes::report_violation(c, &actor, &id, body.0.clone(), &rules))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Register a home for quarantine, with its checklist and officer.
#[utoipa::path(tag = "home quarantine", request_body = CreateHome, responses((status = 201, body = HomeOut)))]
#[post("/homes")]
async fn create_home(
    state: web::Data<AppState>,
    actor: Actor,
    body: ApiJson<CreateHome>,
) -> AppResult<HttpResponse> {
    let out = state
        .write(move |c| homes::create_home(c, &actor, body.0.clone()))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// One home, with the episodes of everyone quarantined there and its signs.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), responses((status = 200, body = HomeOut)))]
#[get("/homes/{id}")]
async fn get_home(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<HomeOut>> {
    Ok(web::Json(
        state.run(move |c| homes::get_home(c, &actor, &id)).await?,
    ))
}

/// Change a home's checklist or officer.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = UpdateHome, responses((status = 200, body = HomeOut)))]
#[patch("/homes/{id}")]
async fn update_home(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<UpdateHome>,
) -> AppResult<web::Json<HomeOut>> {
    Ok(web::Json(
        state
            .write(move |c| homes::update_home(c, &actor, &id, body.0.clone()))
            .await?,
    ))
}

/// Post the warning sign at a home's door.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = PostSign, responses((status = 201, body = SignOut)))]
#[post("/homes/{id}/signs")]
async fn post_sign(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<PostSign>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let out = state
        .write(move |c| homes::post_sign(c, &actor, &id, body.0.clone(), &rules))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Take a warning sign down: at release, or earlier with a reason.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = RemoveSign, responses((status = 200, body = SignOut)))]
#[post("/signs/{id}/removal")]
async fn remove_sign(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<RemoveSign>,
) -> AppResult<web::Json<SignOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| homes::take_down_sign(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}

/// Line list: signs still posted where nobody is quarantined any more.
#[utoipa::path(tag = "home quarantine", params(SizeQuery), responses((status = 200, body = Vec<SignOut>)))]
#[get("/signs/not-removed")]
async fn signs_not_removed(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<SizeQuery>,
) -> AppResult<web::Json<Vec<SignOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| homes::signs_not_removed(c, &actor, q))
            .await?,
    ))
}

/// Open follow-ups; `kind=missed_report` is the line list of homes with a missed report.
#[utoipa::path(tag = "home quarantine", params(FollowUpQuery), responses((status = 200, body = Page<FollowUpOut>)))]
#[get("/follow-ups")]
async fn follow_ups(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<FollowUpQuery>,
) -> AppResult<web::Json<Page<FollowUpOut>>> {
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| homes::open_follow_ups(c, &actor, q))
            .await?,
    ))
}

/// Close a follow-up, saying what was done.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = ResolveFollowUp, responses((status = 200, body = FollowUpOut)))]
#[post("/follow-ups/{id}/resolution")]
async fn resolve_follow_up(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<ResolveFollowUp>,
) -> AppResult<web::Json<FollowUpOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| homes::resolve_follow_up(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}

/// The police list: people who absconded and violations not yet handled.
#[utoipa::path(tag = "home quarantine", params(SizeQuery), responses((status = 200, body = PoliceListOut)))]
#[get("/police/quarantine-list")]
async fn police_list(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    q: web::Query<SizeQuery>,
) -> AppResult<web::Json<PoliceListOut>> {
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("police_list", Action::PoliceList),
                move |c| homes::police_list(c, &a, q),
            )
            .await?,
    ))
}

/// Mark a violation handled, with what the police did.
#[utoipa::path(tag = "home quarantine", params(("id" = String, Path)), request_body = HandleViolation, responses((status = 200, body = ViolationOut)))]
#[post("/violations/{id}/handling")]
async fn handle_violation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<HandleViolation>,
) -> AppResult<web::Json<ViolationOut>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .write(move |c| homes::handle_violation(c, &actor, &id, body.0.clone(), &rules))
            .await?,
    ))
}
