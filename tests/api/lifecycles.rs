//! Lifecycles that close: a release clears the F1, a retracted case withdraws its
//! investigation, a resident who absconded comes back through the gate, the weekly report
//! counts a person once, and the public list answers for a period.

use crate::helpers::units::*;
use crate::helpers::{ago, date_ago, local_ago, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// The 14-day regime of July 2021 (camp or home).
const R5599: &str = "vn-2021-07-14.v1";

async fn confirm(app: &TestApp, health: &str, person: &str, sampled_days_ago: i64) -> String {
    confirm_at(app, health, person, sampled_days_ago, None).await
}

/// Confirm `person`'s case, its sample taken `sampled_days_ago`, confirmed `at` (default now).
async fn confirm_at(
    app: &TestApp,
    health: &str,
    person: &str,
    sampled_days_ago: i64,
    at: Option<String>,
) -> String {
    let r = app
        .post(
            "/api/v1/cases",
            health,
            json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "QN-1",
                "sample_date": date_ago(sampled_days_ago), "at": at}),
        )
        .await;
    r.assert(201)["case"]["id"].as_str().unwrap().to_string()
}

async fn met(app: &TestApp, token: &str, a: &str, b: &str, days_ago: i64) -> Value {
    let c = json!({"person_id": a, "contact_person_id": b, "first_at": local_ago(days_ago, 9),
        "last_at": local_ago(days_ago, 10), "setting": "household", "proximity": "physical"});
    app.post("/api/v1/contacts", token, c)
        .await
        .assert(201)
        .clone()
}

async fn exposure(app: &TestApp, token: &str, person: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/people/{person}/exposure"), token)
        .await;
    r.assert(200).clone()
}

async fn camp(app: &TestApp, admin: &str, capacity: i32) -> String {
    app.post(
        "/api/v1/sites",
        admin,
        json!({"id": "camp-a", "name": "Trung đoàn 244", "kind": "barracks", "address": "Vân Đồn", "unit_code": VAN_DON, "capacity": capacity}),
    )
    .await
    .assert(201);
    app.post(
        "/api/v1/sites/camp-a/rooms",
        admin,
        json!({"name": "A1", "beds": 4}),
    )
    .await
    .assert(201);
    app.token("quan.ly", Role::CampManager, "camp-a").await
}

/// Order `person` to the camp `days_ago` days ago (less two hours) and check them in an
/// hour later.
async fn in_camp(app: &TestApp, health: &str, manager: &str, person: &str, days_ago: i64) -> Value {
    let r = app
        .post(
            "/api/v1/episodes",
            health,
            json!({"person_id": person, "mode": "concentrated", "site_id": "camp-a",
                "regime_id": R5599, "at": ago(days_ago, -2)}),
        )
        .await;
    let e = r.assert(201)["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/sites/camp-a/check-ins",
            manager,
            json!({"episode_id": e, "at": ago(days_ago, -1)}),
        )
        .await;
    r.assert(201).clone()
}

async fn episode(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/episodes/{id}"), token).await;
    r.assert(200).clone()
}

/// An F1 of an F0, quarantined 15 days ago and released two days ago: (health, F0, F1).
async fn released_f1(app: &TestApp) -> (String, String, String) {
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let manager = camp(app, &admin, 10).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let f1 = app.person(&health, "Trần Thị An").await;
    confirm(app, &health, &f0, 17).await;
    met(app, &health, &f0, &f1, 16).await;
    assert_eq!(exposure(app, &health, &f1).await["level"], "F1");
    let resident = in_camp(app, &health, &manager, &f1, 15).await;
    let id = resident["episode_id"].as_str().unwrap().to_string();
    let e = episode(app, &health, &id).await;
    for t in e["tests"].as_array().unwrap() {
        let url = format!(
            "/api/v1/episodes/{id}/tests/{}/result",
            t["id"].as_str().unwrap()
        );
        app.post(
            &url,
            &health,
            json!({"result": "negative", "at": ago(3, 0)}),
        )
        .await
        .assert(200);
    }
    // released two days ago (the planned end), recorded now
    let version = episode(app, &health, &id).await["version"].clone();
    let out = json!({"episode_id": id, "kind": "release", "version": version, "at": ago(2, 0)});
    app.post("/api/v1/sites/camp-a/check-outs", &manager, out)
        .await
        .assert(200);
    (health, f0, f1)
}

#[actix_web::test]
async fn a_release_clears_the_f1_until_a_new_exposure() {
    let app = TestApp::new().await;
    let (health, f0, f1) = released_f1(&app).await;
    // released: no longer an active F1, and passing nothing on
    assert_eq!(exposure(&app, &health, &f1).await["status"], "cleared");
    let r = app.get("/api/v1/line-lists/not_sampled", &health).await;
    assert!(!r.assert(200).to_string().contains(&f1));
    let other = app.person(&health, "Lê Văn Bình").await;
    let r = met(&app, &health, &f1, &other, 1).await;
    assert_eq!(r["classifies"], false, "{r}");
    let r = app
        .get(&format!("/api/v1/people/{other}/exposure"), &health)
        .await;
    assert_eq!(r.status, 404, "the person met stays unclassified");
    // the old contact with the first F0, cascaded again, does not bring the F1 back
    let third = app.person(&health, "Phạm Thị Chi").await;
    met(&app, &health, &f0, &third, 2).await;
    assert_eq!(exposure(&app, &health, &f1).await["status"], "cleared");
    // a new F0 met after the release makes them an F1 again
    let g = app.person(&health, "Hoàng Văn Gấm").await;
    confirm(&app, &health, &g, 0).await;
    met(&app, &health, &g, &f1, 1).await;
    let x = exposure(&app, &health, &f1).await;
    assert_eq!(
        (x["level"].as_str(), x["status"].as_str()),
        (Some("F1"), Some("active"))
    );
    assert_eq!(x["via_person_id"], g.as_str());
}

#[actix_web::test]
async fn retracting_a_case_withdraws_its_investigation() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    // confirmed a day ago: every step of its investigation is past its deadline
    let case = confirm_at(&app, &health, &f0, 2, Some(ago(1, 0))).await;
    let url = format!("/api/v1/cases/{case}/transitions");
    let retract =
        json!({"command": "retract", "version": 1, "reason": "the lab mixed up two tubes"});
    app.post(&url, &health, retract).await.assert(200);
    let list = app.get("/api/v1/investigations", &police).await;
    let inv = list.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_id"] == case.as_str())
        .unwrap()
        .clone();
    assert_eq!(inv["state"], "withdrawn");
    let overdue = inv["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["overdue"] == true);
    assert!(
        !overdue,
        "a withdrawn investigation waits for no step: {inv}"
    );
    let id = inv["id"].as_str().unwrap();
    // nothing moves it on
    let r = app
        .post(
            &format!("/api/v1/investigations/{id}/transitions"),
            &police,
            json!({"command": "start_tracing", "version": inv["version"]}),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    // a case confirmed and not retracted keeps its investigation open
    let other = app.person(&health, "Trần Thị An").await;
    let kept = confirm(&app, &health, &other, 0).await;
    let list = app.get("/api/v1/investigations", &police).await;
    let open = list.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_id"] == kept.as_str())
        .unwrap()
        .clone();
    assert_eq!(open["state"], "opened");
}

#[actix_web::test]
async fn a_resident_who_absconded_comes_back_through_the_gate() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let manager = camp(&app, &admin, 1).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    confirm(&app, &health, &f0, 0).await;
    let a = app.person(&health, "Trần Thị An").await;
    let b = app.person(&health, "Lê Văn Bình").await;
    met(&app, &health, &f0, &a, 1).await;
    met(&app, &health, &f0, &b, 1).await;
    let resident = in_camp(&app, &health, &manager, &a, 0).await;
    let id = resident["episode_id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/episodes/{id}/transitions");
    let v = episode(&app, &health, &id).await["version"].clone();
    app.post(
        &url,
        &manager,
        json!({"command": "abscond", "version": v, "reason": "left at night"}),
    )
    .await
    .assert(200);
    // the bed is free: someone else takes the camp's only place
    let other = in_camp(&app, &health, &manager, &b, 0).await;
    let other = other["episode_id"].as_str().unwrap().to_string();
    // a return straight to the episode is refused: it goes through the check-in
    let v = episode(&app, &health, &id).await["version"].clone();
    let r = app
        .post(&url, &manager, json!({"command": "return", "version": v}))
        .await;
    assert_eq!(r.field_errors(), ["command"], "{:?}", r.body);
    // and the check-in finds the camp full
    let back = json!({"episode_id": id});
    let r = app
        .post("/api/v1/sites/camp-a/check-ins", &manager, back.clone())
        .await;
    r.assert_problem(409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains("full"),
        "{:?}",
        r.body
    );
    assert_eq!(episode(&app, &health, &id).await["state"], "absconded");
    // once a place is free (the other one left too), they are back with a bed
    let url_b = format!("/api/v1/episodes/{other}/transitions");
    let v = episode(&app, &health, &other).await["version"].clone();
    app.post(
        &url_b,
        &manager,
        json!({"command": "abscond", "version": v, "reason": "left too"}),
    )
    .await
    .assert(200);
    let r = app
        .post("/api/v1/sites/camp-a/check-ins", &manager, back)
        .await;
    let again = r.assert(201).clone();
    assert_eq!(again["state"], "active");
    assert!(again["bed_id"].is_string());
}

#[actix_web::test]
async fn the_weekly_report_counts_a_person_once_at_their_lowest_level() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    confirm(&app, &health, &f0, 0).await;
    let a = app.person(&health, "Trần Thị An").await;
    let b = app.person(&health, "Lê Văn Bình").await;
    met(&app, &health, &f0, &a, 1).await;
    met(&app, &health, &a, &b, 1).await;
    assert_eq!(exposure(&app, &health, &b).await["level"], "F2");
    met(&app, &health, &f0, &b, 1).await;
    assert_eq!(exposure(&app, &health, &b).await["level"], "F1");
    // a third F1 typed in twice, both records classified, then merged: one person
    let c = app.person(&health, "Phạm Thị Chi").await;
    let c2 = app.person(&health, "Pham Thi Chi").await;
    met(&app, &health, &f0, &c, 1).await;
    met(&app, &health, &f0, &c2, 1).await;
    let version = |p: Value| p["version"].clone();
    let k = version(app.get(&format!("/api/v1/people/{c}"), &health).await.body);
    let d = version(app.get(&format!("/api/v1/people/{c2}"), &health).await.body);
    app.post(
        &format!("/api/v1/people/{c}/merge"),
        &health,
        json!({"duplicate_id": c2, "version": k, "duplicate_version": d, "reason": "typed twice"}),
    )
    .await
    .assert(200);
    let r = app
        .get(&format!("/api/v1/reports/weekly?unit={VAN_DON}"), &health)
        .await;
    let totals = r.assert(200)["totals"].clone();
    assert_eq!(
        (
            totals["new_f0"].clone(),
            totals["new_f1"].clone(),
            totals["new_f2"].clone()
        ),
        (json!(1), json!(3), json!(0)),
        "{totals}"
    );
}

#[actix_web::test]
async fn the_public_list_answers_for_a_period() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let case = confirm(&app, &health, &f0, 0).await;
    let url = format!("/api/v1/cases/{case}/landmarks");
    for (place, days) in [("Chợ Cái Rồng", 20), ("Cảng Cái Rồng", 2)] {
        let l = json!({"place": place, "unit_code": CAI_RONG, "from_at": local_ago(days, 9),
            "to_at": local_ago(days, 10), "public": true});
        app.post(&url, &police, l).await.assert(201);
    }
    let public = |q: String| {
        let app = &app;
        async move {
            let r = app
                .request("GET", &format!("/api/v1/public/landmarks?{q}"), None, None)
                .await;
            r
        }
    };
    let places = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l["place"].as_str().unwrap().to_string())
            .collect()
    };
    // the default: the last 14 days
    let r = public("unit=22".into()).await;
    assert_eq!(places(r.assert(200)), ["Cảng Cái Rồng"]);
    // the period the press asks about
    let q = format!("unit=22&from={}&to={}", date_ago(25), date_ago(15));
    let r = public(q).await;
    assert_eq!(places(r.assert(200)), ["Chợ Cái Rồng"]);
    let q = format!("from={}&to={}", date_ago(25), date_ago(0));
    assert_eq!(places(public(q).await.assert(200)).len(), 2);
    // refused: both ways at once, a period the wrong way round, before 2020
    let r = public(format!("days=7&from={}", date_ago(25))).await;
    assert_eq!(r.field_errors(), ["days"]);
    let r = public(format!("from={}&to={}", date_ago(1), date_ago(5))).await;
    assert_eq!(r.field_errors(), ["to"]);
    let r = public("from=2019-12-01&to=2020-01-05".into()).await;
    assert_eq!(r.field_errors(), ["from"]);
}

#[actix_web::test]
async fn a_trace_task_moves_no_earlier_than_its_last_move() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let case = confirm_at(&app, &health, &f0, 3, Some(ago(1, 0))).await;
    let a = app.person(&health, "Trần Thị An").await;
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            json!({"case_id": case, "person_ids": [a], "team": "Tổ 1", "at": ago(0, -3)}),
        )
        .await;
    let task = r.assert(201)[0]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/trace-tasks/{task}/transitions");
    let r = app
        .post(
            &url,
            &police,
            json!({"command": "start", "version": 1, "at": ago(0, -4)}),
        )
        .await;
    assert_eq!(r.field_errors(), ["at"]);
    assert!(r.body.to_string().contains("the task's last move"));
    app.post(
        &url,
        &police,
        json!({"command": "start", "version": 1, "at": ago(0, -2)}),
    )
    .await
    .assert(200);
    // the task given before the confirmation is refused
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            json!({"case_id": case, "person_ids": [a], "team": "Tổ 1", "at": ago(2, 0)}),
        )
        .await;
    assert_eq!(r.field_errors(), ["at"]);
}

#[actix_web::test]
async fn people_released_before_the_upgrade_are_cleared_by_it() {
    use diesel::prelude::*;
    use tracing_backend::schema::{events, exposures};
    let app = TestApp::new().await;
    let (health, _, f1) = released_f1(&app).await;
    // as if released before releases cleared: back to the schema without it, still active
    let mut conn = app.raw_conn();
    tracing_backend::db::revert_to(&mut conn, "2026-12-02-000014").unwrap();
    diesel::update(exposures::table.find(&f1))
        .set(exposures::status.eq("active"))
        .execute(&mut conn)
        .unwrap();
    tracing_backend::db::migrate(&mut conn).unwrap();
    let x = exposure(&app, &health, &f1).await;
    assert_eq!(x["status"], "cleared", "{x}");
    let backfilled: i64 = events::table
        .filter(events::entity_id.eq(&f1))
        .filter(events::id.like("backfill-cleared-%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(backfilled, 1);
}
