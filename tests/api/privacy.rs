//! Personal data: every read of it leaves an access record the data protection officer reads;
//! exports say why; a person's own data as one document; pseudonymised lists.

use crate::helpers::units::{BAC_GIANG, CAI_RONG, QUANG_NINH, VAN_DON};
use crate::helpers::{ago, date_ago, Resp, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use tracing_backend::domain::roles::Role;

fn request_id(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap()
        .to_string()
}

async fn log_of(app: &TestApp, dpo: &str, person: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/access-log?person_id={person}"), dpo)
        .await;
    r.assert(200)["items"].as_array().unwrap().clone()
}

/// Export the people not yet sampled, for a plan: how many rows it sent.
async fn export_lines(app: &TestApp, token: &str) -> usize {
    let csv = app
        .get(
            "/api/v1/line-lists/not_sampled?format=csv&purpose=mass%20sampling%20plan",
            token,
        )
        .await;
    assert_eq!(csv.status, 200);
    csv.text.lines().count() - 1
}

/// An F0 and two F1s met at the market, in Cái Rồng.
struct World {
    health: String,
    police: String,
    dpo: String,
    an: String,
    binh: String,
    chi: String,
}

async fn world(app: &TestApp) -> World {
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let police = app.token("cong.an", Role::PoliceTracer, VAN_DON).await;
    let dpo = app
        .token("bao.ve", Role::DataProtectionOfficer, QUANG_NINH)
        .await;
    let an = app.person(&health, "Nguyễn Văn An").await;
    let binh = app.person(&health, "Trần Thị Bình").await;
    let chi = app.person(&health, "Lê Văn Chi").await;
    app.post(
        "/api/v1/cases",
        &health,
        json!({"person_id": an, "confirmation_test": "rt_pcr", "test_ref": "QN-0001",
               "sample_date": date_ago(0), "onset_date": date_ago(3), "case_number": "BN0001"}),
    )
    .await
    .assert(201);
    for other in [&binh, &chi] {
        app.post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": an, "contact_person_id": other, "first_at": ago(2, 0),
                   "last_at": ago(2, 1), "setting": "market", "proximity": "within_2m"}),
        )
        .await
        .assert(201);
    }
    World {
        health,
        police,
        dpo,
        an,
        binh,
        chi,
    }
}

#[actix_web::test]
async fn every_read_of_a_person_is_in_the_access_log() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    // registering and logging contacts is not reading: nothing yet
    assert!(log_of(&app, &w.dpo, &w.an).await.is_empty());

    let read = app
        .get(&format!("/api/v1/people/{}", w.an), &w.health)
        .await;
    read.assert(200);
    let contacts = app
        .get(&format!("/api/v1/people/{}/contacts", w.an), &w.police)
        .await;
    contacts.assert(200);
    app.get("/api/v1/people?q=tran%20thi", &w.health)
        .await
        .assert(200);

    let log = log_of(&app, &w.dpo, &w.an).await;
    // newest first: the contacts, then the read (the search found Bình, not An)
    let ops: Vec<&str> = log
        .iter()
        .map(|a| a["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["person_contacts", "get_person"]);
    assert_eq!(log[1]["username"], "y.te");
    assert_eq!(log[1]["role"], "health_officer");
    assert!(log[1]["grant_id"].is_string());
    assert_eq!(log[1]["request_id"], request_id(&read));
    assert_eq!(log[1]["people_shown"], 1);
    // the contacts showed An and both people met: one record naming the three
    assert_eq!(log[0]["username"], "cong.an");
    assert_eq!(log[0]["request_id"], request_id(&contacts));
    assert_eq!(log[0]["people_shown"], 3);
    let mut shown: Vec<&str> = log[0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    shown.sort();
    let mut expected = vec![w.an.as_str(), w.binh.as_str(), w.chi.as_str()];
    expected.sort();
    assert_eq!(shown, expected);
    // Bình was found by the search and shown with the contacts
    let binh: Vec<String> = log_of(&app, &w.dpo, &w.binh)
        .await
        .iter()
        .map(|a| a["operation"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(binh, ["search_people", "person_contacts"]);

    // whose records did the police officer open
    let me = app.get("/api/v1/me", &w.police).await;
    let police_id = me.assert(200)["id"].as_str().unwrap().to_string();
    let r = app
        .get(&format!("/api/v1/access-log?user_id={police_id}"), &w.dpo)
        .await;
    let items = r.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["operation"], "person_contacts");
}

#[actix_web::test]
async fn the_access_log_is_the_officers_and_stays_in_their_jurisdiction() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    app.get(&format!("/api/v1/people/{}", w.an), &w.health)
        .await
        .assert(200);
    // no other role reads the log
    for t in [&w.health, &w.police] {
        app.get(&format!("/api/v1/access-log?person_id={}", w.an), t)
            .await
            .assert_problem(403, "forbidden");
        app.get(&format!("/api/v1/people/{}/dossier", w.an), t)
            .await
            .assert_problem(403, "forbidden");
    }
    // an officer of another province: the person does not exist, and the health officer's
    // reading shows nobody of theirs
    let other = app
        .token("bao.ve.bg", Role::DataProtectionOfficer, BAC_GIANG)
        .await;
    let unknown = app.get("/api/v1/access-log?person_id=nobody", &other).await;
    let foreign = app
        .get(&format!("/api/v1/access-log?person_id={}", w.an), &other)
        .await;
    foreign.assert_problem(404, "not-found");
    assert_eq!(foreign.body["detail"], unknown.body["detail"]);
    app.get(&format!("/api/v1/people/{}/dossier", w.an), &other)
        .await
        .assert_problem(404, "not-found");
    let me = app.get("/api/v1/me", &w.health).await;
    let health_id = me.assert(200)["id"].as_str().unwrap().to_string();
    let r = app
        .get(&format!("/api/v1/access-log?user_id={health_id}"), &other)
        .await;
    assert_eq!(r.assert(200)["items"], json!([]));
    // one of the two, not both or neither
    let r = app.get("/api/v1/access-log", &w.dpo).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["person_id"]);
    // the log cannot be changed
    use diesel::connection::SimpleConnection;
    let mut conn = app.raw_conn();
    assert!(conn.batch_execute("DELETE FROM access_people").is_err());
    assert!(conn
        .batch_execute("UPDATE access_records SET purpose = 'x'")
        .is_err());
    assert_eq!(log_of(&app, &w.dpo, &w.an).await.len(), 1);
}

#[actix_web::test]
async fn a_line_list_is_one_record_and_an_export_says_why() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let page = app
        .get("/api/v1/line-lists/f1_not_isolated", &w.health)
        .await;
    assert_eq!(page.assert(200)["items"].as_array().unwrap().len(), 2);
    // an export without a purpose is refused, and shows nobody
    let r = app
        .get("/api/v1/line-lists/f1_not_isolated?format=csv", &w.health)
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["purpose"]);
    let csv = app
        .get(
            "/api/v1/line-lists/f1_not_isolated?format=csv&purpose=g%E1%BB%ADi%20CDC%20t%E1%BB%89nh",
            &w.health,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.contains("Trần Thị Bình"));
    let log = log_of(&app, &w.dpo, &w.binh).await;
    let ops: Vec<(&str, &Value)> = log
        .iter()
        .map(|a| (a["operation"].as_str().unwrap(), &a["purpose"]))
        .collect();
    assert_eq!(
        ops,
        [
            ("line_list", &json!("gửi CDC tỉnh")),
            ("line_list", &Value::Null)
        ]
    );
    // each is one record for the two people it listed
    assert!(log.iter().all(|a| a["people_shown"] == 2));
    assert_eq!(log[0]["request_id"], request_id(&csv));
}

#[actix_web::test]
async fn an_export_page_by_page_names_everyone_it_sent_once() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    // 520 people not yet sampled: the export reads them in two pages of 500
    crate::exports::f2s(&app, &w.health, 520).await;
    let lines = export_lines(&app, &w.health).await;
    assert!(lines >= 520, "{lines}");
    let me = app.get("/api/v1/me", &w.health).await;
    let id = me.assert(200)["id"].as_str().unwrap().to_string();
    let r = app
        .get(&format!("/api/v1/access-log?user_id={id}"), &w.dpo)
        .await;
    let items = r.assert(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["purpose"], "mass sampling plan");
    assert_eq!(items[0]["people_shown"], lines as i64);
}

#[actix_web::test]
async fn a_person_gets_everything_held_about_them() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    app.get(&format!("/api/v1/people/{}/exposure", w.binh), &w.health)
        .await
        .assert(200);
    let r = app
        .get(&format!("/api/v1/people/{}/dossier", w.binh), &w.dpo)
        .await;
    let d = r.assert(200).clone();
    assert_eq!(d["person"]["full_name"], "Trần Thị Bình");
    assert_eq!(d["exposure"]["level"], "F1");
    assert_eq!(d["exposure"]["via_person_id"], w.an.as_str());
    assert_eq!(d["contacts"].as_array().unwrap().len(), 1);
    assert!(d["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "created"));
    let reads: Vec<&str> = d["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["operation"].as_str().unwrap())
        .collect();
    assert_eq!(reads, ["person_exposure"]);
    // producing it is itself an access
    let log = log_of(&app, &w.dpo, &w.binh).await;
    assert_eq!(log[0]["operation"], "person_dossier");
    assert_eq!(log[0]["username"], "bao.ve");
}

#[actix_web::test]
async fn unusual_reading_is_flagged_against_peers_of_the_role() {
    let app = TestApp::with_config(|c| {
        c.unusual_reading.min_people = 3;
        c.unusual_reading.factor = 2.0;
    })
    .await;
    let w = world(&app).await;
    let quiet = app.token("cong.an.2", Role::PoliceTracer, VAN_DON).await;
    app.get(&format!("/api/v1/people/{}", w.an), &quiet)
        .await
        .assert(200);
    // the first police officer reads all three
    for p in [&w.an, &w.binh, &w.chi] {
        app.get(&format!("/api/v1/people/{p}"), &w.police)
            .await
            .assert(200);
    }
    let today = &crate::helpers::local_ago(0, 12)[..10];
    let r = app
        .get(&format!("/api/v1/access-log/unusual?day={today}"), &w.dpo)
        .await;
    let report = r.assert(200).clone();
    let flagged = report["flagged"].as_array().unwrap();
    assert_eq!(flagged.len(), 1, "{report}");
    assert_eq!(flagged[0]["username"], "cong.an");
    assert_eq!(flagged[0]["people"], 3);
    assert_eq!(flagged[0]["peer_median"], 1.0);
    // only the officer reads it; an officer of another province sees nobody of this one
    app.get(
        &format!("/api/v1/access-log/unusual?day={today}"),
        &w.health,
    )
    .await
    .assert_problem(403, "forbidden");
    let other = app
        .token("bao.ve.bg", Role::DataProtectionOfficer, BAC_GIANG)
        .await;
    let r = app
        .get(&format!("/api/v1/access-log/unusual?day={today}"), &other)
        .await;
    assert_eq!(r.assert(200)["flagged"], json!([]));
    // another day: nothing
    let r = app
        .get("/api/v1/access-log/unusual?day=2021-01-28", &w.dpo)
        .await;
    assert_eq!(r.assert(200)["flagged"], json!([]));
    let r = app
        .get("/api/v1/access-log/unusual?day=yesterday", &w.dpo)
        .await;
    assert_eq!(r.status, 400);
}

#[actix_web::test]
async fn a_pseudonymised_list_shows_patterns_not_people() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let cdc = app.token("cdc", Role::CdcAnalyst, VAN_DON).await;
    let url = "/api/v1/line-lists/f1_not_isolated?pseudonymised=true";
    let first = app.get(url, &cdc).await.assert(200).clone();
    let again = app.get(url, &w.health).await.assert(200).clone();
    let text = first.to_string();
    for secret in [&w.binh, &w.chi, "Trần Thị Bình", "Lê Văn Chi"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["person_id"].as_str().unwrap().to_string())
            .collect()
    };
    // the same person is the same pseudonym, whoever reads and whenever
    assert_eq!(ids(&first), ids(&again));
    assert_eq!(ids(&first).len(), 2);
    assert!(ids(&first).iter().all(|p| p.starts_with("P-")));
    assert!(first["items"][0]["full_name"].is_null());
    assert_eq!(first["items"][0]["residence_unit_code"], CAI_RONG);
    // as CSV too, with no purpose asked
    let csv = app.get(&format!("{url}&format=csv"), &w.health).await;
    assert_eq!(csv.status, 200);
    assert!(!csv.text.contains("Bình") && csv.text.contains(&ids(&first)[0]));
    // no personal data was shown: nothing in the log
    assert!(log_of(&app, &w.dpo, &w.binh).await.is_empty());
}

#[actix_web::test]
async fn no_answer_leaves_when_its_access_record_cannot_be_written() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::new().await;
    let w = world(&app).await;
    // the table of the people reads showed is gone: no record of a read can be written
    app.raw_conn()
        .batch_execute("ALTER TABLE access_queue RENAME TO access_queue_away")
        .unwrap();
    for path in [
        format!("/api/v1/people/{}", w.an),
        "/api/v1/line-lists/not_sampled?limit=50".to_string(),
        "/api/v1/line-lists/not_sampled?format=csv&purpose=weekly%20follow-up".to_string(),
    ] {
        let r = app.get(&path, &w.health).await;
        r.assert_problem(500, "internal");
        assert!(
            !r.text.contains("Nguyễn Văn An") && !r.text.contains(&w.binh),
            "{path} showed people it could not record: {}",
            r.text
        );
    }
    // and nothing of the failed reads stayed behind
    app.raw_conn()
        .batch_execute("ALTER TABLE access_queue_away RENAME TO access_queue")
        .unwrap();
    assert!(log_of(&app, &w.dpo, &w.an).await.is_empty());
}

#[actix_web::test]
async fn the_log_counts_a_read_the_moment_it_is_answered() {
    // the filer waits an hour: only reading the log can file what the reads left waiting
    let app = TestApp::with_config(|c| c.access_file_every = Duration::from_secs(3600)).await;
    let w = world(&app).await;
    app.get(&format!("/api/v1/people/{}", w.an), &w.health)
        .await
        .assert(200);
    app.get(&format!("/api/v1/people/{}/contacts", w.an), &w.police)
        .await
        .assert(200);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_queue"), 2);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_people"), 0);
    // one who may not read the log files nothing by asking
    app.get(&format!("/api/v1/access-log?person_id={}", w.an), &w.health)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_queue"), 2);
    // the officer's question files first: both reads, with everyone they showed
    let log = log_of(&app, &w.dpo, &w.an).await;
    let shown: Vec<i64> = log
        .iter()
        .map(|a| a["people_shown"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, [3, 1]);
    assert_eq!(log_of(&app, &w.dpo, &w.chi).await.len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_queue"), 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_people"), 4);
    // the day's reading and the dossier count them too
    let day = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive();
    app.get(&format!("/api/v1/people/{}", w.binh), &w.health)
        .await
        .assert(200);
    let r = app
        .get(&format!("/api/v1/access-log/unusual?day={day}"), &w.dpo)
        .await;
    r.assert(200);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_queue"), 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM access_people"), 5);
}

#[actix_web::test]
async fn the_filer_files_what_waits_by_itself_each_person_once_per_access() {
    let app = TestApp::with_config(|c| c.access_file_every = Duration::from_millis(10)).await;
    let w = world(&app).await;
    crate::exports::f2s(&app, &w.health, 520).await;
    // an export of two pages: two waiting parts of one access
    let lines = export_lines(&app, &w.health).await as i64;
    app.get(&format!("/api/v1/people/{}", w.an), &w.health)
        .await
        .assert(200);
    // nobody reads the log: the filer empties the queue on its own
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.count("SELECT COUNT(*) AS n FROM access_queue") > 0 {
        assert!(std::time::Instant::now() < deadline, "nothing was filed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM access_people"),
        lines + 1
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT access_id) AS n FROM access_people"),
        2
    );

    // two parts of one access that name the same person file them once
    use tracing_backend::store::access;
    let mut conn = app.raw_conn();
    let row = access::AccessRow {
        id: tracing_backend::store::new_id(),
        actor_id: "someone".into(),
        actor_role: "health_officer".into(),
        grant_id: None,
        operation: "get_person".into(),
        request_id: None,
        purpose: None,
        at: chrono::Utc::now().naive_utc(),
    };
    let (a, b, c) = (w.an.clone(), w.binh.clone(), w.chi.clone());
    tracing_backend::db::write_tx(&mut conn, |conn| {
        access::record(conn, &row, &[b.clone(), a.clone()])?;
        access::add_people(conn, &row.id, &[c.clone(), b.clone(), c.clone()])?;
        access::file(conn, 10)
    })
    .unwrap();
    let filed = app.count(&format!(
        "SELECT COUNT(*) AS n FROM access_people WHERE access_id = '{}'",
        row.id
    ));
    assert_eq!(filed, 3);
}
