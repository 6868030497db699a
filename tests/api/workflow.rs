use crate::helpers::units::*;
use crate::helpers::{ago, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

async fn confirm(app: &TestApp, token: &str, person: &str) -> String {
    let today = (Utc::now() + Duration::hours(7)).date_naive().to_string();
    let r = app
        .post("/api/v1/cases", token, json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": today}))
        .await;
    r.assert(201)["case"]["id"].as_str().unwrap().to_string()
}

async fn investigation_of(app: &TestApp, token: &str, case: &str) -> Value {
    let list = app.get("/api/v1/investigations", token).await;
    list.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_id"] == case)
        .expect("an investigation per case")
        .clone()
}

#[actix_web::test]
async fn the_van_don_workflow_runs_in_order_guarded_by_the_facts() {
    let app = TestApp::with_config(|c| c.rules.steps.tracing_hours = 0).await;
    let (uid, police) = app.user("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let case = confirm(&app, &health, &f0).await;
    let inv = investigation_of(&app, &police, &case).await;
    assert_eq!(inv["state"], "opened");
    // tracing was due at the confirmation and has not begun: overdue
    assert_eq!(inv["steps"][1]["step"], "tracing");
    assert_eq!(inv["steps"][1]["overdue"], true);
    let url = format!(
        "/api/v1/investigations/{}/transitions",
        inv["id"].as_str().unwrap()
    );
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start_isolating", "version": 1}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(r.body["state"], "opened");
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start_tracing", "version": 1}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "tracing");
    assert!(r.body["steps"][1]["at"].is_string());
    // the cordon comes between tracing and isolating: no skipping it
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start_isolating", "version": 2}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(r.body["state"], "tracing");
    assert_eq!(r.body["command"], "start_isolating");
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start_cordoning", "version": 2}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "cordoning");
    assert_eq!(r.body["steps"][2]["step"], "cordoning");
    assert!(r.body["steps"][2]["at"].is_string());
    assert!(r.body["steps"][2]["due"].is_string());
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start_isolating", "version": 3}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    let why = r.body["command"].as_str().unwrap();
    assert!(
        why.contains("no F1 listed") && why.contains("no active or lifted cordon zone"),
        "{why}"
    );
    // an F1 is listed and a task made to locate them
    let r = app
        .post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": f0, "contact_person": {"full_name": "Trần Thị Một", "phones": ["0912000111"]}, "first_at": ago(1, 0), "last_at": ago(1, 1), "setting": "household", "proximity": "physical"}),
        )
        .await;
    let f1 = r.assert(201)["contact"]["contact_person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let tasks = app
        .post(
            "/api/v1/trace-tasks",
            &police,
            json!({"case_id": case, "person_ids": [f1], "assignee_id": uid}),
        )
        .await;
    let task = tasks.assert(201)[0].clone();
    // a proposed zone is not yet a cordon; an active one is
    let zone = app
        .post(
            "/api/v1/zones",
            &health,
            json!({"name": "Phong tỏa thị trấn Cái Rồng", "level": "hard_lockdown", "unit_codes": [CAI_RONG], "investigation_ids": [inv["id"]]}),
        )
        .await;
    let zone_id = zone.assert(201)["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start_isolating", "version": 3}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(
        r.body["command"],
        "start_isolating (no active or lifted cordon zone)"
    );
    app.post(
        &format!("/api/v1/zones/{zone_id}/transitions"),
        &health,
        json!({"command": "activate", "version": 1}),
    )
    .await
    .assert(200);
    for cmd in ["start_isolating", "start_sampling", "start_monitoring"] {
        let version = app
            .get(
                &format!("/api/v1/investigations/{}", inv["id"].as_str().unwrap()),
                &police,
            )
            .await
            .body["version"]
            .clone();
        app.post(&url, &police, json!({"command": cmd, "version": version}))
            .await
            .assert(200);
    }
    let r = app
        .post(&url, &police, json!({"command": "close", "version": 6}))
        .await;
    r.assert_problem(409, "invalid-transition");
    let why = r.body["command"].as_str().unwrap();
    assert!(
        why.contains("1 people not located") && why.contains("1 F1 not isolated"),
        "{why}"
    );
    // the tracer locates the F1; health records the isolation
    let t = format!(
        "/api/v1/trace-tasks/{}/transitions",
        task["id"].as_str().unwrap()
    );
    app.post(
        &t,
        &police,
        json!({"command": "done", "version": 1, "note": "found at home"}),
    )
    .await
    .assert(200);
    let r = app
        .post(
            &format!("/api/v1/people/{f1}/isolation"),
            &health,
            json!({}),
        )
        .await;
    assert!(r.assert(200)["window_end"].is_string());
    app.post(
        &format!("/api/v1/people/{f1}/isolation"),
        &police,
        json!({}),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post(&url, &police, json!({"command": "close", "version": 6}))
        .await;
    assert_eq!(r.assert(200)["state"], "closed");
    app.post(&url, &police, json!({"command": "close", "version": 7}))
        .await
        .assert_problem(409, "invalid-transition");
    // others: analysts read but do not move it; another province does not see it
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let id = inv["id"].as_str().unwrap();
    app.get(&format!("/api/v1/investigations/{id}"), &cdc)
        .await
        .assert(200);
    app.post(&url, &cdc, json!({"command": "close", "version": 7}))
        .await
        .assert_problem(403, "forbidden");
    let bg = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    app.get(&format!("/api/v1/investigations/{id}"), &bg)
        .await
        .assert_problem(404, "not-found");
    app.post(&url, &bg, json!({"command": "close", "version": 7}))
        .await
        .assert_problem(404, "not-found");
    app.post(&url, &police, json!({"command": "close", "version": 1}))
        .await
        .assert_problem(409, "invalid-transition");
}

#[actix_web::test]
async fn isolation_ends_an_f1s_window() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let [f0, f1, later] = [
        app.person(&health, "Nguyễn Văn Gốc").await,
        app.person(&health, "Trần Thị Một").await,
        app.person(&health, "Lê Văn Sau").await,
    ];
    confirm(&app, &health, &f0).await;
    let c = json!({"person_id": f0, "contact_person_id": f1, "first_at": ago(1, 0), "last_at": ago(1, 1), "setting": "household", "proximity": "physical"});
    app.post("/api/v1/contacts", &health, c).await.assert(201);
    let r = app
        .post(
            &format!("/api/v1/people/{f1}/isolation"),
            &health,
            json!({"at": ago(0, -2)}),
        )
        .await;
    r.assert(200);
    let c = json!({"person_id": f1, "contact_person_id": later, "first_at": ago(0, -1), "last_at": ago(0, -1), "setting": "household", "proximity": "physical"});
    let r = app.post("/api/v1/contacts", &health, c).await;
    assert_eq!(r.assert(201)["classifies"], false);
    let r = app
        .post(
            &format!("/api/v1/people/{f0}/isolation"),
            &health,
            json!({}),
        )
        .await;
    r.assert_problem(409, "conflict");
    let r = app
        .post(
            &format!("/api/v1/people/{later}/isolation"),
            &health,
            json!({}),
        )
        .await;
    r.assert_problem(404, "not-found");
    let r = app
        .post(
            &format!("/api/v1/people/{f1}/isolation"),
            &health,
            json!({"at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["at"]);
}

#[actix_web::test]
async fn landmarks_are_published_without_personal_data() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let case = confirm(&app, &health, &f0).await;
    let url = format!("/api/v1/cases/{case}/landmarks");
    let r = app
        .post(&url, &police, json!({"place": "Chợ Cái Rồng", "unit_code": CAI_RONG, "from_at": ago(2, 0), "to_at": ago(2, 1), "public": true}))
        .await;
    r.assert(201);
    app.post(
        &url,
        &police,
        json!({"place": "Nhà riêng", "from_at": ago(2, 3), "to_at": ago(2, 9)}),
    )
    .await
    .assert(201);
    let r = app
        .post(
            &url,
            &police,
            json!({"place": "Cảng", "from_at": ago(1, 2), "to_at": ago(1, 0)}),
        )
        .await;
    assert_eq!(r.field_errors(), ["to_at"]);
    let r = app
        .post(
            &url,
            &police,
            json!({"place": "", "from_at": ago(1, 0), "to_at": ago(1, 1)}),
        )
        .await;
    assert_eq!(r.field_errors(), ["place"]);
    let admin = app.token("root", Role::Admin, "VN").await;
    app.post(
        &url,
        &admin,
        json!({"place": "X", "from_at": ago(1, 0), "to_at": ago(1, 1)}),
    )
    .await
    .assert_problem(403, "forbidden");
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    assert_eq!(
        app.get(&url, &cdc)
            .await
            .assert(200)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let bg = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    app.get(&url, &bg).await.assert_problem(404, "not-found");
    // the press list needs no token and shows place and time only
    let public = app
        .request("GET", "/api/v1/public/landmarks?unit=22", None, None)
        .await;
    let items = public.assert(200).as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["place"], "Chợ Cái Rồng");
    let keys: Vec<&String> = items[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["address", "from_at", "place", "to_at", "unit_code"]);
    let elsewhere = app
        .request("GET", "/api/v1/public/landmarks?unit=24", None, None)
        .await;
    assert_eq!(elsewhere.body, json!([]));
    let r = app
        .request("GET", "/api/v1/public/landmarks?days=365", None, None)
        .await;
    assert_eq!(r.field_errors(), ["days"]);
}

#[actix_web::test]
async fn trace_tasks_are_assigned_worked_and_listed_when_overdue() {
    let app = TestApp::new().await;
    let (uid, police) = app.user("cong.an", Role::PoliceTracer, VAN_DON).await;
    let other = app.token("cong.an.2", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let a = app.person(&health, "Trần Thị Một").await;
    let b = app.person(&health, "Lê Văn Hai").await;
    let case = confirm(&app, &health, &f0).await;
    let soon = (Utc::now() + Duration::seconds(3)).to_rfc3339();
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            json!({"case_id": case, "person_ids": [a, b], "assignee_id": uid, "due_at": soon}),
        )
        .await;
    let tasks = r.assert(201).as_array().unwrap().clone();
    assert_eq!(tasks.len(), 2);
    assert!(tasks
        .iter()
        .all(|t| t["state"] == "open" && t["overdue"] == false));
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            json!({"case_id": case, "person_ids": [a]}),
        )
        .await;
    assert_eq!(r.field_errors(), ["assignee_id"]);
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            json!({"case_id": case, "person_ids": [], "team": "Tổ 1"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["person_ids"]);
    assert_eq!(
        app.get("/api/v1/trace-tasks?mine=true", &police).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get("/api/v1/trace-tasks?mine=true", &other).await.body["items"],
        json!([])
    );
    let url = format!(
        "/api/v1/trace-tasks/{}/transitions",
        tasks[0]["id"].as_str().unwrap()
    );
    app.post(
        &url,
        &police,
        json!({"command": "unreachable", "version": 1, "note": "no answer"}),
    )
    .await
    .assert_problem(409, "invalid-transition");
    app.post(&url, &police, json!({"command": "start", "version": 1}))
        .await
        .assert(200);
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "unreachable", "version": 2}),
        )
        .await;
    assert_eq!(r.field_errors(), ["note"]);
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "unreachable", "version": 2, "note": "phone off, nobody at home"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "unreachable");
    app.post(&url, &police, json!({"command": "reopen", "version": 3}))
        .await
        .assert(200);
    app.post(&url, &police, json!({"command": "done", "version": 4}))
        .await
        .assert(200);
    app.post(&url, &police, json!({"command": "start", "version": 5}))
        .await
        .assert_problem(409, "invalid-transition");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let overdue = app.get("/api/v1/trace-tasks?overdue=true", &police).await;
    let items = overdue.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "the done task is not overdue, the other is");
    assert_eq!(items[0]["id"], tasks[1]["id"]);
    assert_eq!(items[0]["overdue"], true);
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    app.get("/api/v1/trace-tasks", &cdc)
        .await
        .assert_problem(403, "forbidden");
    let bg = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    app.post(&url, &bg, json!({"command": "reopen", "version": 5}))
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        app.get("/api/v1/trace-tasks", &bg).await.body["items"],
        json!([])
    );
}
