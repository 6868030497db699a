use crate::helpers::units::*;
use crate::helpers::TestApp;
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// (action, role, reason) of an entity's events, oldest first.
fn events_of(
    app: &TestApp,
    entity: &str,
    id: &str,
) -> Vec<(String, Option<String>, Option<String>)> {
    use tracing_backend::schema::events::dsl as e;
    let mut conn = app.raw_conn();
    use tracing_backend::schema::event_changes as c;
    e::events
        .left_join(c::table)
        .filter(e::entity_type.eq(entity))
        .filter(e::entity_id.eq(id))
        .select((e::action, e::actor_role, c::reason.nullable()))
        .order(e::id.asc())
        .load(&mut conn)
        .unwrap()
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

async fn declare(app: &TestApp, token: &str, body: Value) -> Value {
    app.post("/api/v1/zones", token, body)
        .await
        .assert(201)
        .clone()
}

async fn person_in(app: &TestApp, token: &str, name: &str, unit: &str) -> String {
    let r = app
        .post(
            "/api/v1/people",
            token,
            json!({"full_name": name, "residence_unit_code": unit}),
        )
        .await;
    r.assert(201)["person"]["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_zone_is_proposed_activated_and_lifted_by_health() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let id = uuid::Uuid::now_v7().to_string();
    let body = json!({"id": id, "name": "Phong tỏa đảo Cái Bầu", "level": "hard_lockdown", "unit_codes": [CAI_RONG, DAI_XUYEN], "reason": "F0 at the airport"});
    let zone = declare(&app, &health, body.clone()).await;
    assert_eq!(zone["state"], "proposed");
    assert_eq!(zone["unit_codes"], json!([CAI_RONG, DAI_XUYEN]));
    assert!(zone["start_at"].is_null() && zone["end_at"].is_null());
    // the same id again changes nothing
    let again = app.post("/api/v1/zones", &health, body).await;
    assert_eq!(again.assert(201)["id"], id);
    assert_eq!(again.body, zone);
    // police enforce cordons but do not declare them
    app.post(
        "/api/v1/zones",
        &police,
        json!({"name": "X", "level": "soft_lockdown", "unit_codes": [CAI_RONG]}),
    )
    .await
    .assert_problem(403, "forbidden");
    let url = format!("/api/v1/zones/{id}/transitions");
    // nothing to lift yet
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "lift", "version": 1, "reason": "over"}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(
        (&r.body["state"], &r.body["command"]),
        (&json!("proposed"), &json!("lift"))
    );
    app.post(&url, &police, json!({"command": "activate", "version": 1}))
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post(&url, &health, json!({"command": "activate", "version": 1}))
        .await;
    assert_eq!(r.assert(200)["state"], "active");
    assert!(r.body["start_at"].is_string());
    assert_eq!(r.body["version"], 2);
    app.post(&url, &health, json!({"command": "activate", "version": 2}))
        .await
        .assert_problem(409, "invalid-transition");
    // lifting needs a reason and the version read
    let r = app
        .post(&url, &health, json!({"command": "lift", "version": 2}))
        .await;
    assert_eq!(r.field_errors(), ["reason"]);
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "lift", "version": 2, "reason": " "}),
        )
        .await;
    assert_eq!(r.field_errors(), ["reason"]);
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "lift", "version": 1, "reason": "14 days without a case"}),
        )
        .await;
    r.assert_problem(409, "stale-version");
    assert_eq!(r.body["current_version"], 2);
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "lift", "version": 2, "reason": "14 days without a case"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "lifted");
    assert!(r.body["end_at"].as_str().unwrap() >= r.body["start_at"].as_str().unwrap());
    assert_eq!(r.body["reason"], "14 days without a case");
    for cmd in ["lift", "activate"] {
        app.post(
            &url,
            &health,
            json!({"command": cmd, "version": 3, "reason": "again"}),
        )
        .await
        .assert_problem(409, "invalid-transition");
    }
    let r = app
        .post(&url, &health, json!({"command": "close", "version": 3}))
        .await;
    assert_eq!(r.field_errors(), ["command"]);
    // every change is an event with the actor's role and the reason
    let events = events_of(&app, "zone", &id);
    let actions: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(actions, ["declared", "activate", "lift"]);
    assert!(events
        .iter()
        .all(|e| e.1.as_deref() == Some("health_officer")));
    assert_eq!(events[0].2.as_deref(), Some("F0 at the airport"));
    assert_eq!(events[2].2.as_deref(), Some("14 days without a case"));
    // elsewhere it does not exist
    let bg = app.token("bg", Role::HealthOfficer, BAC_GIANG).await;
    app.post(
        &url,
        &bg,
        json!({"command": "lift", "version": 3, "reason": "x y z"}),
    )
    .await
    .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/zones/{id}"), &bg)
        .await
        .assert_problem(404, "not-found");
    let r = app
        .post(
            "/api/v1/zones/not-a-zone/transitions",
            &health,
            json!({"command": "activate", "version": 1}),
        )
        .await;
    r.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn declarations_name_the_wrong_field() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let post = |body: Value| {
        let (app, health) = (&app, &health);
        async move { app.post("/api/v1/zones", health, body).await }
    };
    let base =
        json!({"name": "Chợ Cái Rồng", "level": "medical_isolation", "unit_codes": [CAI_RONG]});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (
            with("unit_codes", json!([CAI_RONG, VAN_TRUNG])),
            "unit_codes[1]",
        ),
        (with("unit_codes", json!(["99999"])), "unit_codes[0]"),
        (with("unit_codes", json!(["VN"])), "unit_codes[0]"),
        (with("unit_codes", json!([])), "unit_codes"),
        (
            with("unit_codes", json!([CAI_RONG, CAI_RONG])),
            "unit_codes[1]",
        ),
        (
            with("investigation_ids", json!([uuid::Uuid::now_v7()])),
            "investigation_ids[0]",
        ),
        (
            with("investigation_ids", json!(["not-a-uuid"])),
            "investigation_ids[0]",
        ),
        (with("level", json!("curfew")), "level"),
        (with("name", json!("")), "name"),
        (with("start_at", json!("tomorrow")), "start_at"),
        (with("start_at", json!("-5000-01-01T00:00:00Z")), "start_at"),
    ];
    for (body, field) in cases {
        let r = post(body.clone()).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.field_errors(), [field], "{body}");
    }
    // a named area lies inside one unit
    let mut two = with("unit_codes", json!([CAI_RONG, DAI_XUYEN]));
    two["area_name"] = json!("Chợ Cái Rồng");
    assert_eq!(post(two).await.field_errors(), ["area_name"]);
    let mut one = base.clone();
    one["area_name"] = json!("Chợ Cái Rồng");
    let zone = post(one).await;
    assert_eq!(zone.assert(201)["area_name"], "Chợ Cái Rồng");
    // nothing was stored by the refused declarations
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let list = app.get("/api/v1/zones", &police).await;
    assert_eq!(list.assert(200)["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn zones_are_listed_where_any_of_their_units_is() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let province = app
        .token("y.te.tinh", Role::HealthOfficer, QUANG_NINH)
        .await;
    let bg_health = app.token("y.te.bg", Role::HealthOfficer, BAC_GIANG).await;
    let here = declare(
        &app,
        &health,
        json!({"name": "Cái Rồng", "level": "soft_lockdown", "unit_codes": [CAI_RONG]}),
    )
    .await;
    let across = declare(&app, &province, json!({"name": "Vân Đồn và Hạ Long", "level": "soft_lockdown", "unit_codes": [CAI_RONG, HA_LONG]})).await;
    let bg = declare(
        &app,
        &bg_health,
        json!({"name": "Vân Trung", "level": "hard_lockdown", "unit_codes": [VAN_TRUNG]}),
    )
    .await;
    // a district sees the zone reaching into it, but cannot change it alone
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let list = app.get("/api/v1/zones", &commune).await;
    let mut expected = vec![
        here["id"].as_str().unwrap().to_string(),
        across["id"].as_str().unwrap().to_string(),
    ];
    expected.sort();
    assert_eq!(ids(list.assert(200)), expected);
    let url = format!(
        "/api/v1/zones/{}/transitions",
        across["id"].as_str().unwrap()
    );
    app.post(&url, &health, json!({"command": "activate", "version": 1}))
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &url,
        &province,
        json!({"command": "activate", "version": 1}),
    )
    .await
    .assert(200);
    // filters and pages
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let active = app.get("/api/v1/zones?state=active", &cdc).await;
    assert_eq!(ids(active.assert(200)), [across["id"].as_str().unwrap()]);
    let first = app.get("/api/v1/zones?limit=1", &cdc).await;
    assert_eq!(ids(first.assert(200)), [expected[0].clone()]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = app
        .get(&format!("/api/v1/zones?limit=1&cursor={cursor}"), &cdc)
        .await;
    assert_eq!(ids(second.assert(200)), [expected[1].clone()]);
    assert!(second.body["next_cursor"].is_null());
    app.get("/api/v1/zones?state=closed", &cdc)
        .await
        .assert_problem(400, "bad-request");
    // another province sees only its own
    let bg_police = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    let list = app.get("/api/v1/zones", &bg_police).await;
    assert_eq!(ids(list.assert(200)), [bg["id"].as_str().unwrap()]);
    let r = app
        .get(
            &format!("/api/v1/zones/{}", here["id"].as_str().unwrap()),
            &bg_police,
        )
        .await;
    r.assert_problem(404, "not-found");
    // readers: analysts yes, administrators and camp managers no
    app.get(
        &format!("/api/v1/zones/{}", here["id"].as_str().unwrap()),
        &cdc,
    )
    .await
    .assert(200);
    for (name, role, scope) in [
        ("root", Role::Admin, "VN"),
        ("camp", Role::CampManager, "camp-1"),
    ] {
        let t = app.token(name, role, scope).await;
        app.get("/api/v1/zones", &t)
            .await
            .assert_problem(403, "forbidden");
        app.get(
            &format!("/api/v1/zones/{}", here["id"].as_str().unwrap()),
            &t,
        )
        .await
        .assert_problem(403, "forbidden");
    }
}

#[actix_web::test]
async fn residents_of_a_zone_are_listed_for_mass_sampling() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = person_in(&app, &health, "Nguyễn Văn An", CAI_RONG).await;
    let b = person_in(&app, &health, "Trần Thị Bình", CAI_RONG).await;
    let c = person_in(&app, &health, "Lê Văn Cường", DAI_XUYEN).await;
    let _elsewhere = person_in(&app, &health, "Phạm Thị Dung", "07000").await;
    let zone = declare(&app, &health, json!({"name": "Cái Rồng và Đài Xuyên", "level": "hard_lockdown", "unit_codes": [CAI_RONG, DAI_XUYEN]})).await;
    let url = format!("/api/v1/zones/{}/residents", zone["id"].as_str().unwrap());
    let mut all = vec![a.clone(), b.clone(), c.clone()];
    all.sort();
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let r = app.get(&url, &police).await;
    assert_eq!(ids(r.assert(200)), all);
    assert_eq!(r.body["whole_unit_listed"], false);
    // what a sampling team needs, nothing more
    let keys: Vec<&String> = r.body["items"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "birth_year",
            "full_name",
            "id",
            "residence_address",
            "residence_unit_code"
        ]
    );
    // pages
    let first = app.get(&format!("{url}?limit=2"), &health).await;
    assert_eq!(ids(first.assert(200)), all[..2]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!("{url}?limit=2&cursor={cursor}"), &health)
        .await;
    assert_eq!(ids(rest.assert(200)), all[2..]);
    // a commune officer sees the residents of their own commune only
    let commune = app.token("xa", Role::CommuneOfficer, DAI_XUYEN).await;
    let r = app.get(&url, &commune).await;
    assert_eq!(ids(r.assert(200)), [c]);
    // analysts read zones, not the names inside them
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    app.get(&url, &cdc).await.assert_problem(403, "forbidden");
    let bg = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    app.get(&url, &bg).await.assert_problem(404, "not-found");
    // a named area: addresses are not matched, the whole unit is listed and the answer says so
    let market = declare(&app, &health, json!({"name": "Chợ Cái Rồng", "area_name": "Chợ Cái Rồng", "level": "medical_isolation", "unit_codes": [CAI_RONG]})).await;
    let r = app
        .get(
            &format!("/api/v1/zones/{}/residents", market["id"].as_str().unwrap()),
            &police,
        )
        .await;
    assert_eq!(r.assert(200)["whole_unit_listed"], true);
    assert_eq!(r.body["area_name"], "Chợ Cái Rồng");
    let mut here = vec![a, b];
    here.sort();
    assert_eq!(ids(&r.body), here);
}

#[actix_web::test]
async fn risk_levels_are_recorded_for_communes_and_derived_for_districts() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let record = |code: &'static str, body: Value| {
        let (app, health) = (&app, &health);
        async move {
            app.post(&format!("/api/v1/units/{code}/risk-levels"), health, body)
                .await
        }
    };
    let level = |l: &str| json!({"scale": "qd2686", "level": l, "reason": "CĐ 15/CĐ-UBND"});
    let district = "/api/v1/units/203/risk-level?scale=qd2686";
    // nothing recorded: the 12 communes of Vân Đồn count as new normal
    let r = app.get(district, &health).await;
    assert_eq!(r.assert(200)["level"], "new_normal");
    assert_eq!(r.body["derived"], true);
    assert_eq!(r.body["derived_from"]["communes"], 12);
    assert_eq!(r.body["derived_from"]["unrecorded"], 12);
    // 3 of 12 communes high is 25%: the district is at risk
    let communes = ["06994", "06997", "07000", "07003"];
    for code in &communes[..3] {
        record(code, level("high")).await.assert(201);
    }
    let r = app.get(district, &health).await;
    assert_eq!(r.assert(200)["level"], "at_risk");
    assert_eq!(
        r.body["derived_from"]["by_level"][2],
        json!({"level": "high", "communes": 3})
    );
    // the fourth makes 33%: high
    let r = record(communes[3], level("high")).await;
    let entry = r.assert(201).clone();
    assert_eq!(entry["unit_code"], "07003");
    assert_eq!(entry["scale"], "qd2686");
    let r = app.get(district, &health).await;
    assert_eq!(r.assert(200)["level"], "high");
    assert_eq!(r.body["derived_from"]["unrecorded"], 8);
    // a commune's level in effect: the newest, not one announced for later
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    record(CAI_RONG, json!({"scale": "qd2686", "level": "very_high", "effective_at": later, "reason": "announced"}))
        .await
        .assert(201);
    record(CAI_RONG, level("new_normal")).await.assert(201);
    let r = app
        .get("/api/v1/units/06994/risk-level?scale=qd2686", &health)
        .await;
    assert_eq!(r.assert(200)["level"], "new_normal");
    assert_eq!(r.body["derived"], false);
    let r = app.get(district, &health).await;
    assert_eq!(r.assert(200)["level"], "at_risk");
    // the colours are a separate history; one red commune makes the district orange
    let r = app
        .get("/api/v1/units/06994/risk-level?scale=nq128", &health)
        .await;
    assert!(r.assert(200)["level"].is_null());
    record(
        DAI_XUYEN,
        json!({"scale": "nq128", "level": "red", "reason": "cluster at the port"}),
    )
    .await
    .assert(201);
    let r = app
        .get("/api/v1/units/203/risk-level?scale=nq128", &health)
        .await;
    assert_eq!(r.assert(200)["level"], "orange");
    // the history, newest effective first, readable by every role that reads units
    let lab = app.token("lab", Role::LabTechnician, VAN_DON).await;
    let h = app.get("/api/v1/units/06994/risk-levels", &lab).await;
    let levels: Vec<&str> = h.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["very_high", "new_normal", "high"]);
    let page = app
        .get("/api/v1/units/06994/risk-levels?limit=2", &lab)
        .await;
    let cursor = page.assert(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let rest = app
        .get(
            &format!("/api/v1/units/06994/risk-levels?limit=2&cursor={cursor}"),
            &lab,
        )
        .await;
    assert_eq!(rest.assert(200)["items"][0]["level"], "high");
    let only = app
        .get("/api/v1/units/06997/risk-levels?scale=nq128", &lab)
        .await;
    assert_eq!(only.assert(200)["items"].as_array().unwrap().len(), 1);
    // each recorded level is an event on the unit, with its reason
    let events = events_of(&app, "admin_unit", DAI_XUYEN);
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|e| e.0 == "risk_level_recorded" && e.1.as_deref() == Some("health_officer")));
    assert_eq!(events[1].2.as_deref(), Some("cluster at the port"));
    // every role reads the administrative tree and its levels, camp managers too
    let camp = app.token("camp", Role::CampManager, "camp-1").await;
    app.get("/api/v1/units/06994/risk-levels", &camp)
        .await
        .assert(200);
    app.get(district, &camp).await.assert(200);
    app.get("/api/v1/units/00000/risk-levels", &lab)
        .await
        .assert_problem(404, "not-found");
}

#[actix_web::test]
async fn risk_levels_refuse_wrong_units_roles_and_values() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let ok = json!({"scale": "nq128", "level": "yellow", "reason": "two cases this week"});
    // only health records levels, inside its jurisdiction, on communes
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    app.post("/api/v1/units/06994/risk-levels", &police, ok.clone())
        .await
        .assert_problem(403, "forbidden");
    let bg = app.token("bg", Role::HealthOfficer, BAC_GIANG).await;
    app.post("/api/v1/units/06994/risk-levels", &bg, ok.clone())
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/units/00000/risk-levels", &health, ok.clone())
        .await
        .assert_problem(404, "not-found");
    let r = app
        .post("/api/v1/units/203/risk-levels", &health, ok.clone())
        .await;
    assert_eq!(r.field_errors(), ["unit_code"]);
    let cases = [
        (
            json!({"scale": "nq128", "level": "high", "reason": "x y z"}),
            "level",
        ),
        (
            json!({"scale": "nq128", "level": "purple", "reason": "x y z"}),
            "level",
        ),
        (
            json!({"scale": "who", "level": "red", "reason": "x y z"}),
            "scale",
        ),
        (json!({"scale": "nq128", "level": "red"}), "reason"),
        (
            json!({"scale": "nq128", "level": "red", "reason": ""}),
            "reason",
        ),
        (
            json!({"scale": "nq128", "level": "red", "reason": "x y z", "effective_at": 5}),
            "effective_at",
        ),
        (
            json!({"scale": "nq128", "level": "red", "reason": "x y z", "effective_at": "2099-01-01T00:00:00Z"}),
            "effective_at",
        ),
        (
            json!({"scale": "nq128", "level": "red", "reason": "x y z", "effective_at": "1900-01-01T00:00:00Z"}),
            "effective_at",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/units/06994/risk-levels", &health, body.clone())
            .await;
        r.assert_problem(422, "validation");
        assert_eq!(r.field_errors(), [field], "{body}");
    }
    // the current level needs a scale, and exists for communes and districts only
    let r = app.get("/api/v1/units/06994/risk-level", &health).await;
    assert_eq!(r.field_errors(), ["scale"]);
    let r = app
        .get("/api/v1/units/22/risk-level?scale=qd2686", &health)
        .await;
    assert_eq!(r.field_errors(), ["unit_code"]);
    app.get("/api/v1/units/06994/risk-level?scale=who", &health)
        .await
        .assert_problem(400, "bad-request");
    let r = app
        .get("/api/v1/units/06994/risk-levels?cursor=nope", &health)
        .await;
    assert_eq!(r.field_errors(), ["cursor"]);
    // nothing was recorded
    let h = app.get("/api/v1/units/06994/risk-levels", &health).await;
    assert_eq!(h.assert(200)["items"], json!([]));
}

#[actix_web::test]
async fn a_zone_links_only_investigations_in_the_jurisdiction() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let bg_health = app.token("y.te.bg", Role::HealthOfficer, BAC_GIANG).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7))
        .date_naive()
        .to_string();
    let confirm = |token: String, person: String| {
        let app = &app;
        let today = today.clone();
        async move {
            let r = app
                .post("/api/v1/cases", &token, json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "T-1", "sample_date": today}))
                .await;
            r.assert(201)["case"]["id"].as_str().unwrap().to_string()
        }
    };
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let bg_f0 = person_in(&app, &bg_health, "Trần Văn Bắc", VAN_TRUNG).await;
    let case = confirm(health.clone(), f0).await;
    confirm(bg_health.clone(), bg_f0).await;
    let inv_of = |token: String| {
        let app = &app;
        async move {
            let list = app.get("/api/v1/investigations", &token).await;
            list.assert(200)["items"][0].clone()
        }
    };
    let inv = inv_of(health.clone()).await;
    assert_eq!(inv["case_id"], case);
    // the cordon step carries its deadline
    assert_eq!(inv["steps"][2]["step"], "cordoning");
    assert!(inv["steps"][2]["due"].is_string());
    let bg_inv = inv_of(bg_health.clone()).await;
    let r = app
        .post("/api/v1/zones", &health, json!({"name": "Cái Rồng", "level": "hard_lockdown", "unit_codes": [CAI_RONG], "investigation_ids": [inv["id"], bg_inv["id"]]}))
        .await;
    assert_eq!(r.field_errors(), ["investigation_ids[1]"]);
    let r = app
        .post("/api/v1/zones", &health, json!({"name": "Cái Rồng", "level": "hard_lockdown", "unit_codes": [CAI_RONG], "investigation_ids": [inv["id"], inv["id"]]}))
        .await;
    assert_eq!(r.field_errors(), ["investigation_ids[1]"]);
    let zone = declare(&app, &health, json!({"name": "Cái Rồng", "level": "hard_lockdown", "unit_codes": [CAI_RONG], "investigation_ids": [inv["id"]]})).await;
    assert_eq!(zone["investigation_ids"], json!([inv["id"]]));
}
