//! Batches that race over the same records on PostgreSQL answer every item, as if they
//! had run one after the other (on SQLite the writer runs them one after the other). The
//! tests check what holds whichever went first, or hold one writer at a lock so that the
//! interleaving they test is the one that happens.

use crate::concurrency::{confirm, name, parallel_app, uuid};
use crate::helpers::units::*;
use crate::helpers::{local_ago, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// A laboratory in Vân Đồn with its technician; (health officer, lab technician).
async fn lab_world(app: &TestApp) -> (String, String) {
    let admin = app.token("root", Role::Admin, "VN").await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let lab = app.token("xet.nghiem", Role::LabTechnician, VAN_DON).await;
    app.post(
        "/api/v1/labs",
        &admin,
        json!({"id": "cdc-qn", "name": "CDC Quảng Ninh", "unit_code": VAN_DON}),
    )
    .await
    .assert(201);
    (health, lab)
}

/// One answer per item, in the order sent.
fn answers(r: &crate::helpers::Resp, n: usize) -> Vec<Value> {
    let items = r.assert(200).as_array().unwrap().clone();
    assert_eq!(items.len(), n, "{}", r.body);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["index"], i, "{}", r.body);
    }
    items
}

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap()
}

#[actix_web::test]
async fn two_result_uploads_racing_on_the_same_samples_answer_every_item() {
    use diesel::prelude::*;
    use tracing_backend::schema::{events, samples};
    let app = parallel_app().await;
    let (health, lab) = lab_world(&app).await;
    let people: Vec<String> = {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(app.person(&health, &name(i)).await);
        }
        v
    };
    for round in 0..3 {
        // six RT-PCR tubes at the laboratory
        let codes: Vec<String> = (0..6).map(|i| format!("R{round}-S{i}")).collect();
        let items: Vec<Value> = people
            .iter()
            .zip(&codes)
            .map(|(p, b)| json!({"person_id": p, "kind": "rt_pcr", "barcode": b}))
            .collect();
        let r = app
            .post(
                "/api/v1/samples/collections",
                &health,
                json!({"items": items}),
            )
            .await;
        assert!(answers(&r, 6).iter().all(|a| status(a) == "done"));
        let r = app
            .post(
                "/api/v1/labs/cdc-qn/receipts",
                &lab,
                json!({"barcodes": codes}),
            )
            .await;
        assert!(answers(&r, 6).iter().all(|a| status(a) == "done"));
        // two uploads at once: S2 and S3 in both (S3 the same, S2 another result), the
        // second in the other order, so that a row-by-row writer could deadlock
        let result = |i: usize, r: &str| json!({"barcode": codes[i], "result": r});
        let a = json!({"items": [result(0, "negative"), result(1, "negative"), result(2, "negative"), result(3, "negative")]});
        let b = json!({"items": [result(5, "negative"), result(4, "negative"), result(3, "negative"), result(2, "inconclusive")]});
        let (ra, rb) = futures_util::future::join(
            app.post("/api/v1/labs/cdc-qn/results", &lab, a),
            app.post("/api/v1/labs/cdc-qn/results", &lab, b),
        )
        .await;
        let (a, b) = (answers(&ra, 4), answers(&rb, 4));
        // the samples only one upload names are resulted, whichever went first
        for x in [&a[0], &a[1], &b[0], &b[1]] {
            assert_eq!(status(x), "done", "{x}");
        }
        // the same result twice: one records it, the other finds it recorded
        let mut same = [status(&a[3]), status(&b[2])];
        same.sort();
        assert_eq!(same, ["done", "unchanged"], "{a:?} {b:?}");
        // two results for one tube: the first stands, the other is refused
        let mut other = [status(&a[2]), status(&b[3])];
        other.sort();
        assert_eq!(other, ["conflict", "done"], "{a:?} {b:?}");
        let winner = if status(&a[2]) == "done" {
            "negative"
        } else {
            "inconclusive"
        };
        // the end state is what the answers say, each written once
        let mut conn = app.raw_conn();
        let stored: Vec<(String, String, Option<String>, Option<String>)> = samples::table
            .filter(samples::barcode.eq_any(&codes))
            .select((
                samples::id,
                samples::state,
                samples::result,
                samples::barcode,
            ))
            .load(&mut conn)
            .unwrap();
        assert_eq!(stored.len(), 6);
        for (id, state, result, barcode) in &stored {
            assert_eq!(state, "resulted", "{barcode:?}");
            let expected = if barcode.as_deref() == Some(codes[2].as_str()) {
                winner
            } else {
                "negative"
            };
            assert_eq!(result.as_deref(), Some(expected), "{barcode:?}");
            let resulted: i64 = events::table
                .filter(events::entity_type.eq("sample"))
                .filter(events::entity_id.eq(id))
                .filter(events::action.eq("resulted"))
                .count()
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(resulted, 1, "{barcode:?}");
            let retests: i64 = samples::table
                .filter(samples::replaces_sample_id.eq(id))
                .count()
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(
                retests,
                i64::from(expected == "inconclusive"),
                "{barcode:?}"
            );
        }
    }
}

#[actix_web::test]
async fn collections_and_pools_racing_for_one_barcode_answer_every_item() {
    use diesel::prelude::*;
    use tracing_backend::schema::{pools, samples};
    let app = parallel_app().await;
    let (health, _) = lab_world(&app).await;
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(app.person(&health, &name(i)).await);
    }
    let tube = |p: &str, kind: &str, b: &str| json!({"person_id": p, "kind": kind, "barcode": b});
    for round in 0..3 {
        // two phones give one barcode to two people's samples at once
        let shared = format!("C{round}-SHARED");
        let a = json!({"items": [tube(&people[0], "rt_pcr", &shared), tube(&people[1], "rt_pcr", &format!("C{round}-A"))]});
        let b = json!({"items": [tube(&people[2], "rt_pcr", &format!("C{round}-B")), tube(&people[3], "rt_pcr", &shared)]});
        let (ra, rb) = futures_util::future::join(
            app.post("/api/v1/samples/collections", &health, a),
            app.post("/api/v1/samples/collections", &health, b),
        )
        .await;
        let (a, b) = (answers(&ra, 2), answers(&rb, 2));
        assert_eq!((status(&a[1]), status(&b[0])), ("done", "done"));
        let mut both = [status(&a[0]), status(&b[1])];
        both.sort();
        assert_eq!(both, ["conflict", "done"], "{a:?} {b:?}");
        let lost = if status(&a[0]) == "conflict" {
            &a[0]
        } else {
            &b[1]
        };
        assert!(lost["detail"]
            .as_str()
            .unwrap()
            .starts_with("barcode: is another sample's"));
        let winner = if status(&a[0]) == "done" {
            &people[0]
        } else {
            &people[3]
        };
        let mut conn = app.raw_conn();
        let holders: Vec<String> = samples::table
            .filter(samples::barcode.eq(&shared))
            .select(samples::person_id)
            .load(&mut conn)
            .unwrap();
        assert_eq!(holders, std::slice::from_ref(winner));

        // a pool and a sample take one barcode at once: one of them has it
        let pooled: Vec<Value> = (0..2)
            .map(|i| tube(&people[i], "rt_pcr_pooled", &format!("P{round}-{i}")))
            .collect();
        let r = app
            .post(
                "/api/v1/samples/collections",
                &health,
                json!({"items": pooled}),
            )
            .await;
        let ids: Vec<Value> = answers(&r, 2)
            .iter()
            .map(|x| x["sample_id"].clone())
            .collect();
        let code = format!("C{round}-TUBE");
        let (pool, collected) = futures_util::future::join(
            app.post(
                "/api/v1/pools",
                &health,
                json!({"barcode": code, "sample_ids": ids}),
            ),
            app.post(
                "/api/v1/samples/collections",
                &health,
                json!({"items": [tube(&people[2], "rt_pcr", &code)]}),
            ),
        )
        .await;
        let collected = answers(&collected, 1);
        match pool.status.as_u16() {
            201 => {
                assert_eq!(status(&collected[0]), "conflict");
                assert!(collected[0]["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("barcode: is a pool's"));
            }
            _ => {
                assert_eq!(pool.field_errors(), ["barcode"], "{}", pool.body);
                assert_eq!(status(&collected[0]), "done");
            }
        }
        let in_pools: i64 = pools::table
            .filter(pools::barcode.eq(&code))
            .count()
            .get_result(&mut conn)
            .unwrap();
        let in_samples: i64 = samples::table
            .filter(samples::barcode.eq(&code))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(in_pools + in_samples, 1, "one tube has {code}");
    }
}

/// Wait until `n` backends of the test's database wait on a lock (PostgreSQL).
async fn lock_waiters(app: &TestApp, n: i64) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.raw_conn();
    for _ in 0..3000 {
        let waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
        if waiting >= n {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{n} writers never came to wait on a lock");
}

#[actix_web::test]
async fn a_push_that_lost_a_race_is_replayed_an_item_at_a_time() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use tracing_backend::schema::{contacts, events, persons, sync_batches};
    let app = parallel_app().await;
    if !app.database_url.starts_with("postgres") {
        return; // SQLite runs one writing transaction at a time: no push can lose a race
    }
    let (police_id, police) = app.user("cong.an", Role::PoliceTracer, VAN_DON).await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let f0 = app.person(&health, "Nguyễn Văn Gốc").await;
    confirm(&app, &health, &f0).await;
    // two phones push the same new person, each with a contact of theirs; one more person
    // and contact in the second batch
    let (p, q) = (uuid(), uuid());
    let (cb, ca, cq) = (uuid(), uuid(), uuid());
    let person = |id: &str, name: &str| json!({"kind": "person", "data": {"id": id, "full_name": name, "residence_unit_code": CAI_RONG}});
    let contact = |id: &str, other: &str, hour: u32| {
        json!({"kind": "contact", "data": {"id": id, "person_id": f0, "contact_person_id": other,
        "first_at": local_ago(1, hour), "last_at": local_ago(1, hour + 1), "setting": "market", "proximity": "physical"}})
    };
    let (b_id, a_id) = (uuid(), uuid());
    let b = json!({"batch_id": b_id, "items": [person(&p, "Trần Thị Đua"), contact(&cb, &p, 9)]});
    let a = json!({"batch_id": a_id, "items": [person(&p, "Trần Thị Đua"), contact(&ca, &p, 14),
                                               person(&q, "Lê Văn Sau"), contact(&cq, &q, 15)]});
    // the barrier: B's answer row, held uncommitted here, stops B after its writes and
    // before its commit
    let mut blocker = app.raw_conn();
    blocker.batch_execute("BEGIN").unwrap();
    tracing_backend::store::sync::insert_batch(
        &mut blocker,
        &tracing_backend::store::sync::BatchRow {
            id: b_id.clone(),
            user_id: police_id,
            item_count: 0,
            response: "{}".into(),
            created_at: tracing_backend::store::now(),
        },
    )
    .unwrap();
    let push_b = app.post("/api/v1/sync/push", &police, b);
    // A starts once B waits: its look-ups cannot see B's person, and its insert of that
    // person waits for B's transaction
    let push_a = async {
        lock_waiters(&app, 1).await;
        app.post("/api/v1/sync/push", &police, a.clone()).await
    };
    // both waiting: let B commit, and A's insert fails on B's person
    let release = async {
        lock_waiters(&app, 2).await;
        blocker.batch_execute("ROLLBACK").unwrap();
    };
    let (rb, ra, ()) = futures_util::future::join3(push_b, push_a, release).await;
    let status_of = |r: &crate::helpers::Resp| -> Vec<String> {
        r.assert(200)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(status_of(&rb), ["created", "created"]);
    // replayed an item at a time: B's person is found the same, the rest is made
    assert_eq!(
        status_of(&ra),
        ["unchanged", "created", "created", "created"]
    );
    assert_eq!(ra.body["counts"], json!({"created": 3, "unchanged": 1}));
    for (i, id) in [&p, &ca, &q, &cq].into_iter().enumerate() {
        assert_eq!(ra.body["results"][i]["id"], id.as_str());
    }
    // nothing written twice: what the set-based attempt wrote was undone before the replay
    let mut conn = app.raw_conn();
    let events_of = |conn: &mut tracing_backend::db::AnyConnection, id: &str, action: &str| {
        events::table
            .filter(events::entity_id.eq(id))
            .filter(events::action.eq(action))
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    };
    for id in [&p, &q] {
        let rows: i64 = persons::table
            .filter(persons::id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(rows, 1);
        assert_eq!(events_of(&mut conn, id, "created"), 1, "{id}");
        assert_eq!(events_of(&mut conn, id, "classified"), 1, "{id}");
    }
    for id in [&cb, &ca, &cq] {
        let rows: i64 = contacts::table
            .filter(contacts::id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(rows, 1);
        assert_eq!(events_of(&mut conn, id, "logged"), 1, "{id}");
    }
    let answers: i64 = sync_batches::table
        .filter(sync_batches::id.eq_any([&a_id, &b_id]))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(answers, 2);
    // and A sent again gets the answer it got, writing nothing
    let total = || {
        let mut c = app.raw_conn();
        events::table.count().get_result::<i64>(&mut c).unwrap()
    };
    let before = total();
    let again = app.post("/api/v1/sync/push", &police, a).await;
    assert_eq!(again.assert(200), &ra.body);
    assert_eq!(total(), before);
}
