//! Retention and purge: who is due, that a dry run changes nothing, that a purge erases what
//! names people (down to the database's bytes) and leaves every figure as it was, and who
//! may do it.

use crate::helpers::units::*;
use crate::helpers::*;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;
use tracing_backend::schema::{contacts, exposures, persons, trace_tasks};

const OLD_NAME: &str = "Trần Thị Quá Hạn";
const OLD_ID: &str = "022190007777";
const OLD_PHONE: &str = "+84987654321";
const KEPT_NAME: &str = "Lê Văn Còn Giữ";

struct World {
    app: TestApp,
    health: String,
    national: String,
    gone: String,
    kept: String,
}

/// An F0 still in the outbreak, their contact long over and cleared (due), and someone
/// registered lately (not due).
async fn world() -> World {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let national = app.token("root", Role::Admin, "VN").await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    app.post(
        "/api/v1/cases",
        &health,
        json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-1",
               "sample_date": date_ago(0)}),
    )
    .await
    .assert(201);
    let register = |name: &str, nid: &str, phone: &str, address: &str| {
        json!({"full_name": name, "national_id": nid, "phones": [phone],
               "residence_unit_code": CAI_RONG, "residence_address": address})
    };
    let r = app
        .post(
            "/api/v1/people",
            &health,
            register(OLD_NAME, OLD_ID, "0987 654 321", "Số 9 ngõ Bảy Mươi Bảy"),
        )
        .await;
    let gone = r.assert(201)["person"]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/people",
            &health,
            register(KEPT_NAME, "022190008888", "0911 222 333", "Tổ 2 khu 5"),
        )
        .await;
    let kept = r.assert(201)["person"]["id"].as_str().unwrap().to_string();
    app.post(
        "/api/v1/contacts",
        &health,
        json!({"person_id": f0, "contact_person_id": gone, "first_at": ago(1, 0),
               "last_at": ago(1, 1), "setting": "household", "proximity": "physical",
               "place": "nhà bà Hạn"}),
    )
    .await
    .assert(201);
    // as if it all ended 200 days ago for her: cleared, her task done
    let old = (Utc::now() - Duration::days(200)).naive_utc();
    let mut conn = app.raw_conn();
    diesel::update(persons::table.find(&gone))
        .set((persons::created_at.eq(old), persons::updated_at.eq(old)))
        .execute(&mut conn)
        .unwrap();
    diesel::update(contacts::table.filter(contacts::person_b.eq(&gone)))
        .set((contacts::first_at.eq(old), contacts::last_at.eq(old)))
        .execute(&mut conn)
        .unwrap();
    diesel::update(exposures::table.find(&gone))
        .set((
            exposures::status.eq("cleared"),
            exposures::cleared_at.eq(Some(old)),
            exposures::updated_at.eq(old),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(trace_tasks::table.filter(trace_tasks::person_id.eq(&gone)))
        .set(trace_tasks::state.eq("done"))
        .execute(&mut conn)
        .unwrap();
    World {
        app,
        health,
        national,
        gone,
        kept,
    }
}

async fn figures(w: &World) -> Vec<Value> {
    let mut out = Vec::new();
    for url in [
        format!("/api/v1/reports/weekly?unit={VAN_DON}"),
        format!("/api/v1/reports/five-s?unit={VAN_DON}"),
        "/api/v1/clusters?min_size=1".to_string(),
        "/api/v1/line-lists/not_sampled".to_string(),
        "/api/v1/line-lists/f1_not_isolated".to_string(),
    ] {
        let r = w.app.get(&url, &w.health).await;
        out.push(json!({"url": url, "body": r.assert(200).clone()}));
    }
    out
}

async fn purge(w: &World, token: &str, dry_run: bool) -> Resp {
    w.app
        .post("/api/v1/privacy/purge", token, json!({"dry_run": dry_run}))
        .await
}

fn ids(out: &Value) -> Vec<String> {
    out["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_dry_run_lists_who_is_due_and_changes_nothing() {
    let w = world().await;
    let before = w
        .app
        .get(&format!("/api/v1/people/{}", w.gone), &w.health)
        .await;
    let r = purge(&w, &w.national, true).await;
    let out = r.assert(200);
    assert_eq!(ids(out), vec![w.gone.clone()], "{out}");
    assert_eq!(out["people"][0]["rule"], "never_f0");
    assert!(out["run_id"].is_null());
    assert!(!r.text.contains(OLD_NAME), "a dry run names nobody");
    let after = w
        .app
        .get(&format!("/api/v1/people/{}", w.gone), &w.health)
        .await;
    assert_eq!(before.body, after.body);
}

#[actix_web::test]
async fn a_purge_anonymises_who_is_due_and_no_figure_moves() {
    let w = world().await;
    let before = figures(&w).await;
    let r = purge(&w, &w.national, false).await;
    let out = r.assert(200).clone();
    assert_eq!(ids(&out), vec![w.gone.clone()], "{out}");
    let run = out["run_id"].as_str().unwrap().to_string();
    assert_eq!(figures(&w).await, before);

    let p = w
        .app
        .get(&format!("/api/v1/people/{}", w.gone), &w.health)
        .await;
    let p = p.assert(200);
    assert_eq!(p["full_name"], "[đã xoá]", "{p}");
    assert!(p["national_id"].is_null());
    assert!(p["residence_address"].is_null());
    assert_eq!(p["phones"], json!([]));
    assert_eq!(p["residence_unit_code"], CAI_RONG);
    let k = w
        .app
        .get(&format!("/api/v1/people/{}", w.kept), &w.health)
        .await;
    assert_eq!(k.assert(200)["full_name"], KEPT_NAME);

    // her history stays, its values erased, with the purge in it
    let h = w
        .app
        .get(&format!("/api/v1/people/{}/history", w.gone), &w.health)
        .await;
    let items = h.assert(200)["items"].as_array().unwrap().clone();
    assert!(items
        .iter()
        .any(|e| e["action"] == "created" && e["erased"] == true));
    assert!(items.iter().any(|e| e["action"] == "purged"));
    assert!(!h.text.contains(OLD_NAME));
    // the run is in the log, by the administrator
    let mut conn = w.app.raw_conn();
    use tracing_backend::schema::events;
    let by: Option<String> = events::table
        .filter(events::entity_type.eq("purge_run"))
        .filter(events::entity_id.eq(&run))
        .select(events::actor_id)
        .get_result(&mut conn)
        .unwrap();
    assert!(by.is_some());
    // nobody is purged twice
    let again = purge(&w, &w.national, true).await;
    assert_eq!(ids(again.assert(200)), Vec::<String>::new());

    // and what named her is nowhere in the database
    let text = database_text(&w.app);
    for gone in [
        OLD_NAME,
        OLD_ID,
        OLD_PHONE,
        "nhà bà Hạn",
        "ngõ Bảy Mươi Bảy",
    ] {
        if let Some(i) = text.find(gone) {
            let lo = text.floor_char_boundary(i.saturating_sub(300));
            let hi = text.ceil_char_boundary((i + 100).min(text.len()));
            panic!("{gone} is still in the database: {:?}", &text[lo..hi]);
        }
    }
    assert!(text.contains(KEPT_NAME), "the search finds what is there");
}

/// Every byte of the database as text: the SQLite file and its write-ahead log, or a dump
/// of the PostgreSQL database.
fn database_text(app: &TestApp) -> String {
    let url = &app.database_url;
    if url.starts_with("postgres") {
        let out = std::process::Command::new("pg_dump")
            .arg("--no-owner")
            .arg(url)
            .output()
            .expect("pg_dump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return String::from_utf8_lossy(&out.stdout).into_owned();
    }
    let path = tracing_backend::db::sqlite_target(url).to_string();
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[actix_web::test]
async fn only_a_national_administrator_purges_or_sets_the_policy() {
    let w = world().await;
    let district = w.app.token("vd.admin", Role::Admin, VAN_DON).await;
    let cdc = w.app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    purge(&w, &district, true)
        .await
        .assert_problem(403, "forbidden");
    purge(&w, &w.health, false)
        .await
        .assert_problem(403, "forbidden");
    let policy = json!({"rules": [{"kind": "never_f0", "days": 30}, {"kind": "f0", "days": 730}],
                        "note": "Nghị định 13/2023"});
    let url = "/api/v1/privacy/retention-policies";
    w.app
        .post(url, &district, policy.clone())
        .await
        .assert_problem(403, "forbidden");
    w.app
        .get(url, &w.health)
        .await
        .assert_problem(403, "forbidden");
    let r = w.app.post(url, &w.national, policy).await;
    assert_eq!(r.assert(201)["version"], 2);
    let bad = json!({"rules": [{"kind": "f0", "days": 30}]});
    assert_eq!(
        w.app.post(url, &w.national, bad).await.field_errors(),
        ["rules"]
    );
    let list = w.app.get(url, &cdc).await;
    let list = list.assert(200).as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["rules"][0]["days"], 30);
    // nothing was purged by those refused
    let p = w
        .app
        .get(&format!("/api/v1/people/{}", w.gone), &w.health)
        .await;
    assert_eq!(p.assert(200)["full_name"], OLD_NAME);
}
