use crate::helpers::units::*;
use crate::helpers::{ago, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn f0(app: &TestApp, health: &str) -> String {
    let r = app
        .post(
            "/api/v1/people",
            health,
            json!({"full_name": "Nguyễn Văn Gốc", "residence_unit_code": CAI_RONG}),
        )
        .await;
    let id = r.body["person"]["id"].as_str().unwrap().to_string();
    let today = (Utc::now() + Duration::hours(7)).date_naive().to_string();
    app.post("/api/v1/cases", health, json!({"person_id": id, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": today}))
        .await
        .assert(201);
    id
}

fn statuses(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_batch_gets_an_answer_per_item_and_the_same_answer_twice() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let source = f0(&app, &health).await;
    let (p1, c1) = (uuid(), uuid());
    let (first_at, last_at) = (ago(1, 0), ago(1, 1));
    let batch = json!({"batch_id": uuid(), "items": [
        {"kind": "person", "data": {"id": p1, "full_name": "Trần Thị Đêm", "phones": ["0912 111 222"], "residence_unit_code": CAI_RONG}},
        {"kind": "contact", "data": {"id": c1, "person_id": source, "contact_person_id": p1, "first_at": first_at, "last_at": last_at, "setting": "household", "proximity": "physical"}},
        {"kind": "person", "data": {"id": uuid(), "full_name": "Lỗi Số", "phones": ["12ab"], "residence_unit_code": CAI_RONG}},
        {"kind": "vaccine", "data": {}},
        {"kind": "person", "data": {"full_name": "Không Có Id", "residence_unit_code": CAI_RONG}},
    ]});
    let first = app.post("/api/v1/sync/push", &police, batch.clone()).await;
    let body = first.assert(200).clone();
    assert_eq!(
        statuses(&body),
        ["created", "created", "invalid", "invalid", "invalid"]
    );
    assert_eq!(
        body["results"][2]["problem"]["errors"][0]["field"],
        "phones[0]"
    );
    assert_eq!(body["results"][3]["problem"]["errors"][0]["field"], "kind");
    assert_eq!(
        body["results"][4]["problem"]["errors"][0]["field"],
        "data.id"
    );
    assert_eq!(body["counts"], json!({"created": 2, "invalid": 3}));
    // the contact classified the new person in the same batch
    assert_eq!(
        app.get(&format!("/api/v1/people/{p1}/exposure"), &police)
            .await
            .body["level"],
        "F1"
    );
    let events_before = app
        .get(&format!("/api/v1/people/{p1}/history"), &police)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len();
    // the same batch again: the same answer, nothing written
    let again = app.post("/api/v1/sync/push", &police, batch.clone()).await;
    assert_eq!(again.assert(200), &body);
    let events_after = app
        .get(&format!("/api/v1/people/{p1}/history"), &police)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(events_before, events_after);
    // the same items in a new batch: unchanged; other data under a known id: conflict
    let batch2 = json!({"batch_id": uuid(), "items": [
        {"kind": "person", "data": {"id": p1, "full_name": "Tran Thi Dem", "residence_unit_code": CAI_RONG}},
        {"kind": "person", "data": {"id": p1, "full_name": "Người Khác", "residence_unit_code": CAI_RONG}},
        {"kind": "contact", "data": {"id": c1, "person_id": source, "contact_person_id": p1, "first_at": first_at, "last_at": last_at, "setting": "household", "proximity": "physical"}},
    ]});
    let r = app.post("/api/v1/sync/push", &police, batch2).await;
    assert_eq!(
        statuses(r.assert(200)),
        ["unchanged", "conflict", "unchanged"]
    );
    // the same contact id with other times: a conflict
    let moved = json!({"batch_id": uuid(), "items": [
        {"kind": "contact", "data": {"id": c1, "person_id": source, "contact_person_id": p1, "first_at": ago(2, 0), "last_at": ago(2, 1), "setting": "household", "proximity": "physical"}},
    ]});
    assert_eq!(
        statuses(
            app.post("/api/v1/sync/push", &police, moved)
                .await
                .assert(200)
        ),
        ["conflict"]
    );
    assert_eq!(
        app.get(&format!("/api/v1/people/{p1}"), &police).await.body["full_name"],
        "Trần Thị Đêm",
        "a conflict overwrites nothing"
    );
    // a batch id is the sender's own
    let other = app.token("cong.an.2", Role::PoliceTracer, VAN_DON).await;
    app.post("/api/v1/sync/push", &other, batch)
        .await
        .assert_problem(409, "conflict");
}

#[actix_web::test]
async fn batches_are_bounded_and_need_a_tracing_role() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let items: Vec<Value> = (0..1001)
        .map(|_| json!({"kind": "person", "data": {}}))
        .collect();
    let r = app
        .post(
            "/api/v1/sync/push",
            &police,
            json!({"batch_id": uuid(), "items": items}),
        )
        .await;
    assert_eq!(r.field_errors(), ["items"]);
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    app.post(
        "/api/v1/sync/push",
        &cdc,
        json!({"batch_id": uuid(), "items": []}),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post("/api/v1/sync/push", &police, json!({"items": []}))
        .await;
    assert_eq!(r.field_errors(), ["batch_id"]);
}

#[actix_web::test]
async fn a_pull_returns_what_changed_in_the_jurisdiction_since_the_cursor() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let source = f0(&app, &health).await;
    for name in ["Một", "Hai", "Ba"] {
        app.post(
            "/api/v1/people",
            &police,
            json!({"full_name": format!("Người {name}"), "residence_unit_code": DAI_XUYEN}),
        )
        .await
        .assert(201);
    }
    // four people in pages of three
    let first = app
        .get("/api/v1/sync/pull?kind=people&limit=3", &police)
        .await;
    let body = first.assert(200).clone();
    assert_eq!(body["people"].as_array().unwrap().len(), 3);
    assert_eq!(body["more"], true);
    let cursor = body["next_cursor"].as_str().unwrap().to_string();
    let second = app
        .get(
            &format!("/api/v1/sync/pull?kind=people&limit=3&cursor={cursor}"),
            &police,
        )
        .await;
    let body = second.assert(200).clone();
    assert_eq!(body["people"].as_array().unwrap().len(), 1);
    assert_eq!(body["more"], false);
    let cursor = body["next_cursor"].as_str().unwrap().to_string();
    // nothing new: nothing returned, the cursor stays
    let idle = app
        .get(
            &format!("/api/v1/sync/pull?kind=people&cursor={cursor}"),
            &police,
        )
        .await;
    assert_eq!(idle.body["people"], json!([]));
    assert_eq!(idle.body["next_cursor"], cursor.as_str());
    // a change shows up once
    let p = app
        .get(&format!("/api/v1/people/{source}"), &police)
        .await
        .body
        .clone();
    app.patch(
        &format!("/api/v1/people/{source}"),
        &police,
        json!({"version": p["version"], "occupation": "lái xe"}),
    )
    .await
    .assert(200);
    let changed = app
        .get(
            &format!("/api/v1/sync/pull?kind=people&cursor={cursor}"),
            &police,
        )
        .await;
    let people = changed.body["people"].as_array().unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["occupation"], "lái xe");
    // classifications have their own feed
    let exposures = app.get("/api/v1/sync/pull?kind=exposures", &police).await;
    assert_eq!(exposures.body["exposures"][0]["level"], "F0");
    // another province pulls nothing; bad cursors name the field; admins pull no case data
    let bg = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    assert_eq!(
        app.get("/api/v1/sync/pull?kind=people", &bg).await.body["people"],
        json!([])
    );
    let r = app
        .get("/api/v1/sync/pull?kind=people&cursor=nonsense", &police)
        .await;
    assert_eq!(r.field_errors(), ["cursor"]);
    let admin = app.token("root", Role::Admin, "VN").await;
    app.get("/api/v1/sync/pull?kind=people", &admin)
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/sync/pull?kind=secrets", &police)
        .await
        .assert_problem(400, "bad-request");
}
