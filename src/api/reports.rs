//! /reports (5S, the weekly report), /line-lists, the 5S of one case, and the page that
//! draws a chain of exposure.

use super::AppState;
use crate::auth::Actor;
use crate::domain::reports::LineList;
use crate::error::{AppError, AppResult};
use crate::service::reports::{
    self as svc, CaseFiveS, FiveSQuery, FiveSReport, Format, LineQuery, LineRow, WeeklyQuery,
    WeeklyReport,
};
use crate::service::{Page, Paging};
use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use futures_util::stream::{self, StreamExt};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(five_s)
        .service(case_five_s)
        .service(weekly)
        .service(line_list);
}

/// 5S timeliness of a jurisdiction: for the F0s confirmed over a period, the delays from
/// confirmation to each step for their F1s (median, 90th percentile) and who is past a
/// deadline.
#[utoipa::path(tag = "reports", params(FiveSQuery), responses((status = 200, body = FiveSReport)))]
#[get("/reports/five-s")]
async fn five_s(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<FiveSQuery>,
) -> AppResult<web::Json<FiveSReport>> {
    let rules = state.config.rules;
    let q = q.into_inner();
    Ok(web::Json(
        state
            .run(move |c| svc::five_s(c, &actor, q, &rules))
            .await?,
    ))
}

/// 5S timeliness of one F0: each F1 with the time of each step.
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, body = CaseFiveS)))]
#[get("/cases/{id}/five-s")]
async fn case_five_s(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<web::Json<CaseFiveS>> {
    let rules = state.config.rules;
    Ok(web::Json(
        state
            .run(move |c| svc::case_five_s(c, &actor, &id, &rules))
            .await?,
    ))
}

/// The weekly report to the steering committee: figures per child unit adding up to the
/// unit's, the 5S, risk levels and cordon zones; as JSON or CSV.
#[utoipa::path(tag = "reports", params(WeeklyQuery), responses(
    (status = 200, description = "The report", content(
        (WeeklyReport = "application/json"),
        (String = "text/csv")
    ))
))]
#[get("/reports/weekly")]
async fn weekly(
    state: web::Data<AppState>,
    actor: Actor,
    q: web::Query<WeeklyQuery>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let q = q.into_inner();
    let csv = q.format == Some(Format::Csv);
    let report = state
        .run(move |c| svc::weekly(c, &actor, &q, &rules))
        .await?;
    if csv {
        let body = svc::weekly_csv(&report)?;
        let file = format!(
            "attachment; filename=\"weekly-{}-{}.csv\"",
            report.unit_code, report.week
        );
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", file))
            .body(body));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Rows per database round trip of a CSV export.
const EXPORT_PAGE: i64 = 500;

/// A line list in your jurisdiction: a page of JSON with keyset paging, or the whole list as
/// CSV, streamed page by page so that an export never sits in memory.
#[utoipa::path(tag = "reports", params(("list" = LineList, Path), LineQuery), responses(
    (status = 200, description = "A page, or the whole list as CSV", content(
        (Page<LineRow> = "application/json"),
        (String = "text/csv")
    ))
))]
#[get("/line-lists/{list}")]
async fn line_list(
    state: web::Data<AppState>,
    actor: Actor,
    list: web::Path<LineList>,
    q: web::Query<LineQuery>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let list = list.into_inner();
    let q = q.into_inner();
    if q.format != Some(Format::Csv) {
        let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
        let page = state
            .run(move |c| svc::line_page(c, &actor, list, &paging, &rules))
            .await?;
        return Ok(HttpResponse::Ok().json(page));
    }
    // the first page is read before answering, so that a refusal is a problem, not a
    // broken download
    let paging = Paging::new(q.cursor.as_deref(), None)?.sized(EXPORT_PAGE);
    let first = {
        let actor = actor.clone();
        state
            .run(move |c| svc::line_page(c, &actor, list, &paging, &rules))
            .await?
    };
    let head = Bytes::from(svc::line_csv_header());
    let first_chunk = Bytes::from(svc::line_csv(&first.items));
    let rest = stream::unfold(first.next_cursor, move |cursor| {
        let state = state.clone();
        let actor = actor.clone();
        async move {
            let paging = Paging::new(Some(&cursor?), None).map(|p| p.sized(EXPORT_PAGE));
            let page = match paging {
                Ok(paging) => {
                    state
                        .run(move |c| svc::line_page(c, &actor, list, &paging, &rules))
                        .await
                }
                Err(e) => Err(e),
            };
            Some(match page {
                Ok(p) => (Ok(Bytes::from(svc::line_csv(&p.items))), p.next_cursor),
                Err(e) => (Err(e), None),
            })
        }
    });
    let body = stream::iter([Ok::<Bytes, AppError>(head), Ok(first_chunk)]).chain(rest);
    let file = format!("attachment; filename=\"{}.csv\"", list.as_str());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", file))
        .streaming(body))
}

// ---- the chain picture ----------------------------------------------------------------

const CHAIN_PAGE: &str = include_str!("../../assets/chain.html");
const CHAIN_SCRIPT: &str = include_str!("../../assets/chain.js");

/// A page that draws a person's chain of exposure from `/api/v1/people/{id}/chain`:
/// `/chain?person=<id>`, with the access token in the address's fragment (`#token=…`, never
/// sent to a server) or typed into the page.
#[get("/chain")]
pub async fn chain_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(CHAIN_PAGE)
}

#[get("/assets/chain.js")]
pub async fn chain_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(CHAIN_SCRIPT)
}
