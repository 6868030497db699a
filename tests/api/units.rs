use crate::helpers::units::*;
use crate::helpers::TestApp;
use serde_json::json;
use tracing_backend::domain::roles::Role;

#[actix_web::test]
async fn the_official_tree_is_loaded_with_ancestors() {
    let app = TestApp::new().await;
    let t = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let r = app.get(&format!("/api/v1/units/{CAI_RONG}"), &t).await;
    let body = r.assert(200);
    assert_eq!(body["name"], "Thị trấn Cái Rồng");
    assert_eq!(body["level"], "commune");
    let ancestors: Vec<&str> = body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, ["VN", QUANG_NINH, VAN_DON]);
    let children = app
        .get(&format!("/api/v1/units/{VAN_DON}/children"), &t)
        .await;
    let names: Vec<&str> = children
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Xã Đài Xuyên"), "{names:?}");
    assert!(names.iter().all(|n| !n.is_empty()));
    let provinces = app.get("/api/v1/units/VN/children", &t).await;
    assert_eq!(provinces.body.as_array().unwrap().len(), 63);
    app.get("/api/v1/units/00000", &t)
        .await
        .assert_problem(404, "not-found");
}

#[actix_web::test]
async fn units_are_found_without_diacritics_and_paged() {
    let app = TestApp::new().await;
    let t = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let r = app
        .get("/api/v1/units?q=van%20don&level=district", &t)
        .await;
    let items = r.assert(200)["items"].as_array().unwrap().clone();
    assert!(
        items
            .iter()
            .any(|u| u["code"] == VAN_DON && u["name"] == "Huyện Vân Đồn"),
        "{items:?}"
    );
    // every commune of Vân Đồn, two at a time, without repeats
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(
                &format!("/api/v1/units?within={VAN_DON}&level=commune&limit=2&cursor={cursor}"),
                &t,
            )
            .await;
        let body = r.assert(200).clone();
        for u in body["items"].as_array().unwrap() {
            seen.push(u["code"].as_str().unwrap().to_string());
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let direct = app
        .get(&format!("/api/v1/units/{VAN_DON}/children"), &t)
        .await;
    let mut expected: Vec<String> = direct
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap().to_string())
        .collect();
    expected.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no unit twice");
    assert_eq!(sorted, expected);
    let r = app.get("/api/v1/units?level=hamlet", &t).await;
    r.assert_problem(400, "bad-request");
}

#[actix_web::test]
async fn commune_officers_add_villages_in_their_commune_only() {
    let app = TestApp::new().await;
    let commune = app.token("xa", Role::CommuneOfficer, CAI_RONG).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let url = format!("/api/v1/units/{CAI_RONG}/villages");
    let r = app
        .post(
            &url,
            &commune,
            json!({"name": "Khu 3", "unit_type": "khu phố"}),
        )
        .await;
    let v = r.assert(201).clone();
    assert_eq!(v["code"], "06994-001");
    assert_eq!(v["level"], "village");
    assert_eq!(v["parent_code"], CAI_RONG);
    // the same name again (even typed without diacritics) is refused
    app.post(&url, &commune, json!({"name": "khu 3"}))
        .await
        .assert_problem(409, "conflict");
    // another commune: outside the jurisdiction
    app.post(
        &format!("/api/v1/units/{DAI_XUYEN}/villages"),
        &commune,
        json!({"name": "Thôn 1"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // police do not shape the tree
    app.post(&url, &police, json!({"name": "Thôn 2"}))
        .await
        .assert_problem(403, "forbidden");
    // only under a commune
    let admin = app.token("root", Role::Admin, "VN").await;
    app.post(
        &format!("/api/v1/units/{VAN_DON}/villages"),
        &admin,
        json!({"name": "Thôn 9"}),
    )
    .await
    .assert_problem(409, "conflict");
    let r = app
        .post(&url, &admin, json!({"name": "Thôn 4", "code": "a/b"}))
        .await;
    assert_eq!(r.field_errors(), ["code"]);
    let r = app.post(&url, &admin, json!({"name": ""})).await;
    assert_eq!(r.field_errors(), ["name"]);
    // the village is part of the tree: people living there are in the commune's jurisdiction
    let p = app
        .post(
            "/api/v1/people",
            &commune,
            json!({"full_name": "Lê Thị Hoa", "residence_unit_code": "06994-001"}),
        )
        .await;
    p.assert(201);
    let r = app.get("/api/v1/units/06994-001", &commune).await;
    assert_eq!(r.body["ancestors"].as_array().unwrap().len(), 4);
}

#[actix_web::test]
async fn reading_units_needs_a_token() {
    let app = TestApp::new().await;
    app.request("GET", "/api/v1/units/VN", None, None)
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn every_role_reads_the_tree_and_the_regimes() {
    let app = TestApp::new().await;
    for (name, role, scope) in [
        ("camp", Role::CampManager, "camp-1"),
        ("lab", Role::LabTechnician, VAN_DON),
        ("admin", Role::Admin, "VN"),
        ("police", Role::PoliceTracer, CAI_RONG),
    ] {
        let t = app.token(name, role, scope).await;
        app.get("/api/v1/units?q=van%20don", &t).await.assert(200);
        let u = app.get(&format!("/api/v1/units/{VAN_DON}"), &t).await;
        assert_eq!(u.assert(200)["code"], VAN_DON, "{role}");
        app.get(&format!("/api/v1/units/{VAN_DON}/children"), &t)
            .await
            .assert(200);
        let regimes = app.get("/api/v1/regimes", &t).await;
        assert!(
            !regimes.assert(200).as_array().unwrap().is_empty(),
            "{role}"
        );
    }
}
