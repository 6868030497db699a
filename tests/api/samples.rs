use crate::helpers::units::*;
use crate::helpers::{ago, TestApp};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;
use tracing_backend::schema::samples;

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) health: String,
    pub(crate) lab: String,
    f0: String,
}

/// A lab in Vân Đồn with its technician, a health officer, and an F0.
pub(crate) async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let lab = app
        .token("ky.thuat.vien", Role::LabTechnician, VAN_DON)
        .await;
    app.post(
        "/api/v1/labs",
        &admin,
        json!({"id": "cdc-qn", "name": "CDC Quảng Ninh", "unit_code": VAN_DON}),
    )
    .await
    .assert(201);
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    let today = (Utc::now() + Duration::hours(7)).date_naive().to_string();
    app.post("/api/v1/cases", &health, json!({"person_id": f0, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": today}))
        .await
        .assert(201);
    World {
        app,
        health,
        lab,
        f0,
    }
}

impl World {
    /// A new F1 of the F0 (household contact yesterday).
    async fn f1(&self, name: &str) -> String {
        let p = self.app.person(&self.health, name).await;
        let c = json!({"person_id": self.f0, "contact_person_id": p, "first_at": ago(1, 0), "last_at": ago(1, 1), "setting": "household", "proximity": "physical"});
        self.app
            .post("/api/v1/contacts", &self.health, c)
            .await
            .assert(201);
        p
    }

    /// An F1 in active home quarantine (10696: 7 days, tests on days 1 and 7); the episode.
    async fn quarantined(&self, name: &str) -> (String, String) {
        let app = &self.app;
        let p = self.f1(name).await;
        let commune = app
            .token(&format!("xa.{}", &p[..8]), Role::CommuneOfficer, CAI_RONG)
            .await;
        let r = app
            .post(
                "/api/v1/episodes",
                &self.health,
                json!({"person_id": p, "mode": "home"}),
            )
            .await;
        let e = r.assert(201)["id"].as_str().unwrap().to_string();
        let r = app
            .post(
                "/api/v1/homes",
                &commune,
                json!({"address": "Cái Rồng", "unit_code": CAI_RONG, "checklist": {"own_room": true, "own_toilet": true, "no_shared_air_conditioning": true}}),
            )
            .await;
        let home = r.assert(201)["id"].as_str().unwrap().to_string();
        app.post(
            &format!("/api/v1/episodes/{e}/transitions"),
            &commune,
            json!({"command": "activate", "version": 1, "home_id": home, "commitment_signed": true}),
        )
        .await
        .assert(200);
        (p, e)
    }

    pub(crate) async fn samples_of(&self, person: &str) -> Vec<Value> {
        let r = self
            .app
            .get(&format!("/api/v1/samples?person_id={person}"), &self.health)
            .await;
        r.assert(200).as_array().unwrap().clone()
    }

    pub(crate) async fn collect(&self, items: Value) -> Vec<Value> {
        let r = self
            .app
            .post(
                "/api/v1/samples/collections",
                &self.health,
                json!({"items": items}),
            )
            .await;
        r.assert(200).as_array().unwrap().clone()
    }

    async fn receive(&self, barcodes: Value) -> Vec<Value> {
        let r = self
            .app
            .post(
                "/api/v1/labs/cdc-qn/receipts",
                &self.lab,
                json!({"barcodes": barcodes}),
            )
            .await;
        r.assert(200).as_array().unwrap().clone()
    }

    async fn results(&self, items: Value) -> Vec<Value> {
        let r = self
            .app
            .post(
                "/api/v1/labs/cdc-qn/results",
                &self.lab,
                json!({"items": items}),
            )
            .await;
        r.assert(200).as_array().unwrap().clone()
    }
}

pub(crate) fn statuses(v: &[Value]) -> Vec<&str> {
    v.iter().map(|i| i["status"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn scheduled_samples_are_collected_received_and_resulted_into_the_episode() {
    let w = world().await;
    let (p, e) = w.quarantined("Trần Thị An").await;
    // the regime's test days became sample orders
    let s = w.samples_of(&p).await;
    assert_eq!(s.len(), 2);
    assert!(s
        .iter()
        .all(|x| x["origin"] == "schedule" && x["state"] == "ordered"));
    let day1 = s[0]["id"].as_str().unwrap().to_string();
    // collected from a phone; the same batch again changes nothing
    let batch = json!([
        {"sample_id": day1, "barcode": "qn-0001"},
        {"sample_id": "nope", "barcode": "QN-0002"},
        {"sample_id": day1, "barcode": "x"},
        {"person_id": p, "kind": "rt_pcr", "barcode": "QN-0003"},
        {"person_id": p, "barcode": "QN-0004"},
    ]);
    let r = w.collect(batch.clone()).await;
    assert_eq!(
        statuses(&r),
        ["done", "not_found", "invalid", "done", "invalid"]
    );
    let r = w.collect(batch).await;
    assert_eq!(
        statuses(&r),
        ["unchanged", "not_found", "invalid", "unchanged", "invalid"]
    );
    // a barcode belongs to one sample
    let day7 = s[1]["id"].as_str().unwrap();
    let r = w
        .collect(json!([{"sample_id": day7, "barcode": "QN-0001"}]))
        .await;
    assert_eq!(statuses(&r), ["conflict"]);
    // the laboratory receives and results by barcode, idempotently
    let r = w.receive(json!(["QN-0001", "QN-0003", "QN-9999"])).await;
    assert_eq!(statuses(&r), ["done", "done", "not_found"]);
    assert_eq!(
        statuses(&w.receive(json!(["QN-0001"])).await),
        ["unchanged"]
    );
    let r = w
        .results(json!([{"barcode": "QN-0001", "result": "negative"}]))
        .await;
    assert_eq!(statuses(&r), ["done"]);
    assert_eq!(
        statuses(
            &w.results(json!([{"barcode": "QN-0001", "result": "negative"}]))
                .await
        ),
        ["unchanged"]
    );
    assert_eq!(
        statuses(
            &w.results(json!([{"barcode": "QN-0001", "result": "positive"}]))
                .await
        ),
        ["conflict"]
    );
    let r = w.results(json!([{"barcode": "QN-0003"}])).await;
    assert_eq!(statuses(&r), ["invalid"]);
    // the episode's day-1 test shows the result
    let ep = w.app.get(&format!("/api/v1/episodes/{e}"), &w.health).await;
    let t1 = &ep.assert(200)["tests"][0];
    assert_eq!(
        (t1["day"].as_i64(), t1["result"].as_str()),
        (Some(1), Some("negative"))
    );
    let sample = w
        .app
        .get(&format!("/api/v1/samples/{day1}"), &w.health)
        .await;
    assert_eq!(sample.assert(200)["state"], "resulted");
    assert!(sample.body["collected_at"].is_string() && sample.body["resulted_at"].is_string());
}

#[actix_web::test]
async fn sample_endpoints_are_for_the_roles_that_do_the_work() {
    let w = world().await;
    let app = &w.app;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let p = w.f1("Trần Thị An").await;
    let other_lab = app.token("lab.bg", Role::LabTechnician, BAC_GIANG).await;
    let admin = app.token("root2", Role::Admin, "VN").await;
    // ordering: health may, the lab may not
    let body = json!({"person_id": p, "kind": "antigen_staff"});
    app.post("/api/v1/samples", &w.lab, body.clone())
        .await
        .assert_problem(403, "forbidden");
    let s = app.post("/api/v1/samples", &w.health, body).await;
    let id = s.assert(201)["id"].as_str().unwrap().to_string();
    // reading: police do not read samples
    app.get(&format!("/api/v1/samples/{id}"), &police)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/samples/{id}"), &w.lab)
        .await
        .assert(200);
    app.get("/api/v1/samples/overdue", &police)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/samples?person_id={p}"), &police)
        .await
        .assert_problem(403, "forbidden");
    // collecting: health, not the lab
    app.post(
        "/api/v1/samples/collections",
        &w.lab,
        json!({"items": [{"sample_id": id, "barcode": "AG-0001"}]}),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post(
            "/api/v1/samples/collections",
            &w.health,
            json!({"items": []}),
        )
        .await;
    assert_eq!(r.field_errors(), ["items"]);
    // a laboratory works only within its technicians' jurisdiction; health does not result
    app.post(
        "/api/v1/labs/cdc-qn/receipts",
        &other_lab,
        json!({"barcodes": ["AG-0001"]}),
    )
    .await
    .assert_problem(404, "not-found");
    app.post(
        "/api/v1/labs/cdc-qn/results",
        &w.health,
        json!({"items": [{"barcode": "AG-0001", "result": "negative"}]}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.get("/api/v1/labs/cdc-qn/figures", &police)
        .await
        .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/labs",
        &w.health,
        json!({"id": "x-lab", "name": "X", "unit_code": VAN_DON}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/labs",
        &admin,
        json!({"id": "cdc-qn", "name": "X", "unit_code": VAN_DON}),
    )
    .await
    .assert_problem(409, "conflict");
    // pools are built by health
    app.post(
        "/api/v1/pools",
        &w.lab,
        json!({"barcode": "POOL-1", "sample_ids": [id, id]}),
    )
    .await
    .assert_problem(403, "forbidden");
    // an antigen test is read by health where it is taken; an RT-PCR is not
    w.collect(json!([{"sample_id": id, "barcode": "AG-0001"}]))
        .await;
    app.post(
        &format!("/api/v1/samples/{id}/result"),
        &w.lab,
        json!({"result": "negative", "version": 2}),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post(
            &format!("/api/v1/samples/{id}/result"),
            &w.health,
            json!({"result": "negative", "version": 2}),
        )
        .await;
    assert_eq!(r.assert(200)["result"], "negative");
    app.post(
        &format!("/api/v1/samples/{id}/result"),
        &w.health,
        json!({"result": "negative", "version": 3}),
    )
    .await
    .assert_problem(409, "invalid-transition");
    // an antigen tube never goes to a lab
    assert_eq!(statuses(&w.receive(json!(["AG-0001"])).await), ["conflict"]);
}

#[actix_web::test]
async fn a_negative_pool_clears_its_members_and_a_positive_one_resamples_each() {
    let w = world().await;
    let app = &w.app;
    let mut people = Vec::new();
    for name in [
        "Lê Văn Một",
        "Lê Văn Hai",
        "Lê Văn Ba",
        "Lê Văn Bốn",
        "Lê Văn Năm",
    ] {
        people.push(app.person(&w.health, name).await);
    }
    let items: Vec<Value> = people
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"person_id": p, "kind": "rt_pcr_pooled", "barcode": format!("PS-{i:04}")}))
        .collect();
    let r = w.collect(json!(items)).await;
    let ids: Vec<String> = r
        .iter()
        .map(|i| i["sample_id"].as_str().unwrap().to_string())
        .collect();
    // pool rules: 2 to max specimens, pooled kind, each once
    let r = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "POOL-A", "sample_ids": [ids[0]]}),
        )
        .await;
    assert_eq!(r.field_errors(), ["sample_ids"]);
    let r = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "POOL-A", "sample_ids": [ids[0], ids[0]]}),
        )
        .await;
    assert_eq!(r.field_errors(), ["sample_ids[1]"]);
    let r = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "POOL-A", "sample_ids": [ids[0], ids[1], ids[2]], "max_size": 11}),
        )
        .await;
    assert_eq!(r.field_errors(), ["max_size"]);
    let a = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "POOL-A", "sample_ids": [ids[0], ids[1], ids[2]]}),
        )
        .await;
    assert_eq!(a.assert(201)["members"].as_array().unwrap().len(), 3);
    let r = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "POOL-B", "sample_ids": [ids[2], ids[3]]}),
        )
        .await;
    assert_eq!(r.field_errors(), ["sample_ids[0]"]);
    app.post(
        "/api/v1/pools",
        &w.health,
        json!({"barcode": "POOL-B", "sample_ids": [ids[3], ids[4]]}),
    )
    .await
    .assert(201);
    // a pooled specimen arrives in its pool, and is resulted with it
    assert_eq!(statuses(&w.receive(json!(["PS-0000"])).await), ["conflict"]);
    assert_eq!(
        statuses(&w.receive(json!(["POOL-A", "POOL-B"])).await),
        ["done", "done"]
    );
    let r = w
        .results(json!([{"barcode": "POOL-A", "result": "negative"}, {"barcode": "POOL-B", "result": "positive"}]))
        .await;
    assert_eq!(statuses(&r), ["done", "done"]);
    for p in &people[..3] {
        let s = w.samples_of(p).await;
        assert_eq!(s.len(), 1);
        assert_eq!(s[0]["result"], "negative");
    }
    for p in &people[3..] {
        let s = w.samples_of(p).await;
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0]["result"], "inconclusive");
        assert!(s[0]["note"].as_str().unwrap().contains("POOL-B"));
        assert_eq!(
            (s[1]["kind"].as_str(), s[1]["state"].as_str()),
            (Some("rt_pcr"), Some("ordered"))
        );
        assert_eq!(s[1]["replaces_sample_id"], s[0]["id"]);
    }
    // nobody became a case from a pool
    let cases = app.get("/api/v1/cases", &w.health).await;
    assert_eq!(cases.assert(200)["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        statuses(
            &w.results(json!([{"barcode": "POOL-B", "result": "positive"}]))
                .await
        ),
        ["unchanged"]
    );
    // refused: a member resulted on its own, a pool not received, a resulted sample collected
    let r = w
        .results(json!([{"barcode": "PS-0000", "result": "positive"}, {"barcode": "POOL-A", "result": "positive"}]))
        .await;
    assert_eq!(statuses(&r), ["conflict", "conflict"]);
    let more: Vec<Value> = (0..2)
        .map(|i| json!({"person_id": people[i], "kind": "rt_pcr_pooled", "barcode": format!("PT-{i:04}")}))
        .collect();
    let r = w.collect(json!(more)).await;
    let c_ids: Vec<&str> = r.iter().map(|i| i["sample_id"].as_str().unwrap()).collect();
    app.post(
        "/api/v1/pools",
        &w.health,
        json!({"barcode": "POOL-C", "sample_ids": c_ids}),
    )
    .await
    .assert(201);
    let r = w
        .results(json!([{"barcode": "POOL-C", "result": "negative"}]))
        .await;
    assert_eq!(statuses(&r), ["conflict"]);
    let r = w
        .collect(json!([{"sample_id": ids[0], "barcode": "PS-9999"}]))
        .await;
    assert_eq!(statuses(&r), ["conflict"]);
}

#[actix_web::test]
async fn a_positive_result_makes_a_new_f0_and_moves_their_quarantine() {
    let w = world().await;
    let app = &w.app;
    let (p, e) = w.quarantined("Trần Thị An").await;
    // a household contact of the F1, who becomes F1 in the cascade
    let contact = app.person(&w.health, "Phạm Văn Nhà").await;
    let c = json!({"person_id": p, "contact_person_id": contact, "first_at": ago(1, 3), "last_at": ago(1, 4), "setting": "household", "proximity": "physical"});
    app.post("/api/v1/contacts", &w.health, c).await.assert(201);
    let day1 = w.samples_of(&p).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.collect(json!([{"sample_id": day1, "barcode": "POS-0001"}]))
        .await;
    w.receive(json!(["POS-0001"])).await;
    let r = w
        .results(json!([{"barcode": "POS-0001", "result": "positive"}]))
        .await;
    assert_eq!(statuses(&r), ["done"]);
    // the case, its investigation, the episode transferred, the cascade: all in that call
    let cases = app.get("/api/v1/cases", &w.health).await;
    let case = cases.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["person_id"] == p.as_str())
        .cloned()
        .expect("the F1 is a case");
    assert_eq!(case["test_ref"], "POS-0001");
    assert_eq!(case["confirmation_test"], "rt_pcr");
    let invs = app.get("/api/v1/investigations", &w.health).await;
    assert!(invs.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["case_id"] == case["id"]));
    let ep = app.get(&format!("/api/v1/episodes/{e}"), &w.health).await;
    assert_eq!(ep.assert(200)["state"], "transferred");
    assert_eq!(ep.body["destination"], "hospital");
    let x = app
        .get(&format!("/api/v1/people/{contact}/exposure"), &w.health)
        .await;
    assert_eq!(x.assert(200)["level"], "F1");
    // the day-7 sample is not needed any more
    let s = w.samples_of(&p).await;
    assert_eq!(s[1]["state"], "cancelled");
}

#[actix_web::test]
async fn antigen_positives_confirm_an_f1_or_a_second_test_within_eight_hours() {
    let w = world().await;
    let app = &w.app;
    let f1 = w.f1("Trần Thị An").await;
    let stranger = app.person(&w.health, "Vũ Văn Lạ").await;
    let at = |h: i64| (Utc::now() - Duration::hours(h)).to_rfc3339();
    let r = w
        .collect(json!([
            {"person_id": f1, "kind": "antigen_staff", "barcode": "AG-F1"},
            {"person_id": stranger, "kind": "antigen_self", "barcode": "AG-S1", "collected_at": at(6)},
        ]))
        .await;
    let (a, b) = (
        r[0]["sample_id"].as_str().unwrap(),
        r[1]["sample_id"].as_str().unwrap(),
    );
    let read = |id: &str| format!("/api/v1/samples/{id}/result");
    app.post(
        &read(a),
        &w.health,
        json!({"result": "positive", "version": 1}),
    )
    .await
    .assert(200);
    let cases = app.get("/api/v1/cases", &w.health).await;
    let f1_case = cases.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["person_id"] == f1.as_str())
        .cloned();
    assert_eq!(f1_case.unwrap()["confirmation_test"], "antigen_f1");
    // one positive self-test of someone not F1: an RT-PCR is ordered, no case
    app.post(
        &read(b),
        &w.health,
        json!({"result": "positive", "version": 1}),
    )
    .await
    .assert(200);
    let s = w.samples_of(&stranger).await;
    assert_eq!(
        (s[1]["kind"].as_str(), s[1]["origin"].as_str()),
        (Some("rt_pcr"), Some("confirmation"))
    );
    // a second positive antigen within 8 hours confirms
    let r = w
        .collect(json!([{"person_id": stranger, "kind": "antigen_staff", "barcode": "AG-S2"}]))
        .await;
    let c2 = r[0]["sample_id"].as_str().unwrap();
    app.post(
        &read(c2),
        &w.health,
        json!({"result": "positive", "version": 1}),
    )
    .await
    .assert(200);
    let cases = app.get("/api/v1/cases", &w.health).await;
    let second = cases.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["person_id"] == stranger.as_str())
        .cloned();
    assert_eq!(second.unwrap()["confirmation_test"], "antigen_twice");
}

#[actix_web::test]
async fn late_results_are_listed_and_counted_and_rejected_tubes_are_taken_again() {
    let w = world().await;
    let app = &w.app;
    let p = app.person(&w.health, "Lê Thị Chậm").await;
    let q = app.person(&w.health, "Lê Thị Hỏng").await;
    let r = w
        .collect(json!([
            {"person_id": p, "kind": "rt_pcr", "barcode": "LATE-1", "collected_at": (Utc::now() - Duration::hours(13)).to_rfc3339()},
            {"person_id": q, "kind": "rt_pcr", "barcode": "BAD-1"},
        ]))
        .await;
    let late = r[0]["sample_id"].as_str().unwrap().to_string();
    w.receive(json!(["LATE-1", "BAD-1"])).await;
    let list = app.get("/api/v1/samples/overdue", &w.health).await;
    let ids: Vec<&str> = list.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [late.as_str()]);
    let r = w
        .results(json!([{"barcode": "LATE-1", "result": "negative"}, {"barcode": "BAD-1", "reject_reason": "tube leaked"}]))
        .await;
    assert_eq!(statuses(&r), ["done", "done"]);
    let s = w.samples_of(&q).await;
    assert_eq!(
        (s[0]["state"].as_str(), s[0]["note"].as_str()),
        (Some("rejected"), Some("tube leaked"))
    );
    assert_eq!(s[1]["state"], "ordered");
    let f = app.get("/api/v1/labs/cdc-qn/figures", &w.lab).await;
    assert_eq!(f.assert(200)["received"], 2);
    assert_eq!(f.body["resulted"], 1);
    assert_eq!(f.body["rejected"], 1);
    assert_eq!(f.body["overdue"], 1);
    assert!(f.body["turnaround_p50_hours"].as_f64().unwrap() >= 13.0);
    // a result on the deadline's far side is no longer on the overdue list
    let list = app.get("/api/v1/samples/overdue", &w.health).await;
    assert!(list.assert(200)["items"].as_array().unwrap().is_empty());
    let mut conn = app.raw_conn();
    let n: i64 = samples::table
        .filter(samples::state.eq("rejected"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
}

#[actix_web::test]
async fn a_mass_sampling_round_orders_a_sample_for_every_resident_of_an_active_zone() {
    let w = world().await;
    let app = &w.app;
    for name in ["Đỗ Văn Một", "Đỗ Văn Hai"] {
        app.person(&w.health, name).await;
    }
    let z = app
        .post(
            "/api/v1/zones",
            &w.health,
            json!({"name": "Chợ Cái Rồng", "level": "hard_lockdown", "unit_codes": [CAI_RONG]}),
        )
        .await;
    let zone = z.assert(201)["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/zones/{zone}/sampling-rounds");
    // only an active zone is sampled
    app.post(&url, &w.health, json!({"kind": "rt_pcr_pooled"}))
        .await
        .assert_problem(409, "invalid-transition");
    app.post(
        &format!("/api/v1/zones/{zone}/transitions"),
        &w.health,
        json!({"command": "activate", "version": 1}),
    )
    .await
    .assert(200);
    app.post(&url, &w.lab, json!({"kind": "rt_pcr_pooled"}))
        .await
        .assert_problem(403, "forbidden");
    let round = json!({"id": uuid::Uuid::new_v4(), "kind": "rt_pcr_pooled"});
    let r = app.post(&url, &w.health, round.clone()).await;
    // the F0 and the two residents live in Cái Rồng
    assert_eq!(r.assert(201)["ordered"], 3);
    // sent again: the same round, nothing ordered twice
    let again = app.post(&url, &w.health, round).await;
    assert_eq!((again.status, &again.body), (r.status, &r.body));
    let rounds = app.get(&url, &w.health).await;
    assert_eq!(rounds.assert(200)["rounds"].as_array().unwrap().len(), 1);
    assert_eq!(rounds.body["high_risk"], false);
    assert_eq!(rounds.body["interval_days"], 7);
    // a high-risk commune is sampled three times a week
    app.post(
        &format!("/api/v1/units/{CAI_RONG}/risk-levels"),
        &w.health,
        json!({"scale": "qd2686", "level": "high", "reason": "new cluster at the market"}),
    )
    .await
    .assert(201);
    let rounds = app.get(&url, &w.health).await;
    assert_eq!(rounds.assert(200)["interval_days"], 2);
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    assert_eq!(
        rounds.body["next_due"],
        (today + Duration::days(2)).to_string()
    );
}
