//! Facts from the field carry the time they happened: the night of 28 January 2021 in Vân
//! Đồn typed in years later gives the delays of that night, however and in whatever order
//! it is recorded (docs/domain.md §11).

use crate::helpers::units::*;
use crate::helpers::TestApp;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

const LATE: &str = "typed in from the paper line list of Vân Đồn";

struct Night {
    app: TestApp,
    t: Team,
    health: String,
    case: String,
    f1: String,
    episode: String,
}

/// Who records what: health officers the case, the order and the sample; the police the
/// contact (through a phone's batch when `synced`); the camp the check-in.
struct Team {
    admin: String,
    health: String,
    police: String,
    camp: String,
}

async fn team(app: &TestApp) -> Team {
    Team {
        admin: app.token("root", Role::Admin, "VN").await,
        health: app.token("y.te", Role::HealthOfficer, VAN_DON).await,
        police: app.token("cong.an", Role::PoliceTracer, VAN_DON).await,
        camp: String::new(),
    }
}

/// The camp, and the token of its manager.
async fn camp(app: &TestApp, admin: &str) -> String {
    app.post(
        "/api/v1/sites",
        admin,
        json!({"id": "camp-244", "name": "Trung đoàn 244", "kind": "barracks", "address": "Vân Đồn", "unit_code": CAI_RONG, "capacity": 10}),
    )
    .await
    .assert(201);
    app.post(
        "/api/v1/sites/camp-244/rooms",
        admin,
        json!({"name": "A1", "beds": 4}),
    )
    .await
    .assert(201);
    app.token("trai", Role::CampManager, "camp-244").await
}

async fn person(app: &TestApp, token: &str, name: &str) -> String {
    let r = app
        .post(
            "/api/v1/people",
            token,
            json!({"full_name": name, "residence_unit_code": CAI_RONG, "phones": ["0912345678"]}),
        )
        .await;
    r.assert(201)["person"]["id"].as_str().unwrap().to_string()
}

fn contact(f0: &str, f1: &str) -> Value {
    json!({"person_id": f0, "contact_person_id": f1,
        "first_at": "2021-01-27T18:00:00+07:00", "last_at": "2021-01-27T20:00:00+07:00",
        "setting": "household", "proximity": "physical",
        "at": "2021-01-28T23:10:00+07:00", "backdate_reason": LATE})
}

/// The F0 confirmed 28/1 at 21:00, their F1 listed at 23:10, ordered to the camp at 01:00,
/// checked in at 03:00 and sampled at 04:00. `synced`: the contact comes in a phone's
/// batch, and the sample is recorded before the check-in.
async fn night(synced: bool) -> Night {
    let app = TestApp::new().await;
    let mut t = team(&app).await;
    t.camp = camp(&app, &t.admin).await;
    let f0 = person(&app, &t.health, "Nguyễn Văn Gốc").await;
    let f1 = person(&app, &t.health, "Trần Thị An").await;
    let r = app
        .post(
            "/api/v1/cases",
            &t.health,
            json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-1",
                "sample_date": "2021-01-28", "at": "2021-01-28T21:00:00+07:00",
                "backdate_reason": LATE}),
        )
        .await;
    let case = r.assert(201)["case"]["id"].as_str().unwrap().to_string();
    if synced {
        let mut item = contact(&f0, &f1);
        item["id"] = json!(uuid::Uuid::new_v4());
        let batch = json!({"batch_id": uuid::Uuid::new_v4(), "items": [
            {"kind": "contact", "data": item}]});
        let r = app.post("/api/v1/sync/push", &t.police, batch).await;
        assert_eq!(
            r.assert(200)["results"][0]["status"],
            "created",
            "{:?}",
            r.body
        );
    } else {
        app.post("/api/v1/contacts", &t.police, contact(&f0, &f1))
            .await
            .assert(201);
    }
    let r = app
        .post(
            "/api/v1/episodes",
            &t.health,
            json!({"person_id": f1, "mode": "concentrated", "site_id": "camp-244",
                "at": "2021-01-29T01:00:00+07:00", "backdate_reason": LATE}),
        )
        .await;
    let episode = r.assert(201)["id"].as_str().unwrap().to_string();
    let sample = json!({"items": [{"person_id": f1, "kind": "rt_pcr", "barcode": "QN-0001",
        "collected_at": "2021-01-29T04:00:00+07:00", "backdate_reason": LATE}]});
    let check_in = json!({"episode_id": episode, "at": "2021-01-29T03:00:00+07:00",
        "backdate_reason": LATE});
    if synced {
        collect(&app, &t.health, sample.clone()).await;
    }
    app.post("/api/v1/sites/camp-244/check-ins", &t.camp, check_in)
        .await
        .assert(201);
    if !synced {
        collect(&app, &t.health, sample).await;
    }
    Night {
        app,
        health: t.health.clone(),
        t,
        case,
        f1,
        episode,
    }
}

async fn collect(app: &TestApp, health: &str, items: Value) {
    let r = app.post("/api/v1/samples/collections", health, items).await;
    assert_eq!(r.assert(200)[0]["status"], "done", "{:?}", r.body);
}

/// The F1's 5S steps: (step, hours after the confirmation).
fn steps_of(five_s: &Value, f1: &str) -> Vec<(String, f64)> {
    let person = five_s["f1"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["person_id"] == f1)
        .unwrap();
    person["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let h = s["hours"].as_f64().unwrap_or(-1.0);
            (s["step"].as_str().unwrap().to_string(), h)
        })
        .collect()
}

fn count(weekly: &Value, key: &str) -> i64 {
    weekly["totals"][key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} in {weekly}"))
}

#[actix_web::test]
async fn a_night_of_january_2021_recorded_in_december_gives_the_delays_of_that_night() {
    for synced in [false, true] {
        let n = night(synced).await;
        let r = n
            .app
            .get(&format!("/api/v1/cases/{}/five-s", n.case), &n.health)
            .await;
        let five_s = r.assert(200).clone();
        assert_eq!(
            steps_of(&five_s, &n.f1),
            [
                ("listed".to_string(), 2.17),
                ("located".to_string(), 4.0),
                ("isolated".to_string(), 6.0),
                ("sampled".to_string(), 7.0),
                ("resulted".to_string(), -1.0),
            ],
            "synced: {synced}"
        );
        let url = format!("/api/v1/reports/weekly?unit={VAN_DON}&week=2021-W04");
        let weekly = n.app.get(&url, &n.health).await.assert(200).clone();
        assert_eq!(count(&weekly, "new_f0"), 1, "{weekly}");
        assert_eq!(count(&weekly, "new_f1"), 1);
        assert_eq!(count(&weekly, "samples_taken"), 1);
        assert_eq!(count(&weekly, "in_camp"), 1);
        // the week it was typed in counts none of it
        let now = n
            .app
            .get(&format!("/api/v1/reports/weekly?unit={VAN_DON}"), &n.health)
            .await;
        assert_eq!(count(now.assert(200), "new_f0"), 0);
        // the history says when it happened, when it was recorded, and why so late
        let r = n
            .app
            .get(
                &format!("/api/v1/episodes/{}/history", n.episode),
                &n.health,
            )
            .await;
        let history = r.assert(200).clone();
        let event = |action: &str| {
            history["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["action"] == action)
                .unwrap_or_else(|| panic!("{action} in {history}"))
                .clone()
        };
        let ordered = event("ordered");
        assert_eq!(ordered["at"], "2021-01-28T18:00:00Z");
        assert!(ordered["recorded_at"].as_str().unwrap() > "2026");
        assert_eq!(ordered["backdate_reason"], LATE);
        assert_eq!(event("activate")["at"], "2021-01-28T20:00:00Z");
    }
}

#[actix_web::test]
async fn a_time_too_far_ahead_or_too_long_ago_without_a_reason_is_refused() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let f0 = person(&app, &t.health, "Nguyễn Văn Gốc").await;
    let case = |at: &str, reason: Option<&str>| {
        json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-1",
            "sample_date": "2021-01-28", "at": at, "backdate_reason": reason})
    };
    // long ago: only with a reason
    let r = app
        .post(
            "/api/v1/cases",
            &t.health,
            case("2021-01-28T21:00:00+07:00", None),
        )
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["at"]);
    let r = app
        .post(
            "/api/v1/cases",
            &t.health,
            case("2021-01-28T21:00:00+07:00", Some("x")),
        )
        .await;
    assert_eq!(r.field_errors(), ["backdate_reason"]);
    // before its positive sample was taken
    let r = app
        .post(
            "/api/v1/cases",
            &t.health,
            case("2021-01-27T21:00:00+07:00", Some(LATE)),
        )
        .await;
    assert_eq!(r.field_errors(), ["at"]);
    assert!(
        r.body.to_string().contains("the positive sample"),
        "{:?}",
        r.body
    );
    // in the future beyond the clock skew
    let ahead = (chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339();
    let r = app
        .post("/api/v1/cases", &t.health, case(&ahead, None))
        .await;
    assert_eq!(r.field_errors(), ["at"]);
    // nothing was written by the refusals; the same fact with its reason is taken
    let r = app.get("/api/v1/cases", &t.health).await;
    assert_eq!(r.assert(200)["items"].as_array().unwrap().len(), 0);
    app.post(
        "/api/v1/cases",
        &t.health,
        case("2021-01-28T21:00:00+07:00", Some(LATE)),
    )
    .await
    .assert(201);
}

#[actix_web::test]
async fn the_clock_skew_and_the_backdating_limit_are_settings() {
    let app = TestApp::with_config(|c| {
        c.rules.facts.skew_minutes = 30;
        c.rules.facts.backdate_days = 3660;
    })
    .await;
    let t = team(&app).await;
    let f0 = person(&app, &t.health, "Nguyễn Văn Gốc").await;
    let ahead = (chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339();
    let sample_date = (chrono::Utc::now() + chrono::Duration::hours(7))
        .date_naive()
        .to_string();
    let r = app
        .post(
            "/api/v1/cases",
            &t.health,
            json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-1",
                "sample_date": sample_date, "at": ahead}),
        )
        .await;
    r.assert(201);
    // 2021 is within ten years: no reason asked
    let other = person(&app, &t.health, "Trần Thị An").await;
    app.post(
        "/api/v1/cases",
        &t.health,
        json!({"person_id": other, "confirmation_test": "rt_pcr", "test_ref": "QN-2",
            "sample_date": "2021-01-28", "at": "2021-01-28T21:00:00+07:00"}),
    )
    .await
    .assert(201);
}

#[actix_web::test]
async fn a_fact_does_not_precede_the_one_it_follows() {
    let n = night(false).await;
    let app = &n.app;
    let t = &n.t;
    // the check-out before the check-in
    let r = app
        .get(&format!("/api/v1/episodes/{}", n.episode), &n.health)
        .await;
    let episode = r.assert(200).clone();
    let out = |at: &str| {
        json!({"episode_id": episode["id"], "kind": "release", "version": episode["version"],
            "at": at, "backdate_reason": LATE})
    };
    let r = app
        .post(
            "/api/v1/sites/camp-244/check-outs",
            &t.camp,
            out("2021-01-29T02:59:00+07:00"),
        )
        .await;
    assert_eq!(r.field_errors(), ["at"], "{:?}", r.body);
    assert!(r.body.to_string().contains("the episode's last move"));
    // a result before its collection: that item is refused, by name
    app.post(
        "/api/v1/labs",
        &t.admin,
        json!({"id": "cdc-qn", "name": "CDC Quảng Ninh", "unit_code": VAN_DON}),
    )
    .await
    .assert(201);
    let lab = app.token("lab", Role::LabTechnician, VAN_DON).await;
    let receipts = json!({"barcodes": ["QN-0001"], "at": "2021-01-29T03:30:00+07:00",
        "backdate_reason": LATE});
    let r = app
        .post("/api/v1/labs/cdc-qn/receipts", &lab, receipts)
        .await;
    assert_eq!(r.assert(200)[0]["status"], "invalid");
    assert_eq!(r.body[0]["detail"], "at: must not be before its collection");
    let receipts = json!({"barcodes": ["QN-0001"], "at": "2021-01-29T08:00:00+07:00",
        "backdate_reason": LATE});
    let r = app
        .post("/api/v1/labs/cdc-qn/receipts", &lab, receipts)
        .await;
    assert_eq!(r.assert(200)[0]["status"], "done");
    let result = |at: &str| {
        json!({"items": [{"barcode": "QN-0001", "result": "negative", "at": at,
            "backdate_reason": LATE}]})
    };
    let r = app
        .post(
            "/api/v1/labs/cdc-qn/results",
            &lab,
            result("2021-01-29T07:00:00+07:00"),
        )
        .await;
    assert_eq!(r.assert(200)[0]["status"], "invalid");
    let r = app
        .post(
            "/api/v1/labs/cdc-qn/results",
            &lab,
            result("2021-01-29T15:00:00+07:00"),
        )
        .await;
    assert_eq!(r.assert(200)[0]["status"], "done");
    // the result counts from when it came: 18 h after the confirmation
    let r = app
        .get(&format!("/api/v1/cases/{}/five-s", n.case), &n.health)
        .await;
    assert_eq!(steps_of(r.assert(200), &n.f1)[4], ("resulted".into(), 18.0));
    // a release after the check-in passes the time check, and meets the episode's own
    // guard: its scheduled tests are not all negative yet
    let r = app
        .post(
            "/api/v1/sites/camp-244/check-outs",
            &t.camp,
            out("2021-02-12T09:00:00+07:00"),
        )
        .await;
    r.assert_problem(409, "invalid-transition");
    assert!(
        r.body["detail"].as_str().unwrap().contains("test"),
        "{:?}",
        r.body
    );
}
