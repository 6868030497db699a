use crate::helpers::units::*;
use crate::helpers::TestApp;
use diesel::connection::SimpleConnection;
use tracing_backend::domain::roles::Role;

#[actix_web::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::new().await;
    let r = app.request("GET", "/healthz", None, None).await;
    assert_eq!(r.assert(200)["status"], "ok");
    let r = app.request("GET", "/readyz", None, None).await;
    assert_eq!(r.assert(200)["status"], "ready");
    let t = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    app.get("/api/v1/people?q=an", &t).await.assert(200);
    let m = app.request("GET", "/metrics", None, None).await;
    let text = m.body.as_str().unwrap().to_string();
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/people\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    // the query string (a name) never reaches the metrics
    assert!(!text.contains("q=an"));
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new().await;
    let req = actix_web::test::TestRequest::get()
        .uri("/healthz")
        .to_request();
    let res = actix_web::test::call_service(
        &actix_web::test::init_service(tracing_backend::api::build_app(app.state.clone())).await,
        req,
    )
    .await;
    let id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert_eq!(id.to_str().unwrap().len(), 36);
}

#[actix_web::test]
async fn unknown_routes_and_bad_bodies_are_problems() {
    let app = TestApp::new().await;
    let r = app.request("GET", "/nowhere", None, None).await;
    r.assert_problem(404, "not-found");
    let t = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/people")
        .insert_header(("authorization", format!("Bearer {t}")))
        .insert_header(("content-type", "application/json"))
        .set_payload("{not json")
        .to_request();
    app.send(req).await.assert_problem(400, "bad-request");
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/people")
        .insert_header(("authorization", format!("Bearer {t}")))
        .insert_header(("content-type", "text/plain"))
        .set_payload("hello")
        .to_request();
    app.send(req).await.assert_problem(400, "bad-request");
    let r = app.get("/api/v1/people?limit=abc", &t).await;
    r.assert_problem(400, "bad-request");
}

#[actix_web::test]
async fn the_event_log_is_append_only() {
    let app = TestApp::new().await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let mut conn = app.raw_conn();
    assert!(conn
        .batch_execute("UPDATE events SET reason = 'x'")
        .is_err());
    assert!(conn.batch_execute("DELETE FROM events").is_err());
}

#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    let generated = tracing_backend::api::openapi::to_yaml(&tracing_backend::api::api_doc());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.yaml");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml is out of date: run `cargo run -- openapi > openapi.yaml`"
    );
}

#[test]
fn every_operation_declares_problem_responses() {
    let doc = serde_json::to_value(tracing_backend::api::api_doc()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for code in ["4XX", "5XX"] {
                let schema =
                    &op["responses"][code]["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Problem",
                    "{method} {path} {code}"
                );
            }
            let public = path.ends_with("/auth/login")
                || path.ends_with("/auth/refresh")
                || path.ends_with("/public/landmarks");
            assert_eq!(op.get("security").is_some(), !public, "{method} {path}");
        }
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    let doc = serde_json::to_value(tracing_backend::api::api_doc()).unwrap();
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} does not resolve"
        );
    }
}

#[actix_web::test]
async fn the_document_is_served() {
    let app = TestApp::new().await;
    let r = app.request("GET", "/openapi.json", None, None).await;
    assert_eq!(r.assert(200)["info"]["title"], "Outbreak tracing backend");
}
