//! The OpenAPI document: generated from the handlers, with the problem responses and the
//! bearer scheme added to every operation. `openapi.yaml` at the repository root is kept
//! equal to it by a test; `tracing-backend openapi > openapi.yaml` regenerates it.

use crate::error::Problem;
use actix_web::{get, web, HttpResponse};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Outbreak tracing backend",
        description = "People, contacts and chains of exposure (F0/F1/F2/F3), quarantine and sampling for Vietnamese outbreak-response teams. Every error is RFC 9457 application/problem+json.",
        license(name = "MIT")
    ),
    // enums used only in query parameters: a parameter refers to them but nothing else
    // registers them (a test checks that every reference resolves)
    components(schemas(
        Problem,
        crate::domain::FieldError,
        crate::service::trace::Direction,
        crate::service::sync::Feed,
        crate::domain::cases::CaseState,
        crate::domain::investigation::Step,
        crate::domain::investigation::TaskState,
        crate::domain::units::Level,
        crate::domain::quarantine::EpisodeState,
        crate::domain::home::FollowUpKind,
        crate::service::camps::ResidentStatus,
        crate::domain::zones::ZoneState,
        crate::domain::risk::Scale,
        crate::domain::reports::LineList,
        crate::service::reports::Format,
        crate::service::notices::NoticeSide,
        crate::domain::notices::NoticeState
    ))
)]
struct Base;

pub fn base() -> OpenApi {
    Base::openapi()
}

/// Operations that need no token.
const PUBLIC: [&str; 3] = [
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/public/landmarks",
];

pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    components
        .schemas
        .insert(Problem::name().into(), Problem::schema());
    let problem = |desc: &str| {
        ResponseBuilder::new()
            .description(desc)
            .content(
                crate::error::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(Problem::name())))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops: [&mut Option<Operation>; 5] = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            let r = &mut op.responses.responses;
            r.entry("4XX".into()).or_insert_with(|| {
                problem("The request was refused: see the problem document").into()
            });
            r.entry("5XX".into())
                .or_insert_with(|| problem("The service failed or is unavailable").into());
            if !PUBLIC.contains(&path.as_str()) {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
    doc
}

/// The methods the document lists for a request path (`/api/v1/people/0a1b…` matches
/// `/api/v1/people/{id}`), for the `Allow` header of a 405.
pub fn methods_of(doc: &OpenApi, path: &str) -> Vec<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let mut out: Vec<String> = Vec::new();
    for (template, item) in &doc.paths.paths {
        let t: Vec<&str> = template.split('/').collect();
        let matches = t.len() == segs.len()
            && t.iter()
                .zip(&segs)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()));
        if !matches {
            continue;
        }
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if op.is_some() && !out.iter().any(|m| m == method) {
                out.push(method.to_string());
            }
        }
    }
    out
}

/// The YAML form, as committed at the repository root.
pub fn to_yaml(doc: &OpenApi) -> String {
    doc.to_yaml().unwrap_or_default()
}

/// The OpenAPI document of this service.
#[get("/openapi.json")]
pub async fn serve(doc: web::Data<OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}
