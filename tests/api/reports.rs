//! Reports checked against a scenario with known answers: an F0 confirmed on Monday
//! 1 February 2021 (week 2021-W05) at 10:00 in Vietnam, three F1s and an F2 whose steps are
//! dated exactly, in two communes of Vân Đồn.

use crate::helpers::units::*;
use crate::helpers::TestApp;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;
use tracing_backend::schema::{
    cases, episodes, event_changes, events, exposures, samples, trace_tasks, unit_risk_levels,
    zones,
};
use tracing_backend::store::events::{ChangeRow, EventRow, LogRow};

/// The confirmation: 2021-02-01 03:00 UTC.
fn t0() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2021-02-01 03:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
}

fn at(hours: i64) -> NaiveDateTime {
    t0() + Duration::hours(hours)
}

async fn person_in(app: &TestApp, token: &str, name: &str, unit: &str) -> String {
    let r = app
        .post(
            "/api/v1/people",
            token,
            json!({"full_name": name, "residence_unit_code": unit, "phones": ["0912345678"]}),
        )
        .await;
    r.assert(201)["person"]["id"].as_str().unwrap().to_string()
}

struct Scenario {
    app: TestApp,
    health: String,
    case: String,
    a: String,
    b: String,
    c: String,
    d: String,
}

/// F0 G (Cái Rồng) confirmed at t0. F1s: A and B (Cái Rồng), C (Đài Xuyên); D is A's F2.
/// - A: listed +1h, task done +2h, ordered to a camp +4h and admitted +20h, sampled
///   +22h, negative +30h.
/// - B: listed +1h, ordered home quarantine +5h, started it only +200h (the week after),
///   never sampled.
/// - C: listed +3h, sampled ad hoc +26h (by a team that found them), no result yet.
/// - D: listed F2 +1h.
///
/// A cordon zone on Cái Rồng from +24h; Cái Rồng recorded red before the week.
async fn scenario() -> Scenario {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let lab = app.token("lab", Role::LabTechnician, VAN_DON).await;
    app.post(
        "/api/v1/labs",
        &admin,
        json!({"id": "cdc-qn", "name": "CDC Quảng Ninh", "unit_code": VAN_DON}),
    )
    .await
    .assert(201);
    let g = person_in(&app, &health, "Nguyễn Văn Gốc", CAI_RONG).await;
    let a = person_in(&app, &health, "Trần Thị An", CAI_RONG).await;
    let b = person_in(&app, &health, "Lê Văn Bình", CAI_RONG).await;
    let c = person_in(&app, &health, "Phạm Thị Chi", DAI_XUYEN).await;
    let d = person_in(&app, &health, "Hoàng Văn Dũng", CAI_RONG).await;
    let r = app
        .post("/api/v1/cases", &health, json!({"person_id": g, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": crate::helpers::date_ago(0), "case_number": "BN1553"}))
        .await;
    let case = r.assert(201)["case"]["id"].as_str().unwrap().to_string();
    let contact = |from: &str, to: &str| json!({"person_id": from, "contact_person_id": to, "first_at": crate::helpers::ago(1, 0), "last_at": crate::helpers::ago(1, 1), "setting": "household", "proximity": "physical"});
    for (x, y) in [(&g, &a), (&g, &b), (&g, &c), (&a, &d)] {
        app.post("/api/v1/contacts", &police, contact(x, y))
            .await
            .assert(201);
    }
    // A's trace task, worked to done
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &health,
            json!({"case_id": case, "person_ids": [a], "team": "Tổ 1"}),
        )
        .await;
    let task = r.assert(201)[0]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/trace-tasks/{task}/transitions");
    for (cmd, v) in [("start", 1), ("done", 2)] {
        app.post(&url, &police, json!({"command": cmd, "version": v}))
            .await
            .assert(200);
    }
    // A in a camp; B at home, started only the week after
    app.post(
        "/api/v1/sites",
        &admin,
        json!({"id": "camp-a", "name": "Trung đoàn 244", "kind": "barracks", "address": "Vân Đồn", "unit_code": CAI_RONG, "capacity": 10}),
    )
    .await
    .assert(201);
    app.post(
        "/api/v1/sites/camp-a/rooms",
        &admin,
        json!({"name": "A1", "beds": 4}),
    )
    .await
    .assert(201);
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": a, "mode": "concentrated", "site_id": "camp-a", "regime_id": "vn-2021-07-14.v1"}),
        )
        .await;
    let ea = r.assert(201)["id"].as_str().unwrap().to_string();
    let manager = app.token("quan.ly", Role::CampManager, "camp-a").await;
    app.post(
        "/api/v1/sites/camp-a/check-ins",
        &manager,
        json!({"episode_id": ea}),
    )
    .await
    .assert(201);
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": b, "mode": "home"}),
        )
        .await;
    let eb = r.assert(201)["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/homes",
            &commune,
            json!({"address": "Cái Rồng", "unit_code": CAI_RONG, "checklist": {"own_room": true, "own_toilet": true, "no_shared_air_conditioning": true}}),
        )
        .await;
    let home = r.assert(201)["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/episodes/{eb}/transitions"),
        &commune,
        json!({"command": "activate", "version": 1, "home_id": home, "commitment_signed": true}),
    )
    .await
    .assert(200);
    // A's scheduled day-1 sample and C's ad hoc one are collected; A's comes back negative
    let r = app
        .get(&format!("/api/v1/samples?person_id={a}"), &health)
        .await;
    let a_day1 = r.assert(200)[0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/samples/collections",
            &health,
            json!({"items": [
                {"sample_id": a_day1, "barcode": "QN-A1"},
                {"person_id": c, "kind": "rt_pcr", "barcode": "QN-C1"}
            ]}),
        )
        .await;
    assert!(r
        .assert(200)
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "done"));
    app.post(
        "/api/v1/labs/cdc-qn/receipts",
        &lab,
        json!({"barcodes": ["QN-A1", "QN-C1"]}),
    )
    .await
    .assert(200);
    app.post(
        "/api/v1/labs/cdc-qn/results",
        &lab,
        json!({"items": [{"barcode": "QN-A1", "result": "negative"}]}),
    )
    .await
    .assert(200);
    // a cordon zone, and Cái Rồng's colour before the week
    let zone = uuid::Uuid::now_v7().to_string();
    app.post("/api/v1/zones", &health, json!({"id": zone, "name": "Phong tỏa Cái Rồng", "level": "hard_lockdown", "unit_codes": [CAI_RONG], "reason": "F0"}))
        .await
        .assert(201);
    app.post(
        &format!("/api/v1/zones/{zone}/transitions"),
        &health,
        json!({"command": "activate", "version": 1}),
    )
    .await
    .assert(200);
    app.post(
        &format!("/api/v1/units/{CAI_RONG}/risk-levels"),
        &health,
        json!({"scale": "nq128", "level": "red", "reason": "F0 in the community", "effective_at": "2021-01-30T00:00:00Z"}),
    )
    .await
    .assert(201);

    // now date everything as the scenario says
    let mut conn = app.raw_conn();
    diesel::update(cases::table.find(&case))
        .set(cases::confirmed_at.eq(t0()))
        .execute(&mut conn)
        .unwrap();
    // the event log is append-only: the scenario's history is recorded beside it, earlier
    let redate = |conn: &mut _, entity: &str, action: &str, hours: i64| {
        let rows: Vec<(LogRow, Option<ChangeRow>)> = events::table
            .left_join(event_changes::table)
            .filter(events::entity_id.eq(entity))
            .filter(events::action.eq(action))
            .select((LogRow::as_select(), Option::<ChangeRow>::as_select()))
            .load(conn)
            .unwrap();
        let rows: Vec<EventRow> = rows
            .into_iter()
            .map(|(l, c)| EventRow::join(l, c))
            .collect();
        assert!(!rows.is_empty(), "{entity} {action}");
        let rows: Vec<EventRow> = rows
            .into_iter()
            .map(|e| EventRow {
                id: uuid::Uuid::now_v7().to_string(),
                at: at(hours),
                ..e
            })
            .collect();
        tracing_backend::store::events::insert_many(conn, &rows).unwrap();
    };
    for (p, h) in [(&a, 1), (&b, 1), (&c, 3), (&d, 1)] {
        redate(&mut conn, p, "classified", h);
        diesel::update(exposures::table.find(p))
            .set(exposures::classified_at.eq(at(h)))
            .execute(&mut conn)
            .unwrap();
    }
    redate(&mut conn, &task, "done", 2);
    diesel::update(trace_tasks::table.find(&task))
        .set(trace_tasks::created_at.eq(at(1)))
        .execute(&mut conn)
        .unwrap();
    diesel::update(episodes::table.find(&ea))
        .set((
            episodes::created_at.eq(at(4)),
            episodes::ordered_at.eq(at(4)),
            episodes::admitted_at.eq(Some(at(20))),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(episodes::table.find(&eb))
        .set((
            episodes::created_at.eq(at(5)),
            episodes::ordered_at.eq(at(5)),
            episodes::admitted_at.eq(Some(at(200))),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(samples::table.filter(samples::barcode.eq("QN-A1")))
        .set((
            samples::collected_at.eq(Some(at(22))),
            samples::received_at.eq(Some(at(23))),
            samples::resulted_at.eq(Some(at(30))),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(samples::table.filter(samples::barcode.eq("QN-C1")))
        .set((
            samples::collected_at.eq(Some(at(26))),
            samples::received_at.eq(Some(at(27))),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(zones::table.find(&zone))
        .set(zones::start_at.eq(Some(at(24))))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        unit_risk_levels::table
            .filter(unit_risk_levels::unit_code.eq(CAI_RONG))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        1
    );
    Scenario {
        app,
        health,
        case,
        a,
        b,
        c,
        d,
    }
}

/// (people, done, past deadline, p50 hours, p90 hours) of a step.
fn step(steps: &Value, name: &str) -> (i64, i64, i64, Option<f64>, Option<f64>) {
    let s = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {steps}"));
    (
        s["people"].as_i64().unwrap(),
        s["done"].as_i64().unwrap(),
        s["past_deadline"].as_i64().unwrap(),
        s["p50_hours"].as_f64(),
        s["p90_hours"].as_f64(),
    )
}

/// The scenario's 5S, now or (`week_end`) as the week closed, before B started quarantine.
fn assert_scenario_5s(steps: &Value, week_end: bool) {
    // deadlines: listed and located 2 h, isolated 24 h, sampled 24 h, result 36 h
    assert_eq!(step(steps, "listed"), (3, 3, 1, Some(1.0), Some(3.0)));
    // A +2 (task), B +5 (order), C +26 (sampled)
    assert_eq!(step(steps, "located"), (3, 3, 2, Some(5.0), Some(26.0)));
    if week_end {
        assert_eq!(step(steps, "isolated"), (3, 1, 2, Some(20.0), Some(20.0)));
    } else {
        assert_eq!(step(steps, "isolated"), (3, 2, 2, Some(20.0), Some(200.0)));
    }
    assert_eq!(step(steps, "sampled"), (3, 2, 2, Some(22.0), Some(26.0)));
    assert_eq!(step(steps, "resulted"), (3, 1, 2, Some(30.0), Some(30.0)));
}

#[actix_web::test]
async fn five_s_delays_come_from_what_was_recorded() {
    let s = scenario().await;
    let app = &s.app;
    // one F0: each F1 with each step
    let r = app
        .get(&format!("/api/v1/cases/{}/five-s", s.case), &s.health)
        .await;
    let body = r.assert(200).clone();
    assert_scenario_5s(&body["steps"], false);
    let f1 = body["f1"].as_array().unwrap();
    assert_eq!(f1.len(), 3, "D is an F2: not in the 5S of the F0");
    let of = |p: &str| f1.iter().find(|x| x["person_id"] == p).unwrap().clone();
    let a = of(&s.a);
    assert_eq!(a["full_name"], "Trần Thị An");
    let a_steps: Vec<(String, f64, bool)> = a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["step"].as_str().unwrap().to_string(),
                x["hours"].as_f64().unwrap(),
                x["past_deadline"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        a_steps,
        [
            ("listed".to_string(), 1.0, false),
            ("located".to_string(), 2.0, false),
            ("isolated".to_string(), 20.0, false),
            ("sampled".to_string(), 22.0, false),
            ("resulted".to_string(), 30.0, false),
        ]
    );
    let b = of(&s.b);
    let b_isolated = b["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["step"] == "isolated")
        .unwrap()
        .clone();
    assert_eq!(b_isolated["hours"], 200.0);
    assert_eq!(b_isolated["past_deadline"], true);
    let c_isolated = of(&s.c)["steps"][2].clone();
    assert_eq!(c_isolated["step"], "isolated");
    assert!(c_isolated["at"].is_null() && c_isolated["hours"].is_null());
    assert_eq!(c_isolated["past_deadline"], true);

    // the jurisdiction over a period holding the confirmation
    let url = format!("/api/v1/reports/five-s?unit={VAN_DON}&from=2021-01-30&to=2021-02-02");
    let r = app.get(&url, &s.health).await;
    let body = r.assert(200).clone();
    assert_scenario_5s(&body["steps"], false);
    assert_eq!(body["from"], "2021-01-29T17:00:00Z");
    let late: Vec<(String, String)> = body["past_deadline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["person_id"].as_str().unwrap().to_string(),
                x["step"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(late.len(), 9, "{late:?}");
    assert!(late.contains(&(s.c.clone(), "listed".into())));
    assert!(late.contains(&(s.b.clone(), "located".into())));
    assert!(!late.iter().any(|(p, _)| p == &s.a));
    // a period without it counts nobody
    let r = app
        .get(
            &format!("/api/v1/reports/five-s?unit={VAN_DON}&from=2021-02-02&to=2021-02-10"),
            &s.health,
        )
        .await;
    assert_eq!(
        step(&r.assert(200)["steps"], "listed"),
        (0, 0, 0, None, None)
    );
    let r = app
        .get(
            &format!("/api/v1/reports/five-s?unit={VAN_DON}&from=2021-02-02&to=2021-02-01"),
            &s.health,
        )
        .await;
    assert_eq!(r.field_errors(), ["to"]);
}

#[actix_web::test]
async fn the_weekly_report_adds_up_across_communes_as_json_and_csv() {
    let s = scenario().await;
    let app = &s.app;
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let r = app
        .get(
            &format!("/api/v1/reports/weekly?unit={VAN_DON}&week=2021-W05"),
            &cdc,
        )
        .await;
    let body = r.assert(200).clone();
    assert_eq!(body["week"], "2021-W05");
    assert_eq!(body["from"], "2021-01-31T17:00:00Z");
    let totals = &body["totals"];
    let expected = json!({
        "new_f0": 1, "new_f1": 3, "new_f2": 1, "in_camp": 1, "at_home": 0, "released": 0,
        "samples_taken": 2, "samples_positive": 0, "samples_overdue": 1, "zones_active": 1
    });
    assert_eq!(totals, &expected);
    let units = body["units"].as_array().unwrap();
    let line = |code: &str| {
        units
            .iter()
            .find(|u| u["unit_code"] == code && u["at_unit_itself"] == false)
            .unwrap()
            .clone()
    };
    let cai_rong = line(CAI_RONG);
    assert_eq!(
        cai_rong["figures"],
        json!({
            "new_f0": 1, "new_f1": 2, "new_f2": 1, "in_camp": 1, "at_home": 0, "released": 0,
            "samples_taken": 1, "samples_positive": 0, "samples_overdue": 0, "zones_active": 1
        })
    );
    assert_eq!(cai_rong["risk"]["nq128"], "red");
    let dai_xuyen = line(DAI_XUYEN);
    assert_eq!(dai_xuyen["figures"]["new_f1"], 1);
    assert_eq!(dai_xuyen["figures"]["samples_overdue"], 1);
    // every figure of the district is the sum of its lines
    for key in expected.as_object().unwrap().keys() {
        let sum: i64 = units
            .iter()
            .map(|u| u["figures"][key].as_i64().unwrap())
            .sum();
        assert_eq!(sum, totals[key].as_i64().unwrap(), "{key}");
    }
    // one red commune makes the district orange (§7)
    assert_eq!(body["risk"]["nq128"], "orange");
    assert_scenario_5s(&body["five_s"], true);
    // the F0 lives in Cái Rồng: its 5S is that commune's
    assert_eq!(step(&cai_rong["five_s"], "listed").0, 3);
    assert_eq!(step(&dai_xuyen["five_s"], "listed").0, 0);
    let zones = body["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0]["name"], "Phong tỏa Cái Rồng");

    // the province sums its districts
    let r = app
        .get(
            &format!("/api/v1/reports/weekly?unit={QUANG_NINH}&week=2021-W05"),
            &cdc,
        )
        .await;
    assert_eq!(&r.assert(200)["totals"], totals);
    let van_don = r.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == VAN_DON)
        .unwrap()
        .clone();
    assert_eq!(van_don["figures"], expected);
    // the week before is empty; nothing is made up
    let r = app
        .get(
            &format!("/api/v1/reports/weekly?unit={VAN_DON}&week=2021-W04"),
            &cdc,
        )
        .await;
    let before = &r.assert(200)["totals"];
    assert_eq!(before["new_f1"], 0);
    assert_eq!(before["in_camp"], 0);
    // the week after: B is home, A still in the camp, nobody new
    let r = app
        .get(
            &format!("/api/v1/reports/weekly?unit={VAN_DON}&week=2021-W06"),
            &cdc,
        )
        .await;
    let after = &r.assert(200)["totals"];
    assert_eq!(
        (&after["at_home"], &after["in_camp"], &after["new_f1"]),
        (&json!(1), &json!(1), &json!(0))
    );

    // CSV: a line per commune and the total
    let r = app
        .get(
            &format!("/api/v1/reports/weekly?unit={VAN_DON}&week=2021-W05&format=csv"),
            &cdc,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/csv"), "{}", r.content_type);
    let lines: Vec<&str> = r.text.lines().collect();
    assert!(lines[0].starts_with("unit_code,unit_name,new_f0,new_f1,new_f2,in_camp,at_home"));
    let total = lines.last().unwrap();
    assert!(
        total.starts_with("total,Huyện Vân Đồn,1,3,1,1,0,0,2,0,1,1,"),
        "{total}"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with(&format!("{CAI_RONG},")) && l.contains(",1,2,1,1,0,0,1,0,0,1,")));

    // bad input names the field
    let r = app
        .get(
            &format!("/api/v1/reports/weekly?unit={VAN_DON}&week=2021-W60"),
            &cdc,
        )
        .await;
    assert_eq!(r.field_errors(), ["week"]);
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["person_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn line_lists_page_by_key_and_export_csv() {
    let s = scenario().await;
    let app = &s.app;
    let police = app.token("cong.an.2", Role::PoliceTracer, VAN_DON).await;
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // F1 never admitted: C
    let r = app.get("/api/v1/line-lists/f1_not_isolated", &police).await;
    assert_eq!(ids(r.assert(200)), vec![s.c.clone()]);
    // F1/F2 without a sample since classified: B and D
    let r = app.get("/api/v1/line-lists/not_sampled", &s.health).await;
    let items = r.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(ids(&r.body), sorted(vec![s.b.clone(), s.d.clone()]));
    let d = items.iter().find(|i| i["person_id"] == s.d).unwrap();
    assert_eq!(d["level"], "F2");
    assert_eq!(d["phones"], json!(["+84912345678"]));
    assert_eq!(d["full_name"], "Hoàng Văn Dũng");
    assert_eq!(d["since"], "2021-02-01T04:00:00Z");
    // C's sample is past the turnaround deadline
    let r = app
        .get("/api/v1/line-lists/samples_overdue", &s.health)
        .await;
    assert_eq!(ids(r.assert(200)), vec![s.c.clone()]);
    assert_eq!(r.body["items"][0]["reference_type"], "sample");
    // keyset paging: one at a time, every line once
    let first = app
        .get("/api/v1/line-lists/not_sampled?limit=1", &s.health)
        .await;
    let cursor = first.assert(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = app
        .get(
            &format!("/api/v1/line-lists/not_sampled?limit=1&cursor={cursor}"),
            &s.health,
        )
        .await;
    assert!(second.assert(200)["next_cursor"].is_null());
    let mut both = ids(&first.body);
    both.extend(ids(&second.body));
    assert_eq!(both, sorted(vec![s.b.clone(), s.d.clone()]));
    // lists that are empty here still answer
    for list in ["missed_reports", "due_for_release", "downgrade_reviews"] {
        let r = app
            .get(&format!("/api/v1/line-lists/{list}"), &s.health)
            .await;
        assert_eq!(r.assert(200)["items"], json!([]), "{list}");
    }
    // CSV
    let r = app
        .get(
            "/api/v1/line-lists/f1_not_isolated?format=csv&purpose=weekly%20follow-up",
            &s.health,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/csv"));
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(
        lines[0],
        "person_id,full_name,birth_year,phones,residence_unit_code,level,reference_type,reference_id,since,due,detail"
    );
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .any(|l| l.contains("Phạm Thị Chi") && l.contains(DAI_XUYEN)));
    // an unknown list is refused
    let r = app.get("/api/v1/line-lists/everyone", &s.health).await;
    assert_eq!(r.status, 400);
}

#[actix_web::test]
async fn a_csv_export_streams_every_page() {
    // more lines than one page of the export (500), all F2s with no sample
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let template = person_in(&app, &health, "Mẫu", CAI_RONG).await;
    let mut conn = app.raw_conn();
    let row: tracing_backend::store::people::PersonRow = tracing_backend::schema::persons::table
        .find(&template)
        .select(tracing_backend::store::people::PersonRow::as_select())
        .get_result(&mut conn)
        .unwrap();
    let n = 1203;
    let people: Vec<_> = (0..n)
        .map(|i| tracing_backend::store::people::PersonRow {
            id: format!("p{i:05}"),
            full_name: format!("Người {i}"),
            national_id: None,
            ..row.clone()
        })
        .collect();
    tracing_backend::store::people::insert_rows(&mut conn, &people).unwrap();
    let rows: Vec<_> = people
        .iter()
        .map(|p| tracing_backend::store::trace::ExposureRow {
            person_id: p.id.clone(),
            level: 2,
            status: tracing_backend::domain::cases::ExposureStatus::Active,
            window_start: t0(),
            window_end: None,
            via_person_id: None,
            case_id: None,
            unit_path: p.unit_path.clone(),
            classified_at: t0(),
            updated_at: t0(),
            cleared_at: None,
        })
        .collect();
    tracing_backend::store::trace::upsert_exposures(&mut conn, &rows).unwrap();
    let r = app
        .get(
            "/api/v1/line-lists/not_sampled?format=csv&purpose=weekly%20follow-up",
            &health,
        )
        .await;
    assert_eq!(r.status, 200);
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines.len(), 1 + n);
    let mut seen: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    seen.dedup();
    assert_eq!(seen.len(), n, "every person once, in key order");
    assert_eq!(seen[0], "p00000");
    assert_eq!(seen[n - 1], format!("p{:05}", n - 1));
}

#[actix_web::test]
async fn reports_are_for_the_roles_that_read_them_inside_their_jurisdiction() {
    let s = scenario().await;
    let app = &s.app;
    let camp = app.token("trai", Role::CampManager, "camp-1").await;
    let lab = app.token("lab.2", Role::LabTechnician, VAN_DON).await;
    let admin = app.token("root.2", Role::Admin, "VN").await;
    let commune = app.token("xa.2", Role::CommuneOfficer, CAI_RONG).await;
    let bg = app.token("bg", Role::HealthOfficer, BAC_GIANG).await;
    let urls = [
        format!("/api/v1/reports/five-s?unit={VAN_DON}"),
        format!("/api/v1/cases/{}/five-s", s.case),
        format!("/api/v1/reports/weekly?unit={VAN_DON}"),
        "/api/v1/line-lists/f1_not_isolated".to_string(),
        "/api/v1/line-lists/not_sampled?format=csv&purpose=weekly%20follow-up".to_string(),
    ];
    for url in &urls {
        for t in [&camp, &lab, &admin] {
            app.get(url, t).await.assert_problem(403, "forbidden");
        }
        assert_eq!(app.get(url, &s.health).await.status, 200, "{url}");
    }
    // a commune officer sees their commune: the week of Cái Rồng, not of Vân Đồn
    app.get(&format!("/api/v1/reports/weekly?unit={VAN_DON}"), &commune)
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .get("/api/v1/reports/weekly?week=2021-W05", &commune)
        .await;
    assert_eq!(r.assert(200)["unit_code"], CAI_RONG);
    assert_eq!(r.body["totals"]["new_f1"], 2);
    let dai_xuyen = app.token("xa.dx", Role::CommuneOfficer, DAI_XUYEN).await;
    let r = app
        .get("/api/v1/line-lists/f1_not_isolated", &dai_xuyen)
        .await;
    assert_eq!(
        ids(r.assert(200)),
        vec![s.c.clone()],
        "C lives in Đài Xuyên"
    );
    let r = app
        .get("/api/v1/line-lists/f1_not_isolated", &commune)
        .await;
    assert_eq!(r.assert(200)["items"], json!([]));
    let r = app
        .get("/api/v1/line-lists/f1_not_isolated", &dai_xuyen)
        .await;
    // …without who C met: commune officers do not read contacts
    assert!(r.body["items"][0]["detail"].is_null());
    let r = app
        .get("/api/v1/line-lists/f1_not_isolated", &s.health)
        .await;
    assert!(r.assert(200)["items"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("classified through "));
    // the 5S figures of their commune, but not the list of who is late nor an F0's F1s
    let r = app
        .get(
            "/api/v1/reports/five-s?from=2021-01-30&to=2021-02-02",
            &commune,
        )
        .await;
    assert_eq!(step(&r.assert(200)["steps"], "listed").0, 3);
    assert_eq!(r.body["past_deadline"], json!([]));
    app.get(&format!("/api/v1/cases/{}/five-s", s.case), &commune)
        .await
        .assert_problem(403, "forbidden");
    // each list needs the reading of its records: samples for police, reviews for health
    let police = app.token("cong.an.3", Role::PoliceTracer, VAN_DON).await;
    let cdc = app.token("cdc.3", Role::CdcAnalyst, VAN_DON).await;
    app.get("/api/v1/line-lists/samples_overdue", &police)
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/line-lists/f1_not_isolated", &police)
        .await
        .assert(200);
    app.get("/api/v1/line-lists/samples_overdue", &cdc)
        .await
        .assert(200);
    for t in [&police, &cdc, &commune] {
        app.get("/api/v1/line-lists/downgrade_reviews", t)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/api/v1/line-lists/downgrade_reviews", &s.health)
        .await
        .assert(200);
    // elsewhere: nothing of Vân Đồn
    app.get(&format!("/api/v1/cases/{}/five-s", s.case), &bg)
        .await
        .assert_problem(404, "not-found");
    let r = app.get("/api/v1/line-lists/not_sampled", &bg).await;
    assert_eq!(r.assert(200)["items"], json!([]));
    let r = app.get("/api/v1/reports/weekly?week=2021-W05", &bg).await;
    assert_eq!(r.assert(200)["totals"]["new_f1"], 0);
    app.get(&format!("/api/v1/reports/five-s?unit={VAN_DON}"), &bg)
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/reports/weekly?unit=99999", &bg)
        .await
        .assert_problem(404, "not-found");
}

#[actix_web::test]
async fn the_chain_page_is_served_with_its_script() {
    let app = TestApp::new().await;
    let r = app.request("GET", "/chain", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
    assert!(r
        .text
        .contains("<script src=\"/assets/chain.js\"></script>"));
    let r = app.request("GET", "/assets/chain.js", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/javascript"));
    assert!(r.text.contains("/api/v1/people/"));
}
