use crate::helpers::units::*;
use crate::helpers::{ago, date_ago, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

async fn contact(app: &TestApp, token: &str, a: &str, b: &str, days_ago: i64) -> Value {
    let r = app
        .post(
            "/api/v1/contacts",
            token,
            json!({"person_id": a, "contact_person_id": b, "first_at": ago(days_ago, 0), "last_at": ago(days_ago, 1),
                   "setting": "household", "proximity": "within_2m"}),
        )
        .await;
    r.assert(201).clone()
}

async fn confirm(app: &TestApp, token: &str, person: &str, onset_days_ago: i64) -> Value {
    let r = app
        .post(
            "/api/v1/cases",
            token,
            json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "QN-0001", "sample_date": date_ago(0),
                   "onset_date": date_ago(onset_days_ago), "case_number": format!("BN{}", &person[30..])}),
        )
        .await;
    r.assert(201).clone()
}

async fn level(app: &TestApp, token: &str, person: &str) -> Option<String> {
    let r = app
        .get(&format!("/api/v1/people/{person}/exposure"), token)
        .await;
    match r.status.as_u16() {
        200 => Some(r.body["level"].as_str().unwrap().to_string()),
        404 => None,
        s => panic!("unexpected {s}: {}", r.body),
    }
}

#[actix_web::test]
async fn confirming_an_f0_classifies_down_to_f3() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let [a, b, c, d, e] = [
        app.person(&health, "Nguyễn Văn Gốc").await,
        app.person(&health, "Trần Thị Một").await,
        app.person(&health, "Lê Văn Hai").await,
        app.person(&health, "Phạm Thị Ba").await,
        app.person(&health, "Hoàng Văn Bốn").await,
    ];
    // contacts listed before the confirmation; the chain runs forward in time
    for (x, y, days) in [(&a, &b, 4), (&b, &c, 3), (&c, &d, 2), (&d, &e, 1)] {
        let r = contact(&app, &health, x, y, days).await;
        assert_eq!(r["classifies"], false, "nobody is classified yet");
    }
    let r = confirm(&app, &health, &a, 5).await;
    assert_eq!(r["case"]["state"], "confirmed");
    assert_eq!(r["cascade"]["changed"], 3);
    assert_eq!(r["cascade"]["by_level"], json!({"F1": 1, "F2": 1, "F3": 1}));
    assert_eq!(level(&app, &health, &a).await.as_deref(), Some("F0"));
    assert_eq!(level(&app, &health, &b).await.as_deref(), Some("F1"));
    assert_eq!(level(&app, &health, &c).await.as_deref(), Some("F2"));
    assert_eq!(level(&app, &health, &d).await.as_deref(), Some("F3"));
    assert_eq!(
        level(&app, &health, &e).await,
        None,
        "the cascade stops at F3"
    );
    let exposure = app
        .get(&format!("/api/v1/people/{c}/exposure"), &health)
        .await;
    assert_eq!(exposure.body["via_person_id"], b.as_str());
    // every change is an event on the person
    let h = app
        .get(&format!("/api/v1/people/{b}/history"), &health)
        .await;
    let classified = h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "classified")
        .unwrap()
        .clone();
    assert_eq!(classified["after"]["level"], "F1");
    assert_eq!(classified["actor_role"], "health_officer");
}

#[actix_web::test]
async fn a_deeper_cascade_is_configurable() {
    let app = TestApp::with_config(|c| c.rules.max_depth = 4).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(
                app.person(
                    &health,
                    &format!("Người Thứ {}", ["A", "B", "C", "D", "E", "G"][i]),
                )
                .await,
            );
        }
        v
    };
    for i in 0..5 {
        contact(&app, &health, &ids[i], &ids[i + 1], 5 - i as i64).await;
    }
    let r = confirm(&app, &health, &ids[0], 6).await;
    assert_eq!(
        r["cascade"]["by_level"],
        json!({"F1": 1, "F2": 1, "F3": 1, "F4": 1})
    );
    assert_eq!(level(&app, &health, &ids[5]).await, None);
}

#[actix_web::test]
async fn contacts_after_confirmation_classify_and_say_why_not() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    confirm(&app, &health, &f0, 3).await;
    // from a phone at night: the contacted person is new, a name and a phone are enough
    let r = app
        .post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": f0, "contact_person": {"full_name": "Chị Hoa bán rau", "phones": ["0912 000 111"]},
                   "first_at": ago(2, 0), "last_at": ago(2, 1), "setting": "market", "proximity": "within_2m", "place": "Chợ Cái Rồng"}),
        )
        .await;
    let body = r.assert(201).clone();
    assert_eq!(body["classifies"], true);
    assert_eq!(body["cascade"]["by_level"], json!({"F1": 1}));
    let hoa = body["contact"]["contact_person_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(level(&app, &police, &hoa).await.as_deref(), Some("F1"));
    let p = app.get(&format!("/api/v1/people/{hoa}"), &police).await;
    assert_eq!(p.body["phones"], json!(["+84912000111"]));
    assert_eq!(p.body["residence_unit_code"], CAI_RONG);
    // before the window opened (onset 3 days ago, window from 5 days ago): kept, not classified
    let old = app.person(&police, "Ông Cũ").await;
    let r = app
        .post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": f0, "contact_person_id": old, "first_at": ago(9, 0), "last_at": ago(9, 2), "setting": "workplace", "proximity": "physical"}),
        )
        .await;
    assert_eq!(r.assert(201)["classifies"], false);
    assert!(
        r.body["reason"].as_str().unwrap().contains("window opened"),
        "{}",
        r.body
    );
    assert_eq!(level(&app, &police, &old).await, None);
    // masked and short: not close
    let short = app.person(&police, "Bà Ngắn").await;
    let r = app
        .post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": f0, "contact_person_id": short, "first_at": ago(1, 0), "last_at": ago(1, 0), "setting": "vehicle",
                   "proximity": "within_2m", "masked": true, "duration_minutes": 5}),
        )
        .await;
    assert_eq!(r.assert(201)["classifies"], false);
    assert!(
        r.body["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a close contact"),
        "{}",
        r.body
    );
    // bad input names the field and writes nothing
    let r = app
        .post("/api/v1/contacts", &police, json!({"person_id": f0, "contact_person_id": old, "first_at": ago(1, 2), "last_at": ago(1, 0), "setting": "market", "proximity": "physical"}))
        .await;
    assert_eq!(r.field_errors(), ["last_at"]);
    // a date picker left at year 0 is a mistake, not a contact
    let r = app
        .post("/api/v1/contacts", &police, json!({"person_id": f0, "contact_person_id": old, "first_at": "0000-01-01T00:00:00Z", "last_at": ago(1, 0), "setting": "market", "proximity": "physical"}))
        .await;
    assert_eq!(r.field_errors(), ["first_at"]);
    let r = app
        .post("/api/v1/contacts", &police, json!({"person_id": f0, "contact_person": {"full_name": "", "phones": ["12"]}, "first_at": ago(1, 0), "last_at": ago(1, 0), "setting": "market", "proximity": "physical"}))
        .await;
    r.assert_problem(422, "validation");
    assert!(
        r.field_errors()
            .iter()
            .all(|f| f.starts_with("contact_person")),
        "{:?}",
        r.field_errors()
    );
    let r = app
        .post("/api/v1/contacts", &police, json!({"person_id": f0, "first_at": ago(1, 0), "last_at": ago(1, 0), "setting": "market", "proximity": "physical"}))
        .await;
    assert_eq!(r.field_errors(), ["contact_person_id"]);
    for (other, says) in [
        (f0.clone(), "a person cannot be their own contact"),
        (uuid::Uuid::new_v4().to_string(), "no such person"),
    ] {
        let r = app
            .post("/api/v1/contacts", &police, json!({"person_id": f0, "contact_person_id": other, "first_at": ago(1, 0), "last_at": ago(1, 0), "setting": "market", "proximity": "physical"}))
            .await;
        assert_eq!(r.field_errors(), ["contact_person_id"]);
        assert!(r.body.to_string().contains(says), "{}", r.body);
    }
    let r = app
        .post("/api/v1/contacts", &police, json!({"person_id": uuid::Uuid::new_v4(), "contact_person_id": old, "first_at": ago(1, 0), "last_at": ago(1, 0), "setting": "market", "proximity": "physical"}))
        .await;
    assert_eq!(r.field_errors(), ["person_id"]);
    let contacts = app
        .get(&format!("/api/v1/people/{f0}/contacts"), &police)
        .await;
    assert_eq!(contacts.body.as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn the_lowest_level_wins_and_upgrades_cascade() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let [a, b, c, d] = [
        app.person(&health, "Nguyễn Văn Gốc").await,
        app.person(&health, "Trần Thị Một").await,
        app.person(&health, "Lê Văn Hai").await,
        app.person(&health, "Phạm Thị Ba").await,
    ];
    contact(&app, &health, &a, &b, 4).await;
    contact(&app, &health, &b, &c, 3).await;
    contact(&app, &health, &c, &d, 1).await;
    confirm(&app, &health, &a, 5).await;
    assert_eq!(level(&app, &health, &c).await.as_deref(), Some("F2"));
    // C turns out to have met the F0 too: F1, and D moves up with them
    let r = contact(&app, &health, &a, &c, 2).await;
    assert_eq!(r["classifies"], true);
    assert_eq!(r["cascade"]["by_level"], json!({"F1": 1, "F2": 1}));
    assert_eq!(level(&app, &health, &c).await.as_deref(), Some("F1"));
    assert_eq!(level(&app, &health, &d).await.as_deref(), Some("F2"));
    // the same contact again (a phone resending its id) changes nothing
    let id = r["contact"]["id"].as_str().unwrap();
    let again = app
        .post(
            "/api/v1/contacts",
            &health,
            json!({"id": id, "person_id": a, "contact_person_id": c, "first_at": ago(2, 0), "last_at": ago(2, 1), "setting": "household", "proximity": "within_2m"}),
        )
        .await;
    again.assert(200);
    assert_eq!(again.body["contact"]["id"], id);
    assert_eq!(
        app.get(&format!("/api/v1/people/{a}/contacts"), &health)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[actix_web::test]
async fn case_transitions_allowed_and_refused() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = app.person(&health, "Nguyễn Văn Gốc").await;
    let b = app.person(&health, "Trần Thị Một").await;
    let case = confirm(&app, &health, &a, 3).await["case"].clone();
    let id = case["id"].as_str().unwrap();
    let url = format!("/api/v1/cases/{id}/transitions");
    // recover before treatment: refused, naming the state and the command
    let r = app
        .post(&url, &health, json!({"command": "recover", "version": 1}))
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(r.body["state"], "confirmed");
    assert_eq!(r.body["command"], "recover");
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "start_treatment", "version": 1}),
        )
        .await;
    assert_eq!(r.field_errors(), ["treatment"]);
    app.post(
        &url,
        &health,
        json!({"command": "start_treatment", "version": 9, "treatment": "facility"}),
    )
    .await
    .assert_problem(409, "stale-version");
    let r = app.post(&url, &health, json!({"command": "start_treatment", "version": 1, "treatment": "facility", "at": ago(1, 0)})).await;
    let c = r.assert(200)["case"].clone();
    assert_eq!(c["state"], "in_treatment");
    assert_eq!(c["treatment"], "facility");
    assert!(c["isolated_at"].is_string());
    // isolation closes the window: a contact after it does not classify
    let after = json!({"person_id": a, "contact_person_id": b, "first_at": ago(0, -2), "last_at": ago(0, -1),
        "setting": "household", "proximity": "within_2m"});
    let r = app
        .post("/api/v1/contacts", &health, after)
        .await
        .assert(201)
        .clone();
    assert_eq!(r["classifies"], false);
    assert!(r["reason"].as_str().unwrap().contains("isolated"), "{}", r);
    app.post(
        &url,
        &health,
        json!({"command": "start_treatment", "version": 2, "treatment": "facility"}),
    )
    .await
    .assert_problem(409, "invalid-transition");
    let r = app
        .post(&url, &health, json!({"command": "recover", "version": 2}))
        .await;
    assert_eq!(r.assert(200)["case"]["state"], "recovered");
    for cmd in ["die", "retract", "recover"] {
        app.post(
            &url,
            &health,
            json!({"command": cmd, "version": 3, "reason": "x y z"}),
        )
        .await
        .assert_problem(409, "invalid-transition");
    }
    let e = app
        .get(&format!("/api/v1/people/{a}/exposure"), &health)
        .await;
    assert_eq!(e.body["status"], "recovered");
    // a second open case for one person is refused; after recovery a new one is allowed
    let r = app
        .post("/api/v1/cases", &health, json!({"person_id": a, "confirmation_test": "rt_pcr", "test_ref": "QN-2", "sample_date": date_ago(0)}))
        .await;
    r.assert(201);
    let r = app
        .post("/api/v1/cases", &health, json!({"person_id": a, "confirmation_test": "rt_pcr", "test_ref": "QN-3", "sample_date": date_ago(0)}))
        .await;
    r.assert_problem(409, "conflict");
    let history = app.get("/api/v1/cases?state=recovered", &health).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn an_antigen_test_alone_confirms_only_an_f1() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = app.person(&health, "Nguyễn Văn Gốc").await;
    let b = app.person(&health, "Trần Thị Một").await;
    let body = |p: &str| json!({"person_id": p, "confirmation_test": "antigen_f1", "test_ref": "AG-1", "sample_date": date_ago(0)});
    let r = app.post("/api/v1/cases", &health, body(&b)).await;
    assert_eq!(r.field_errors(), ["confirmation_test"]);
    confirm(&app, &health, &a, 3).await;
    contact(&app, &health, &a, &b, 1).await;
    let r = app.post("/api/v1/cases", &health, body(&b)).await;
    assert_eq!(r.assert(201)["case"]["confirmation_test"], "antigen_f1");
    assert_eq!(level(&app, &health, &b).await.as_deref(), Some("F0"));
    let r = app
        .post("/api/v1/cases", &health, json!({"person_id": a, "confirmation_test": "rt_pcr", "test_ref": "", "sample_date": "2099-01-01"}))
        .await;
    r.assert_problem(422, "validation");
}

#[actix_web::test]
async fn a_retracted_case_puts_its_chain_on_the_review_list() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let [a, b, c] = [
        app.person(&health, "Nguyễn Văn Gốc").await,
        app.person(&health, "Trần Thị Một").await,
        app.person(&health, "Lê Văn Hai").await,
    ];
    contact(&app, &health, &a, &b, 3).await;
    contact(&app, &health, &b, &c, 2).await;
    let case = confirm(&app, &health, &a, 4).await["case"].clone();
    let url = format!("/api/v1/cases/{}/transitions", case["id"].as_str().unwrap());
    let r = app
        .post(&url, &health, json!({"command": "retract", "version": 1}))
        .await;
    assert_eq!(r.field_errors(), ["reason"]);
    let r = app.post(&url, &health, json!({"command": "retract", "version": 1, "reason": "false positive: lab mixed up samples"})).await;
    assert_eq!(r.assert(200)["case"]["state"], "not_a_case");
    assert_eq!(r.body["reviews_opened"], 2);
    // the corrected person is declassified at once; the others are not downgraded
    let e = app
        .get(&format!("/api/v1/people/{a}/exposure"), &health)
        .await;
    assert_eq!(e.body["status"], "declassified");
    assert_eq!(level(&app, &health, &b).await.as_deref(), Some("F1"));
    let reviews = app.get("/api/v1/reviews", &health).await;
    let items = reviews.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|r| r["computed_level"].is_null()));
    app.get("/api/v1/reviews", &cdc)
        .await
        .assert_problem(403, "forbidden");
    let rb = items.iter().find(|r| r["person_id"] == b.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rc = items.iter().find(|r| r["person_id"] == c.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &format!("/api/v1/reviews/{rb}/resolve"),
        &cdc,
        json!({"decision": "apply", "reason": "source retracted"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/reviews/{rb}/resolve"),
        &health,
        json!({"decision": "apply", "reason": "source retracted"}),
    )
    .await
    .assert(204);
    app.post(
        &format!("/api/v1/reviews/{rc}/resolve"),
        &health,
        json!({"decision": "keep", "reason": "met another case too"}),
    )
    .await
    .assert(204);
    app.post(
        &format!("/api/v1/reviews/{rc}/resolve"),
        &health,
        json!({"decision": "keep", "reason": "again"}),
    )
    .await
    .assert_problem(409, "conflict");
    assert_eq!(
        app.get(&format!("/api/v1/people/{b}/exposure"), &health)
            .await
            .body["status"],
        "declassified"
    );
    assert_eq!(level(&app, &health, &c).await.as_deref(), Some("F2"));
    assert_eq!(
        app.get("/api/v1/reviews", &health).await.body["items"],
        json!([])
    );
}

#[actix_web::test]
async fn a_retracted_contact_is_kept_and_reviewed() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let [a, b] = [
        app.person(&health, "Nguyễn Văn Gốc").await,
        app.person(&health, "Trần Thị Một").await,
    ];
    confirm(&app, &health, &a, 3).await;
    let r = contact(&app, &police, &a, &b, 1).await;
    let id = r["contact"]["id"].as_str().unwrap();
    let url = format!("/api/v1/contacts/{id}/retract");
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    app.post(&url, &cdc, json!({"reason": "wrong person"}))
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post(
            &url,
            &police,
            json!({"reason": "wrong person: it was his brother"}),
        )
        .await;
    assert_eq!(r.assert(200)["reviews_opened"], 1);
    assert!(r.body["contact"]["retracted_at"].is_string());
    app.post(&url, &police, json!({"reason": "wrong person"}))
        .await
        .assert_problem(409, "conflict");
    assert_eq!(
        level(&app, &health, &b).await.as_deref(),
        Some("F1"),
        "never downgraded automatically"
    );
    let contacts = app
        .get(&format!("/api/v1/people/{a}/contacts"), &police)
        .await;
    assert_eq!(
        contacts.body[0]["retract_reason"],
        "wrong person: it was his brother"
    );
}

#[actix_web::test]
async fn chains_go_both_ways_and_hide_people_outside_the_jurisdiction() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let [a, b, c] = [
        app.person(&health, "Nguyễn Văn Gốc").await,
        app.person(&health, "Trần Thị Một").await,
        app.person(&health, "Lê Văn Hai").await,
    ];
    contact(&app, &health, &a, &b, 3).await;
    contact(&app, &health, &b, &c, 2).await;
    // someone from Bắc Giang met at the market: notified there, and Bắc Giang takes them
    let r = app
        .post(
            "/api/v1/contacts",
            &health,
            json!({"person_id": b, "contact_person": {"full_name": "Khách Bắc Giang", "residence_unit_code": VAN_TRUNG},
                   "first_at": ago(2, 0), "last_at": ago(2, 1), "setting": "market", "proximity": "physical"}),
        )
        .await;
    let notice = r.assert(202)["id"].as_str().unwrap().to_string();
    let bg = app.token("y.te.bg", Role::HealthOfficer, BAC_GIANG).await;
    let accepted = app
        .post(
            &format!("/api/v1/notices/{notice}/accept"),
            &bg,
            json!({"version": 1}),
        )
        .await;
    let visitor = accepted.assert(200)["linked_person_id"]
        .as_str()
        .unwrap()
        .to_string();
    confirm(&app, &health, &a, 4).await;
    let chain = app
        .get(
            &format!("/api/v1/people/{a}/chain?direction=downstream"),
            &health,
        )
        .await;
    let body = chain.assert(200).clone();
    let nodes = body["nodes"].as_array().unwrap();
    let by_id = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap().clone();
    assert_eq!(nodes.len(), 4);
    assert_eq!(by_id(&a)["hop"], 0);
    assert_eq!(by_id(&b)["level"], "F1");
    assert_eq!(by_id(&c)["hop"], 2);
    assert_eq!(by_id(&c)["full_name"], "Lê Văn Hai");
    let v = by_id(&visitor);
    assert_eq!(v["level"], "F2");
    assert_eq!(v["unit_code"], VAN_TRUNG);
    assert!(
        v.get("full_name").is_none(),
        "no personal data outside the jurisdiction: {v}"
    );
    assert_eq!(body["edges"].as_array().unwrap().len(), 3);
    assert!(body["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["from"] == a.as_str() && e["to"] == b.as_str()));
    let up = app
        .get(
            &format!("/api/v1/people/{c}/chain?direction=upstream&depth=1"),
            &health,
        )
        .await;
    let ids: Vec<&str> = up.body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&b.as_str()));
    let up = app
        .get(
            &format!("/api/v1/people/{c}/chain?direction=upstream"),
            &health,
        )
        .await;
    assert_eq!(up.body["nodes"].as_array().unwrap().len(), 3);
    app.get(&format!("/api/v1/people/{c}/chain?depth=9"), &health)
        .await
        .assert_problem(422, "validation");
    // police trace but do not read chains; another province sees nothing
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    app.get(&format!("/api/v1/people/{a}/chain"), &police)
        .await
        .assert_problem(403, "forbidden");
    let bg = app.token("bg.cdc", Role::CdcAnalyst, BAC_GIANG).await;
    app.get(&format!("/api/v1/people/{a}/chain"), &bg)
        .await
        .assert_problem(404, "not-found");
    // the Bắc Giang analyst sees the visitor's record and their own part of the chain
    let own = app
        .get(
            &format!("/api/v1/people/{visitor}/chain?direction=upstream&depth=1"),
            &bg,
        )
        .await;
    let nodes = own.assert(200)["nodes"].as_array().unwrap().clone();
    assert!(nodes
        .iter()
        .any(|n| n["id"] == b.as_str() && n.get("full_name").is_none()));
}

#[actix_web::test]
async fn trace_endpoints_refuse_other_roles_and_jurisdictions() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let bg = app.token("bg.y.te", Role::HealthOfficer, BAC_GIANG).await;
    let a = app.person(&health, "Nguyễn Văn Gốc").await;
    let b = app.person(&health, "Trần Thị Một").await;
    let body = json!({"person_id": a, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": date_ago(0)});
    // police trace but do not confirm cases; administrators see no case data
    app.post("/api/v1/cases", &police, body.clone())
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/cases", &admin, body.clone())
        .await
        .assert_problem(403, "forbidden");
    // another province's health officer cannot confirm a Vân Đồn resident
    let r = app.post("/api/v1/cases", &bg, body.clone()).await;
    assert_eq!(r.field_errors(), ["person_id"]);
    let case = app.post("/api/v1/cases", &health, body).await.body["case"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!("/api/v1/cases/{case}"), &police)
        .await
        .assert(200);
    app.get(&format!("/api/v1/cases/{case}"), &admin)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/cases/{case}"), &bg)
        .await
        .assert_problem(404, "not-found");
    assert_eq!(app.get("/api/v1/cases", &bg).await.body["items"], json!([]));
    app.post(
        &format!("/api/v1/cases/{case}/transitions"),
        &police,
        json!({"command": "die", "version": 1}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/cases/{case}/transitions"),
        &bg,
        json!({"command": "die", "version": 1}),
    )
    .await
    .assert_problem(404, "not-found");
    let contact_body = json!({"person_id": a, "contact_person_id": b, "first_at": ago(1, 0), "last_at": ago(1, 1), "setting": "household", "proximity": "physical"});
    app.post("/api/v1/contacts", &admin, contact_body.clone())
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.post("/api/v1/contacts", &bg, contact_body.clone())
            .await
            .field_errors(),
        ["person_id"]
    );
    app.post("/api/v1/contacts", &police, contact_body)
        .await
        .assert(201);
    app.get(&format!("/api/v1/people/{a}/contacts"), &bg)
        .await
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/people/{a}/exposure"), &admin)
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/reviews", &police)
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn clusters_group_classified_people_by_contact() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let mut ids = Vec::new();
    for name in ["Một", "Hai", "Ba", "Bốn", "Năm", "Sáu"] {
        ids.push(app.person(&health, &format!("Người {name}")).await);
    }
    // two outbreaks: 0 → 1 → 2 and 3 → 4; 5 stays out of both
    contact(&app, &health, &ids[0], &ids[1], 3).await;
    contact(&app, &health, &ids[1], &ids[2], 2).await;
    contact(&app, &health, &ids[3], &ids[4], 2).await;
    confirm(&app, &health, &ids[0], 4).await;
    confirm(&app, &health, &ids[3], 4).await;
    let r = app.get("/api/v1/clusters", &health).await;
    let body = r.assert(200).clone();
    let clusters = body["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[0]["size"], 3);
    assert_eq!(clusters[0]["f0"], 1);
    assert_eq!(clusters[0]["by_level"], json!({"F0": 1, "F1": 1, "F2": 1}));
    assert_eq!(clusters[1]["size"], 2);
    assert!(clusters[0]["first_contact"].is_string());
    assert_eq!(body["people"], 5);
    assert_eq!(
        app.get("/api/v1/clusters?min_size=3", &health).await.body["clusters"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get("/api/v1/clusters?limit=0", &health)
            .await
            .field_errors(),
        ["limit"]
    );
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    app.get("/api/v1/clusters", &police)
        .await
        .assert_problem(403, "forbidden");
    let bg = app.token("bg", Role::CdcAnalyst, BAC_GIANG).await;
    assert_eq!(
        app.get("/api/v1/clusters", &bg).await.body["clusters"],
        json!([])
    );
}

#[actix_web::test]
async fn a_case_with_an_unknown_stored_state_is_an_internal_error_not_a_default() {
    use diesel::prelude::*;
    use tracing_backend::schema::cases;
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = app.person(&health, "Nguyễn Văn Gốc").await;
    let case = confirm(&app, &health, &a, 3).await["case"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/api/v1/cases/{case}");
    app.get(&url, &health).await.assert(200);
    let mut conn = app.raw_conn();
    let n = diesel::update(cases::table.find(&case))
        .set(cases::state.eq("xyz"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
    // reading the row fails, naming the type and the value
    let err = tracing_backend::store::trace::get_case(&mut conn, &case).unwrap_err();
    assert!(err.to_string().contains("unknown CaseState 'xyz'"), "{err}");
    let r = app.get(&url, &health).await;
    r.assert_problem(500, "internal");
    // the answer does not leak the stored value; the log names it
    assert!(!r.text.contains("xyz"), "{}", r.text);
    let r = app
        .post(
            &format!("{url}/transitions"),
            &health,
            json!({"command": "recover", "version": 1}),
        )
        .await;
    r.assert_problem(500, "internal");
}
