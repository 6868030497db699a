//! A barcode names one tube, a sample's or a pool's: both ends, collection and pooling,
//! refuse one that another tube has.

use crate::samples::{statuses, world};
use serde_json::{json, Value};

#[actix_web::test]
async fn a_barcode_names_one_tube_a_sample_or_a_pool() {
    let w = world().await;
    let app = &w.app;
    let mut people = Vec::new();
    for name in ["Đỗ Văn Một", "Đỗ Văn Hai", "Đỗ Văn Ba"] {
        people.push(app.person(&w.health, name).await);
    }
    let items: Vec<Value> = people[..2]
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"person_id": p, "kind": "rt_pcr_pooled", "barcode": format!("PB-{i:04}")}))
        .collect();
    let ids: Vec<String> = w
        .collect(json!(items))
        .await
        .iter()
        .map(|i| i["sample_id"].as_str().unwrap().to_string())
        .collect();
    // a pool may not take a sample's barcode (nor another pool's)
    let r = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "pb-0000", "sample_ids": ids}),
        )
        .await;
    assert_eq!(r.field_errors(), ["barcode"]);
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("sample's"));
    app.post(
        "/api/v1/pools",
        &w.health,
        json!({"barcode": "POOL-X", "sample_ids": ids}),
    )
    .await
    .assert(201);
    let r = app
        .post(
            "/api/v1/pools",
            &w.health,
            json!({"barcode": "POOL-X", "sample_ids": ids}),
        )
        .await;
    assert_eq!(r.field_errors(), ["barcode"]);
    // nor a sample a pool's, collected ad hoc or as ordered; other items go through
    let ordered = app
        .post(
            "/api/v1/samples",
            &w.health,
            json!({"person_id": people[2], "kind": "rt_pcr"}),
        )
        .await;
    let ordered = ordered.assert(201)["id"].as_str().unwrap().to_string();
    let r = w
        .collect(json!([
            {"person_id": people[2], "kind": "rt_pcr", "barcode": "pool-x"},
            {"sample_id": ordered, "barcode": "POOL-X"},
            {"person_id": people[2], "kind": "antigen_staff", "barcode": "AG-0100"},
        ]))
        .await;
    assert_eq!(statuses(&r), ["conflict", "conflict", "done"]);
    for item in &r[..2] {
        let detail = item["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("barcode: is a pool's"),
            "{detail}: names the field and the holder"
        );
    }
    assert_eq!(r[1]["sample_id"], ordered.as_str());
    // nothing was written for the refused items
    let mine = w.samples_of(&people[2]).await;
    assert_eq!(mine.len(), 2, "the order and the antigen test");
    let order = mine.iter().find(|s| s["id"] == ordered.as_str()).unwrap();
    assert_eq!(order["state"], "ordered");
    assert!(order["barcode"].is_null());
    // the laboratory still finds the pool by its barcode
    let r = app
        .post(
            "/api/v1/labs/cdc-qn/receipts",
            &w.lab,
            json!({"barcodes": ["POOL-X"]}),
        )
        .await;
    assert_eq!(r.assert(200)[0]["status"], "done");
}
