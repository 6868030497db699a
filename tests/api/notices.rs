//! Across borders: nothing outside a jurisdiction is revealed, not even whether a national ID
//! is known there. People who live elsewhere, or whose national ID a record elsewhere holds,
//! go to that jurisdiction as a notice, which it accepts (and then owns the person) or
//! rejects.

use crate::helpers::units::*;
use crate::helpers::{local_ago, Resp, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

const N_QN: &str = "022090001234";

/// Two answers that differ only where the requests differed (`sent`) or by what any two
/// records differ by (ids, times): same status, same shape, same values elsewhere.
#[track_caller]
fn alike(a: &Resp, b: &Resp, sent: &[&str]) {
    assert_eq!(a.status, b.status, "{}\n{}", a.body, b.body);
    fn walk(a: &Value, b: &Value, path: &str, sent: &[&str]) {
        let last = path.rsplit('.').next().unwrap_or("");
        let free = [
            "id",
            "created_at",
            "updated_at",
            "listed_at",
            "contact_person_id",
            "person_id",
        ];
        if sent.contains(&last) || free.contains(&last) {
            assert_eq!(a.is_null(), b.is_null(), "{path}: {a} / {b}");
            return;
        }
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let kx: Vec<_> = x.keys().collect();
                let ky: Vec<_> = y.keys().collect();
                assert_eq!(kx, ky, "{path}: the shapes differ");
                for k in x.keys() {
                    walk(&x[k], &y[k], &format!("{path}.{k}"), sent);
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{path}: {a} / {b}");
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(p, q, &format!("{path}[{i}]"), sent);
                }
            }
            _ => assert_eq!(a, b, "{path}"),
        }
    }
    walk(&a.body, &b.body, "", sent);
}

async fn register(app: &TestApp, token: &str, name: &str, nid: Option<&str>, unit: &str) -> Resp {
    let mut body = json!({"full_name": name, "residence_unit_code": unit, "birth_year": 1990});
    if let Some(n) = nid {
        body["national_id"] = json!(n);
    }
    app.post("/api/v1/people", token, body).await
}

async fn confirm(app: &TestApp, health: &str, person: &str) {
    app.post(
        "/api/v1/cases",
        health,
        json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "BG-1",
               "sample_date": crate::helpers::date_ago(0)}),
    )
    .await
    .assert(201);
}

#[actix_web::test]
async fn a_national_id_known_only_elsewhere_answers_as_an_unknown_one() {
    let app = TestApp::new().await;
    let qn_police = app.token("qn.police", Role::PoliceTracer, VAN_DON).await;
    let qn_health = app.token("qn.health", Role::HealthOfficer, VAN_DON).await;
    let bg_police = app.token("bg.police", Role::PoliceTracer, BAC_GIANG).await;
    let bg_health = app.token("bg.health", Role::HealthOfficer, BAC_GIANG).await;
    let known = register(&app, &qn_police, "Nguyễn Văn An", Some(N_QN), CAI_RONG).await;
    let known = known.assert(201)["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // registering: the known number and an unknown one get the same answer
    let a = register(&app, &bg_police, "Trần Văn Bảo", Some(N_QN), VAN_TRUNG).await;
    let b = register(
        &app,
        &bg_police,
        "Lê Văn Cường",
        Some("024090005678"),
        VAN_TRUNG,
    )
    .await;
    alike(&a, &b, &["full_name", "national_id"]);
    assert_eq!(a.body["person"]["national_id"], N_QN);
    let local = a.body["person"]["id"].as_str().unwrap().to_string();
    assert_ne!(local, known);

    // looked up, only Bắc Giang's own record answers
    let found = app
        .get(&format!("/api/v1/people?national_id={N_QN}"), &bg_police)
        .await;
    let items = found.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], local.as_str());
    // registering the number again in Bắc Giang now finds Bắc Giang's record
    let again = register(&app, &bg_police, "Trần Văn Bảo", Some(N_QN), VAN_TRUNG).await;
    again.assert_problem(409, "conflict");
    assert_eq!(again.body["existing_id"], local.as_str());

    // tracing: a contact to someone with the known number, and with an unknown one
    let f0 = register(&app, &bg_health, "Phạm Thị Gốc", None, VAN_TRUNG).await;
    let f0 = f0.assert(201)["person"]["id"].as_str().unwrap().to_string();
    confirm(&app, &bg_health, &f0).await;
    let met = |name: &str, nid: &str| {
        json!({"person_id": f0, "contact_person": {"full_name": name, "national_id": nid, "phones": ["0912345001"]},
               "first_at": local_ago(1, 9), "last_at": local_ago(1, 10), "setting": "workplace", "proximity": "physical"})
    };
    let c1 = app
        .post(
            "/api/v1/contacts",
            &bg_police,
            met("Đỗ Văn Dũng", "022090009999"),
        )
        .await;
    let c2 = app
        .post(
            "/api/v1/contacts",
            &bg_police,
            met("Đỗ Văn Em", "024090004444"),
        )
        .await;
    alike(&c1, &c2, &[]);
    // (022090009999 was unknown until now; make it known in Quảng Ninh, then compare)
    register(
        &app,
        &qn_police,
        "Vũ Thị Hoa",
        Some("022090007777"),
        CAI_RONG,
    )
    .await
    .assert(201);
    let c3 = app
        .post(
            "/api/v1/contacts",
            &bg_police,
            met("Vũ Thị Hoa", "022090007777"),
        )
        .await;
    let c4 = app
        .post(
            "/api/v1/contacts",
            &bg_police,
            met("Vũ Thị Hương", "024090003333"),
        )
        .await;
    alike(&c3, &c4, &[]);
    assert_eq!(c3.body["classifies"], true);
    let linked_local = c3.body["contact"]["contact_person_id"]
        .as_str()
        .unwrap()
        .to_string();

    // a phone's batch: the same
    let item = |nid: &str| {
        json!({"kind": "person", "data": {"id": uuid::Uuid::now_v7(), "full_name": "Hoàng Văn Khải",
               "national_id": nid, "residence_unit_code": VAN_TRUNG}})
    };
    register(
        &app,
        &qn_police,
        "Bùi Văn Mạnh",
        Some("022090006666"),
        CAI_RONG,
    )
    .await
    .assert(201);
    let batch = json!({"batch_id": uuid::Uuid::now_v7(), "items": [item("022090006666"), item("024090002222")]});
    let pushed = app.post("/api/v1/sync/push", &bg_police, batch).await;
    let results = pushed.assert(200)["results"].as_array().unwrap().clone();
    assert_eq!(results[0]["status"], "created");
    assert_eq!(results[1]["status"], "created");
    assert_eq!(
        results[0].as_object().unwrap().keys().count(),
        results[1].as_object().unwrap().keys().count()
    );

    // Bắc Giang never sees where the numbers are known
    let sent = app.get("/api/v1/notices?side=sent", &bg_police).await;
    assert_eq!(sent.assert(200)["items"], json!([]));
    // Quảng Ninh is told, with its own record named
    let incoming = app.get("/api/v1/notices", &qn_health).await;
    let items = incoming.assert(200)["items"].as_array().unwrap().clone();
    let about = |nid: &str| {
        items
            .iter()
            .filter(|n| n["person"]["national_id"] == nid)
            .cloned()
            .collect::<Vec<_>>()
    };
    let first = about(N_QN);
    assert_eq!(first.len(), 1);
    assert_eq!(about("022090006666").len(), 1, "the batch item");
    assert!(first.iter().all(|n| n["reason"] == "identity"
        && n["matched_person_id"] == known.as_str()
        && n["from_unit_code"] == BAC_GIANG));

    // Quảng Ninh links the traced one: Bắc Giang's record is linked into its own, with the
    // contact, and its own record is classified through it
    let notice = about("022090007777").pop().unwrap();
    let r = app
        .post(
            &format!("/api/v1/notices/{}/accept", notice["id"].as_str().unwrap()),
            &qn_health,
            json!({"version": notice["version"]}),
        )
        .await;
    let hoa = app
        .get("/api/v1/people?national_id=022090007777", &qn_police)
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(r.assert(200)["state"], "accepted");
    assert_eq!(r.body["linked_person_id"], hoa.as_str());
    let exposure = app
        .get(&format!("/api/v1/people/{hoa}/exposure"), &qn_health)
        .await;
    assert_eq!(exposure.assert(200)["level"], "F1");
    let merged = app
        .get(&format!("/api/v1/people/{linked_local}"), &bg_police)
        .await;
    assert_eq!(merged.assert(200)["merged_into"], hoa.as_str());
    // and rejects another, with its reason
    let other = &first[0];
    let r = app
        .post(
            &format!("/api/v1/notices/{}/reject", other["id"].as_str().unwrap()),
            &qn_health,
            json!({"version": other["version"], "reason": "not our An: another date of birth"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "rejected");
}

#[actix_web::test]
async fn someone_living_elsewhere_is_notified_there_with_the_contact_and_its_level() {
    let app = TestApp::new().await;
    let vd_police = app.token("vd.police", Role::PoliceTracer, VAN_DON).await;
    let vd_health = app.token("vd.health", Role::HealthOfficer, VAN_DON).await;
    let bg_health = app.token("bg.health", Role::HealthOfficer, BAC_GIANG).await;
    let f0 = register(&app, &vd_health, "Nguyễn Văn Gốc", None, CAI_RONG).await;
    let f0 = f0.assert(201)["person"]["id"].as_str().unwrap().to_string();
    confirm(&app, &vd_health, &f0).await;
    let people = app.count("SELECT COUNT(*) AS n FROM persons");
    let contacts = app.count("SELECT COUNT(*) AS n FROM contacts");
    let passenger = |name: &str| {
        json!({"person_id": f0, "contact_person": {"full_name": name, "phones": ["0987654321"], "residence_unit_code": VAN_TRUNG},
               "first_at": local_ago(1, 8), "last_at": local_ago(1, 9), "setting": "vehicle", "proximity": "within_2m"})
    };
    let r = app
        .post("/api/v1/contacts", &vd_police, passenger("Trần Thị Khách"))
        .await;
    let sent = r.assert(202).clone();
    assert_eq!(sent["reason"], "residence");
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["to_unit_code"], VAN_TRUNG);
    assert_eq!(sent["from_unit_code"], VAN_DON);
    assert_eq!(sent["implied_level"], "F1");
    assert_eq!(sent["person"]["full_name"], "Trần Thị Khách");
    assert_eq!(sent["contact"]["setting"], "vehicle");
    // nothing is recorded in either jurisdiction until Bắc Giang answers
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM persons"), people);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contacts"), contacts);
    let id = sent["id"].as_str().unwrap().to_string();
    // the sender sees what they sent, where it went and its state; never the receiver's ids
    let listed = app.get("/api/v1/notices?side=sent", &vd_police).await;
    assert_eq!(listed.assert(200)["items"][0]["id"], id.as_str());
    assert!(listed.body["items"][0].get("linked_person_id").is_none());
    // Bắc Giang sees it among those notified from elsewhere, and accepts: a record of its own
    let incoming = app.get("/api/v1/notices?state=sent", &bg_health).await;
    assert_eq!(incoming.assert(200)["items"][0]["id"], id.as_str());
    let url = format!("/api/v1/notices/{id}/accept");
    app.post(&url, &bg_health, json!({"version": 7}))
        .await
        .assert_problem(409, "stale-version");
    let r = app.post(&url, &bg_health, json!({"version": 1})).await;
    let accepted = r.assert(200).clone();
    assert_eq!(accepted["state"], "accepted");
    let theirs = accepted["linked_person_id"].as_str().unwrap().to_string();
    let person = app
        .get(&format!("/api/v1/people/{theirs}"), &bg_health)
        .await;
    assert_eq!(person.assert(200)["residence_unit_code"], VAN_TRUNG);
    let exposure = app
        .get(&format!("/api/v1/people/{theirs}/exposure"), &bg_health)
        .await;
    assert_eq!(exposure.assert(200)["level"], "F1");
    // Vân Đồn sees it accepted, and still cannot read the person
    let mine = app.get(&format!("/api/v1/notices/{id}"), &vd_police).await;
    assert_eq!(mine.assert(200)["state"], "accepted");
    assert!(mine.body.get("linked_person_id").is_none());
    app.get(&format!("/api/v1/people/{theirs}"), &vd_police)
        .await
        .assert_problem(404, "not-found");
    // answered once: accepting or rejecting again is refused
    let again = app.post(&url, &bg_health, json!({"version": 2})).await;
    again.assert_problem(409, "invalid-transition");
    assert_eq!(again.body["state"], "accepted");

    // a second passenger is rejected, with a reason the sender reads
    let r = app
        .post("/api/v1/contacts", &vd_police, passenger("Lê Văn Lạ"))
        .await;
    let second = r.assert(202)["id"].as_str().unwrap().to_string();
    let reject = format!("/api/v1/notices/{second}/reject");
    let r = app
        .post(&reject, &bg_health, json!({"version": 1, "reason": ""}))
        .await;
    assert_eq!(r.field_errors(), ["reason"]);
    app.post(
        &reject,
        &bg_health,
        json!({"version": 1, "reason": "moved to Hà Nội in 2020"}),
    )
    .await
    .assert(200);
    let mine = app
        .get(&format!("/api/v1/notices/{second}"), &vd_police)
        .await;
    assert_eq!(mine.assert(200)["state"], "rejected");
    assert_eq!(mine.body["resolution_reason"], "moved to Hà Nội in 2020");
    app.post(
        &url.replace(&id, &second),
        &bg_health,
        json!({"version": 2}),
    )
    .await
    .assert_problem(409, "invalid-transition");
}

#[actix_web::test]
async fn notices_are_read_and_answered_only_by_their_sides_and_roles() {
    let app = TestApp::new().await;
    let vd_police = app.token("vd.police", Role::PoliceTracer, VAN_DON).await;
    let r = register(&app, &vd_police, "Trần Thị Khách", None, VAN_TRUNG).await;
    let id = r.assert(202)["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/notices/{id}");
    let accept = json!({"version": 1});
    // a district on neither side sees nothing, the same as for an id nobody has
    let hn = app.token("hl.health", Role::HealthOfficer, HA_LONG).await;
    let random = "0193c0de-0000-7000-8000-000000000000";
    for n in [id.as_str(), random] {
        app.get(&format!("/api/v1/notices/{n}"), &hn)
            .await
            .assert_problem(404, "not-found");
        app.post(&format!("/api/v1/notices/{n}/accept"), &hn, accept.clone())
            .await
            .assert_problem(404, "not-found");
    }
    // the sender does not answer their own notice
    app.post(&format!("{url}/accept"), &vd_police, accept.clone())
        .await
        .assert_problem(404, "not-found");
    // in Bắc Giang: a commune officer reads it but does not answer; analysts and labs do
    // neither
    let commune = app
        .token("bg.commune", Role::CommuneOfficer, VAN_TRUNG)
        .await;
    app.get(&url, &commune).await.assert(200);
    app.post(&format!("{url}/accept"), &commune, accept.clone())
        .await
        .assert_problem(403, "forbidden");
    for (name, role) in [
        ("bg.cdc", Role::CdcAnalyst),
        ("bg.lab", Role::LabTechnician),
    ] {
        let t = app.token(name, role, BAC_GIANG).await;
        app.get(&url, &t).await.assert_problem(403, "forbidden");
        app.get("/api/v1/notices", &t)
            .await
            .assert_problem(403, "forbidden");
    }
    let bg_police = app.token("bg.police", Role::PoliceTracer, BAC_GIANG).await;
    app.post(&format!("{url}/accept"), &bg_police, accept)
        .await
        .assert(200);
}

#[actix_web::test]
async fn a_contact_with_someone_elsewhere_by_id_answers_as_an_id_nobody_has() {
    let app = TestApp::new().await;
    let vd = app.token("vd.police", Role::PoliceTracer, VAN_DON).await;
    let bg = app.token("bg.police", Role::PoliceTracer, BAC_GIANG).await;
    let mine = app.person(&vd, "Nguyễn Văn Nhà").await;
    let theirs = register(&app, &bg, "Trần Văn Xa", None, VAN_TRUNG).await;
    let theirs = theirs.assert(201)["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let contact = |other: &str| {
        json!({"person_id": mine, "contact_person_id": other, "first_at": local_ago(1, 9),
               "last_at": local_ago(1, 10), "setting": "market", "proximity": "physical"})
    };
    let foreign = app.post("/api/v1/contacts", &vd, contact(&theirs)).await;
    let random = app
        .post(
            "/api/v1/contacts",
            &vd,
            contact("0193c0de-0000-7000-8000-000000000000"),
        )
        .await;
    foreign.assert_problem(422, "validation");
    assert_eq!(foreign.body, random.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contacts"), 0);
    // and in a phone's batch
    let item = |other: &str| {
        let mut c = contact(other);
        c["id"] = json!(uuid::Uuid::now_v7());
        json!({"kind": "contact", "data": c})
    };
    let batch = json!({"batch_id": uuid::Uuid::now_v7(), "items": [item(&theirs), item("0193c0de-0000-7000-8000-000000000001")]});
    let r = app.post("/api/v1/sync/push", &vd, batch).await;
    let results = r.assert(200)["results"].as_array().unwrap().clone();
    assert_eq!(results[0]["status"], "invalid");
    assert_eq!(results[0]["problem"], results[1]["problem"]);
}

#[actix_web::test]
async fn likely_duplicates_elsewhere_are_never_named() {
    let app = TestApp::new().await;
    let vd = app.token("vd.police", Role::PoliceTracer, VAN_DON).await;
    let bg = app.token("bg.police", Role::PoliceTracer, BAC_GIANG).await;
    let same = |unit: &str| json!({"full_name": "Ngô Thị Lan", "birth_year": 1985, "phones": ["0912000555"], "residence_unit_code": unit});
    app.post("/api/v1/people", &bg, same(VAN_TRUNG))
        .await
        .assert(201);
    let r = app.post("/api/v1/people", &vd, same(CAI_RONG)).await;
    assert_eq!(r.assert(201)["likely_duplicates"], json!([]));
    let r = app.post("/api/v1/people", &vd, same(CAI_RONG)).await;
    assert_eq!(
        r.assert(201)["likely_duplicates"].as_array().unwrap().len(),
        1
    );
}

#[actix_web::test]
async fn identity_lookups_are_limited_per_user_and_each_is_an_event() {
    let app = TestApp::with_config(|c| c.identity_lookups_per_hour = 3).await;
    let (uid, police) = app.user("vd.police", Role::PoliceTracer, VAN_DON).await;
    let other = app.token("vd.other", Role::PoliceTracer, VAN_DON).await;
    for n in ["022090000001", "022090000002"] {
        app.get(&format!("/api/v1/people?national_id={n}"), &police)
            .await
            .assert(200);
    }
    app.get("/api/v1/people?phone=0912345678", &police)
        .await
        .assert(200);
    // a search by name is no identity look-up
    app.get("/api/v1/people?q=an", &police).await.assert(200);
    let r = app
        .get("/api/v1/people?national_id=022090000003", &police)
        .await;
    r.assert_problem(429, "too-many-requests");
    let retry: u64 = r
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry));
    // registering with a number counts too; another user is not held back
    let r = register(&app, &police, "Lê Văn Số", Some("022090000004"), CAI_RONG).await;
    r.assert_problem(429, "too-many-requests");
    app.get("/api/v1/people?national_id=022090000003", &other)
        .await
        .assert(200);
    let events = app.count(&format!(
        "SELECT COUNT(*) AS n FROM events WHERE action = 'identity_lookup' AND entity_id = '{uid}'"
    ));
    assert_eq!(events, 3);
}

#[actix_web::test]
async fn a_national_id_corrected_to_one_known_elsewhere_is_kept_and_its_holder_told() {
    let app = TestApp::new().await;
    let qn = app.token("qn.police", Role::PoliceTracer, VAN_DON).await;
    let qn_health = app.token("qn.health", Role::HealthOfficer, VAN_DON).await;
    let bg = app.token("bg.police", Role::PoliceTracer, BAC_GIANG).await;
    register(&app, &qn, "Nguyễn Văn An", Some(N_QN), CAI_RONG)
        .await
        .assert(201);
    let r = register(&app, &bg, "Nguyễn Văn An", None, VAN_TRUNG).await;
    let id = r.assert(201)["person"]["id"].as_str().unwrap().to_string();
    let unknown = register(&app, &bg, "Nguyễn Văn Ba", None, VAN_TRUNG).await;
    let other = unknown.body["person"]["id"].as_str().unwrap().to_string();
    let a = app
        .patch(
            &format!("/api/v1/people/{id}"),
            &bg,
            json!({"version": 1, "national_id": N_QN}),
        )
        .await;
    let b = app
        .patch(
            &format!("/api/v1/people/{other}"),
            &bg,
            json!({"version": 1, "national_id": "024090001111"}),
        )
        .await;
    alike(&a, &b, &["full_name", "national_id"]);
    assert_eq!(a.body["national_id"], N_QN);
    let incoming = app.get("/api/v1/notices", &qn_health).await;
    let items = incoming.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["reason"], "identity");
    assert_eq!(items[0]["person"]["national_id"], N_QN);
}
