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
    // metrics are not on the API's address, with or without a token
    app.request("GET", "/metrics", None, None)
        .await
        .assert_problem(404, "not-found");
    app.get("/metrics", &t)
        .await
        .assert_problem(404, "not-found");
    let text = app.metrics().await;
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
async fn a_known_path_asked_with_another_method_is_405_with_the_methods_it_answers() {
    let app = TestApp::new().await;
    let t = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    for method in ["TRACE", "DELETE", "PUT"] {
        let r = app.request(method, "/api/v1/people", Some(&t), None).await;
        r.assert_problem(405, "method-not-allowed");
    }
    let r = app
        .request(
            "TRACE",
            "/api/v1/people/0193c0de-0000-7000-8000-000000000000",
            Some(&t),
            None,
        )
        .await;
    r.assert_problem(405, "method-not-allowed");
    assert_eq!(r.headers.get("allow").unwrap(), "GET, PATCH");
    // a path no route has is still a 404
    app.request("TRACE", "/api/v1/nowhere", Some(&t), None)
        .await
        .assert_problem(404, "not-found");
}

#[actix_web::test]
async fn text_with_invisible_or_control_characters_is_refused_naming_the_field() {
    let app = TestApp::new().await;
    let t = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    for name in [
        "Nguy\u{202e}n An",
        "An\u{200b}",
        "\u{feff}Binh",
        "Chi\u{2066}",
    ] {
        let r = app
            .post(
                "/api/v1/people",
                &t,
                serde_json::json!({"full_name": name, "residence_unit_code": CAI_RONG}),
            )
            .await;
        r.assert_problem(422, "validation");
        assert_eq!(r.field_errors(), ["full_name"], "{name:?}");
    }
    // inside a nested body too, with the path to it
    let p = app.person(&t, "Lê Văn Dũng").await;
    let r = app
        .post(
            "/api/v1/contacts",
            &t,
            serde_json::json!({
                "person_id": p,
                "contact_person": {"full_name": "Hà\u{200d}", "phones": ["0912345678"]},
                "first_at": crate::helpers::ago(1, 0), "last_at": crate::helpers::ago(1, 1),
                "setting": "household", "proximity": "physical",
            }),
        )
        .await;
    assert_eq!(r.field_errors(), ["contact_person.full_name"]);
    // Vietnamese with its diacritics, and line breaks in free text, are fine
    app.person(&t, "Nguyễn Thị Ánh Tuyết").await;
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

#[test]
fn every_operation_has_an_id_of_its_own() {
    let doc = serde_json::to_value(tracing_backend::api::api_doc()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(
                    seen.insert(id.to_string()),
                    "operationId {id} is used twice"
                );
            }
        }
    }
}

#[actix_web::test]
async fn the_document_is_served() {
    let app = TestApp::new().await;
    let r = app.request("GET", "/openapi.json", None, None).await;
    assert_eq!(r.assert(200)["info"]["title"], "Outbreak tracing backend");
}

/// Every paged list refuses a cursor it did not hand out with 422 naming `cursor`, rather
/// than answering an empty page a client would take for the end of the list; and every
/// operation that takes a cursor is in this table, so a new list cannot miss the check.
#[actix_web::test]
async fn a_forged_cursor_is_a_problem_on_every_paged_list() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let admin = app.token("quan.tri", Role::Admin, VAN_DON).await;
    let dpo = app
        .token("bao.ve", Role::DataProtectionOfficer, VAN_DON)
        .await;
    let person = app.person(&health, "Nguyễn Văn An").await;
    let user = app.user("nguoi.dung", Role::PoliceTracer, VAN_DON).await.0;
    let zone = app
        .post(
            "/api/v1/zones",
            &health,
            serde_json::json!({"name": "Thôn Một", "level": "medical_isolation", "unit_codes": [CAI_RONG]}),
        )
        .await;
    let zone = zone.assert(201)["id"].as_str().unwrap().to_string();
    let episode = app
        .post(
            "/api/v1/episodes",
            &health,
            serde_json::json!({"person_id": person, "mode": "home", "level": 1, "reason": "F1"}),
        )
        .await;
    let episode = episode.assert(201)["id"].as_str().unwrap().to_string();
    let lists: Vec<(&str, String, &str)> = vec![
        (
            "/api/v1/access-log",
            format!("/api/v1/access-log?person_id={person}"),
            &dpo,
        ),
        ("/api/v1/cases", "/api/v1/cases".into(), &health),
        ("/api/v1/episodes", "/api/v1/episodes".into(), &health),
        (
            "/api/v1/episodes/due-for-release",
            "/api/v1/episodes/due-for-release".into(),
            &health,
        ),
        (
            "/api/v1/episodes/{id}/history",
            format!("/api/v1/episodes/{episode}/history"),
            &health,
        ),
        ("/api/v1/follow-ups", "/api/v1/follow-ups".into(), &health),
        (
            "/api/v1/investigations",
            "/api/v1/investigations".into(),
            &health,
        ),
        (
            "/api/v1/line-lists/{list}",
            "/api/v1/line-lists/not_sampled".into(),
            &health,
        ),
        ("/api/v1/notices", "/api/v1/notices".into(), &health),
        ("/api/v1/people", "/api/v1/people".into(), &health),
        (
            "/api/v1/people/duplicates",
            "/api/v1/people/duplicates".into(),
            &health,
        ),
        (
            "/api/v1/people/{id}/history",
            format!("/api/v1/people/{person}/history"),
            &health,
        ),
        (
            "/api/v1/quarantine/not-isolated",
            "/api/v1/quarantine/not-isolated".into(),
            &health,
        ),
        ("/api/v1/reviews", "/api/v1/reviews".into(), &health),
        (
            "/api/v1/samples/overdue",
            "/api/v1/samples/overdue".into(),
            &health,
        ),
        (
            "/api/v1/sync/pull",
            "/api/v1/sync/pull?kind=people".into(),
            &health,
        ),
        ("/api/v1/trace-tasks", "/api/v1/trace-tasks".into(), &health),
        ("/api/v1/units", "/api/v1/units".into(), &health),
        (
            "/api/v1/units/{code}/risk-levels",
            format!("/api/v1/units/{VAN_DON}/risk-levels"),
            &health,
        ),
        ("/api/v1/users", "/api/v1/users".into(), &admin),
        (
            "/api/v1/users/{id}/history",
            format!("/api/v1/users/{user}/history"),
            &admin,
        ),
        ("/api/v1/zones", "/api/v1/zones".into(), &health),
        (
            "/api/v1/zones/{id}/residents",
            format!("/api/v1/zones/{zone}/residents"),
            &health,
        ),
    ];
    let doc: serde_json::Value = app
        .request("GET", "/openapi.json", None, None)
        .await
        .assert(200)
        .clone();
    let mut paged: Vec<&str> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let takes_cursor = ops["get"]["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "cursor"));
        if takes_cursor {
            paged.push(path);
        }
    }
    let mut covered: Vec<&str> = lists.iter().map(|(p, _, _)| *p).collect();
    covered.sort();
    paged.sort();
    assert_eq!(covered, paged, "every paged list is in the table");
    for (_, url, token) in &lists {
        let sep = if url.contains('?') { '&' } else { '?' };
        // the first page answers: the refusal below is the cursor's, not the list's
        let first = app.get(url, token).await;
        assert_eq!(first.status, 200, "{url}: {}", first.body);
        for forged in ["nonsense", "0193a1b2-0000-7000-8000-000000000001"] {
            let r = app.get(&format!("{url}{sep}cursor={forged}"), token).await;
            r.assert_problem(422, "validation");
            assert_eq!(r.field_errors(), ["cursor"], "{url}: {}", r.body);
        }
    }
}

/// The migration that gave events their typed facts fills them from the JSON of the events
/// written before it, so that the 5S and weekly reports still count them.
#[actix_web::test]
async fn events_written_before_their_typed_facts_get_them_from_their_json() {
    use diesel::prelude::*;
    use tracing_backend::schema::events;
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let f1 = app.person(&health, "Trần Thị Một").await;
    let when = crate::helpers::ago(1, 0);
    app.post(
        "/api/v1/contacts",
        &health,
        serde_json::json!({"person_id": f0, "contact_person_id": f1, "first_at": when, "last_at": when,
               "setting": "household", "proximity": "within_2m"}),
    )
    .await
    .assert(201);
    let case = app.post(
        "/api/v1/cases",
        &health,
        serde_json::json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-1",
               "sample_date": crate::helpers::date_ago(0), "onset_date": crate::helpers::date_ago(2),
               "case_number": "BN1"}),
    )
    .await;
    let case = case.assert(201)["case"]["id"].as_str().unwrap().to_string();
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let task = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            serde_json::json!({"case_id": case, "person_ids": [f1], "team": "Tổ 1"}),
        )
        .await;
    let task = task.assert(201)[0]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/trace-tasks/{task}/transitions");
    for (cmd, v) in [("start", 1), ("done", 2)] {
        app.post(
            &url,
            &police,
            serde_json::json!({"command": cmd, "version": v}),
        )
        .await
        .assert(200);
    }
    // the states the task's events leave it in, in no particular order
    let states = |conn: &mut tracing_backend::db::AnyConnection| {
        let mut states = events::table
            .filter(events::entity_type.eq("trace_task"))
            .select(events::state)
            .load::<Option<String>>(conn)
            .unwrap();
        states.sort();
        states
    };
    let facts = |conn: &mut tracing_backend::db::AnyConnection| {
        events::table
            .filter(events::action.eq("classified"))
            .order(events::entity_id)
            .select((events::entity_id, events::level, events::via_id))
            .load::<(String, Option<i32>, Option<String>)>(conn)
            .unwrap()
    };
    let mut conn = app.raw_conn();
    let written = facts(&mut conn);
    let moved = states(&mut conn);
    assert_eq!(
        moved,
        [None, Some("done".into()), Some("in_progress".into())]
    );
    let mut expected = vec![(f0.clone(), Some(0), None), (f1.clone(), Some(1), Some(f0))];
    expected.sort();
    assert_eq!(written, expected);
    // as if written before: back to the schema without the columns, and forward again
    let reverted = tracing_backend::db::revert_to(&mut conn, "2026-12-02-000013").unwrap();
    assert!(reverted >= 1);
    tracing_backend::db::migrate(&mut conn).unwrap();
    assert_eq!(facts(&mut conn), expected);
    assert_eq!(states(&mut conn), moved);
}

/// After many writes, PostgreSQL's statistics of the tables written follow (they decide
/// every plan, the foreign-key checks of each insert among them), whether autovacuum runs or
/// not; a readiness answer without a replica says nothing of one.
#[actix_web::test]
async fn statistics_follow_a_burst_of_writes() {
    let app = TestApp::with_config(|c| c.analyze_every = std::time::Duration::from_secs(1)).await;
    let r = app.request("GET", "/readyz", None, None).await;
    assert!(r.assert(200).get("replica").is_none(), "{}", r.body);
    let t = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    const GIVEN: [&str; 6] = ["An", "Bình", "Chi", "Dũng", "Hoa", "Minh"];
    for i in 0..60 {
        let name = format!("Nguyễn {} {}", GIVEN[i % 6], GIVEN[i / 10]);
        app.person(&t, &name).await;
    }
    let mut conn = app.raw_conn();
    let tracing_backend::db::AnyConnection::Postgresql(pg) = &mut conn else {
        // SQLite's planner reads its b-trees: nothing to analyse
        assert!(tracing_backend::db::analyze::analyze_stale(&mut conn)
            .unwrap()
            .is_empty());
        return;
    };
    #[derive(diesel::QueryableByName)]
    struct Analysed {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        yes: bool,
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let a: Analysed = diesel::RunQueryDsl::get_result(
            diesel::sql_query(
                "SELECT last_analyze IS NOT NULL AND n_mod_since_analyze < 60 AS yes
                 FROM pg_stat_user_tables WHERE relname = 'persons'",
            ),
            pg,
        )
        .unwrap();
        if a.yes {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "persons never analysed after 60 new rows"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
