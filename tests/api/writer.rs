//! The writer that commits SQLite commands in groups: each command stays all-or-nothing,
//! is answered only once committed, and one failing or panicking command cannot leave a
//! half-written group behind.

use crate::helpers::units::*;
use crate::helpers::{ago, TestApp};
use futures_util::future::join_all;
use serde_json::json;
use std::sync::mpsc;
use std::time::Duration;
use tracing_backend::db::{self, writer::Writer, AnyConnection};
use tracing_backend::domain::roles::Role;
use tracing_backend::error::AppError;
use tracing_backend::store::events::{self, EventRow};

fn event(entity: &str) -> EventRow {
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        entity_type: "writer_test".into(),
        entity_id: entity.into(),
        action: "written".into(),
        actor_id: None,
        actor_role: None,
        at: tracing_backend::store::now(),
        before_json: None,
        after_json: None,
        reason: None,
        level: None,
        via_id: None,
        state: None,
        recorded_at: None,
        backdate_reason: None,
        erased_at: None,
    }
}

/// Which of `entities` have their event, read on a connection of its own.
fn written(app: &TestApp, entities: &[&str]) -> Vec<String> {
    let mut conn = app.raw_conn();
    let ids: Vec<String> = entities.iter().map(|s| s.to_string()).collect();
    let mut found: Vec<String> = events::history(&mut conn, "writer_test", &ids, None, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.entity_id)
        .collect();
    found.sort();
    found
}

fn writer_of(app: &TestApp) -> Writer {
    let pool = db::pool(&app.database_url, 4, Duration::from_secs(5)).unwrap();
    Writer::start(pool, 64)
}

/// Put a first command on the writer and wait until it runs: it holds the writer until
/// `open` is sent, so that the commands queued meanwhile run as the next group.
fn gate(writer: &Writer) -> (impl std::future::Future<Output = ()>, mpsc::Sender<()>) {
    let (open, wait) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let answer = writer.write(move |_c: &mut AnyConnection| {
        started.send(()).unwrap();
        wait.recv_timeout(Duration::from_secs(10)).ok();
        Ok(())
    });
    running.recv_timeout(Duration::from_secs(10)).unwrap();
    (async move { answer.await.unwrap() }, open)
}

#[actix_web::test]
async fn queued_commands_commit_together_and_a_failing_one_leaves_nothing() {
    let app = TestApp::new().await;
    let writer = writer_of(&app);
    let (first, open) = gate(&writer);
    let commands = ["a", "b", "bad", "c"].map(|name| {
        writer.write(move |c: &mut AnyConnection| {
            events::insert(c, &event(name))?;
            if name == "bad" {
                return Err(AppError::field("name", "refused after writing"));
            }
            Ok(name.to_string())
        })
    });
    open.send(()).unwrap();
    let (_, answers) = futures_util::future::join(first, join_all(commands)).await;

    // the gate ran alone; the four queued behind it ran as one group
    assert_eq!(writer.stats(), (2, 5));
    assert_eq!(answers[0].as_deref().ok(), Some("a"));
    assert_eq!(answers[1].as_deref().ok(), Some("b"));
    assert!(matches!(answers[2], Err(AppError::Validation(_))));
    assert_eq!(answers[3].as_deref().ok(), Some("c"));
    // the refused command's write is gone; the others' are there
    assert_eq!(written(&app, &["a", "b", "bad", "c"]), ["a", "b", "c"]);
}

#[actix_web::test]
async fn an_answer_means_the_write_is_committed() {
    let app = TestApp::new().await;
    let writer = writer_of(&app);
    for name in ["one", "two"] {
        writer
            .write(move |c: &mut AnyConnection| Ok(events::insert(c, &event(name))?))
            .await
            .unwrap();
        // another connection sees it as soon as the answer arrives
        assert!(written(&app, &[name]).contains(&name.to_string()));
    }
    assert_eq!(writer.stats(), (2, 2));
}

#[actix_web::test]
async fn commits_reach_the_database_file_without_a_command_waiting_for_it() {
    let app = TestApp::new().await;
    let Some(path) = app.database_url.strip_prefix("sqlite://") else {
        return; // the WAL and its checkpoints are SQLite's
    };
    let writer = writer_of(&app);
    writer
        .write(|c: &mut AnyConnection| Ok(events::insert(c, &event("checkpointed"))?))
        .await
        .unwrap();
    // the commit left it in the WAL; the checkpointer copies it into the database file,
    // which a copy of that file alone (no WAL beside it) shows
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        std::fs::copy(path, &copy).unwrap();
        let _ = std::fs::remove_file(dir.path().join("copy.db-wal"));
        let mut conn = db::connect(&format!("sqlite://{}", copy.display())).unwrap();
        let ids = ["checkpointed".to_string()];
        if !events::history(&mut conn, "writer_test", &ids, None, 1)
            .unwrap()
            .is_empty()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the write never reached the database file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[actix_web::test]
async fn a_panicking_command_fails_its_group_and_the_writer_goes_on() {
    let app = TestApp::new().await;
    let writer = writer_of(&app);
    let (first, open) = gate(&writer);
    let before = writer.write(|c: &mut AnyConnection| Ok(events::insert(c, &event("before"))?));
    let boom = writer.write(|c: &mut AnyConnection| -> Result<(), AppError> {
        events::insert(c, &event("boom"))?;
        panic!("a bug in a command");
    });
    let after = writer.write(|c: &mut AnyConnection| Ok(events::insert(c, &event("after"))?));
    open.send(()).unwrap();
    let (_, before, boom, after) = futures_util::future::join4(first, before, boom, after).await;
    assert!(matches!(before, Err(AppError::Internal(_))), "{before:?}");
    assert!(matches!(boom, Err(AppError::Internal(_))), "{boom:?}");
    assert!(matches!(after, Err(AppError::Internal(_))), "{after:?}");
    assert!(written(&app, &["before", "boom", "after"]).is_empty());

    // the next command runs on a sound connection and commits
    writer
        .write(|c: &mut AnyConnection| Ok(events::insert(c, &event("next"))?))
        .await
        .unwrap();
    assert_eq!(written(&app, &["next"]), ["next"]);
}

#[actix_web::test]
async fn contacts_logged_at_once_by_many_phones_are_all_kept() {
    let app = TestApp::new().await;
    let police = app.token("police.many", Role::PoliceTracer, VAN_DON).await;
    let source = app.person(&police, "Nguyễn Văn Nguồn").await;
    let mut others = Vec::new();
    for name in [
        "An", "Bình", "Chi", "Dung", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nga", "Oanh", "Phương",
    ] {
        others.push(app.person(&police, &format!("Trần Thị {name}")).await);
    }
    let (first_at, last_at) = (ago(1, 0), ago(1, 1));
    let answers = join_all(others.iter().map(|other| {
        app.post(
            "/api/v1/contacts",
            &police,
            json!({"person_id": source, "contact_person_id": other, "first_at": first_at,
                   "last_at": last_at, "setting": "market", "proximity": "within_2m"}),
        )
    }))
    .await;
    for a in &answers {
        a.assert(201);
    }
    let listed = app
        .get(&format!("/api/v1/people/{source}/contacts"), &police)
        .await;
    assert_eq!(listed.assert(200).as_array().unwrap().len(), 12);

    // on SQLite the writer's work shows in the metrics: every command it ran is counted
    let text = app.metrics().await;
    let text = text.as_str();
    let counted = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    match app.state.write_stats() {
        Some((groups, commands)) => {
            // 13 people and 12 contacts went through the writer
            assert_eq!(counted("db_write_commands_total "), Some(commands));
            assert!(commands >= 25, "{text}");
            assert_eq!(counted("db_write_groups_total "), Some(groups));
            assert!((1..=commands).contains(&groups), "{text}");
        }
        None => assert_eq!(counted("db_write_commands_total "), None),
    }
}
