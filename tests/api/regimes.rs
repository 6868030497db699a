//! The regime an episode is under: the one in force on its day 1 (the last contact with the
//! F0), not on the day it is ordered; a mode the regime lacks is refused by name.
//!
//! The dates are of 2020–2022, fixed, so that nothing depends on today or the hour.

use crate::helpers::units::*;
use crate::helpers::{local_ago, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// A confirmed F0 whose positive sample was taken on `sample_date` (its window opens two
/// days before).
async fn f0(app: &TestApp, health: &str, sample_date: &str) -> String {
    let f0 = app.person(health, "Nguyễn Văn Gốc").await;
    let body = json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-600", "sample_date": sample_date});
    app.post("/api/v1/cases", health, body).await.assert(201);
    f0
}

/// An F1 of `f0` through a household contact whose last moment is `last_at`.
async fn f1(
    app: &TestApp,
    health: &str,
    f0: &str,
    name: &str,
    first_at: &str,
    last_at: &str,
) -> String {
    let f1 = app.person(health, name).await;
    let c = json!({"person_id": f0, "contact_person_id": f1, "first_at": first_at, "last_at": last_at, "setting": "household", "proximity": "physical"});
    app.post("/api/v1/contacts", health, c).await.assert(201);
    f1
}

/// A camp in Vân Đồn with one room of four beds.
async fn camp(app: &TestApp, admin: &str, id: &str) {
    let site = json!({"id": id, "name": "Trung đoàn 244", "kind": "barracks", "address": "Vân Đồn", "unit_code": VAN_DON, "capacity": 8});
    app.post("/api/v1/sites", admin, site).await.assert(201);
    let room = json!({"name": "A1", "beds": 4});
    app.post(&format!("/api/v1/sites/{id}/rooms"), admin, room)
        .await
        .assert(201);
}

/// Order camp quarantine without naming a regime, and check the person in.
async fn order_and_check_in(app: &TestApp, health: &str, person: &str, site: &str) -> Value {
    let order = json!({"person_id": person, "mode": "concentrated", "site_id": site});
    let ordered = app.post("/api/v1/episodes", health, order).await;
    let e = ordered.assert(201)["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/sites/{site}/check-ins");
    app.post(&url, health, json!({"episode_id": e}))
        .await
        .assert(201);
    let r = app.get(&format!("/api/v1/episodes/{e}"), health).await;
    r.assert(200).clone()
}

/// The day numbers of an episode's scheduled tests still in force.
fn test_days(e: &Value) -> Vec<i64> {
    e["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["superseded"] == false && t["phase"] == "quarantine")
        .map(|t| t["day"].as_i64().unwrap())
        .collect()
}

/// Two F1s of one F0 of May 2021: the last contact of one on 4 May, of the other on 5 May
/// (10:00 in Vietnam), the day Công điện 600 came into force. Returns their episodes in the
/// camp, both ordered today.
async fn may_2021(app: &TestApp, admin: &str, health: &str) -> (Value, Value) {
    camp(app, admin, "camp-600").await;
    let f0 = f0(app, health, "2021-05-06").await;
    let a = f1(
        app,
        health,
        &f0,
        "Trần Thị An",
        "2021-05-04T02:00:00Z",
        "2021-05-04T03:00:00Z",
    )
    .await;
    let b = f1(
        app,
        health,
        &f0,
        "Trần Thị Bình",
        "2021-05-05T02:00:00Z",
        "2021-05-05T03:00:00Z",
    )
    .await;
    let a = order_and_check_in(app, health, &a, "camp-600").await;
    let b = order_and_check_in(app, health, &b, "camp-600").await;
    (a, b)
}

#[actix_web::test]
async fn an_episode_takes_the_regime_in_force_on_its_day_1_not_on_its_order() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let (a, b) = may_2021(&app, &admin, &health).await;
    // last contact on 4 May: the 14-day regime of 2020, tested on days 1 and 14
    assert_eq!(a["regime_id"], "vn-2020-03-12.v1");
    assert_eq!(a["day1"], "2021-05-04");
    assert_eq!(
        (a["days"].as_i64(), a["monitoring_days"].as_i64()),
        (Some(14), Some(14))
    );
    assert_eq!(a["last_day"], "2021-05-17");
    assert_eq!(a["release_from"], "2021-05-18");
    assert_eq!(test_days(&a), [1, 14]);
    // last contact on 5 May: Công điện 600, 21 days tested on days 1, 14 and 20, then 7
    // days of monitoring
    assert_eq!(b["regime_id"], "vn-2021-05-05.v1");
    assert_eq!(b["day1"], "2021-05-05");
    assert_eq!(
        (b["days"].as_i64(), b["monitoring_days"].as_i64()),
        (Some(21), Some(7))
    );
    assert_eq!(b["last_day"], "2021-05-25");
    assert_eq!(b["release_from"], "2021-05-26");
    assert_eq!(test_days(&b), [1, 14, 20]);
}

#[actix_web::test]
async fn a_restart_goes_on_under_the_regime_of_its_new_day_1() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let (a, _) = may_2021(&app, &admin, &health).await;
    let url = format!("/api/v1/episodes/{}/transitions", a["id"].as_str().unwrap());
    let restart = json!({"command": "restart", "version": a["version"], "reason": "a roommate tested positive", "day1": "2021-05-08"});
    let r = app.post(&url, &health, restart).await;
    let e = r.assert(200);
    assert_eq!(e["regime_id"], "vn-2021-05-05.v1");
    assert_eq!(e["day1"], "2021-05-08");
    assert_eq!(
        (e["days"].as_i64(), e["monitoring_days"].as_i64()),
        (Some(21), Some(7))
    );
    assert_eq!(e["release_from"], "2021-05-29");
    assert_eq!(test_days(e), [1, 14, 20]);
    // the event says what the restart changed
    let id = a["id"].as_str().unwrap();
    let h = app
        .get(&format!("/api/v1/episodes/{id}/history"), &health)
        .await;
    let items = h.assert(200)["items"].as_array().unwrap().clone();
    let ev = items.iter().find(|i| i["action"] == "restart").unwrap();
    assert_eq!(ev["after"]["regime_id"], "vn-2021-05-05.v1");
    assert_eq!(ev["after"]["days"], 21);
}

#[actix_web::test]
async fn a_mode_the_regime_lacks_is_refused_naming_the_regime_and_what_it_allows() {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    camp(&app, &admin, "camp-dec").await;
    // day 1 on 10 January 2022: 10696/BYT-MT, home quarantine only
    let f0 = f0(&app, &health, "2022-01-11").await;
    let person = f1(
        &app,
        &health,
        &f0,
        "Trần Thị Chi",
        "2022-01-10T02:00:00Z",
        "2022-01-10T03:00:00Z",
    )
    .await;
    let order = json!({"person_id": person, "mode": "concentrated", "site_id": "camp-dec"});
    let r = app.post("/api/v1/episodes", &health, order).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["mode"]);
    assert_eq!(
        r.body["errors"][0]["message"],
        "day 1 (2022-01-10) falls under 10696/BYT-MT (vn-2021-12-16.v1, in force from \
         2021-12-16), which has no concentrated (camp) quarantine for F1: it allows home \
         quarantine (7 days)"
    );
    // nothing was written
    let list = app.get("/api/v1/episodes", &health).await;
    assert_eq!(list.assert(200)["items"], json!([]));
    let home = json!({"person_id": person, "mode": "home"});
    let r = app.post("/api/v1/episodes", &health, home).await;
    assert_eq!(r.assert(201)["regime_id"], "vn-2021-12-16.v1");
    assert_eq!(r.body["days"], 7);
    // moving a camp episode to that regime is refused the same way, on `regime_id`
    let (_, b) = may_2021(&app, &admin, &health).await;
    let url = format!("/api/v1/episodes/{}/regime", b["id"].as_str().unwrap());
    let body = json!({"regime_id": "vn-2021-12-16.v1", "version": b["version"], "reason": "the new directive"});
    let r = app.post(&url, &health, body).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["regime_id"]);
    assert_eq!(
        r.body["errors"][0]["message"],
        "10696/BYT-MT (vn-2021-12-16.v1, in force from 2021-12-16) has no concentrated (camp) \
         quarantine for F1: it allows home quarantine (7 days)"
    );
}

#[actix_web::test]
async fn after_seed_demo_an_f1_checks_into_the_demo_camp() {
    use tracing_backend::cli::{seed_demo, DEMO_REGIME, DEMO_SITE};
    let app = TestApp::new().await;
    let config = tracing_backend::config::Config::for_database(&app.database_url);
    let password = "Demo-Passw0rd-long";
    seed_demo(&config, Some(password.into())).unwrap();
    // seeding again changes nothing
    seed_demo(&config, Some(password.into())).unwrap();
    let health = app.login("demo.health", password).await;
    let manager = app.login("demo.camp", password).await;
    let regimes = app.get("/api/v1/regimes", &health).await;
    let demo: Vec<&Value> = regimes
        .assert(200)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == DEMO_REGIME)
        .collect();
    assert_eq!(demo.len(), 1);
    assert!(demo[0]["document"]
        .as_str()
        .unwrap()
        .starts_with("Demo regime"));
    assert_eq!(demo[0]["province_code"], QUANG_NINH);
    // an F1 of yesterday, as a newcomer would make one
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let case = json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "DEMO-1", "sample_date": crate::helpers::date_ago(1)});
    app.post("/api/v1/cases", &health, case).await.assert(201);
    let person = f1(
        &app,
        &health,
        &f0,
        "Trần Thị An",
        &local_ago(1, 9),
        &local_ago(1, 10),
    )
    .await;
    let order = json!({"person_id": person, "mode": "concentrated", "site_id": DEMO_SITE});
    let r = app.post("/api/v1/episodes", &health, order).await;
    let e = r.assert(201).clone();
    assert_eq!(e["regime_id"], DEMO_REGIME);
    assert_eq!(e["days"], 7);
    let url = format!("/api/v1/sites/{DEMO_SITE}/check-ins");
    let r = app
        .post(&url, &manager, json!({"episode_id": e["id"]}))
        .await;
    assert_eq!(r.assert(201)["state"], "active");
    let id = e["id"].as_str().unwrap();
    let r = app.get(&format!("/api/v1/episodes/{id}"), &health).await;
    assert_eq!(r.assert(200)["site_id"], DEMO_SITE);
    assert_eq!(test_days(&r.body), [1, 7]);
}
