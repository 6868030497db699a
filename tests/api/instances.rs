//! Two instances of the service on one database, as behind a load balancer: what one does,
//! the other honours. An instance keeps who a session is for `AUTH_CACHE_MS`; past that, a
//! logout or a revoked grant made through the other is refused. Login throttling and the
//! answers of idempotent commands live in the database, so they hold across instances.

use crate::helpers::units::{QUANG_NINH, VAN_DON};
use crate::helpers::{ago, TestApp, PASSWORD};
use serde_json::json;
use std::time::Duration;
use tracing_backend::domain::roles::Role;

/// How long the second instance keeps a session's actor.
const CACHE: Duration = Duration::from_millis(300);

/// A first instance, and a second on its database that keeps actors for `CACHE`.
async fn two() -> (TestApp, TestApp) {
    let one = TestApp::new().await;
    let two = one.another_instance_with(|c| c.auth_cache = CACHE).await;
    (one, two)
}

/// Past the second instance's cache (measured from a load made before the change).
fn past_the_cache() {
    std::thread::sleep(CACHE + Duration::from_millis(100));
}

#[actix_web::test]
async fn a_logout_on_one_instance_is_refused_by_the_other() {
    let (one, two) = two().await;
    one.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let tokens = two.login_raw("hoa", PASSWORD).await;
    let access = tokens.assert(200)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh = tokens.body["refresh_token"].as_str().unwrap().to_string();
    // the second instance knows the session (and keeps it)
    two.get("/api/v1/me", &access).await.assert(200);
    one.post(
        "/api/v1/auth/logout",
        &access,
        json!({"refresh_token": refresh}),
    )
    .await
    .assert(204);
    one.get("/api/v1/me", &access)
        .await
        .assert_problem(401, "unauthorized");
    past_the_cache();
    two.get("/api/v1/me", &access)
        .await
        .assert_problem(401, "unauthorized");
    two.request(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_grant_revoked_on_one_instance_is_refused_by_the_other() {
    let (one, two) = two().await;
    let admin = one.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let (uid, token) = one.user("qn.tracer", Role::PoliceTracer, VAN_DON).await;
    two.get("/api/v1/people", &token).await.assert(200);
    let user = one.get(&format!("/api/v1/users/{uid}"), &admin).await;
    let gid = user.assert(200)["grants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    one.post(
        &format!("/api/v1/users/{uid}/grants/{gid}/revoke"),
        &admin,
        json!({"reason": "moved to another district"}),
    )
    .await
    .assert(204);
    past_the_cache();
    two.get("/api/v1/people", &token)
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn failures_on_one_instance_lock_the_login_on_the_other() {
    let (one, two) = two().await;
    one.user("hoa", Role::HealthOfficer, VAN_DON).await;
    // failures spread over both instances count together
    for i in 0..5 {
        let app = if i % 2 == 0 { &one } else { &two };
        app.login_raw("hoa", "wrong-password")
            .await
            .assert_problem(401, "unauthorized");
    }
    for app in [&one, &two] {
        app.login_raw("hoa", PASSWORD)
            .await
            .assert_problem(429, "too-many-requests");
    }
}

#[actix_web::test]
async fn a_command_sent_to_both_instances_is_done_once() {
    let (one, two) = two().await;
    let health = one.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let a = one.person(&health, "Nguyễn Văn Gốc").await;
    let c = one.person(&health, "Trần Thị Một").await;
    let contact = |id: &str| json!({"id": id, "person_id": a, "contact_person_id": c, "first_at": ago(2, 0), "last_at": ago(2, 1), "setting": "household", "proximity": "within_2m"});
    // a phone retrying through the other node: the stored answer, nothing new
    let id = uuid::Uuid::now_v7().to_string();
    let first = one.post("/api/v1/contacts", &health, contact(&id)).await;
    first.assert(201);
    let again = two.post("/api/v1/contacts", &health, contact(&id)).await;
    again.assert(200);
    assert_eq!(again.body["contact"], first.body["contact"]);
    // the same command reaching both nodes at once: one contact, both told about it
    let id = uuid::Uuid::now_v7().to_string();
    let (x, y) = futures_util::future::join(
        one.post("/api/v1/contacts", &health, contact(&id)),
        two.post("/api/v1/contacts", &health, contact(&id)),
    )
    .await;
    let mut statuses = [x.status.as_u16(), y.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "{} / {}", x.body, y.body);
    assert_eq!(x.body["contact"]["id"], id);
    assert_eq!(y.body["contact"]["id"], id);
    let listed = two
        .get(&format!("/api/v1/people/{a}/contacts"), &health)
        .await;
    assert_eq!(listed.assert(200).as_array().unwrap().len(), 2);
}
