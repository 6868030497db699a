use crate::helpers::units::*;
use crate::helpers::{TestApp, PASSWORD};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;
use tracing_backend::domain::roles::Role;

#[actix_web::test]
async fn login_gives_tokens_and_me_names_the_grants() {
    let app = TestApp::new().await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let r = app.login_raw("HOA ", PASSWORD).await;
    let body = r.assert(200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() > 30);
    let token = body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", token).await;
    let me = me.assert(200);
    assert_eq!(me["username"], "hoa");
    assert_eq!(me["grants"][0]["role"], "health_officer");
    assert_eq!(me["grants"][0]["unit_code"], VAN_DON);
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = TestApp::new().await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let wrong = app.login_raw("hoa", "not-the-password").await;
    let unknown = app.login_raw("nobody", "not-the-password").await;
    wrong.assert_problem(401, "unauthorized");
    unknown.assert_problem(401, "unauthorized");
    assert_eq!(wrong.body, unknown.body);
}

#[actix_web::test]
async fn repeated_failures_lock_the_username_known_or_not() {
    let app = TestApp::new().await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    for name in ["hoa", "ghost"] {
        for _ in 0..5 {
            app.login_raw(name, "wrong-password")
                .await
                .assert_problem(401, "unauthorized");
        }
        app.login_raw(name, "wrong-password")
            .await
            .assert_problem(429, "too-many-requests");
    }
    // locked: even the right password waits
    app.login_raw("hoa", PASSWORD)
        .await
        .assert_problem(429, "too-many-requests");
}

#[actix_web::test]
async fn a_lock_expires() {
    let app = TestApp::with_config(|c| c.login_lock = std::time::Duration::from_secs(1)).await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    for _ in 0..5 {
        app.login_raw("hoa", "wrong-password").await;
    }
    app.login_raw("hoa", PASSWORD)
        .await
        .assert_problem(429, "too-many-requests");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    app.login_raw("hoa", PASSWORD).await.assert(200);
}

#[actix_web::test]
async fn refresh_rotates_and_a_replayed_token_ends_the_session() {
    let app = TestApp::new().await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let first = app.login_raw("hoa", PASSWORD).await.body;
    let r1 = first["refresh_token"].as_str().unwrap();
    let second = app
        .request(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": r1})),
        )
        .await;
    let second = second.assert(200).clone();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    let access2 = second["access_token"].as_str().unwrap();
    app.get("/api/v1/me", access2).await.assert(200);
    // the used token again: refused, and the whole session is revoked
    app.request(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": r1})),
    )
    .await
    .assert_problem(401, "unauthorized");
    app.request(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": r2})),
    )
    .await
    .assert_problem(401, "unauthorized");
    app.get("/api/v1/me", access2)
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn logout_ends_the_session_and_only_for_its_owner() {
    let app = TestApp::new().await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    app.user("lan", Role::PoliceTracer, VAN_DON).await;
    let tokens = app.login_raw("hoa", PASSWORD).await.body;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let other = app.login("lan", PASSWORD).await;
    // someone else's refresh token cannot be logged out
    let r = app
        .post(
            "/api/v1/auth/logout",
            &other,
            json!({"refresh_token": refresh}),
        )
        .await;
    r.assert_problem(422, "validation");
    app.post(
        "/api/v1/auth/logout",
        access,
        json!({"refresh_token": refresh}),
    )
    .await
    .assert(204);
    app.get("/api/v1/me", access)
        .await
        .assert_problem(401, "unauthorized");
    app.request(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn change_password_checks_the_current_one_and_ends_sessions() {
    let app = TestApp::new().await;
    let (_, token) = app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let r = app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current_password": "wrong-one-here", "new_password": "another-long-pass"}),
        )
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["current_password"]);
    let r = app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["new_password"]);
    app.post(
        "/api/v1/auth/password",
        &token,
        json!({"current_password": PASSWORD, "new_password": "another-long-pass"}),
    )
    .await
    .assert(204);
    app.get("/api/v1/me", &token)
        .await
        .assert_problem(401, "unauthorized");
    app.login_raw("hoa", PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
    let fresh = app.login("hoa", "another-long-pass").await;
    app.get("/api/v1/me", &fresh).await.assert(200);
}

fn claims(app: &TestApp, exp_offset: i64, aud: &str) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    let _ = app;
    json!({"sub": "x", "iss": "tracing-backend", "aud": aud, "exp": now + exp_offset, "nbf": now - 10, "iat": now - 10, "jti": "j", "sid": "s"})
}

#[actix_web::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = TestApp::new().await;
    let (user_id, good) = app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let secret = app.state.config.jwt_secret.clone().unwrap();
    // reuse the real session id so that only the property under test is wrong
    let real: serde_json::Value = {
        let payload = good.split('.').nth(1).unwrap();
        use base64::Engine;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let make = |alg: Algorithm, exp_offset: i64, aud: &str| {
        let mut c = claims(&app, exp_offset, aud);
        c["sub"] = json!(user_id);
        c["sid"] = real["sid"].clone();
        encode(
            &Header::new(alg),
            &c,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    // control: a well-formed token made the same way is accepted
    app.get("/api/v1/me", &make(Algorithm::HS256, 600, "tracing-api"))
        .await
        .assert(200);
    let expired = make(Algorithm::HS256, -600, "tracing-api");
    let wrong_audience = make(Algorithm::HS256, 600, "another-service");
    let other_algorithm = make(Algorithm::HS512, 600, "tracing-api");
    let unsigned = {
        let header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
        let mut c = claims(&app, 600, "tracing-api");
        c["sub"] = json!(user_id);
        format!("{header}.{}.", base64_url(c.to_string().as_bytes()))
    };
    let wrong_secret = encode(
        &Header::new(Algorithm::HS256),
        &claims(&app, 600, "tracing-api"),
        &EncodingKey::from_secret(b"another-secret-another-secret-0000"),
    )
    .unwrap();
    for bad in [
        expired,
        wrong_audience,
        other_algorithm,
        unsigned,
        wrong_secret,
        "garbage".into(),
    ] {
        let r = app.get("/api/v1/me", &bad).await;
        r.assert_problem(401, "unauthorized");
    }
    let none = app.request("GET", "/api/v1/me", None, None).await;
    none.assert_problem(401, "unauthorized");
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

// ---- users and grants ------------------------------------------------------------------

#[actix_web::test]
async fn an_administrator_creates_users_and_grants_inside_their_jurisdiction() {
    let app = TestApp::new().await;
    let admin = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    // an account with no grant would be the nation's: a province gives it its first grant
    let r = app
        .post("/api/v1/users", &admin, json!({"username": "Tracer.One", "display_name": "Trần Văn Một", "password": "a-long-password"}))
        .await;
    assert_eq!(r.field_errors(), ["grant"]);
    let r = app
        .post("/api/v1/users", &admin, json!({"username": "Tracer.One", "display_name": "Trần Văn Một", "password": "a-long-password",
                                              "grant": {"role": "police_tracer", "unit_code": BAC_GIANG}}))
        .await;
    r.assert_problem(403, "forbidden");
    let r = app
        .post("/api/v1/users", &admin, json!({"username": "Tracer.One", "display_name": "Trần Văn Một", "password": "a-long-password",
                                              "grant": {"role": "police_tracer", "unit_code": VAN_DON}}))
        .await;
    let user = r.assert(201).clone();
    assert_eq!(user["username"], "tracer.one");
    assert_eq!(user["grants"][0]["role"], "police_tracer");
    let id = user["id"].as_str().unwrap();
    let g = app
        .post(
            &format!("/api/v1/users/{id}/grants"),
            &admin,
            json!({"role": "health_officer", "unit_code": VAN_DON}),
        )
        .await;
    g.assert(201);
    assert_eq!(g.body["role"], "health_officer");
    // the new user can now work in Vân Đồn
    let t = app.login("tracer.one", "a-long-password").await;
    app.get("/api/v1/people", &t).await.assert(200);
    // outside the administrator's province: refused
    let r = app
        .post(
            &format!("/api/v1/users/{id}/grants"),
            &admin,
            json!({"role": "police_tracer", "unit_code": BAC_GIANG}),
        )
        .await;
    r.assert_problem(403, "forbidden");
    // the same grant twice: conflict
    let r = app
        .post(
            &format!("/api/v1/users/{id}/grants"),
            &admin,
            json!({"role": "police_tracer", "unit_code": VAN_DON}),
        )
        .await;
    r.assert_problem(409, "conflict");
    // a taken username
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "tracer.one", "display_name": "x", "password": "a-long-password",
                   "grant": {"role": "police_tracer", "unit_code": VAN_DON}}),
        )
        .await;
    r.assert_problem(409, "conflict");
}

#[actix_web::test]
async fn only_administrators_manage_users() {
    let app = TestApp::new().await;
    let health = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    let r = app
        .post(
            "/api/v1/users",
            &health,
            json!({"username": "x.y", "display_name": "x", "password": "a-long-password"}),
        )
        .await;
    r.assert_problem(403, "forbidden");
    app.get("/api/v1/users", &health)
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn grants_are_validated_by_kind() {
    let app = TestApp::new().await;
    let national = app.token("root", Role::Admin, "VN").await;
    let province = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let r = app
        .post(
            "/api/v1/users",
            &national,
            json!({"username": "camp.m", "display_name": "x", "password": "a-long-password"}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/users/{id}/grants");
    let r = app
        .post(
            &url,
            &national,
            json!({"role": "camp_manager", "unit_code": VAN_DON}),
        )
        .await;
    assert_eq!(r.field_errors(), ["site_id"]);
    let r = app
        .post(
            &url,
            &national,
            json!({"role": "police_tracer", "site_id": "camp-1"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["unit_code"]);
    let r = app
        .post(
            &url,
            &national,
            json!({"role": "sheriff", "unit_code": VAN_DON}),
        )
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(r.field_errors(), ["role"]);
    let r = app
        .post(
            &url,
            &national,
            json!({"role": "police_tracer", "unit_code": "99999"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["unit_code"]);
    // a site must exist, and lie in the granting administrator's jurisdiction
    let r = app
        .post(
            &url,
            &national,
            json!({"role": "camp_manager", "site_id": "no-such-camp"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["site_id"]);
    app.post(
        "/api/v1/sites",
        &national,
        json!({"id": "bg-camp", "name": "Ký túc xá Bắc Giang", "kind": "dormitory",
               "address": "Bắc Giang", "unit_code": BAC_GIANG, "capacity": 50}),
    )
    .await
    .assert(201);
    // a site elsewhere answers as one that does not exist
    let r = app
        .post(
            "/api/v1/users",
            &province,
            json!({"username": "qn.camp", "display_name": "x", "password": "a-long-password",
                   "grant": {"role": "police_tracer", "unit_code": VAN_DON}}),
        )
        .await;
    let qn_user = r.assert(201)["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/users/{qn_user}/grants"),
            &province,
            json!({"role": "camp_manager", "site_id": "bg-camp"}),
        )
        .await;
    assert_eq!(r.field_errors(), ["site_id"]);
    // the province does not manage an account made by the nation with no grant
    app.post(
        &url,
        &province,
        json!({"role": "police_tracer", "unit_code": VAN_DON}),
    )
    .await
    .assert_problem(404, "not-found");
    app.post(
        &url,
        &national,
        json!({"role": "camp_manager", "site_id": "bg-camp"}),
    )
    .await
    .assert(201);
}

#[actix_web::test]
async fn administrators_see_only_users_of_their_jurisdiction() {
    let app = TestApp::new().await;
    let qn = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let (bg_user, _) = app.user("bg.tracer", Role::PoliceTracer, BAC_GIANG).await;
    let (qn_user, _) = app.user("qn.tracer", Role::PoliceTracer, VAN_DON).await;
    let list = app.get("/api/v1/users?limit=200", &qn).await;
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&qn_user.as_str()));
    assert!(!ids.contains(&bg_user.as_str()));
    app.get(&format!("/api/v1/users/{bg_user}"), &qn)
        .await
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/users/{qn_user}"), &qn)
        .await
        .assert(200);
}

#[actix_web::test]
async fn revoking_a_grant_takes_effect_at_once_and_needs_a_reason() {
    let app = TestApp::new().await;
    let admin = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let (uid, token) = app.user("qn.tracer", Role::PoliceTracer, VAN_DON).await;
    app.get("/api/v1/people", &token).await.assert(200);
    let user = app.get(&format!("/api/v1/users/{uid}"), &admin).await;
    let gid = user.body["grants"][0]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/users/{uid}/grants/{gid}/revoke");
    let r = app.post(&url, &admin, json!({"reason": ""})).await;
    assert_eq!(r.field_errors(), ["reason"]);
    app.post(&url, &admin, json!({"reason": "moved to another district"}))
        .await
        .assert(204);
    // the account has no grant left: the nation's, which sees the revocation already made
    let national = app.token("root", Role::Admin, "VN").await;
    app.post(
        &url,
        &national,
        json!({"reason": "moved to another district"}),
    )
    .await
    .assert_problem(409, "conflict");
    // no grant left: fail closed
    app.get("/api/v1/people", &token)
        .await
        .assert_problem(403, "forbidden");
    // an account with no grant is the nation's to manage, no longer the province's
    app.get(&format!("/api/v1/users/{uid}/history"), &admin)
        .await
        .assert_problem(404, "not-found");
    let history = app
        .get(&format!("/api/v1/users/{uid}/history"), &national)
        .await;
    let actions: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"grant_revoked"), "{actions:?}");
    let revoked = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "grant_revoked")
        .unwrap();
    assert_eq!(revoked["reason"], "moved to another district");
    assert_eq!(revoked["actor_role"], "admin");
}

#[actix_web::test]
async fn deactivating_a_user_ends_their_sessions_and_versions_are_checked() {
    let app = TestApp::new().await;
    let admin = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let (uid, token) = app.user("qn.tracer", Role::PoliceTracer, VAN_DON).await;
    let url = format!("/api/v1/users/{uid}");
    app.patch(&url, &admin, json!({"version": 7, "active": false}))
        .await
        .assert_problem(409, "stale-version");
    let r = app
        .patch(
            &url,
            &admin,
            json!({"version": 1, "active": false, "reason": "left the team"}),
        )
        .await;
    assert_eq!(r.assert(200)["active"], false);
    app.get("/api/v1/me", &token)
        .await
        .assert_problem(401, "unauthorized");
    let r = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "qn.tracer", "password": PASSWORD})),
        )
        .await;
    r.assert_problem(401, "unauthorized");
    // an administrator resets a password: the user logs in with the new one
    let r = app
        .patch(
            &url,
            &admin,
            json!({"version": 2, "active": true, "password": "temporary-pass-1"}),
        )
        .await;
    r.assert(200);
    app.login("qn.tracer", "temporary-pass-1").await;
}

#[actix_web::test]
async fn account_endpoints_refuse_other_roles_and_other_jurisdictions() {
    let app = TestApp::new().await;
    let qn_admin = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let bg_admin = app.token("bg.admin", Role::Admin, BAC_GIANG).await;
    let health = app.token("hoa", Role::HealthOfficer, VAN_DON).await;
    let (uid, _) = app.user("qn.tracer", Role::PoliceTracer, VAN_DON).await;
    let gid = app
        .get(&format!("/api/v1/users/{uid}"), &qn_admin)
        .await
        .body["grants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = format!("/api/v1/users/{uid}");
    let grants = format!("{user}/grants");
    let revoke = format!("{grants}/{gid}/revoke");
    let history = format!("{user}/history");
    // a health officer manages no account
    app.get(&user, &health)
        .await
        .assert_problem(403, "forbidden");
    app.patch(&user, &health, json!({"version": 1, "display_name": "x"}))
        .await
        .assert_problem(403, "forbidden");
    app.get(&history, &health)
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &grants,
        &health,
        json!({"role": "police_tracer", "unit_code": VAN_DON}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(&revoke, &health, json!({"reason": "no longer needed"}))
        .await
        .assert_problem(403, "forbidden");
    // another province's administrator does not see the account
    app.get(&user, &bg_admin)
        .await
        .assert_problem(404, "not-found");
    app.patch(&user, &bg_admin, json!({"version": 1, "display_name": "x"}))
        .await
        .assert_problem(404, "not-found");
    app.get(&history, &bg_admin)
        .await
        .assert_problem(404, "not-found");
    app.post(
        &grants,
        &bg_admin,
        json!({"role": "police_tracer", "unit_code": VAN_TRUNG}),
    )
    .await
    .assert_problem(404, "not-found");
    app.post(&revoke, &bg_admin, json!({"reason": "no longer needed"}))
        .await
        .assert_problem(404, "not-found");
    // the province's own administrator may
    let h = app.get(&history, &qn_admin).await;
    let actions: Vec<&str> = h.assert(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[..2], ["created", "granted"]);
    // and nobody without a token
    for (method, path) in [
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/password"),
    ] {
        app.request(method, path, None, Some(json!({})))
            .await
            .assert_problem(401, "unauthorized");
    }
}

#[actix_web::test]
async fn with_no_configured_secret_each_database_has_its_own_and_keeps_it() {
    let app = TestApp::new().await;
    let (user_id, token) = app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let secret = app.state.config.jwt_secret.clone().unwrap();
    assert!(secret.len() >= 40, "a random secret of 32 bytes");
    // a token signed with the secret that used to be written in the source is refused
    let real: serde_json::Value = {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &real,
        &EncodingKey::from_secret(b"development-only-secret-do-not-use-in-production"),
    )
    .unwrap();
    app.get("/api/v1/me", &forged)
        .await
        .assert_problem(401, "unauthorized");
    // another instance on the same database (or a restart) accepts the sessions
    let again = app.another_instance().await;
    assert_eq!(
        again.state.config.jwt_secret.as_deref(),
        Some(secret.as_str())
    );
    let me = again.get("/api/v1/me", &token).await;
    assert_eq!(me.assert(200)["id"], user_id);
    // a different database makes a different secret, and refuses this one's tokens
    let other = TestApp::new().await;
    assert_ne!(other.state.config.jwt_secret, app.state.config.jwt_secret);
    other
        .get("/api/v1/me", &token)
        .await
        .assert_problem(401, "unauthorized");
}

/// A login from a client address.
async fn login_from(
    app: &TestApp,
    addr: &str,
    username: &str,
    password: &str,
) -> crate::helpers::Resp {
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(format!("{addr}:40000").parse().unwrap())
        .set_json(json!({"username": username, "password": password}))
        .to_request();
    app.send(req).await
}

fn actions_of(app: &TestApp, user_id: &str) -> Vec<String> {
    use diesel::prelude::*;
    use tracing_backend::schema::events;
    let mut conn = app.raw_conn();
    events::table
        .filter(events::entity_type.eq("user"))
        .filter(events::entity_id.eq(user_id))
        .order(events::id.asc())
        .select(events::action)
        .load(&mut conn)
        .unwrap()
}

#[actix_web::test]
async fn a_district_administrator_cannot_take_over_an_account_that_reads_elsewhere() {
    let app = TestApp::new().await;
    let district = app.token("vd.admin", Role::Admin, VAN_DON).await;
    let national = app.token("root", Role::Admin, "VN").await;
    // an account with a grant here and one in another province
    let (both, _) = app.user("two.places", Role::PoliceTracer, VAN_DON).await;
    app.post(
        &format!("/api/v1/users/{both}/grants"),
        &national,
        json!({"role": "police_tracer", "unit_code": BAC_GIANG}),
    )
    .await
    .assert(201);
    // an account with no grant at all
    let r = app
        .post(
            "/api/v1/users",
            &national,
            json!({"username": "no.grant", "display_name": "x", "password": "a-long-password"}),
        )
        .await;
    let bare = r.assert(201)["id"].as_str().unwrap().to_string();
    // an account wholly inside the district
    let (inside, _) = app.user("vd.tracer", Role::PoliceTracer, CAI_RONG).await;
    for id in [&both, &bare] {
        let read = app.get(&format!("/api/v1/users/{id}"), &national).await;
        let version = read.assert(200)["version"].clone();
        let take_over =
            json!({"version": version, "password": "a-password-i-chose", "active": true});
        app.patch(&format!("/api/v1/users/{id}"), &district, take_over)
            .await
            .assert_problem(404, "not-found");
        app.get(&format!("/api/v1/users/{id}"), &district)
            .await
            .assert_problem(404, "not-found");
        app.get(&format!("/api/v1/users/{id}/history"), &district)
            .await
            .assert_problem(404, "not-found");
        app.post(
            &format!("/api/v1/users/{id}/grants"),
            &district,
            json!({"role": "health_officer", "unit_code": VAN_DON}),
        )
        .await
        .assert_problem(404, "not-found");
        app.post(
            &format!("/api/v1/users/{id}/unlock"),
            &district,
            json!({"reason": "asked by phone"}),
        )
        .await
        .assert_problem(404, "not-found");
    }
    // nor revoke the grant it holds in the district
    let grants = app.get(&format!("/api/v1/users/{both}"), &national).await;
    let here = grants.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["unit_code"] == VAN_DON)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &format!("/api/v1/users/{both}/grants/{here}/revoke"),
        &district,
        json!({"reason": "no longer with the district team"}),
    )
    .await
    .assert_problem(404, "not-found");
    // the two-province account's password still works, and nobody else's does
    app.login("two.places", crate::helpers::PASSWORD).await;
    app.login_raw("two.places", "a-password-i-chose")
        .await
        .assert_problem(401, "unauthorized");
    // the list shows only the account inside; the nation's shows all three
    let ids = |r: &crate::helpers::Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mine = ids(&app.get("/api/v1/users?limit=200", &district).await);
    assert!(mine.contains(&inside));
    assert!(!mine.contains(&both) && !mine.contains(&bare), "{mine:?}");
    let all = ids(&app.get("/api/v1/users?limit=200", &national).await);
    for id in [&both, &bare, &inside] {
        assert!(all.contains(id));
    }
    // what the district may do to its own account, it does, and each is an event
    let read = app.get(&format!("/api/v1/users/{inside}"), &district).await;
    let version = read.assert(200)["version"].clone();
    app.patch(
        &format!("/api/v1/users/{inside}"),
        &district,
        json!({"version": version, "password": "a-new-long-password", "reason": "forgotten"}),
    )
    .await
    .assert(200);
    app.login("vd.tracer", "a-new-long-password").await;
    let actions = actions_of(&app, &inside);
    assert!(actions.contains(&"updated".to_string()), "{actions:?}");
}

#[actix_web::test]
async fn a_client_that_keeps_failing_is_locked_alone_and_an_administrator_unlocks() {
    let app = TestApp::new().await;
    let (uid, _) = app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    let attacker = "198.51.100.7";
    for _ in 0..5 {
        login_from(&app, attacker, "hoa", "wrong-password")
            .await
            .assert_problem(401, "unauthorized");
    }
    let locked = login_from(&app, attacker, "hoa", PASSWORD).await;
    locked.assert_problem(429, "too-many-requests");
    let retry: u64 = locked
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 800, "{retry}");
    // the owner, elsewhere, logs in
    login_from(&app, "203.0.113.20", "hoa", PASSWORD)
        .await
        .assert(200);
    // failures and the lock are events of the account, and never hold the password
    let actions = actions_of(&app, &uid);
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 5);
    assert_eq!(actions.iter().filter(|a| *a == "login_locked").count(), 1);
    {
        use diesel::prelude::*;
        use tracing_backend::schema::{event_changes, events};
        let mut conn = app.raw_conn();
        let texts: Vec<Option<String>> = events::table
            .inner_join(event_changes::table)
            .filter(events::entity_id.eq(&uid))
            .select(event_changes::after_json)
            .load(&mut conn)
            .unwrap();
        assert!(texts
            .iter()
            .flatten()
            .all(|t| !t.contains("wrong-password")));
        assert!(texts.iter().flatten().any(|t| t.contains(attacker)));
    }
    // an administrator lifts the lock, with a reason
    let admin = app.token("qn.admin", Role::Admin, QUANG_NINH).await;
    let url = format!("/api/v1/users/{uid}/unlock");
    let r = app.post(&url, &admin, json!({"reason": ""})).await;
    assert_eq!(r.field_errors(), ["reason"]);
    app.post(
        &url,
        &admin,
        json!({"reason": "the owner called from that office"}),
    )
    .await
    .assert(200);
    login_from(&app, attacker, "hoa", PASSWORD)
        .await
        .assert(200);
    assert!(actions_of(&app, &uid).contains(&"unlocked".to_string()));
    // only administrators unlock
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    app.post(&url, &health, json!({"reason": "x"}))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn guessing_from_many_clients_slows_the_username_down_without_locking_it() {
    let app = TestApp::with_config(|c| {
        c.login_slow_after = 3;
        c.login_max_delay = std::time::Duration::from_secs(1);
    })
    .await;
    app.user("hoa", Role::HealthOfficer, VAN_DON).await;
    // three clients fail once each, a fourth twice: past the threshold
    for (i, n) in [(1, 1), (2, 1), (3, 1), (4, 1)] {
        for _ in 0..n {
            login_from(&app, &format!("198.51.100.{i}"), "hoa", "wrong-password")
                .await
                .assert_problem(401, "unauthorized");
        }
    }
    // every client waits now, the owner too, but seconds, not a lock
    let r = login_from(&app, "203.0.113.20", "hoa", PASSWORD).await;
    r.assert_problem(429, "too-many-requests");
    let retry: u64 = r
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry <= 1, "{retry}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    login_from(&app, "203.0.113.20", "hoa", PASSWORD)
        .await
        .assert(200);
}
