//! The service's logs hold no personal data: the real binary, logging as it does in
//! production (its own lines at debug), is sent names, national IDs and phones through every
//! kind of request (bodies, query strings, paths, bad input, a body that is not JSON), and
//! its whole output is searched for them.

use crate::helpers::fresh_database;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tracing-backend");
const PASSWORD: &str = "Demo-Passw0rd-long";
const NAME: &str = "Hoàng Thị Kín Đáo";
const NATIONAL_ID: &str = "022190004321";
const PHONE: &str = "0987654321";
const CONTACT_NAME: &str = "Đinh Văn Giấu Tên";
const CONTACT_PHONE: &str = "0977111222";

/// One request over a fresh connection: the status and the body.
fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, Value::Null);
    };
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn logs_hold_no_names_national_ids_or_phones() {
    let (url, _cleanup) = fresh_database();
    let env = |c: &mut Command| {
        c.env("DATABASE_URL", &url)
            .env("METRICS_ADDR", "off")
            .env("RUST_LOG", "info,tracing_backend=debug")
            .env_remove("LOG_FORMAT")
            .env_remove("JWT_SECRET")
            .env_remove("APP_ENV");
    };
    let mut seed = Command::new(BIN);
    env(&mut seed);
    let out = seed
        .args(["seed-demo", "--password", PASSWORD])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut serve = Command::new(BIN);
    env(&mut serve);
    let mut child = serve
        .arg("serve")
        .env("BIND_ADDR", addr.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while call(addr, "GET", "/healthz", None, "").0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the service did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let login = |user: &str| {
        let (status, body) = call(
            addr,
            "POST",
            "/api/v1/auth/login",
            None,
            &json!({"username": user, "password": PASSWORD}).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    };
    let health = login("demo.health");
    let police = login("demo.police");
    let h = Some(health.as_str());
    // a body: a registration
    let (status, made) = call(
        addr,
        "POST",
        "/api/v1/people",
        h,
        &json!({"full_name": NAME, "national_id": NATIONAL_ID, "phones": [PHONE],
                "residence_address": "Số 7 ngõ Kín", "residence_unit_code": "06994"})
        .to_string(),
    );
    assert_eq!(status, 201, "{made}");
    let id = made["person"]["id"].as_str().unwrap().to_string();
    // query strings: searches by name, phone and national ID
    for q in [
        "q=ho%C3%A0ng%20th%E1%BB%8B%20k%C3%ADn".to_string(),
        format!("phone={PHONE}"),
        format!("national_id={NATIONAL_ID}"),
    ] {
        let (status, _) = call(addr, "GET", &format!("/api/v1/people?{q}"), h, "");
        assert_eq!(status, 200, "{q}");
    }
    // a contact with a person typed in by the police
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/contacts",
        Some(&police),
        &json!({"person_id": id, "contact_person": {"full_name": CONTACT_NAME, "phones": [CONTACT_PHONE]},
                "first_at": "2021-01-27T08:00:00Z", "last_at": "2021-01-27T09:00:00Z",
                "setting": "market", "proximity": "within_2m"})
        .to_string(),
    );
    assert!(status == 201 || status == 422, "{status} {body}");
    // bad input carrying personal data: a refusal, a conflict, a body that is not JSON
    let (status, _) = call(
        addr,
        "POST",
        "/api/v1/people",
        h,
        &json!({"full_name": NAME, "national_id": NATIONAL_ID, "residence_unit_code": "06994"})
            .to_string(),
    );
    assert_eq!(status, 409);
    let (status, _) = call(
        addr,
        "PATCH",
        &format!("/api/v1/people/{id}"),
        h,
        &json!({"version": 99, "phones": [PHONE, "12ab"]}).to_string(),
    );
    assert!(status == 409 || status == 422, "{status}");
    let (status, _) = call(
        addr,
        "POST",
        "/api/v1/people",
        h,
        &format!("{{\"full_name\": \"{NAME}\", \"national_id\": {NATIONAL_ID}"),
    );
    assert_eq!(status, 400);
    // personal data in a path, and a login with a phone for a username
    call(addr, "GET", &format!("/api/v1/people/{NATIONAL_ID}"), h, "");
    call(
        addr,
        "POST",
        "/api/v1/auth/login",
        None,
        &json!({"username": PHONE, "password": "not-the-password"}).to_string(),
    );
    // reads that answer with it
    call(addr, "GET", &format!("/api/v1/people/{id}"), h, "");
    call(addr, "GET", &format!("/api/v1/people/{id}/history"), h, "");
    call(
        addr,
        "GET",
        "/api/v1/line-lists/f1_not_isolated?format=csv&purpose=ki%E1%BB%83m%20tra",
        h,
        "",
    );

    let _ = child.kill();
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let _ = child.wait();
    // the logs were captured: each request has its line
    assert!(logs.matches("answered").count() >= 10, "{logs}");
    for secret in [
        NAME,
        "Hoàng",
        "hoang thi kin",
        NATIONAL_ID,
        PHONE,
        "987654321",
        "Kín",
        CONTACT_NAME,
        CONTACT_PHONE,
    ] {
        assert!(!logs.contains(secret), "the logs hold {secret:?}:\n{logs}");
    }
}
