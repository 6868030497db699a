//! The phones' change feeds: a record comes again each time it changes, so that a phone
//! that pulled it learns of the change from the cursor it holds.

use crate::helpers::units::*;
use crate::helpers::{ago, TestApp};
use crate::sync::f0;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// One pull of the contacts feed from `cursor` (empty: from the start): the contacts and the
/// next cursor.
async fn pull_contacts(app: &TestApp, token: &str, cursor: &str) -> (Vec<Value>, String) {
    let r = app
        .get(
            &format!("/api/v1/sync/pull?kind=contacts&cursor={cursor}"),
            token,
        )
        .await;
    let body = r.assert(200);
    (
        body["contacts"].as_array().unwrap().clone(),
        body["next_cursor"].as_str().unwrap().to_string(),
    )
}

#[actix_web::test]
async fn a_contact_retracted_after_a_pull_comes_again_in_the_next() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let source = f0(&app, &health).await;
    let met = app.person(&police, "Trần Văn Gặp").await;
    let logged = app
        .post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": source, "contact_person_id": met, "first_at": ago(1, 0),
                   "last_at": ago(1, 1), "setting": "household", "proximity": "physical"}),
        )
        .await;
    let id = logged.assert(201)["contact"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // the phone has the contact, standing
    let (first, cursor) = pull_contacts(&app, &police, "").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["id"], id.as_str());
    assert!(first[0]["retracted_at"].is_null());
    let (idle, same) = pull_contacts(&app, &police, &cursor).await;
    assert_eq!((idle.len(), same.as_str()), (0, cursor.as_str()));
    // retracted: the next pull from the old cursor brings it again, withdrawn
    app.post(
        &format!("/api/v1/contacts/{id}/retract"),
        &police,
        json!({"reason": "nhầm người: không gặp"}),
    )
    .await
    .assert(200);
    let (again, next) = pull_contacts(&app, &police, &cursor).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["id"], id.as_str());
    assert!(again[0]["retracted_at"].is_string());
    assert_eq!(again[0]["retract_reason"], "nhầm người: không gặp");
    assert_ne!(next, cursor);
    // once only; and a phone pulling from the start gets it once, as it is now
    assert_eq!(pull_contacts(&app, &police, &next).await.0.len(), 0);
    let (fresh, _) = pull_contacts(&app, &police, "").await;
    assert_eq!(fresh.len(), 1);
    assert!(fresh[0]["retracted_at"].is_string());
}

#[actix_web::test]
async fn a_contact_moved_to_the_record_its_person_was_linked_into_comes_again() {
    let app = TestApp::new().await;
    let qn_police = app.token("qn.police", Role::PoliceTracer, VAN_DON).await;
    let qn_health = app.token("qn.health", Role::HealthOfficer, VAN_DON).await;
    let bg_police = app.token("bg.police", Role::PoliceTracer, BAC_GIANG).await;
    let bg_health = app.token("bg.health", Role::HealthOfficer, BAC_GIANG).await;
    let nid = "022090007777";
    let hoa = app
        .post(
            "/api/v1/people",
            &qn_police,
            json!({"full_name": "Vũ Thị Hoa", "national_id": nid, "residence_unit_code": CAI_RONG}),
        )
        .await;
    let hoa = hoa.assert(201)["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Bắc Giang traces someone holding the number Quảng Ninh knows: a record of its own
    let source = app
        .post(
            "/api/v1/people",
            &bg_health,
            json!({"full_name": "Phạm Thị Gốc", "residence_unit_code": VAN_TRUNG}),
        )
        .await;
    let source = source.assert(201)["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let logged = app
        .post(
            "/api/v1/contacts",
            &bg_police,
            json!({"person_id": source, "contact_person": {"full_name": "Vũ Thị Hoa", "national_id": nid},
                   "first_at": ago(1, 0), "last_at": ago(1, 1), "setting": "workplace", "proximity": "physical"}),
        )
        .await;
    let contact = logged.assert(201)["contact"].clone();
    let local = contact["contact_person_id"].as_str().unwrap().to_string();
    assert_ne!(local, hoa);
    let (first, cursor) = pull_contacts(&app, &bg_police, "").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["contact_person_id"], local.as_str());
    // Quảng Ninh links Bắc Giang's record into its own: the contact now names Hoa
    let notices = app.get("/api/v1/notices", &qn_health).await;
    let notice = notices.assert(200)["items"][0].clone();
    app.post(
        &format!("/api/v1/notices/{}/accept", notice["id"].as_str().unwrap()),
        &qn_health,
        json!({"version": notice["version"]}),
    )
    .await
    .assert(200);
    let (again, next) = pull_contacts(&app, &bg_police, &cursor).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["id"], contact["id"]);
    assert_eq!(again[0]["contact_person_id"], hoa.as_str());
    assert_eq!(pull_contacts(&app, &bg_police, &next).await.0.len(), 0);
}

#[actix_web::test]
async fn contacts_logged_before_the_feed_followed_changes_are_ordered_by_their_last() {
    use diesel::prelude::*;
    use tracing_backend::schema::contacts;
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let source = f0(&app, &health).await;
    let mut ids = Vec::new();
    for name in ["Trần Văn Một", "Trần Văn Hai"] {
        let met = app.person(&police, name).await;
        let r = app
            .post(
                "/api/v1/contacts",
                &police,
                json!({"person_id": source, "contact_person_id": met, "first_at": ago(1, 0),
                       "last_at": ago(1, 1), "setting": "household", "proximity": "physical"}),
            )
            .await;
        ids.push(r.assert(201)["contact"]["id"].as_str().unwrap().to_string());
    }
    app.post(
        &format!("/api/v1/contacts/{}/retract", ids[0]),
        &police,
        json!({"reason": "nhầm người"}),
    )
    .await
    .assert(200);
    // as if written before the column: back without it, and forward again
    let mut conn = app.raw_conn();
    tracing_backend::db::revert_to(&mut conn, "2026-12-03-000040").unwrap();
    tracing_backend::db::migrate(&mut conn).unwrap();
    let rows: Vec<(
        String,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        chrono::NaiveDateTime,
    )> = contacts::table
        .order(contacts::id)
        .select((
            contacts::id,
            contacts::created_at,
            contacts::retracted_at,
            contacts::updated_at,
        ))
        .load(&mut conn)
        .unwrap();
    for (id, created, retracted, updated) in &rows {
        let expected = if id == &ids[0] {
            retracted.expect("retracted")
        } else {
            *created
        };
        assert_eq!(*updated, expected, "{id}");
    }
    // the retracted one comes last in the feed: it changed last
    let (all, _) = pull_contacts(&app, &police, "").await;
    let order: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(order, [ids[1].as_str(), ids[0].as_str()]);
}
