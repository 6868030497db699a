//! Merging a likely duplicate into the record kept: everything recorded about the duplicate
//! moves, the merged record redirects, and what cannot be one person is refused.

use crate::helpers::units::*;
use crate::helpers::{ago, date_ago, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

const R5599: &str = "vn-2021-07-14.v1";

struct World {
    app: TestApp,
    health: String,
    admin: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let admin = app.token("root", Role::Admin, "VN").await;
    World { app, health, admin }
}

impl World {
    async fn person(&self, name: &str) -> String {
        self.app.person(&self.health, name).await
    }

    async fn confirm(&self, person: &str) -> String {
        let r = self
            .app
            .post("/api/v1/cases", &self.health, json!({"person_id": person, "confirmation_test": "rt_pcr", "test_ref": "QN-1", "sample_date": date_ago(0), "onset_date": date_ago(3)}))
            .await;
        r.assert(201)["case"]["id"].as_str().unwrap().to_string()
    }

    /// A close contact `days` days ago, an hour long.
    async fn contact(&self, a: &str, b: &str, days: i64) -> String {
        let r = self
            .app
            .post("/api/v1/contacts", &self.health, json!({"person_id": a, "contact_person_id": b, "first_at": ago(days, 0), "last_at": ago(days, 1), "setting": "household", "proximity": "physical"}))
            .await;
        r.assert(201)["contact"]["id"].as_str().unwrap().to_string()
    }

    async fn get(&self, path: &str) -> crate::helpers::Resp {
        self.app.get(path, &self.health).await
    }

    async fn level(&self, person: &str) -> Option<String> {
        let r = self.get(&format!("/api/v1/people/{person}/exposure")).await;
        match r.status.as_u16() {
            200 => Some(r.body["level"].as_str().unwrap().to_string()),
            404 => None,
            s => panic!("unexpected {s}: {}", r.body),
        }
    }

    async fn merge(&self, kept: &str, dup: &str) -> crate::helpers::Resp {
        let version = |p: Value| p["version"].clone();
        let k = version(self.get(&format!("/api/v1/people/{kept}")).await.body);
        let d = version(self.get(&format!("/api/v1/people/{dup}")).await.body);
        self.app
            .post(
                &format!("/api/v1/people/{kept}/merge"),
                &self.health,
                json!({"duplicate_id": dup, "version": k, "duplicate_version": d, "reason": "the same person, typed twice"}),
            )
            .await
    }

    /// A camp with one room of four beds, and its manager's token.
    async fn camp(&self, id: &str) -> String {
        self.app
            .post(
                "/api/v1/sites",
                &self.admin,
                json!({"id": id, "name": format!("Khu {id}"), "kind": "barracks", "address": "Vân Đồn", "unit_code": VAN_DON, "capacity": 10}),
            )
            .await
            .assert(201);
        self.app
            .post(
                &format!("/api/v1/sites/{id}/rooms"),
                &self.admin,
                json!({"name": "A1", "beds": 4}),
            )
            .await
            .assert(201);
        self.app
            .token(&format!("quan.ly.{id}"), Role::CampManager, id)
            .await
    }

    /// Order `person` to camp `site` and check them in there; the episode's id.
    async fn in_camp(&self, person: &str, site: &str, manager: &str) -> String {
        let r = self
            .app
            .post(
                "/api/v1/episodes",
                &self.health,
                json!({"person_id": person, "mode": "concentrated", "site_id": site, "regime_id": R5599}),
            )
            .await;
        let episode = r.assert(201)["id"].as_str().unwrap().to_string();
        let r = self
            .app
            .post(
                &format!("/api/v1/sites/{site}/check-ins"),
                manager,
                json!({"episode_id": episode}),
            )
            .await;
        assert_eq!(r.assert(201)["state"], "active");
        episode
    }
}

fn items(r: &crate::helpers::Resp) -> Vec<Value> {
    r.body["items"].as_array().unwrap().clone()
}

fn person_ids(r: &crate::helpers::Resp) -> Vec<String> {
    items(r)
        .iter()
        .map(|i| i["person_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_merge_moves_contacts_classification_episode_samples_and_tasks() {
    let w = world().await;
    let app = &w.app;
    let manager = w.camp("camp-a").await;
    let f0 = w.person("Nguyễn Văn Gốc").await;
    let case = w.confirm(&f0).await;
    // the same woman twice: the F1 under a spelling without diacritics, and the record kept,
    // an F2 through the duplicate (the tracer logged her meeting "the other one")
    let kept = w.person("Trần Thị An").await;
    let dup = w.person("Tran Thi An").await;
    let to_f0 = w.contact(&f0, &dup, 2).await;
    let between = w.contact(&dup, &kept, 1).await;
    assert_eq!(w.level(&dup).await.as_deref(), Some("F1"));
    assert_eq!(w.level(&kept).await.as_deref(), Some("F2"));
    let episode = w.in_camp(&dup, "camp-a", &manager).await;
    let r = app
        .post(
            "/api/v1/samples",
            &w.health,
            json!({"person_id": dup, "kind": "antigen_staff"}),
        )
        .await;
    let sample = r.assert(201)["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &w.health,
            json!({"case_id": case, "person_ids": [dup], "team": "Tổ 1"}),
        )
        .await;
    let task = r.assert(201)[0]["id"].as_str().unwrap().to_string();
    // before: both records stand in the line list of people not sampled
    let r = w.get("/api/v1/line-lists/not_sampled").await;
    let mut before = person_ids(&r);
    before.sort();
    let mut both = vec![kept.clone(), dup.clone()];
    both.sort();
    assert_eq!(before, both);

    let r = w.merge(&kept, &dup).await;
    assert_eq!(r.assert(200)["id"], kept.as_str());

    // the record kept reads as the F1 through the F0, with the duplicate's contacts
    let exposure = w.get(&format!("/api/v1/people/{kept}/exposure")).await;
    assert_eq!(exposure.assert(200)["level"], "F1");
    assert_eq!(exposure.body["via_person_id"], f0.as_str());
    let contacts = w.get(&format!("/api/v1/people/{kept}/contacts")).await;
    let contacts = contacts.assert(200).as_array().unwrap().clone();
    let moved = contacts.iter().find(|c| c["id"] == to_f0.as_str()).unwrap();
    assert_eq!(
        (&moved["person_id"], &moved["contact_person_id"]),
        (&json!(f0), &json!(kept))
    );
    assert!(moved["retracted_at"].is_null());
    // their contact with herself is kept, retracted
    let own = contacts
        .iter()
        .find(|c| c["id"] == between.as_str())
        .unwrap();
    assert_eq!(own["retract_reason"], "merged: same person");
    assert!(own["retracted_at"].is_string());
    let f0_contacts = w.get(&format!("/api/v1/people/{f0}/contacts")).await;
    assert!(f0_contacts
        .assert(200)
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["contact_person_id"] != dup.as_str()));
    // the episode, the sample and the trace task are hers
    let e = w.get(&format!("/api/v1/episodes/{episode}")).await;
    assert_eq!(e.assert(200)["person_id"], kept.as_str());
    assert_eq!(e.body["state"], "active");
    let s = w.get(&format!("/api/v1/samples/{sample}")).await;
    assert_eq!(s.assert(200)["person_id"], kept.as_str());
    let tasks = w.get("/api/v1/trace-tasks").await;
    let t = items(&tasks)
        .into_iter()
        .find(|t| t["id"] == task.as_str())
        .unwrap();
    assert_eq!(t["person_id"], kept.as_str());
    // the merged record redirects to the one kept, and is classified no more
    let r = w.get(&format!("/api/v1/people/{dup}")).await;
    r.assert(308);
    assert_eq!(
        r.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/people/{kept}")
    );
    // its classification is withdrawn, kept as a row so that phones learn it ended
    let x = w.get(&format!("/api/v1/people/{dup}/exposure")).await;
    assert_eq!(x.assert(200)["status"], "declassified");
    // the line lists show her once
    let r = w.get("/api/v1/line-lists/not_sampled").await;
    assert_eq!(person_ids(&r), vec![kept.clone()]);
    for list in ["f1_not_isolated", "due_for_release", "downgrade_reviews"] {
        let r = w.get(&format!("/api/v1/line-lists/{list}")).await;
        assert!(!person_ids(&r).contains(&dup), "{list}: {}", r.body);
    }
    // every move is in the history, with who and why
    let h = w.get(&format!("/api/v1/people/{kept}/history")).await;
    let actions: Vec<(String, String)> = items(&h)
        .iter()
        .map(|e| {
            (
                e["entity_id"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        (kept.clone(), "merged"),
        (kept.clone(), "classification_merged"),
        (kept.clone(), "records_moved"),
        (dup.clone(), "merged_into"),
        (dup.clone(), "classification_moved"),
    ] {
        assert!(
            actions.contains(&(expected.0.clone(), expected.1.to_string())),
            "{expected:?} in {actions:?}"
        );
    }
    let moved = items(&h)
        .into_iter()
        .find(|e| e["action"] == "records_moved")
        .unwrap();
    assert_eq!(moved["after"]["moved"]["contacts"], 1);
    assert_eq!(moved["after"]["moved"]["contacts_retracted"], 1);
    assert_eq!(moved["after"]["moved"]["episodes"], 1);
    assert_eq!(moved["after"]["moved"]["trace_tasks"], 1);
    assert!(moved["after"]["moved"]["samples"].as_u64().unwrap() >= 1);
    assert_eq!(moved["actor_role"], "health_officer");
    assert!(moved["reason"]
        .as_str()
        .unwrap()
        .contains("the same person, typed twice"));
}

#[actix_web::test]
async fn a_merge_of_two_records_that_met_the_same_person_keeps_both_contacts() {
    let w = world().await;
    let f0 = w.person("Nguyễn Văn Gốc").await;
    w.confirm(&f0).await;
    let kept = w.person("Lê Thị Bình").await;
    let dup = w.person("Le Thi Binh").await;
    let later = w.contact(&f0, &kept, 1).await;
    let earlier = w.contact(&dup, &f0, 2).await;
    let kept_start =
        w.get(&format!("/api/v1/people/{kept}/exposure")).await.body["window_start"].clone();
    let dup_start =
        w.get(&format!("/api/v1/people/{dup}/exposure")).await.body["window_start"].clone();
    assert_ne!(kept_start, dup_start);
    w.merge(&kept, &dup).await.assert(200);
    // two meetings with the same F0, both standing, both hers
    let contacts = w.get(&format!("/api/v1/people/{f0}/contacts")).await;
    let contacts = contacts.assert(200).as_array().unwrap().clone();
    assert_eq!(contacts.len(), 2);
    for c in &contacts {
        assert!(c["retracted_at"].is_null());
        let ends = [&c["person_id"], &c["contact_person_id"]];
        assert!(
            ends.contains(&&json!(kept)) && ends.contains(&&json!(f0)),
            "{c}"
        );
    }
    let ids: Vec<&str> = contacts.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&later.as_str()) && ids.contains(&earlier.as_str()));
    // one F1, exposed since the earlier meeting
    let e = w.get(&format!("/api/v1/people/{kept}/exposure")).await;
    assert_eq!(e.assert(200)["level"], "F1");
    assert_eq!(e.body["window_start"], dup_start);
    assert_eq!(w.level(&f0).await.as_deref(), Some("F0"));
    // nobody is put on the review list by a merge that loses nothing
    let r = w.get("/api/v1/reviews").await;
    assert_eq!(r.assert(200)["items"], json!([]));
}

#[actix_web::test]
async fn a_merge_of_two_confirmed_cases_is_refused_and_changes_nothing() {
    let w = world().await;
    let kept = w.person("Phạm Văn Chí").await;
    let dup = w.person("Pham Van Chi").await;
    let other = w.person("Hoàng Thị Dung").await;
    w.confirm(&kept).await;
    let dup_case = w.confirm(&dup).await;
    let c = w.contact(&dup, &other, 1).await;
    let before = w.get(&format!("/api/v1/people/{dup}")).await.body.clone();
    let r = w.merge(&kept, &dup).await;
    r.assert_problem(409, "invalid-transition");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("both records are confirmed cases"),
        "{}",
        r.body
    );
    // nothing moved
    assert_eq!(
        w.get(&format!("/api/v1/people/{dup}")).await.assert(200),
        &before
    );
    assert_eq!(w.level(&dup).await.as_deref(), Some("F0"));
    let contacts = w.get(&format!("/api/v1/people/{dup}/contacts")).await;
    assert_eq!(contacts.assert(200)[0]["id"], c.as_str());
    let case = w.get(&format!("/api/v1/cases/{dup_case}")).await;
    assert_eq!(case.assert(200)["person_id"], dup.as_str());
    // once the mistaken case is retracted, the records are one person
    let r = w
        .app
        .post(
            &format!("/api/v1/cases/{dup_case}/transitions"),
            &w.health,
            json!({"command": "retract", "version": 1, "reason": "the same person: one case"}),
        )
        .await;
    r.assert(200);
    w.merge(&kept, &dup).await.assert(200);
    let case = w.get(&format!("/api/v1/cases/{dup_case}")).await;
    assert_eq!(case.assert(200)["person_id"], kept.as_str());
    assert_eq!(w.level(&kept).await.as_deref(), Some("F0"));
    assert_eq!(w.level(&other).await.as_deref(), Some("F1"));
}

#[actix_web::test]
async fn a_merge_of_two_active_quarantines_in_different_camps_is_refused() {
    let w = world().await;
    let camp_a = w.camp("camp-a").await;
    let camp_b = w.camp("camp-b").await;
    let f0 = w.person("Nguyễn Văn Gốc").await;
    w.confirm(&f0).await;
    let kept = w.person("Vũ Thị Em").await;
    let dup = w.person("Vu Thi Em").await;
    w.contact(&f0, &kept, 1).await;
    w.contact(&f0, &dup, 1).await;
    let ea = w.in_camp(&kept, "camp-a", &camp_a).await;
    let eb = w.in_camp(&dup, "camp-b", &camp_b).await;
    let before = w.get(&format!("/api/v1/people/{dup}")).await.body.clone();
    let r = w.merge(&kept, &dup).await;
    r.assert_problem(409, "invalid-transition");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("different camps (camp-a and camp-b)"),
        "{detail}"
    );
    // nothing moved: each record keeps its episode and classification
    assert_eq!(
        w.get(&format!("/api/v1/people/{dup}")).await.assert(200),
        &before
    );
    for (e, p) in [(&ea, &kept), (&eb, &dup)] {
        let r = w.get(&format!("/api/v1/episodes/{e}")).await;
        assert_eq!(r.assert(200)["person_id"], p.as_str());
        assert_eq!(r.body["state"], "active");
    }
    assert_eq!(w.level(&dup).await.as_deref(), Some("F1"));
    let f0_contacts = w.get(&format!("/api/v1/people/{f0}/contacts")).await;
    assert!(f0_contacts
        .assert(200)
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["contact_person_id"] == dup.as_str()));
}

#[actix_web::test]
async fn a_merged_record_redirects_only_inside_the_jurisdiction() {
    let w = world().await;
    let elsewhere = w.app.token("bg.y.te", Role::HealthOfficer, BAC_GIANG).await;
    let kept = w.person("Đỗ Văn Giang").await;
    let dup = w.person("Do Van Giang").await;
    w.merge(&kept, &dup).await.assert(200);
    w.get(&format!("/api/v1/people/{dup}")).await.assert(308);
    w.app
        .get(&format!("/api/v1/people/{dup}"), &elsewhere)
        .await
        .assert_problem(404, "not-found");
    // the record kept reads as itself
    let r = w.get(&format!("/api/v1/people/{kept}")).await;
    assert!(r.assert(200)["merged_into"].is_null());
}
