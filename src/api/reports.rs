//! /reports (5S, the weekly report), /line-lists, the 5S of one case, and the page that
//! draws a chain of exposure.

use super::audit::{RequestRef, Shows};
use super::AppState;
use crate::auth::Actor;
use crate::domain::privacy::check_purpose;
use crate::domain::reports::LineList;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult};
use crate::service::privacy::add_shown;
use crate::service::reports::{
    self as svc, CaseFiveS, FiveSQuery, FiveSReport, Format, LineQuery, LineRow, WeeklyQuery,
    WeeklyReport,
};
use crate::service::{Page, Paging};
use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use futures_util::stream::{self, Stream, StreamExt};
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
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
    req: RequestRef,
    q: web::Query<FiveSQuery>,
) -> AppResult<web::Json<FiveSReport>> {
    let rules = state.config.rules;
    let q = q.into_inner();
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("five_s", Action::ReportRead).from_replica(),
                move |c| svc::five_s(c, &a, q, &rules),
            )
            .await?,
    ))
}

/// 5S timeliness of one F0: each F1 with the time of each step.
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, body = CaseFiveS)))]
#[get("/cases/{id}/five-s")]
async fn case_five_s(
    state: web::Data<AppState>,
    actor: Actor,
    req: RequestRef,
    id: web::Path<String>,
) -> AppResult<web::Json<CaseFiveS>> {
    let rules = state.config.rules;
    let a = actor.clone();
    Ok(web::Json(
        state
            .read_people(
                &actor,
                req.reading("case_five_s", Action::ReportRead)
                    .from_replica(),
                move |c| svc::case_five_s(c, &a, &id, &rules),
            )
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
        .run_lagging(move |c| svc::weekly(c, &actor, &q, &rules))
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
///
/// A CSV export that fails after it began is cut off: the connection closes without the
/// body's last chunk, which a client sees as an error, never as the end of the list.
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
    req: RequestRef,
    list: web::Path<LineList>,
    q: web::Query<LineQuery>,
) -> AppResult<HttpResponse> {
    let rules = state.config.rules;
    let list = list.into_inner();
    let q = q.into_inner();
    let key = q
        .pseudonymised
        .unwrap_or(false)
        .then(|| state.pseudonym_key());
    let csv = q.format == Some(Format::Csv);
    let mut reading = req.reading("line_list", Action::ReportRead).from_replica();
    if csv && key.is_none() {
        // who may not read the list is told so, whatever the purpose
        actor.scope(Action::ReportRead)?;
        let purpose =
            check_purpose(q.purpose.as_deref()).map_err(|m| AppError::field("purpose", m))?;
        reading.purpose = Some(purpose);
    } else {
        reading.purpose = q.purpose.clone().filter(|p| !p.trim().is_empty());
    }
    let read = move |state: web::Data<AppState>, actor: Actor, paging: Paging| async move {
        let page = state
            .run_lagging(move |c| svc::line_page(c, &actor, list, &paging, &rules))
            .await?;
        Ok::<_, AppError>(page)
    };
    // the page answered first (a JSON answer's only one) has its access written before it
    // leaves, and an export's before its download starts, so that a refusal is a problem,
    // not a broken download; a pseudonymised page shows nobody
    let paging = match csv {
        false => Paging::new(q.cursor.as_deref(), q.limit)?,
        true => Paging::new(q.cursor.as_deref(), None)?.sized(EXPORT_PAGE),
    };
    let (first, access) = match &key {
        Some(k) => {
            let mut page = read(state.clone(), actor.clone(), paging).await?;
            page.items = svc::pseudonymise(k, page.items);
            (page, None)
        }
        None => {
            let who = actor.clone();
            let page = move |c: &mut _| svc::line_page(c, &who, list, &paging, &rules);
            state.read_recorded(&actor, reading, page).await?
        }
    };
    if !csv {
        return Ok(HttpResponse::Ok().json(first));
    }
    let seen: Arc<Mutex<HashSet<String>>> =
        Arc::new(Mutex::new(first.shown().into_iter().collect()));
    let body = csv_body(list, first, EXPORT_PAGE, move |paging| {
        let (state, actor, key) = (state.clone(), actor.clone(), key.clone());
        let (access, seen) = (access.clone(), seen.clone());
        async move {
            let mut page = read(state.clone(), actor, paging).await?;
            if let Some(k) = &key {
                page.items = svc::pseudonymise(k, page.items);
            }
            if let Some(access) = access {
                // each page's new people join the export's access before the page is sent
                let new: Vec<String> = {
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    page.shown()
                        .into_iter()
                        .filter(|p| seen.insert(p.clone()))
                        .collect()
                };
                if !new.is_empty() {
                    state.write(move |c| add_shown(c, &access, &new)).await?;
                }
            }
            Ok(page)
        }
    });
    let file = format!("attachment; filename=\"{}.csv\"", list.as_str());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", file))
        .streaming(body))
}

/// The body of a CSV export: the header and the first page (read before answering), then
/// each page after it as the client reads, `read` reading the page a [`Paging`] names. A
/// page that fails ends the body with the error, logged: actix then drops the connection
/// without the last chunk, so that the client sees a broken download, never a short file
/// that looks whole.
fn csv_body<F, Fut>(
    list: LineList,
    first: Page<LineRow>,
    page_size: i64,
    read: F,
) -> impl Stream<Item = Result<Bytes, AppError>>
where
    F: FnMut(Paging) -> Fut,
    Fut: Future<Output = AppResult<Page<LineRow>>>,
{
    let head = Bytes::from(svc::line_csv_header());
    let first_chunk = Bytes::from(svc::line_csv(&first.items));
    let sent = first.items.len();
    let rest = stream::unfold(
        (first.next_cursor, read, sent),
        move |(cursor, mut read, sent)| async move {
            let page = match Paging::new(Some(&cursor?), None) {
                Ok(paging) => read(paging.sized(page_size)).await,
                Err(e) => Err(e),
            };
            Some(match page {
                Ok(p) => {
                    let chunk = Bytes::from(svc::line_csv(&p.items));
                    (Ok(chunk), (p.next_cursor, read, sent + p.items.len()))
                }
                Err(e) => {
                    tracing::error!(
                        list = list.as_str(),
                        rows_sent = sent,
                        error = %e,
                        "a CSV export failed midway: its connection is dropped"
                    );
                    (Err(e), (None, read, sent))
                }
            })
        },
    );
    stream::iter([Ok(head), Ok(first_chunk)]).chain(rest)
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    fn row(i: usize) -> LineRow {
        LineRow {
            person_id: format!("p{i:03}"),
            full_name: None,
            birth_year: None,
            phones: Vec::new(),
            residence_unit_code: "06994".into(),
            level: Some("F2".into()),
            reference_type: "exposure".into(),
            reference_id: format!("p{i:03}"),
            since: None,
            due: None,
            detail: None,
        }
    }

    /// A list of `n` lines read in pages of 2, as the store would: the page after the
    /// paging's key; `fail_at` is the page (from 1) that fails instead.
    fn source(
        n: usize,
        fail_at: Option<usize>,
    ) -> (
        Page<LineRow>,
        impl FnMut(Paging) -> std::future::Ready<AppResult<Page<LineRow>>>,
    ) {
        let rows: Vec<LineRow> = (0..n).map(row).collect();
        let page_of = move |paging: &Paging| {
            let fetched: Vec<LineRow> = rows
                .iter()
                .filter(|r| paging.after().is_none_or(|a| r.person_id.as_str() > a))
                .take(paging.fetch() as usize)
                .cloned()
                .collect();
            paging.page(fetched, |r| r.person_id.clone())
        };
        let first = page_of(&Paging::new(None, None).unwrap().sized(2));
        let mut page = 1;
        let read = move |paging: Paging| {
            page += 1;
            std::future::ready(if fail_at == Some(page) {
                Err(AppError::Internal(anyhow::anyhow!(
                    "the database went away"
                )))
            } else {
                Ok(page_of(&paging))
            })
        };
        (first, read)
    }

    fn run(body: impl Stream<Item = Result<Bytes, AppError>>) -> Vec<Result<String, String>> {
        body.map(|c| {
            c.map(|b| String::from_utf8(b.to_vec()).unwrap())
                .map_err(|e| e.to_string())
        })
        .collect::<Vec<_>>()
        .now_or_never()
        .expect("the pages are ready at once")
    }

    #[test]
    fn an_export_streams_every_page_then_ends() {
        let (first, read) = source(5, None);
        let chunks = run(csv_body(LineList::NotSampled, first, 2, read));
        let text: String = chunks.into_iter().map(Result::unwrap).collect();
        let ids: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(ids, ["p000", "p001", "p002", "p003", "p004"]);
    }

    #[test]
    fn a_page_that_fails_ends_the_export_with_an_error() {
        let (first, read) = source(7, Some(3));
        let chunks = run(csv_body(LineList::NotSampled, first, 2, read));
        // the header, pages 1 and 2, then the error of page 3, and nothing after it
        assert_eq!(chunks.len(), 4, "{chunks:?}");
        assert!(chunks[..3].iter().all(Result::is_ok));
        assert!(chunks[1].as_ref().unwrap().contains("p001"));
        assert!(chunks[2].as_ref().unwrap().contains("p003"));
        let err = chunks[3].as_ref().unwrap_err();
        assert!(err.contains("the database went away"), "{err}");
    }

    #[test]
    fn the_first_page_after_the_one_read_may_fail_too() {
        let (first, read) = source(7, Some(2));
        let chunks = run(csv_body(LineList::NotSampled, first, 2, read));
        assert_eq!(chunks.len(), 3, "{chunks:?}");
        assert!(chunks[..2].iter().all(Result::is_ok));
        assert!(chunks[2].is_err());
    }
}
