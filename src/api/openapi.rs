//! The OpenAPI document: generated from the handlers, with the problem responses and the
//! bearer scheme added to every operation. `openapi.yaml` at the repository root is kept
//! equal to it by a test; `tracing-backend openapi > openapi.yaml` regenerates it.

use crate::error::Problem;
use actix_web::{get, web, HttpResponse};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, ArrayItems, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
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
    forbid_invisible(&mut doc);
    doc
}

/// Every string in a JSON request body is refused when it holds a character no person types
/// (`domain::text::is_forbidden_char`, checked in `extract`). Say so in the schemas request
/// bodies reach: each string without `enum` or `format` gets a pattern excluding those
/// characters, beside its own pattern (through `allOf`) when it has one. An object that
/// admits properties it does not name would let any string in: it is closed (the service
/// ignores such properties, but still refuses invisible characters in them).
fn forbid_invisible(doc: &mut OpenApi) {
    let pattern = format!("^[^{}]*$", forbidden_class());
    let mut names = Vec::new();
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        let bodies = ops
            .into_iter()
            .flatten()
            .filter_map(|op| op.request_body.as_mut());
        for body in bodies {
            for schema in body.content.values_mut().filter_map(|c| c.schema.as_mut()) {
                visible_text_only(schema, &pattern, &mut names);
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = names.pop() {
        let schemas = doc.components.as_mut().map(|c| &mut c.schemas);
        if let Some(schema) = schemas.and_then(|s| s.get_mut(&name)) {
            if seen.insert(name) {
                visible_text_only(schema, &pattern, &mut names);
            }
        }
    }
}

/// Give the free strings of `schema` the pattern; the components it refers to go to `refs`.
fn visible_text_only(schema: &mut RefOr<Schema>, pattern: &str, refs: &mut Vec<String>) {
    let schema = match schema {
        RefOr::Ref(r) => {
            let name = r.ref_location.strip_prefix("#/components/schemas/");
            refs.extend(name.map(str::to_string));
            return;
        }
        RefOr::T(s) => s,
    };
    let parts = match schema {
        Schema::Object(o) => {
            if has_type(&o.schema_type, Type::String)
                && o.enum_values.is_none()
                && o.format.is_none()
            {
                if o.pattern.is_none() {
                    o.pattern = Some(pattern.to_string());
                } else {
                    let own = Schema::Object(o.clone());
                    let visible = ObjectBuilder::new()
                        .schema_type(SchemaType::AnyValue)
                        .pattern(Some(pattern));
                    *schema = Schema::AllOf(AllOfBuilder::new().item(own).item(visible).build());
                    return;
                }
            }
            if has_type(&o.schema_type, Type::Object) && o.additional_properties.is_none() {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            let values = match o.additional_properties.as_deref_mut() {
                Some(AdditionalProperties::RefOr(r)) => Some(r),
                _ => None,
            };
            o.properties.values_mut().chain(values).collect()
        }
        Schema::Array(a) => match &mut a.items {
            ArrayItems::RefOrSchema(items) => vec![items.as_mut()],
            ArrayItems::False => Vec::new(),
        },
        Schema::AllOf(x) => x.items.iter_mut().collect(),
        Schema::OneOf(x) => x.items.iter_mut().collect(),
        Schema::AnyOf(x) => x.items.iter_mut().collect(),
        _ => Vec::new(),
    };
    for part in parts {
        visible_text_only(part, pattern, refs);
    }
}

/// Whether a schema's type is `ty`, or a list of types holding it.
fn has_type(t: &SchemaType, ty: Type) -> bool {
    match t {
        SchemaType::Type(t) => *t == ty,
        SchemaType::Array(ts) => ts.contains(&ty),
        SchemaType::AnyValue => false,
    }
}

/// The characters `is_forbidden_char` refuses, as the inside of a regular-expression class
/// (`\u0000-\u0008\u000B…`) that ECMA-262 and Python read alike. They all lie in the Basic
/// Multilingual Plane (a test below checks it).
fn forbidden_class() -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let forbidden = (0..=0xFFFF)
        .filter(|&c| char::from_u32(c).is_some_and(crate::domain::text::is_forbidden_char));
    for c in forbidden {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == c => *last = c,
            _ => ranges.push((c, c)),
        }
    }
    ranges
        .iter()
        .map(|&(first, last)| {
            if first == last {
                format!("\\u{first:04X}")
            } else {
                format!("\\u{first:04X}-\\u{last:04X}")
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    #[test]
    fn request_strings_refuse_invisible_characters_and_response_strings_are_left_alone() {
        let doc = serde_json::to_value(crate::api::api_doc()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let visible =
            |s: &serde_json::Value| s["pattern"].as_str().unwrap().starts_with("^[^\\u0000");
        // a free string, and one with a pattern of its own (kept beside it)
        assert!(visible(
            &schemas["RefreshInput"]["properties"]["refresh_token"]
        ));
        let reason = &schemas["RetractContact"]["properties"]["reason"]["allOf"];
        assert_eq!(reason[0]["pattern"], "\\S *\\S *\\S");
        assert!(visible(&reason[1]));
        // formats and enums are not free strings; responses are not requests
        assert!(schemas["LogContact"]["properties"]["person_id"]["pattern"].is_null());
        assert!(schemas["PersonOut"]["properties"]["full_name"]["pattern"].is_null());
    }

    #[test]
    fn no_forbidden_character_lies_beyond_the_basic_plane() {
        assert!((0x10000..=0x10FFFF)
            .filter_map(char::from_u32)
            .all(|c| !crate::domain::text::is_forbidden_char(c)));
    }
}
