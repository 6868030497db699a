use crate::helpers::units::*;
use crate::helpers::{ago, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) async fn f0(app: &TestApp, health: &str) -> String {
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

async fn history(app: &TestApp, token: &str, person: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/people/{person}/history"), token)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn level(app: &TestApp, token: &str, person: &str) -> Value {
    app.get(&format!("/api/v1/people/{person}/exposure"), token)
        .await
        .body["level"]
        .clone()
}

#[actix_web::test]
async fn a_mixed_batch_answers_every_item_as_if_sent_one_at_a_time() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let source = f0(&app, &health).await;
    let (p1, p2, p3, p4) = (uuid(), uuid(), uuid(), uuid());
    let (c1, c2, c3, c5, c6, c7) = (uuid(), uuid(), uuid(), uuid(), uuid(), uuid());
    let (first_at, last_at) = (ago(1, 0), ago(1, 1));
    let contact = |id: &str, a: &str, b: &str| json!({"kind": "contact", "data": {"id": id, "person_id": a, "contact_person_id": b, "first_at": first_at, "last_at": last_at, "setting": "household", "proximity": "physical"}});
    let person = |id: &str, name: &str, nid: Option<&str>| json!({"kind": "person", "data": {"id": id, "full_name": name, "birth_year": 1990, "national_id": nid, "phones": ["0912 000 111"], "residence_unit_code": CAI_RONG}});
    let batch = json!({"batch_id": uuid(), "items": [
        // 0: a new person, 1: a contact with them made earlier in this batch
        person(&p1, "Lê Văn Hai", Some("001090000001")),
        contact(&c1, &source, &p1),
        // 2, 3: a contact with people made only later in the batch: refused, as one at a time
        contact(&c2, &p1, &p2),
        contact(&c3, &p3, &p1),
        // 4: the same name typed without diacritics, same birth year and phone: flagged
        person(&p2, "Le Van Hai", None),
        person(&p3, "Phạm Thị Ba", None),
        // 6: p1 again, the same; 7: p1 with other data; 8: p1's national ID under a new id
        person(&p1, "Le Van Hai", Some("001090000001")),
        person(&p1, "Người Khác", None),
        person(&p4, "Người Trùng", Some("001090000001")),
        // 9: p1 (F1 through c1, earlier in the batch) meets p3: p3 is F2
        contact(&c5, &p1, &p3),
        // 10: c1 again, the same; 11: c1 with other times
        contact(&c1, &source, &p1),
        json!({"kind": "contact", "data": {"id": c1, "person_id": source, "contact_person_id": p1, "first_at": ago(2, 0), "last_at": ago(2, 1), "setting": "household", "proximity": "physical"}}),
        // 12: someone met, named by p1's national ID: the contact is with p1
        json!({"kind": "contact", "data": {"id": c6, "person_id": p3, "contact_person": {"full_name": "Lê Hai", "national_id": "001 090 000 001"}, "first_at": first_at, "last_at": last_at, "setting": "household", "proximity": "physical"}}),
        // 13: times the wrong way round; 14: a bad phone; 15: a contact with oneself
        json!({"kind": "contact", "data": {"id": uuid(), "person_id": source, "contact_person_id": p1, "first_at": last_at, "last_at": first_at, "setting": "household", "proximity": "physical"}}),
        json!({"kind": "person", "data": {"id": uuid(), "full_name": "Lỗi Số", "phones": ["12ab"], "residence_unit_code": CAI_RONG}}),
        contact(&uuid(), &p2, &p2),
        // 16: a new person met, registered with the contact
        json!({"kind": "contact", "data": {"id": c7, "person_id": p3, "contact_person": {"full_name": "Người Mới Gặp", "phones": ["0988 000 222"]}, "first_at": first_at, "last_at": last_at, "setting": "household", "proximity": "physical"}}),
    ]});
    let r = app.post("/api/v1/sync/push", &police, batch.clone()).await;
    let body = r.assert(200).clone();
    assert_eq!(
        statuses(&body),
        [
            "created",
            "created",
            "invalid",
            "invalid",
            "created",
            "created",
            "unchanged",
            "conflict",
            "conflict",
            "created",
            "unchanged",
            "conflict",
            "created",
            "invalid",
            "invalid",
            "invalid",
            "created",
        ]
    );
    let field = |i: usize| body["results"][i]["problem"]["errors"][0]["field"].clone();
    assert_eq!(field(2), "contact_person_id");
    assert_eq!(field(3), "person_id");
    assert_eq!(field(13), "last_at");
    assert_eq!(field(14), "phones[0]");
    assert_eq!(field(15), "contact_person_id");
    assert_eq!(body["results"][8]["problem"]["existing_id"], p1.as_str());
    assert_eq!(body["results"][7]["id"], p1.as_str());
    assert_eq!(
        body["counts"],
        json!({"created": 7, "unchanged": 2, "conflict": 3, "invalid": 5})
    );

    // nothing overwritten, nothing made by a refused item
    let got = app.get(&format!("/api/v1/people/{p1}"), &police).await;
    assert_eq!(got.body["full_name"], "Lê Văn Hai");
    app.get(&format!("/api/v1/people/{p4}"), &police)
        .await
        .assert(404);
    // the contact named by national ID is with p1, not a second record
    let of_p3 = app
        .get(&format!("/api/v1/people/{p3}/contacts"), &police)
        .await;
    let named = of_p3
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == c6.as_str())
        .unwrap()
        .clone();
    assert_eq!(named["contact_person_id"], p1.as_str());
    let met = of_p3
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == c7.as_str())
        .unwrap()["contact_person_id"]
        .as_str()
        .unwrap()
        .to_string();

    // the cascade ran through the batch: F1 from the F0, F2 from the F1, F3 from the F2
    assert_eq!(level(&app, &police, &p1).await, "F1");
    assert_eq!(level(&app, &police, &p3).await, "F2");
    assert_eq!(level(&app, &police, &met).await, "F3");
    // every change has its event, with who and which contact
    let h1 = history(&app, &police, &p1).await;
    let actions: Vec<&str> = h1.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "classified"]);
    assert!(h1
        .iter()
        .all(|e| e["actor_role"] == "police_tracer" && e["actor_id"].is_string()));
    assert_eq!(h1[1]["reason"], format!("contact {c1}"));
    let h3 = history(&app, &police, &p3).await;
    let classified = h3.iter().find(|e| e["action"] == "classified").unwrap();
    assert_eq!(classified["reason"], format!("contact {c5}"));
    let hm = history(&app, &police, &met).await;
    let classified = hm.iter().find(|e| e["action"] == "classified").unwrap();
    assert_eq!(classified["reason"], format!("contact {c7}"));
    // p2 was flagged as a likely duplicate of p1, made earlier in the batch
    let h2 = history(&app, &police, &p2).await;
    let actions: Vec<&str> = h2.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "flagged_duplicate"]);
    let flags = app.get("/api/v1/people/duplicates", &health).await;
    let items = flags.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["person_id"], p2.as_str());
    assert_eq!(items[0]["candidate_id"], p1.as_str());
    let logged = app
        .get(&format!("/api/v1/people/{source}/contacts"), &police)
        .await;
    assert_eq!(logged.body.as_array().unwrap().len(), 1, "c1 once");

    // the same batch again: the same answer and not one more event
    let again = app.post("/api/v1/sync/push", &police, batch).await;
    assert_eq!(again.assert(200), &body);
    assert_eq!(history(&app, &police, &p1).await.len(), 2);
    assert_eq!(history(&app, &police, &p2).await.len(), 2);
}

#[actix_web::test]
async fn a_batch_classifies_the_same_whatever_the_order_of_its_contacts() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let source = f0(&app, &health).await;
    let a = app.person(&police, "Trần Văn Một").await;
    let b = app.person(&police, "Trần Văn Hai").await;
    let (ab, sa) = (uuid(), uuid());
    let (first_at, last_at) = (ago(1, 0), ago(1, 1));
    let contact = |id: &str, x: &str, y: &str| json!({"kind": "contact", "data": {"id": id, "person_id": x, "contact_person_id": y, "first_at": first_at, "last_at": last_at, "setting": "workplace", "proximity": "within_2m", "duration_minutes": 30}});
    // a meets b before anyone is classified; then the F0 meets a
    let batch =
        json!({"batch_id": uuid(), "items": [contact(&ab, &a, &b), contact(&sa, &source, &a)]});
    let r = app.post("/api/v1/sync/push", &police, batch).await;
    assert_eq!(statuses(r.assert(200)), ["created", "created"]);
    assert_eq!(level(&app, &police, &a).await, "F1");
    assert_eq!(level(&app, &police, &b).await, "F2");
    // both changes come from logging the F0's contact, which set the cascade off
    for p in [&a, &b] {
        let h = history(&app, &police, p).await;
        let classified = h.iter().find(|e| e["action"] == "classified").unwrap();
        assert_eq!(classified["reason"], format!("contact {sa}"));
    }
    let exposure = app
        .get(&format!("/api/v1/people/{b}/exposure"), &police)
        .await;
    assert_eq!(exposure.body["via_person_id"], a.as_str());
}

#[actix_web::test]
async fn a_role_that_may_register_but_not_log_gets_its_people_and_no_contacts() {
    let app = TestApp::new().await;
    let commune = app.token("xa", Role::CommuneOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let other = app.person(&police, "Đỗ Văn Cũ").await;
    let p = uuid();
    let batch = json!({"batch_id": uuid(), "items": [
        {"kind": "person", "data": {"id": p, "full_name": "Vũ Thị Xã", "residence_unit_code": CAI_RONG}},
        {"kind": "contact", "data": {"id": uuid(), "person_id": p, "contact_person_id": other, "first_at": ago(1, 0), "last_at": ago(1, 1), "setting": "household", "proximity": "physical"}},
        {"kind": "person", "data": {"id": uuid(), "full_name": "Ngoài Tỉnh", "residence_unit_code": VAN_TRUNG}},
    ]});
    let r = app.post("/api/v1/sync/push", &commune, batch).await;
    let body = r.assert(200).clone();
    // the contact is refused; the person who lives in Bắc Giang is notified there
    assert_eq!(statuses(&body), ["created", "invalid", "notified"]);
    assert!(body["results"][2]["notice_id"].is_string());
    assert!(body["results"][1]["problem"]["type"]
        .as_str()
        .unwrap()
        .ends_with("forbidden"));
    app.get(&format!("/api/v1/people/{p}"), &police)
        .await
        .assert(200);
}
