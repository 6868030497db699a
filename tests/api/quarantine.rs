use crate::helpers::units::*;
use crate::helpers::{date_ago, local_ago, TestApp};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;
use tracing_backend::schema::episodes;

/// The 14-day regime of July 2021 (camp or home, camp → home after a negative day-7 test).
const R5599: &str = "vn-2021-07-14.v1";

async fn confirm(app: &TestApp, token: &str, person: &str) -> String {
    let today = (Utc::now() + Duration::hours(7)).date_naive().to_string();
    let r = app
        .post("/api/v1/cases", token, json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": today}))
        .await;
    r.assert(201)["case"]["id"].as_str().unwrap().to_string()
}

/// An F0 and `n` F1s of theirs (household contacts yesterday morning, Vietnam time); returns
/// the F1 ids.
async fn f1s(app: &TestApp, health: &str, n: usize) -> (String, Vec<String>) {
    let f0 = app.person(health, "Nguyễn Văn Gốc").await;
    confirm(app, health, &f0).await;
    let mut out = Vec::new();
    for i in 0..n {
        let name = format!("Trần Thị {}", ["An", "Bình", "Chi", "Dung", "Em"][i]);
        let f1 = app.person(health, &name).await;
        let c = json!({"person_id": f0, "contact_person_id": f1, "first_at": local_ago(1, 9), "last_at": local_ago(1, 10), "setting": "household", "proximity": "physical"});
        app.post("/api/v1/contacts", health, c).await.assert(201);
        out.push(f1);
    }
    (f0, out)
}

async fn site_with_rooms(
    app: &TestApp,
    admin: &str,
    id: &str,
    capacity: i32,
    rooms: &[(&str, i32)],
) {
    app.post(
        "/api/v1/sites",
        admin,
        json!({"id": id, "name": "Trung đoàn 244", "kind": "barracks", "address": "Vân Đồn", "unit_code": VAN_DON, "capacity": capacity}),
    )
    .await
    .assert(201);
    for (name, beds) in rooms {
        app.post(
            &format!("/api/v1/sites/{id}/rooms"),
            admin,
            json!({"name": name, "beds": beds}),
        )
        .await
        .assert(201);
    }
}

async fn order_camp(app: &TestApp, health: &str, person: &str, site: &str) -> Value {
    let r = app
        .post(
            "/api/v1/episodes",
            health,
            json!({"person_id": person, "mode": "concentrated", "site_id": site, "regime_id": R5599}),
        )
        .await;
    r.assert(201).clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Pretend an episode was admitted `hours` hours ago.
fn admitted_hours_ago(app: &TestApp, episode: &str, hours: i64) {
    let at = (Utc::now() - Duration::hours(hours)).naive_utc();
    let mut conn = app.raw_conn();
    diesel::update(episodes::table.find(episode))
        .set(episodes::admitted_at.eq(Some(at)))
        .execute(&mut conn)
        .unwrap();
}

/// Pretend an episode of `days` days began `ago` days ago (local dates).
fn started_days_ago(app: &TestApp, episode: &str, ago: i64, days: i64) {
    let day1 = (Utc::now() + Duration::hours(7) - Duration::days(ago)).date_naive();
    let mut conn = app.raw_conn();
    diesel::update(episodes::table.find(episode))
        .set((
            episodes::day1.eq(day1),
            episodes::release_from.eq(day1 + Duration::days(days)),
        ))
        .execute(&mut conn)
        .unwrap();
}

/// Record every scheduled test of an episode (not superseded) as negative.
async fn all_negative(app: &TestApp, health: &str, e: &str) {
    let ep = app.get(&format!("/api/v1/episodes/{e}"), health).await;
    for t in ep.assert(200)["tests"].as_array().unwrap() {
        if t["superseded"] == false {
            let test = t["id"].as_str().unwrap();
            let url = format!("/api/v1/episodes/{e}/tests/{test}/result");
            app.post(&url, health, json!({"result": "negative"}))
                .await
                .assert(200);
        }
    }
}

#[actix_web::test]
async fn the_shipped_regimes_are_data_and_new_ones_are_versions() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let r = app.get("/api/v1/regimes", &health).await;
    let all = r.assert(200).as_array().unwrap().clone();
    assert_eq!(all.len(), 4);
    assert_eq!(all[1]["document"], "Công điện 600/CĐ-BCĐ");
    assert_eq!(all[1]["rules"]["durations"]["f1"]["concentrated"], 21);
    assert_eq!(all[1]["rules"]["test_days"], json!([1, 14, 20]));
    assert_eq!(
        all[3]["rules"]["durations"]["f1"]["concentrated"],
        Value::Null
    );
    // a change is a new version of the same code; the old one stays as it was
    let mut rules = all[2]["rules"].clone();
    rules["durations"]["f1"]["concentrated"] = json!(10);
    let body = json!({"code": "vn-2021-07-14", "effective_from": "2021-08-01", "document": "5599/BYT-MT (sửa đổi)", "rules": rules});
    app.post("/api/v1/regimes", &health, body.clone())
        .await
        .assert_problem(403, "forbidden");
    let r = app.post("/api/v1/regimes", &admin, body).await;
    assert_eq!(r.assert(201)["id"], "vn-2021-07-14.v2");
    assert_eq!(r.body["version"], 2);
    let old = app.get(&format!("/api/v1/regimes/{R5599}"), &health).await;
    assert_eq!(
        old.assert(200)["rules"]["durations"]["f1"]["concentrated"],
        14
    );
    // rules are checked, naming the field
    let mut bad = all[2]["rules"].clone();
    bad["test_days"] = json!([14, 7]);
    let r = app
        .post(
            "/api/v1/regimes",
            &admin,
            json!({"code": "x", "effective_from": "2021-08-01", "document": "x", "rules": bad}),
        )
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["rules.test_days"]);
    // a province administrator may override for their province only
    let qn_admin = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let over = json!({"code": "bg-override", "effective_from": "2021-05-10", "document": "QĐ tỉnh Bắc Giang", "province_code": BAC_GIANG, "rules": all[0]["rules"]});
    let r = app.post("/api/v1/regimes", &qn_admin, over).await;
    assert_eq!(r.field_errors(), ["province_code"]);
}

#[actix_web::test]
async fn ordering_quarantine_takes_the_regime_in_force_and_the_last_contact() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let (f0, f1) = f1s(&app, &health, 1).await;
    let body = json!({"person_id": f1[0], "mode": "home"});
    app.post("/api/v1/episodes", &police, body.clone())
        .await
        .assert_problem(403, "forbidden");
    // the regime in force today (10696/BYT-MT) has no camp for F1s
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": f1[0], "mode": "concentrated", "site_id": "x"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["mode"]);
    let client_id = uuid::Uuid::new_v4().to_string();
    let mut body = body;
    body["id"] = json!(client_id);
    let r = app.post("/api/v1/episodes", &health, body.clone()).await;
    let e = r.assert(201).clone();
    assert_eq!(e["regime_id"], "vn-2021-12-16.v1");
    assert_eq!(e["days"], 7);
    assert_eq!(e["state"], "ordered");
    // day 1 is the last contact (yesterday, local time), and it counts
    assert_eq!(e["day1"], date_ago(1).as_str());
    assert_eq!(e["day_today"], 2);
    assert_eq!(e["release_from"], date_ago(-6).as_str());
    // the same order again is the same episode; another is a conflict naming it
    let again = app.post("/api/v1/episodes", &health, body).await;
    assert_eq!((again.status, &again.body), (r.status, &r.body));
    assert_eq!(again.body["id"], client_id.as_str());
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": f1[0], "mode": "home"}),
        )
        .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["existing_id"], client_id.as_str());
    // an F0 is treated, not quarantined; an unclassified person needs a level
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": f0, "mode": "home"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["person_id"]);
    let other = app.person(&health, "Lê Văn Nhà").await;
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": other, "mode": "home"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["level"]);
    // the regime in force quarantines no F2
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": other, "mode": "home", "level": 2}),
        )
        .await;
    assert_eq!(r.field_errors(), ["mode"]);
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": other, "mode": "home", "level": 1, "household_role": "household_member"}),
        )
        .await;
    assert_eq!(r.assert(201)["household_role"], "household_member");
    // outside the jurisdiction: the person is not found
    let bg = app.token("bg.health", Role::HealthOfficer, BAC_GIANG).await;
    let r = app
        .post(
            "/api/v1/episodes",
            &bg,
            json!({"person_id": f1[0], "mode": "home", "level": 1}),
        )
        .await;
    assert_eq!(r.field_errors(), ["person_id"]);
    app.get(&format!("/api/v1/episodes/{client_id}"), &bg)
        .await
        .assert_problem(404, "not-found");
}

#[actix_web::test]
async fn camp_check_in_assigns_beds_and_keeps_f0_and_cohorts_apart() {
    let app = TestApp::with_config(|c| c.rules.cohort_hours = 12).await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    site_with_rooms(&app, &admin, "camp-a", 5, &[("A1", 2), ("A2", 2)]).await;
    let manager = app.token("quan.ly", Role::CampManager, "camp-a").await;
    let (_, f1) = f1s(&app, &health, 4).await;
    let mut eps = Vec::new();
    for p in &f1 {
        eps.push(id(&order_camp(&app, &health, p, "camp-a").await));
    }
    // a camp manager cannot order, and the registry stays closed to them
    let r = app
        .post(
            "/api/v1/episodes",
            &manager,
            json!({"person_id": f1[0], "mode": "home"}),
        )
        .await;
    r.assert_problem(403, "forbidden");
    // expected arrivals, found by name typed without diacritics
    let r = app
        .get(
            "/api/v1/sites/camp-a/residents?status=expected&q=tran%20thi%20an",
            &manager,
        )
        .await;
    let expected = r.assert(200).as_array().unwrap().clone();
    assert_eq!(expected.len(), 1);
    assert_eq!(expected[0]["full_name"], "Trần Thị An");
    assert!(expected[0].get("phones").is_none() && expected[0].get("national_id").is_none());
    // check in by name: a bed in the first room
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            &manager,
            json!({"name": "Tran Thi An"}),
        )
        .await;
    let first = r.assert(201).clone();
    assert_eq!(first["state"], "active");
    assert!(first["bed_id"].is_string());
    // the health officer sees the episode active with its tests scheduled
    let e = app
        .get(&format!("/api/v1/episodes/{}", eps[0]), &health)
        .await;
    assert_eq!(e.assert(200)["state"], "active");
    let days: Vec<i64> = e.body["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["day"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [1, 7, 14]);
    // the F1 no longer counts as not isolated
    let list = app.get("/api/v1/quarantine/not-isolated", &health).await;
    let listed: Vec<&str> = list.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["person_id"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&f1[0].as_str()) && listed.contains(&f1[1].as_str()));
    // a later admission wave does not join the first one's room
    admitted_hours_ago(&app, &eps[0], 13);
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            &manager,
            json!({"episode_id": eps[1], "room_id": first["room_id"]}),
        )
        .await;
    r.assert_problem(409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains("cohort"),
        "{}",
        r.body
    );
    // without a room asked for, it goes to the empty room
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            &manager,
            json!({"episode_id": eps[1]}),
        )
        .await;
    let second = r.assert(201).clone();
    assert_ne!(second["room_id"], first["room_id"]);
    // the same check-in sent again gets the same bed, and takes no second one
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            &manager,
            json!({"episode_id": eps[1]}),
        )
        .await;
    assert_eq!(r.assert(200)["bed_id"], second["bed_id"]);
    // occupancy per site and room
    let s = app.get("/api/v1/sites/camp-a", &manager).await;
    assert_eq!(s.assert(200)["occupied"], 2);
    assert_eq!(s.body["beds"], 4);
    let rooms = s.body["rooms"].as_array().unwrap();
    assert_eq!(rooms[0]["occupied"], 1);
    // the F1 in room A2 tests positive: nobody else joins them
    let f0_room = second["room_id"].clone();
    confirm(&app, &health, &f1[1]).await;
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            &manager,
            json!({"episode_id": eps[2], "room_id": f0_room}),
        )
        .await;
    r.assert_problem(409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains("F0"),
        "{}",
        r.body
    );
    // and a confirmed case is not checked into a quarantine camp at all
    confirm(&app, &health, &f1[3]).await;
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            &manager,
            json!({"episode_id": eps[3]}),
        )
        .await;
    r.assert_problem(409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains("treatment"),
        "{}",
        r.body
    );
}

#[actix_web::test]
async fn a_full_camp_refuses_and_two_managers_racing_for_the_last_bed_get_one_winner() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    site_with_rooms(&app, &admin, "camp-b", 2, &[("B1", 4)]).await;
    let m1 = app.token("quan.ly.1", Role::CampManager, "camp-b").await;
    let m2 = app.token("quan.ly.2", Role::CampManager, "camp-b").await;
    let (_, f1) = f1s(&app, &health, 3).await;
    let mut eps = Vec::new();
    for p in &f1 {
        eps.push(id(&order_camp(&app, &health, p, "camp-b").await));
    }
    app.post(
        "/api/v1/sites/camp-b/check-ins",
        &m1,
        json!({"episode_id": eps[0]}),
    )
    .await
    .assert(201);
    let (a, b) = futures_util::future::join(
        app.post(
            "/api/v1/sites/camp-b/check-ins",
            &m1,
            json!({"episode_id": eps[1]}),
        ),
        app.post(
            "/api/v1/sites/camp-b/check-ins",
            &m2,
            json!({"episode_id": eps[2]}),
        ),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.body, b.body);
    let loser = if a.status == 409 { &a } else { &b };
    assert!(
        loser.body["detail"].as_str().unwrap().contains("full"),
        "{}",
        loser.body
    );
    let s = app.get("/api/v1/sites?near_capacity=0.9", &admin).await;
    let near = s.assert(200).as_array().unwrap();
    assert_eq!(near.len(), 1);
    assert_eq!(near[0]["occupied"], 2);
    // another camp's manager sees nothing of this one
    site_with_rooms(&app, &admin, "camp-c", 10, &[]).await;
    let other = app.token("quan.ly.c", Role::CampManager, "camp-c").await;
    app.get("/api/v1/sites/camp-b/residents", &other)
        .await
        .assert_problem(404, "not-found");
    app.post(
        "/api/v1/sites/camp-b/check-ins",
        &other,
        json!({"episode_id": eps[2]}),
    )
    .await
    .assert_problem(404, "not-found");
    // nor does a commune officer lay out rooms
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    app.post(
        "/api/v1/sites/camp-b/rooms",
        &commune,
        json!({"name": "B2", "beds": 2}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/sites/camp-b/rooms",
        &m1,
        json!({"name": "B2", "beds": 0}),
    )
    .await
    .assert_problem(422, "validation");
}

#[actix_web::test]
async fn release_waits_for_the_planned_end_and_negative_tests() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    site_with_rooms(&app, &admin, "camp-d", 10, &[("D1", 4)]).await;
    let manager = app.token("quan.ly", Role::CampManager, "camp-d").await;
    let (_, f1) = f1s(&app, &health, 2).await;
    // one ordered with day 1 fifteen days ago: the planned end has passed
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": f1[0], "mode": "concentrated", "site_id": "camp-d", "regime_id": R5599, "day1": date_ago(15)}),
        )
        .await;
    let old = id(r.assert(201));
    let recent = id(&order_camp(&app, &health, &f1[1], "camp-d").await);
    for e in [&old, &recent] {
        app.post(
            "/api/v1/sites/camp-d/check-ins",
            &manager,
            json!({"episode_id": e}),
        )
        .await
        .assert(201);
    }
    let checkout = |e: &str, kind: &str, version: i64| json!({"episode_id": e, "kind": kind, "version": version});
    // not yet at the planned end
    let r = app
        .post(
            "/api/v1/sites/camp-d/check-outs",
            &manager,
            checkout(&recent, "release", 2),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert!(r.body["command"].as_str().unwrap().contains("planned end"));
    // past the end, but the tests (all due on admission) are pending
    let r = app
        .post(
            "/api/v1/sites/camp-d/check-outs",
            &manager,
            checkout(&old, "release", 2),
        )
        .await;
    assert!(
        r.body["command"].as_str().unwrap().contains("pending"),
        "{}",
        r.body
    );
    // the release list of today holds the old one only
    let due = app.get("/api/v1/episodes/due-for-release", &health).await;
    let due_ids: Vec<&str> = due.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(due_ids, [old.as_str()]);
    // a camp manager does not record results; health does
    let e = app.get(&format!("/api/v1/episodes/{old}"), &health).await;
    let tests: Vec<String> = e.body["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    let result_url = |t: &str| format!("/api/v1/episodes/{old}/tests/{t}/result");
    app.post(
        &result_url(&tests[0]),
        &manager,
        json!({"result": "negative"}),
    )
    .await
    .assert_problem(403, "forbidden");
    for t in &tests {
        app.post(&result_url(t), &health, json!({"result": "negative"}))
            .await
            .assert(200);
    }
    // a result is recorded once
    app.post(
        &result_url(&tests[0]),
        &health,
        json!({"result": "inconclusive"}),
    )
    .await
    .assert_problem(409, "invalid-transition");
    let r = app
        .post(
            "/api/v1/sites/camp-d/check-outs",
            &manager,
            checkout(&old, "release", 2),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "released");
    assert_eq!(r.body["bed_id"], Value::Null);
    // monitoring at home follows, then the episode closes when it ends
    let url = format!("/api/v1/episodes/{old}/transitions");
    let r = app
        .post(&url, &health, json!({"command": "close", "version": 3}))
        .await;
    r.assert_problem(409, "invalid-transition");
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "start_monitoring", "version": 3}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "monitoring");
    let r = app
        .post(&url, &health, json!({"command": "close", "version": 4}))
        .await;
    assert!(r.body["command"]
        .as_str()
        .unwrap()
        .contains("monitoring runs until"));
    // the history names who did what
    let h = app
        .get(&format!("/api/v1/episodes/{old}/history"), &health)
        .await;
    let actions: Vec<&str> = h.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "ordered");
    assert!(actions.contains(&"activate") && actions.contains(&"release"));
}

#[actix_web::test]
async fn transfers_to_hospital_and_home_follow_the_results_and_the_regime() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    site_with_rooms(&app, &admin, "camp-e", 10, &[("E1", 4), ("E2", 4)]).await;
    let manager = app.token("quan.ly", Role::CampManager, "camp-e").await;
    let (_, f1) = f1s(&app, &health, 2).await;
    let eps: Vec<String> =
        futures_util::future::join_all(f1.iter().map(|p| order_camp(&app, &health, p, "camp-e")))
            .await
            .iter()
            .map(id)
            .collect();
    // in separate rooms: the first one's case does not restart the other's quarantine
    let site = app.get("/api/v1/sites/camp-e", &manager).await;
    let rooms: Vec<String> = site.assert(200)["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    for (e, room) in eps.iter().zip(&rooms) {
        app.post(
            "/api/v1/sites/camp-e/check-ins",
            &manager,
            json!({"episode_id": e, "room_id": room}),
        )
        .await
        .assert(201);
    }
    let out = |e: &str, kind: &str| json!({"episode_id": e, "kind": kind, "version": 2});
    // not positive: no hospital; no negative day-7 test: not home
    let r = app
        .post(
            "/api/v1/sites/camp-e/check-outs",
            &manager,
            out(&eps[0], "hospital"),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    let r = app
        .post(
            "/api/v1/sites/camp-e/check-outs",
            &manager,
            out(&eps[1], "home"),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    let tests_of = |v: &Value| -> Vec<(i64, String)> {
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["day"].as_i64().unwrap(),
                    t["id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // a positive is not written by hand on a test: the case is confirmed, then to hospital
    let e0 = app
        .get(&format!("/api/v1/episodes/{}", eps[0]), &health)
        .await;
    let t = tests_of(e0.assert(200));
    let r = app
        .post(
            &format!("/api/v1/episodes/{}/tests/{}/result", eps[0], t[0].1),
            &health,
            json!({"result": "positive"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["result"]);
    confirm(&app, &health, &f1[0]).await;
    let r = app
        .post(
            "/api/v1/sites/camp-e/check-outs",
            &manager,
            out(&eps[0], "hospital"),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "transferred");
    assert_eq!(r.body["destination"], "hospital");
    // a negative day-7 test lets the second go home, where a new episode continues
    let e1 = app
        .get(&format!("/api/v1/episodes/{}", eps[1]), &health)
        .await;
    let t = tests_of(e1.assert(200));
    let day7 = &t.iter().find(|(d, _)| *d == 7).unwrap().1;
    app.post(
        &format!("/api/v1/episodes/{}/tests/{day7}/result", eps[1]),
        &health,
        json!({"result": "negative"}),
    )
    .await
    .assert(200);
    let r = app
        .post(
            "/api/v1/sites/camp-e/check-outs",
            &manager,
            out(&eps[1], "home"),
        )
        .await;
    let moved = r.assert(200).clone();
    let next = moved["next_episode_id"].as_str().unwrap();
    let home = app.get(&format!("/api/v1/episodes/{next}"), &health).await;
    assert_eq!(home.assert(200)["mode"], "home");
    assert_eq!(home.body["state"], "ordered");
    assert_eq!(home.body["day1"], moved["day1"]);
    assert_eq!(home.body["previous_episode_id"], eps[1].as_str());
    let s = app.get("/api/v1/sites/camp-e", &manager).await;
    assert_eq!(s.assert(200)["occupied"], 0);
}

#[actix_web::test]
async fn a_new_positive_restarts_the_quarantine_of_roommates() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    site_with_rooms(&app, &admin, "camp-f", 10, &[("F1", 4)]).await;
    let manager = app.token("quan.ly", Role::CampManager, "camp-f").await;
    let (_, f1) = f1s(&app, &health, 2).await;
    let mut eps = Vec::new();
    for p in &f1 {
        let e = id(&order_camp(&app, &health, p, "camp-f").await);
        app.post(
            "/api/v1/sites/camp-f/check-ins",
            &manager,
            json!({"episode_id": e}),
        )
        .await
        .assert(201);
        eps.push(e);
    }
    let before = app
        .get(&format!("/api/v1/episodes/{}", eps[1]), &health)
        .await;
    assert_eq!(before.assert(200)["day1"], date_ago(1).as_str());
    confirm(&app, &health, &f1[0]).await;
    let after = app
        .get(&format!("/api/v1/episodes/{}", eps[1]), &health)
        .await;
    assert_eq!(after.assert(200)["day1"], date_ago(0).as_str());
    assert_eq!(after.body["release_from"], date_ago(-14).as_str());
    // the old schedule is kept, superseded
    let superseded = after.body["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["superseded"] == true)
        .count();
    assert_eq!(superseded, 3);
    let h = app
        .get(&format!("/api/v1/episodes/{}/history", eps[1]), &health)
        .await;
    let restart = h.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "restart")
        .cloned()
        .unwrap();
    assert_eq!(
        restart["reason"],
        "a new positive among people quarantined together"
    );
}

#[actix_web::test]
async fn episode_moves_need_the_right_role_reason_and_version() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let (_, f1) = f1s(&app, &health, 1).await;
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": f1[0], "mode": "home"}),
        )
        .await;
    let e = id(r.assert(201));
    let url = format!("/api/v1/episodes/{e}/transitions");
    // police read episodes but do not move them
    app.get(&format!("/api/v1/episodes/{e}"), &police)
        .await
        .assert(200);
    app.post(
        &url,
        &police,
        json!({"command": "cancel", "version": 1, "reason": "wrong person"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // a commune officer starts home quarantine but does not cancel orders
    app.post(
        &url,
        &commune,
        json!({"command": "cancel", "version": 1, "reason": "wrong person"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post(&url, &health, json!({"command": "cancel", "version": 1}))
        .await;
    assert_eq!(r.field_errors(), ["reason"]);
    app.post(&url, &health, json!({"command": "release", "version": 1}))
        .await
        .assert_problem(409, "invalid-transition");
    app.post(
        &url,
        &health,
        json!({"command": "cancel", "version": 9, "reason": "wrong person"}),
    )
    .await
    .assert_problem(409, "stale-version");
    // nothing but activate or cancel moves an order
    for command in [
        "extend",
        "restart",
        "release",
        "start_monitoring",
        "close",
        "transfer",
        "abscond",
        "return",
    ] {
        let r = app
            .post(
                &url,
                &health,
                json!({"command": command, "version": 1, "reason": "checking the rules", "days": 20, "destination": "hospital"}),
            )
            .await;
        r.assert_problem(409, "invalid-transition");
        assert_eq!(r.body["state"], "ordered", "{command}");
    }
    // home quarantine starts in a home
    let r = app
        .post(&url, &health, json!({"command": "activate", "version": 1}))
        .await;
    assert_eq!(r.field_errors(), ["home_id"]);
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "cancel", "version": 1, "reason": "wrong person"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "closed");
    // once closed, a new order may be made
    app.post(
        "/api/v1/episodes",
        &health,
        json!({"person_id": f1[0], "mode": "home"}),
    )
    .await
    .assert(201);
}

/// A home with a suitable (or not) address, and an active home episode for an F1.
async fn home_quarantine(app: &TestApp, health: &str, commune: &str) -> (String, String, String) {
    let (_, f1) = f1s(app, health, 1).await;
    let r = app
        .post(
            "/api/v1/episodes",
            health,
            json!({"person_id": f1[0], "mode": "home"}),
        )
        .await;
    let e = id(r.assert(201));
    let r = app
        .post(
            "/api/v1/homes",
            commune,
            json!({"address": "Số 5 Cái Rồng", "unit_code": CAI_RONG, "checklist": {"own_room": true, "own_toilet": false, "no_shared_air_conditioning": true}}),
        )
        .await;
    let home = id(r.assert(201));
    assert_eq!(r.body["missing"], json!(["own_toilet"]));
    let url = format!("/api/v1/episodes/{e}/transitions");
    let activate =
        json!({"command": "activate", "version": 1, "home_id": home, "commitment_signed": true});
    let r = app.post(&url, commune, activate.clone()).await;
    assert_eq!(r.field_errors(), ["home_id"]);
    app.patch(
        &format!("/api/v1/homes/{home}"),
        commune,
        json!({"version": 1, "checklist": {"own_room": true, "own_toilet": true, "no_shared_air_conditioning": true}}),
    )
    .await
    .assert(200);
    let r = app
        .post(
            &url,
            commune,
            json!({"command": "activate", "version": 1, "home_id": home}),
        )
        .await;
    assert_eq!(r.field_errors(), ["commitment_signed"]);
    let r = app.post(&url, commune, activate).await;
    assert_eq!(r.assert(200)["state"], "active");
    assert_eq!(r.body["home_id"], home.as_str());
    (f1[0].clone(), e, home)
}

#[actix_web::test]
async fn home_quarantine_with_its_sign_reports_and_follow_ups() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let other_commune = app.token("xa.khac", Role::CommuneOfficer, DAI_XUYEN).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let (_, e, home) = home_quarantine(&app, &health, &commune).await;
    // the sign: posted once, by the commune
    let sign_url = format!("/api/v1/homes/{home}/signs");
    app.post(&sign_url, &police, json!({"photo_ref": "x.jpg"}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&sign_url, &other_commune, json!({"photo_ref": "x.jpg"}))
        .await
        .assert_problem(404, "not-found");
    let r = app
        .post(
            &sign_url,
            &commune,
            json!({"photo_ref": "bien-bao-so-5.jpg"}),
        )
        .await;
    let sign = id(r.assert(201));
    assert_eq!(r.body["state"], "posted");
    app.post(&sign_url, &commune, json!({}))
        .await
        .assert_problem(409, "conflict");
    // not taken down before release without a reason
    let remove = format!("/api/v1/signs/{sign}/removal");
    app.post(&remove, &commune, json!({"version": 1}))
        .await
        .assert_problem(409, "invalid-transition");
    // reports: fever raises a follow-up; a normal one does not
    let reports = format!("/api/v1/episodes/{e}/reports");
    let r = app
        .post(
            &reports,
            &commune,
            json!({"temperature_c": 36.6, "source": "officer_call"}),
        )
        .await;
    assert_eq!(r.assert(201)["follow_up_id"], Value::Null);
    let r = app
        .post(
            &reports,
            &commune,
            json!({"temperature_c": 38.2, "symptoms": ["Cough"], "source": "person"}),
        )
        .await;
    let follow_up = r.assert(201)["follow_up_id"].as_str().unwrap().to_string();
    assert_eq!(r.body["symptoms"], json!(["cough"]));
    let r = app
        .post(
            &reports,
            &commune,
            json!({"temperature_c": 52, "source": "person"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["temperature_c"]);
    app.post(&reports, &police, json!({"source": "person"}))
        .await
        .assert_problem(403, "forbidden");
    // a day without a report: a follow-up, raised once, listed as a missed report
    admitted_hours_ago(&app, &e, 50);
    let list = app
        .get("/api/v1/follow-ups?kind=missed_report", &commune)
        .await;
    let missed = list.assert(200)["items"].as_array().unwrap().len();
    assert!(missed >= 1, "{}", list.body);
    let again = app
        .get("/api/v1/follow-ups?kind=missed_report", &commune)
        .await;
    assert_eq!(again.assert(200)["items"].as_array().unwrap().len(), missed);
    let r = app
        .post(
            &format!("/api/v1/follow-ups/{follow_up}/resolution"),
            &commune,
            json!({"note": "called, sent for a test"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "done");
    let r = app
        .post(
            &format!("/api/v1/follow-ups/{follow_up}/resolution"),
            &commune,
            json!({"note": "again"}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(
        (&r.body["state"], &r.body["command"]),
        (&json!("done"), &json!("resolve"))
    );
    // leaving home: a violation on the police list, handled by the police
    let r = app
        .post(
            &format!("/api/v1/episodes/{e}/violations"),
            &commune,
            json!({"kind": "left_home", "note": "seen at the market"}),
        )
        .await;
    let v = id(r.assert(201));
    app.get("/api/v1/police/quarantine-list", &commune)
        .await
        .assert_problem(403, "forbidden");
    let pl = app.get("/api/v1/police/quarantine-list", &police).await;
    assert_eq!(pl.assert(200)["violations"][0]["id"], v.as_str());
    let r = app
        .post(
            &format!("/api/v1/violations/{v}/handling"),
            &police,
            json!({"outcome": "brought home, fined"}),
        )
        .await;
    assert!(r.assert(200)["handled_at"].is_string());
    // handled once: a second handling is refused from the handled state
    let r = app
        .post(
            &format!("/api/v1/violations/{v}/handling"),
            &police,
            json!({"outcome": "brought home again"}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert_eq!(
        (&r.body["state"], &r.body["command"]),
        (&json!("handled"), &json!("handle"))
    );
    let pl = app.get("/api/v1/police/quarantine-list", &police).await;
    assert!(pl.assert(200)["violations"].as_array().unwrap().is_empty());
    // absconding also goes to the police list
    let url = format!("/api/v1/episodes/{e}/transitions");
    let r = app
        .post(
            &url,
            &commune,
            json!({"command": "abscond", "version": 2, "reason": "not at home for two days"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "absconded");
    let pl = app.get("/api/v1/police/quarantine-list", &police).await;
    assert_eq!(pl.assert(200)["absconded"][0]["id"], e.as_str());
    let r = app
        .post(&url, &commune, json!({"command": "return", "version": 3}))
        .await;
    assert_eq!(r.assert(200)["state"], "active");
    // a commune officer does not release; the sign comes down with a reason meanwhile
    app.post(&url, &commune, json!({"command": "release", "version": 4}))
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post(
            &remove,
            &commune,
            json!({"version": 1, "reason": "torn by the storm"}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "removed");
    app.post(&remove, &commune, json!({"version": 2}))
        .await
        .assert_problem(409, "invalid-transition");
}

#[actix_web::test]
async fn a_sign_left_after_release_is_listed_until_taken_down() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let (person, e, home) = home_quarantine(&app, &health, &commune).await;
    let r = app
        .post(&format!("/api/v1/homes/{home}/signs"), &commune, json!({}))
        .await;
    let sign = id(r.assert(201));
    // released early: under the 10696 regime an F1 waits 7 days; extend, then move back
    let url = format!("/api/v1/episodes/{e}/transitions");
    let r = app
        .post(&url, &health, json!({"command": "extend", "version": 2, "days": 10, "reason": "symptoms in the household"}))
        .await;
    assert_eq!(r.assert(200)["days"], 10);
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "extend", "version": 3, "days": 9, "reason": "shorter"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["days"]);
    // move to the 2020 regime (14 days) explicitly: a health officer's decision, an event
    let r = app
        .post(
            &format!("/api/v1/episodes/{e}/regime"),
            &health,
            json!({"regime_id": "vn-2020-03-12.v1", "version": 3, "reason": "provincial decision"}),
        )
        .await;
    assert_eq!(r.assert(200)["days"], 14);
    assert_eq!(r.body["regime_id"], "vn-2020-03-12.v1");
    // back-date day 1 so that the end has passed, and clear the tests
    started_days_ago(&app, &e, 20, 14);
    all_negative(&app, &health, &e).await;
    let r = app
        .post(&url, &health, json!({"command": "release", "version": 4}))
        .await;
    assert_eq!(r.assert(200)["state"], "released");
    let listed = app.get("/api/v1/signs/not-removed", &commune).await;
    assert_eq!(listed.assert(200)[0]["id"], sign.as_str());
    let r = app
        .post(
            &format!("/api/v1/signs/{sign}/removal"),
            &commune,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(r.assert(200)["state"], "removed");
    let listed = app.get("/api/v1/signs/not-removed", &commune).await;
    assert!(listed.assert(200).as_array().unwrap().is_empty());
    // released, the F1 is not "not yet isolated"
    let list = app.get("/api/v1/quarantine/not-isolated", &health).await;
    assert!(!list.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["person_id"] == person.as_str()));
}

#[actix_web::test]
async fn every_quarantine_endpoint_refuses_the_roles_that_may_not() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let lab = app.token("lab", Role::LabTechnician, VAN_DON).await;
    site_with_rooms(&app, &admin, "camp-g", 10, &[("G1", 2)]).await;
    let manager = app.token("quan.ly", Role::CampManager, "camp-g").await;
    let (_, e, home) = home_quarantine(&app, &health, &commune).await;
    let (_, f1) = f1s(&app, &health, 1).await;
    let camp_ep = id(&order_camp(&app, &health, &f1[0], "camp-g").await);
    let ep = app.get(&format!("/api/v1/episodes/{e}"), &health).await;
    let test = ep.assert(200)["tests"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // allowed: the reads each role does
    let list = app.get("/api/v1/episodes?state=active", &police).await;
    assert_eq!(list.assert(200)["items"][0]["id"], e.as_str());
    app.get(&format!("/api/v1/homes/{home}"), &commune)
        .await
        .assert(200);
    app.get(&format!("/api/v1/episodes/{e}/reports"), &health)
        .await
        .assert(200);
    app.get("/api/v1/sites/camp-g", &manager).await.assert(200);
    let r = app
        .post(
            "/api/v1/sites/camp-g/areas",
            &manager,
            json!({"name": "Khu B"}),
        )
        .await;
    assert_eq!(r.assert(201)["areas"][0]["name"], "Khu B");
    app.post(
        "/api/v1/sites/camp-g/areas",
        &manager,
        json!({"name": "Khu B"}),
    )
    .await
    .assert_problem(422, "validation");
    // refused: (method, path, token, body)
    let cases: Vec<(&str, String, &str, Value)> = vec![
        ("GET", "/api/v1/episodes".into(), &manager, Value::Null),
        (
            "GET",
            "/api/v1/episodes/due-for-release".into(),
            &lab,
            Value::Null,
        ),
        (
            "GET",
            "/api/v1/quarantine/not-isolated".into(),
            &lab,
            Value::Null,
        ),
        ("GET", format!("/api/v1/episodes/{e}"), &lab, Value::Null),
        (
            "GET",
            format!("/api/v1/episodes/{e}/history"),
            &admin,
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/episodes/{e}/regime"),
            &commune,
            json!({"regime_id": R5599, "version": 2, "reason": "provincial decision"}),
        ),
        (
            "POST",
            format!("/api/v1/episodes/{e}/tests/{test}/result"),
            &commune,
            json!({"result": "negative"}),
        ),
        (
            "GET",
            format!("/api/v1/episodes/{e}/reports"),
            &police,
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/episodes/{e}/violations"),
            &police,
            json!({"kind": "left_home"}),
        ),
        (
            "POST",
            "/api/v1/homes".into(),
            &police,
            json!({"address": "x", "unit_code": CAI_RONG, "checklist": {"own_room": true, "own_toilet": true, "no_shared_air_conditioning": true}}),
        ),
        (
            "GET",
            format!("/api/v1/homes/{home}"),
            &manager,
            Value::Null,
        ),
        (
            "PATCH",
            format!("/api/v1/homes/{home}"),
            &police,
            json!({"version": 2}),
        ),
        (
            "GET",
            "/api/v1/signs/not-removed".into(),
            &police,
            Value::Null,
        ),
        ("GET", "/api/v1/follow-ups".into(), &police, Value::Null),
        (
            "POST",
            format!("/api/v1/follow-ups/{e}/resolution"),
            &police,
            json!({"note": "called"}),
        ),
        (
            "POST",
            format!("/api/v1/violations/{e}/handling"),
            &commune,
            json!({"outcome": "fined"}),
        ),
        ("GET", "/api/v1/sites".into(), &police, Value::Null),
        (
            "POST",
            "/api/v1/sites".into(),
            &health,
            json!({"id": "x", "name": "x", "kind": "hotel", "address": "x", "unit_code": VAN_DON, "capacity": 5}),
        ),
        ("GET", "/api/v1/sites/camp-g".into(), &police, Value::Null),
        (
            "POST",
            "/api/v1/sites/camp-g/areas".into(),
            &health,
            json!({"name": "Khu C"}),
        ),
        (
            "GET",
            "/api/v1/sites/camp-g/residents".into(),
            &police,
            Value::Null,
        ),
        (
            "POST",
            "/api/v1/sites/camp-g/check-ins".into(),
            &police,
            json!({"episode_id": camp_ep}),
        ),
        (
            "POST",
            "/api/v1/sites/camp-g/check-outs".into(),
            &police,
            json!({"episode_id": camp_ep, "kind": "release", "version": 1}),
        ),
        (
            "POST",
            "/api/v1/regimes".into(),
            &commune,
            json!({"code": "x", "effective_from": "2021-01-01", "document": "x", "rules": {"durations": {"f1": {"home": 7}}, "test_days": [1]}}),
        ),
    ];
    for (method, path, token, body) in cases {
        let r = match method {
            "GET" => app.get(&path, token).await,
            "POST" => app.post(&path, token, body).await,
            _ => app.patch(&path, token, body).await,
        };
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }
    // the camp manager checks in but health may too; a commune officer may not
    app.post(
        "/api/v1/sites/camp-g/check-ins",
        &commune,
        json!({"episode_id": camp_ep}),
    )
    .await
    .assert_problem(404, "not-found");
    app.post(
        "/api/v1/sites/camp-g/check-ins",
        &health,
        json!({"episode_id": camp_ep}),
    )
    .await
    .assert(201);
}

#[actix_web::test]
async fn household_members_join_the_home_and_monitoring_closes_when_it_ends() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let (_, e, home) = home_quarantine(&app, &health, &commune).await;
    let carer = app.person(&health, "Phạm Thị Chăm").await;
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": carer, "mode": "home", "level": 1, "household_role": "carer"}),
        )
        .await;
    let c = id(r.assert(201));
    // a carer is quarantined with the person: no commitment of their own is asked
    let r = app
        .post(
            &format!("/api/v1/episodes/{c}/transitions"),
            &commune,
            json!({"command": "activate", "version": 1, "home_id": home}),
        )
        .await;
    assert_eq!(r.assert(200)["household_role"], "carer");
    let h = app.get(&format!("/api/v1/homes/{home}"), &commune).await;
    assert_eq!(h.assert(200)["episode_ids"].as_array().unwrap().len(), 2);
    // an explicit restart (a new positive in the home), then release and monitoring
    let url = format!("/api/v1/episodes/{e}/transitions");
    let r = app
        .post(&url, &health, json!({"command": "restart", "version": 2}))
        .await;
    assert_eq!(r.field_errors(), ["reason"]);
    let r = app
        .post(&url, &health, json!({"command": "restart", "version": 2, "reason": "the carer tested positive", "day1": date_ago(0)}))
        .await;
    assert_eq!(r.assert(200)["day1"], date_ago(0).as_str());
    app.post(
        &url,
        &health,
        json!({"command": "restart", "version": 3, "reason": "again", "day1": date_ago(-1)}),
    )
    .await
    .assert_problem(422, "validation");
    // jump to the end: day 1 three weeks ago, tests negative
    started_days_ago(&app, &e, 21, 7);
    all_negative(&app, &health, &e).await;
    let r = app
        .post(&url, &health, json!({"command": "release", "version": 3}))
        .await;
    assert_eq!(r.assert(200)["state"], "released");
    let r = app
        .post(
            &url,
            &health,
            json!({"command": "start_monitoring", "version": 4}),
        )
        .await;
    assert_eq!(r.assert(200)["monitoring_days"], 7);
    let monitoring_from = (Utc::now() + Duration::hours(7) - Duration::days(7)).date_naive();
    diesel::update(episodes::table.find(&e))
        .set(episodes::monitoring_from.eq(Some(monitoring_from)))
        .execute(&mut app.raw_conn())
        .unwrap();
    let r = app
        .post(&url, &health, json!({"command": "close", "version": 5}))
        .await;
    assert_eq!(r.assert(200)["state"], "closed");
    app.post(&url, &health, json!({"command": "close", "version": 6}))
        .await
        .assert_problem(409, "invalid-transition");
}

#[actix_web::test]
async fn an_episode_elsewhere_is_not_found_like_one_that_does_not_exist() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let admin = app.token("qt", Role::Admin, "VN").await;
    site_with_rooms(&app, &admin, "camp-vd", 10, &[("A1", 4)]).await;
    let (_, people) = f1s(&app, &health, 1).await;
    let e = id(&order_camp(&app, &health, &people[0], "camp-vd").await);
    let random = "0193c0de-0000-7000-8000-000000000000";
    // a role that reads episodes, elsewhere; a camp manager of another camp
    let police = app.token("ca.bg", Role::PoliceTracer, BAC_GIANG).await;
    let other_camp = app
        .token("camp.other", Role::CampManager, "camp-other")
        .await;
    for t in [&police, &other_camp] {
        for ep in [e.as_str(), random] {
            app.get(&format!("/api/v1/episodes/{ep}"), t)
                .await
                .assert_problem(404, "not-found");
        }
    }
    // a role that reads no episode anywhere is refused, whatever the id
    let lab = app.token("lab", Role::LabTechnician, VAN_DON).await;
    for ep in [e.as_str(), random] {
        app.get(&format!("/api/v1/episodes/{ep}"), &lab)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(&format!("/api/v1/episodes/{e}"), &health)
        .await
        .assert(200);
}

#[actix_web::test]
async fn home_facts_do_not_precede_what_they_follow() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let (_, e, home) = home_quarantine(&app, &health, &commune).await;
    let ago = |hours: i64| (Utc::now() - Duration::hours(hours)).to_rfc3339();
    // a daily report given before the quarantine began is refused, by its time
    let url = format!("/api/v1/episodes/{e}/reports");
    let before = json!({"temperature_c": 36.6, "source": "officer_call", "at": ago(2)});
    let r = app.post(&url, &commune, before).await;
    assert_eq!(r.field_errors(), ["at"], "{:?}", r.body);
    assert!(r.body.to_string().contains("the quarantine began"));
    let now = json!({"temperature_c": 36.6, "source": "officer_call"});
    app.post(&url, &commune, now).await.assert(201);
    // a sign posted an hour ago is not taken down before it was posted
    let r = app
        .post(
            &format!("/api/v1/homes/{home}/signs"),
            &commune,
            json!({"posted_at": ago(1)}),
        )
        .await;
    let sign = id(r.assert(201));
    let remove = format!("/api/v1/signs/{sign}/removal");
    let early = json!({"version": 1, "reason": "moved to the gate", "at": ago(2)});
    let r = app.post(&remove, &commune, early).await;
    assert_eq!(r.field_errors(), ["at"]);
    let later = json!({"version": 1, "reason": "moved to the gate", "at": ago(0)});
    let r = app.post(&remove, &commune, later).await;
    assert_eq!(r.assert(200)["state"], "removed");
    // a violation is not handled before it happened
    let r = app
        .post(
            &format!("/api/v1/episodes/{e}/violations"),
            &commune,
            json!({"kind": "left_home", "occurred_at": ago(0)}),
        )
        .await;
    let v = id(r.assert(201));
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let handle = format!("/api/v1/violations/{v}/handling");
    let early = json!({"outcome": "warned by the ward police", "at": ago(1)});
    let r = app.post(&handle, &police, early).await;
    assert_eq!(r.field_errors(), ["at"]);
    assert!(r.body.to_string().contains("the violation"));
    let r = app
        .post(
            &handle,
            &police,
            json!({"outcome": "warned by the ward police"}),
        )
        .await;
    assert!(r.assert(200)["handled_at"].is_string());
}
