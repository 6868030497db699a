use crate::helpers::units::*;
use crate::helpers::TestApp;
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

fn an() -> Value {
    json!({
        "full_name": "Nguyễn Văn An",
        "birth_year": 1990,
        "sex": "male",
        "national_id": "022 090 001 234",
        "phones": ["0912 345 678"],
        "residence_unit_code": CAI_RONG,
        "residence_address": "Tổ 5, khu 3",
        "occupation": "công nhân",
        "workplace": "Cảng hàng không Vân Đồn"
    })
}

fn count_people(app: &TestApp) -> i64 {
    use tracing_backend::schema::persons;
    persons::table
        .count()
        .get_result(&mut app.raw_conn())
        .unwrap()
}

fn count_events(app: &TestApp) -> i64 {
    use tracing_backend::schema::events;
    events::table
        .filter(events::entity_type.eq("person"))
        .count()
        .get_result(&mut app.raw_conn())
        .unwrap()
}

#[actix_web::test]
async fn register_then_read_normalised() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let r = app.post("/api/v1/people", &police, an()).await;
    let p = r.assert(201)["person"].clone();
    assert_eq!(p["national_id"], "022090001234");
    assert_eq!(p["id_kind"], "cccd");
    assert_eq!(p["phones"], json!(["+84912345678"]));
    assert_eq!(p["version"], 1);
    assert_eq!(p["source"], "tracing_interview");
    let id = p["id"].as_str().unwrap();
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let got = app.get(&format!("/api/v1/people/{id}"), &health).await;
    assert_eq!(got.assert(200)["full_name"], "Nguyễn Văn An");
}

#[actix_web::test]
async fn roles_that_may_not_read_people_are_refused() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let id = app.post("/api/v1/people", &police, an()).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (name, role, scope) in [
        ("admin", Role::Admin, "VN"),
        ("lab", Role::LabTechnician, VAN_DON),
        ("camp", Role::CampManager, "camp-1"),
    ] {
        let t = app.token(name, role, scope).await;
        app.get(&format!("/api/v1/people/{id}"), &t)
            .await
            .assert_problem(403, "forbidden");
        app.get("/api/v1/people", &t)
            .await
            .assert_problem(403, "forbidden");
        app.post("/api/v1/people", &t, an())
            .await
            .assert_problem(403, "forbidden");
    }
    // analysts read but do not write
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    app.get(&format!("/api/v1/people/{id}"), &cdc)
        .await
        .assert(200);
    app.post("/api/v1/people", &cdc, an())
        .await
        .assert_problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/people/{id}"),
        &cdc,
        json!({"version": 1, "occupation": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn outside_the_jurisdiction_a_person_does_not_exist() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let id = app.post("/api/v1/people", &police, an()).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let elsewhere = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    let neighbour = app.token("hl", Role::HealthOfficer, HA_LONG).await;
    for t in [&elsewhere, &neighbour] {
        app.get(&format!("/api/v1/people/{id}"), t)
            .await
            .assert_problem(404, "not-found");
        app.get(&format!("/api/v1/people/{id}/history"), t)
            .await
            .assert_problem(404, "not-found");
        app.patch(
            &format!("/api/v1/people/{id}"),
            t,
            json!({"version": 1, "occupation": "x"}),
        )
        .await
        .assert_problem(404, "not-found");
        let list = app.get("/api/v1/people?q=nguyen", t).await;
        assert_eq!(list.assert(200)["items"], json!([]));
    }
    // registering someone who lives outside: a notice to where they live, no record here
    let mut outside = an();
    outside["residence_unit_code"] = json!(VAN_TRUNG);
    outside["national_id"] = json!(null);
    let before = count_people(&app);
    let r = app.post("/api/v1/people", &police, outside).await;
    assert_eq!(r.assert(202)["to_unit_code"], VAN_TRUNG);
    assert_eq!(r.body["state"], "sent");
    assert_eq!(count_people(&app), before);
    // a province grant covers its districts
    let province = app.token("qn", Role::CdcAnalyst, QUANG_NINH).await;
    app.get(&format!("/api/v1/people/{id}"), &province)
        .await
        .assert(200);
}

#[actix_web::test]
async fn bad_input_names_each_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let before = (count_people(&app), count_events(&app));
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": " ", "birth_year": 1850, "national_id": "12345", "phones": ["0912345678", "12ab"], "residence_unit_code": CAI_RONG, "nationality": "Vietnam"}),
        )
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(
        r.field_errors(),
        [
            "full_name",
            "birth_year",
            "national_id",
            "nationality",
            "phones[1]"
        ]
    );
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": "An", "residence_unit_code": "99999"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["residence_unit_code"]);
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": "An", "residence_unit_code": CAI_RONG, "vaccination_doses": "two"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["vaccination_doses"]);
    let r = app
        .post("/api/v1/people", &police, json!({"full_name": "An"}))
        .await;
    assert_eq!(r.field_errors(), ["residence_unit_code"]);
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": "An", "residence_unit_code": CAI_RONG, "blood_type": "O"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["blood_type"]);
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": "An", "residence_unit_code": CAI_RONG, "birth_date": "1990-02-30"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["birth_date"]);
    assert_eq!((count_people(&app), count_events(&app)), before);
}

#[actix_web::test]
async fn a_known_national_id_is_never_registered_twice() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let first = app.post("/api/v1/people", &police, an()).await.body["person"]["id"].clone();
    let mut again = an();
    again["full_name"] = json!("Nguyen Van An");
    again["national_id"] = json!("022090001234");
    let r = app.post("/api/v1/people", &police, again.clone()).await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["existing_id"], first);
    assert_eq!(count_people(&app), 1);
    // from another province, the answer is that to a number nobody has: whether it is known
    // elsewhere is not Bắc Giang's to learn (Quảng Ninh is notified, see tests/api/notices.rs)
    let bg = app.token("bg", Role::PoliceTracer, BAC_GIANG).await;
    again["residence_unit_code"] = json!(VAN_TRUNG);
    let r = app.post("/api/v1/people", &bg, again).await;
    assert_eq!(r.assert(201)["person"]["national_id"], "022090001234");
    assert!(r.body.get("existing_id").is_none());
    assert_ne!(r.body["person"]["id"], first);
}

#[actix_web::test]
async fn racing_registrations_of_one_national_id_make_one_person() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let a = app.post("/api/v1/people", &police, an());
    let b = app.post("/api/v1/people", &police, an());
    let c = app.post("/api/v1/people", &police, an());
    let (a, b, c) = futures_util::future::join3(a, b, c).await;
    let mut statuses = vec![a.status.as_u16(), b.status.as_u16(), c.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409]);
    assert_eq!(count_people(&app), 1);
}

#[actix_web::test]
async fn a_phone_sending_its_own_id_twice_changes_nothing() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let mut body = an();
    body["id"] = json!("0192f1d2-7a4b-7c3d-8e5f-a1b2c3d4e5f6");
    let first = app.post("/api/v1/people", &police, body.clone()).await;
    first.assert(201);
    let events = count_events(&app);
    // sent again: the first answer again, status and body
    let second = app.post("/api/v1/people", &police, body.clone()).await;
    assert_eq!((second.status, &second.body), (first.status, &first.body));
    // once that answer is no longer kept, the record as it stands, 200
    {
        let mut conn = app.raw_conn();
        tracing_backend::service::replies::purge(&mut conn, -1).unwrap();
    }
    let later = app.post("/api/v1/people", &police, body.clone()).await;
    later.assert(200);
    assert_eq!(first.body["person"], later.body["person"]);
    assert_eq!(
        first.body["person"]["id"],
        "0192f1d2-7a4b-7c3d-8e5f-a1b2c3d4e5f6"
    );
    assert_eq!(count_people(&app), 1);
    assert_eq!(count_events(&app), events);
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"id": "not-a-uuid", "full_name": "An", "residence_unit_code": CAI_RONG}),
        )
        .await;
    assert_eq!(r.field_errors(), ["id"]);
}

/// The names a search answered, sorted.
#[track_caller]
fn names(r: &crate::helpers::Resp) -> Vec<String> {
    let mut v: Vec<String> = r.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["full_name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[actix_web::test]
async fn search_ignores_diacritics_case_and_phone_format() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    app.post("/api/v1/people", &police, an()).await.assert(201);
    app.post("/api/v1/people", &police, json!({"full_name": "Đỗ Thị Hồng", "phones": ["+84 987 654 321"], "residence_unit_code": DAI_XUYEN}))
        .await
        .assert(201);
    assert_eq!(
        names(&app.get("/api/v1/people?q=nguyen%20van%20an", &police).await),
        ["Nguyễn Văn An"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/people?q=NGUY%E1%BB%84N%20v%C4%83n", &police)
                .await
        ),
        ["Nguyễn Văn An"]
    );
    assert_eq!(
        names(&app.get("/api/v1/people?q=do%20thi%20hong", &police).await),
        ["Đỗ Thị Hồng"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/people?phone=84%20912%20345%20678", &police)
                .await
        ),
        ["Nguyễn Văn An"]
    );
    assert_eq!(
        names(&app.get("/api/v1/people?phone=0987654321", &police).await),
        ["Đỗ Thị Hồng"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/people?national_id=022090001234", &police)
                .await
        ),
        ["Nguyễn Văn An"]
    );
    assert_eq!(
        names(
            &app.get(&format!("/api/v1/people?unit={DAI_XUYEN}"), &police)
                .await
        ),
        ["Đỗ Thị Hồng"]
    );
    assert_eq!(
        names(&app.get("/api/v1/people?q=100%25", &police).await),
        Vec::<String>::new()
    );
    let r = app.get("/api/v1/people?phone=12ab", &police).await;
    assert_eq!(r.field_errors(), ["phone"]);
}

#[actix_web::test]
async fn a_name_is_found_by_any_part_of_it_and_only_by_what_it_is_now() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let id = app.post("/api/v1/people", &police, an()).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for name in ["Trần Hoàng Anh", "Đỗ Thị Hồng"] {
        app.post(
            "/api/v1/people",
            &police,
            json!({"full_name": name, "residence_unit_code": CAI_RONG}),
        )
        .await
        .assert(201);
    }
    let search = |q: &str| format!("/api/v1/people?q={q}");
    // three letters and more go through the name index, shorter parts do not
    assert_eq!(
        names(&app.get(&search("hoa"), &police).await),
        ["Trần Hoàng Anh"]
    );
    assert_eq!(
        names(&app.get(&search("ng%20an"), &police).await),
        ["Trần Hoàng Anh"]
    );
    assert_eq!(
        names(&app.get(&search("an"), &police).await),
        ["Nguyễn Văn An", "Trần Hoàng Anh"]
    );
    assert_eq!(
        names(&app.get(&search("VAN%20A"), &police).await),
        ["Nguyễn Văn An"]
    );
    // what the index reads as syntax is only a letter here
    for q in ["%22an%22", "an*", "a%22%20OR%20%22b", "NEAR(an)"] {
        assert_eq!(
            names(&app.get(&search(q), &police).await),
            Vec::<String>::new(),
            "{q}"
        );
    }
    // renamed: found by the new name, no longer by the old one
    app.patch(
        &format!("/api/v1/people/{id}"),
        &police,
        json!({"version": 1, "full_name": "Lê Văn Bình", "reason": "the name on the CCCD"}),
    )
    .await
    .assert(200);
    assert_eq!(
        names(&app.get(&search("nguyen"), &police).await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&app.get(&search("van%20binh"), &police).await),
        ["Lê Văn Bình"]
    );
}

#[actix_web::test]
async fn lists_are_paged_by_cursor() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    for i in 0..7 {
        app.post("/api/v1/people", &police, json!({"full_name": format!("Trần Văn Bảy {}", ["A","B","C","D","E","F","G"][i]), "residence_unit_code": CAI_RONG}))
            .await
            .assert(201);
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/people?limit=3".to_string();
    loop {
        let r = app.get(&url, &police).await;
        let body = r.assert(200).clone();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_string()));
        match body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/people?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 7);
}

#[actix_web::test]
async fn updates_carry_a_version_and_are_recorded() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let id = app.post("/api/v1/people", &police, an()).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/api/v1/people/{id}");
    let r = app.patch(&url, &police, json!({"version": 1, "current_location": "Khu cách ly Trung đoàn 244", "phones": ["0912345678", "0987 111 222"], "reason": "moved to camp"})).await;
    let p = r.assert(200).clone();
    assert_eq!(p["version"], 2);
    assert_eq!(p["phones"], json!(["+84912345678", "+84987111222"]));
    assert_eq!(p["occupation"], "công nhân", "fields not sent are kept");
    // a stale version: 409 with the current one, nothing written
    let r = app
        .patch(&url, &police, json!({"version": 1, "occupation": "lái xe"}))
        .await;
    r.assert_problem(409, "stale-version");
    assert_eq!(r.body["current_version"], 2);
    // null clears a field
    let r = app
        .patch(&url, &police, json!({"version": 2, "workplace": null}))
        .await;
    assert_eq!(r.assert(200)["workplace"], Value::Null);
    // bad values name the field
    let r = app
        .patch(&url, &police, json!({"version": 3, "national_id": "12"}))
        .await;
    assert_eq!(r.field_errors(), ["national_id"]);
    // moving a person out of your jurisdiction is refused
    let r = app
        .patch(
            &url,
            &police,
            json!({"version": 3, "residence_unit_code": VAN_TRUNG}),
        )
        .await;
    r.assert_problem(403, "forbidden");
    let cdc = app.token("cdc", Role::CdcAnalyst, QUANG_NINH).await;
    let h = app.get(&format!("{url}/history"), &cdc).await;
    let items = h.assert(200)["items"].as_array().unwrap().clone();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "updated"]);
    assert_eq!(items[1]["reason"], "moved to camp");
    assert_eq!(items[1]["actor_role"], "police_tracer");
    assert_eq!(items[1]["before"]["current_location"], Value::Null);
    assert_eq!(
        items[1]["after"]["current_location"],
        "Khu cách ly Trung đoàn 244"
    );
    let admin = app.token("root", Role::Admin, "VN").await;
    app.get(&format!("{url}/history"), &admin)
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn an_update_cannot_take_another_persons_national_id() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let first = app.post("/api/v1/people", &police, an()).await.body["person"]["id"].clone();
    let other = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": "Phạm Văn Bình", "residence_unit_code": CAI_RONG}),
        )
        .await;
    let oid = other.body["person"]["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/people/{oid}"),
            &police,
            json!({"version": 1, "national_id": "022090001234"}),
        )
        .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["existing_id"], first);
}

#[actix_web::test]
async fn likely_duplicates_are_flagged_and_merged_with_both_histories() {
    let app = TestApp::new().await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = app.post("/api/v1/people", &police, an()).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // typed again on another phone, without diacritics or ID, same phone in another form
    let r = app
        .post("/api/v1/people", &police, json!({"full_name": "nguyen van an", "birth_year": 1990, "phones": ["+84912345678", "0977000111"], "residence_unit_code": CAI_RONG}))
        .await;
    let b = r.assert(201)["person"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["likely_duplicates"][0]["id"], a);
    assert_eq!(r.body["likely_duplicates"][0]["full_name"], "Nguyễn Văn An");
    // a different birth year is not flagged
    let r = app
        .post("/api/v1/people", &police, json!({"full_name": "Nguyễn Văn An", "birth_year": 1991, "phones": ["0912345678"], "residence_unit_code": CAI_RONG}))
        .await;
    assert_eq!(r.body["likely_duplicates"], json!([]));
    let flags = app.get("/api/v1/people/duplicates", &health).await;
    let items = flags.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["person_id"], b);
    // police may not merge
    let body = json!({"duplicate_id": b, "version": 1, "duplicate_version": 1, "reason": "same person, typed twice"});
    app.post(&format!("/api/v1/people/{a}/merge"), &police, body.clone())
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/people/duplicates", &police)
        .await
        .assert_problem(403, "forbidden");
    // stale versions are refused
    let mut stale = body.clone();
    stale["duplicate_version"] = json!(5);
    app.post(&format!("/api/v1/people/{a}/merge"), &health, stale)
        .await
        .assert_problem(409, "stale-version");
    let mut no_reason = body.clone();
    no_reason["reason"] = json!("");
    assert_eq!(
        app.post(&format!("/api/v1/people/{a}/merge"), &health, no_reason)
            .await
            .field_errors(),
        ["reason"]
    );
    let r = app
        .post(&format!("/api/v1/people/{a}/merge"), &health, body.clone())
        .await;
    let merged = r.assert(200).clone();
    assert_eq!(merged["phones"], json!(["+84912345678", "+84977000111"]));
    assert_eq!(merged["version"], 2);
    // the duplicate is kept, pointing at the survivor (reading it redirects there), and
    // hidden from default searches
    let dup = app.get(&format!("/api/v1/people/{b}"), &health).await;
    dup.assert(308);
    assert_eq!(
        dup.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/people/{a}")
    );
    let found = app
        .get("/api/v1/people?q=nguyen%20van%20an&limit=10", &health)
        .await;
    let ids: Vec<&str> = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&b.as_str()));
    let found = app
        .get(
            "/api/v1/people?q=nguyen%20van%20an&include_merged=true",
            &health,
        )
        .await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 3);
    // both histories, read from the survivor
    let h = app
        .get(&format!("/api/v1/people/{a}/history"), &health)
        .await;
    let entries: Vec<(String, String)> = h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity_id"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        (a.clone(), "created"),
        (b.clone(), "created"),
        (b.clone(), "merged_into"),
        (a.clone(), "merged"),
    ] {
        assert!(
            entries.contains(&(expected.0.clone(), expected.1.to_string())),
            "{expected:?} in {entries:?}"
        );
    }
    // a contact logged against the merged record lands on the one kept
    let c = json!({"person_id": a, "contact_person_id": b, "first_at": crate::helpers::ago(1, 0), "last_at": crate::helpers::ago(1, 0), "setting": "market", "proximity": "physical"});
    let r = app.post("/api/v1/contacts", &health, c).await;
    assert_eq!(r.field_errors(), ["contact_person_id"], "{}", r.body);
    let other = app.person(&health, "Lê Văn Khác").await;
    let c = json!({"person_id": other, "contact_person_id": b, "first_at": crate::helpers::ago(1, 0), "last_at": crate::helpers::ago(1, 0), "setting": "market", "proximity": "physical"});
    let r = app.post("/api/v1/contacts", &health, c).await;
    assert_eq!(
        r.assert(201)["contact"]["contact_person_id"],
        a.as_str(),
        "{}",
        r.body
    );
    // the flag is resolved; a merged record cannot be merged or changed again
    let flags = app.get("/api/v1/people/duplicates", &health).await;
    assert_eq!(flags.body["items"], json!([]));
    let again = json!({"duplicate_id": b, "version": 2, "duplicate_version": 2, "reason": "again"});
    app.post(&format!("/api/v1/people/{a}/merge"), &health, again)
        .await
        .assert_problem(409, "conflict");
    app.patch(
        &format!("/api/v1/people/{b}"),
        &health,
        json!({"version": 2, "occupation": "x"}),
    )
    .await
    .assert_problem(409, "conflict");
}

#[actix_web::test]
async fn a_merge_moves_the_national_id_and_refuses_two_different_ones() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = app
        .post(
            "/api/v1/people",
            &health,
            json!({"full_name": "Vũ Thị Mai", "residence_unit_code": CAI_RONG}),
        )
        .await;
    let a = a.body["person"]["id"].as_str().unwrap().to_string();
    let b = app.post("/api/v1/people", &health, json!({"full_name": "Vu Thi Mai", "national_id": "100123456", "residence_unit_code": CAI_RONG})).await;
    let b = b.body["person"]["id"].as_str().unwrap().to_string();
    let c = app.post("/api/v1/people", &health, json!({"full_name": "Vũ Thị Mai", "national_id": "100123457", "residence_unit_code": CAI_RONG})).await;
    let c = c.body["person"]["id"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/api/v1/people/{a}/merge"), &health, json!({"duplicate_id": b, "version": 1, "duplicate_version": 1, "reason": "same person"}))
        .await;
    assert_eq!(r.assert(200)["national_id"], "100123456");
    assert_eq!(r.body["id_kind"], "cmnd");
    let r = app
        .post(&format!("/api/v1/people/{a}/merge"), &health, json!({"duplicate_id": c, "version": 2, "duplicate_version": 1, "reason": "same person"}))
        .await;
    r.assert_problem(409, "conflict");
    let r = app
        .post(&format!("/api/v1/people/{a}/merge"), &health, json!({"duplicate_id": a, "version": 2, "duplicate_version": 2, "reason": "same person"}))
        .await;
    r.assert_problem(409, "conflict");
}

#[actix_web::test]
async fn a_flag_can_be_dismissed_with_a_reason() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    app.post("/api/v1/people", &health, an()).await.assert(201);
    let mut twin = an();
    twin["national_id"] = json!(null);
    app.post("/api/v1/people", &health, twin).await.assert(201);
    let flags = app.get("/api/v1/people/duplicates", &health).await;
    let flag = flags.body["items"][0]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/people/duplicates/{flag}/dismiss");
    assert_eq!(
        app.post(&url, &health, json!({"reason": ""}))
            .await
            .field_errors(),
        ["reason"]
    );
    app.post(
        &url,
        &health,
        json!({"reason": "twins sharing the family phone"}),
    )
    .await
    .assert(204);
    app.post(
        &url,
        &health,
        json!({"reason": "twins sharing the family phone"}),
    )
    .await
    .assert_problem(409, "conflict");
    assert_eq!(
        app.get("/api/v1/people/duplicates", &health).await.body["items"],
        json!([])
    );
}

#[actix_web::test]
async fn duplicate_work_stays_inside_the_jurisdiction() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let elsewhere = app.token("bg.y.te", Role::HealthOfficer, BAC_GIANG).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let a = app.post("/api/v1/people", &health, an()).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut twin = an();
    twin["national_id"] = json!(null);
    let b = app.post("/api/v1/people", &health, twin).await.body["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let flag = app.get("/api/v1/people/duplicates", &health).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // another province sees no flag, cannot dismiss it, cannot merge the records
    assert_eq!(
        app.get("/api/v1/people/duplicates", &elsewhere).await.body["items"],
        json!([])
    );
    let dismiss = format!("/api/v1/people/duplicates/{flag}/dismiss");
    app.post(&dismiss, &elsewhere, json!({"reason": "not the same"}))
        .await
        .assert_problem(404, "not-found");
    app.post(&dismiss, &police, json!({"reason": "not the same"}))
        .await
        .assert_problem(403, "forbidden");
    let merge =
        json!({"duplicate_id": b, "version": 1, "duplicate_version": 1, "reason": "same person"});
    app.post(
        &format!("/api/v1/people/{a}/merge"),
        &elsewhere,
        merge.clone(),
    )
    .await
    .assert_problem(404, "not-found");
    app.post(&format!("/api/v1/people/{a}/merge"), &health, merge)
        .await
        .assert(200);
}
