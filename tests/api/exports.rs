//! CSV exports stream a whole list page by page; one that fails midway must not look like a
//! complete file to the client that downloads it.

use crate::helpers::units::*;
use crate::helpers::TestApp;
use diesel::prelude::*;
use serde_json::json;
use std::io::{Read, Write};
use tracing_backend::domain::roles::Role;
use tracing_backend::store::people::PersonRow;

/// `n` people of Cái Rồng (`p00000` …), each an F2 with no sample: a `not_sampled` line.
pub(crate) async fn f2s(app: &TestApp, token: &str, n: usize) {
    let r = app
        .post(
            "/api/v1/people",
            token,
            json!({"full_name": "Người Mẫu", "residence_unit_code": CAI_RONG}),
        )
        .await;
    let template = r.assert(201)["person"]["id"].as_str().unwrap().to_string();
    let mut conn = app.raw_conn();
    let row: PersonRow = tracing_backend::schema::persons::table
        .find(&template)
        .select(PersonRow::as_select())
        .get_result(&mut conn)
        .unwrap();
    let people: Vec<PersonRow> = (0..n)
        .map(|i| PersonRow {
            id: format!("p{i:05}"),
            full_name: format!("Người {i}"),
            ..row.clone()
        })
        .collect();
    tracing_backend::store::people::insert_rows(&mut conn, &people).unwrap();
    let at = tracing_backend::store::now();
    let exposures: Vec<_> = people
        .iter()
        .map(|p| tracing_backend::store::trace::ExposureRow {
            person_id: p.id.clone(),
            level: 2,
            status: tracing_backend::domain::cases::ExposureStatus::Active,
            window_start: at,
            window_end: None,
            via_person_id: None,
            case_id: None,
            unit_path: p.unit_path.clone(),
            classified_at: at,
            updated_at: at,
            cleared_at: None,
        })
        .collect();
    tracing_backend::store::trace::upsert_exposures(&mut conn, &exposures).unwrap();
}

/// What a plain HTTP/1.1 client gets for a GET: the status line and headers, the body
/// decoded from its chunks, and whether the body ended with the last chunk.
struct Download {
    head: String,
    body: String,
    complete: bool,
}

fn download(addr: std::net::SocketAddr, path: &str, token: &str) -> Download {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // read until the server closes the connection (or resets it)
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the response's headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut rest = &raw[split + 4..];
    let (mut body, mut complete) = (Vec::new(), false);
    // chunks: a size in hex, CRLF, the bytes, CRLF; the last one is of size 0
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
            .expect("a chunk size");
        if size == 0 {
            complete = true;
            break;
        }
        let data = &rest[eol + 2..];
        if data.len() < size + 2 {
            break; // cut off inside the chunk
        }
        body.extend_from_slice(&data[..size]);
        rest = &data[size + 2..];
    }
    Download {
        head,
        body: String::from_utf8_lossy(&body).to_string(),
        complete,
    }
}

#[actix_web::test]
async fn an_export_that_fails_midway_is_cut_off_not_finished() {
    let app = TestApp::new().await;
    let health = app.token("y.te", Role::HealthOfficer, VAN_DON).await;
    let n = 1203;
    f2s(&app, &health, n).await;
    // the application on a port of its own, for a client that speaks HTTP
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || tracing_backend::api::build_app(state.clone()))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let get = |token: String| {
        actix_web::web::block(move || {
            download(
                addr,
                "/api/v1/line-lists/not_sampled?format=csv&purpose=weekly%20follow-up",
                &token,
            )
        })
    };

    // whole, the export ends with its last chunk
    let whole = get(health.clone()).await.unwrap();
    assert!(whole.head.starts_with("HTTP/1.1 200"), "{}", whole.head);
    assert!(whole.complete);
    assert_eq!(whole.body.lines().count(), 1 + n);

    // a person of the second page (of 500) that the database cannot give: that page fails
    let mut conn = app.raw_conn();
    diesel::sql_query("UPDATE persons SET source = 'not-a-source' WHERE id = 'p00700'")
        .execute(&mut conn)
        .unwrap();
    let cut = get(health.clone()).await.unwrap();
    handle.stop(false).await;
    assert!(cut.head.starts_with("HTTP/1.1 200"), "{}", cut.head);
    assert!(
        cut.head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{}",
        cut.head
    );
    assert!(!cut.complete, "the download must not look finished");
    // what came is the start of the export, up to the end of the page before the failure
    let lines: Vec<&str> = cut.body.lines().collect();
    let expected: Vec<&str> = whole.body.lines().take(lines.len()).collect();
    assert_eq!(lines, expected);
    assert!(
        lines.len() <= 1 + 500,
        "nothing of the failed page or after it"
    );
}
