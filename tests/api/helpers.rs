//! The test harness: the real application (in-process) on a fresh database per test.
//! SQLite by default; PostgreSQL when TEST_DATABASE_URL is set. Each database is a copy of a
//! template migrated and loaded with the administrative units once per test process.

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test, web};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};
use tracing_backend::api::{build_app, AppState};
use tracing_backend::config::Config;
use tracing_backend::db::{self, AnyConnection};
use tracing_backend::domain::roles::Role;
use tracing_backend::domain::units::Structure;
use tracing_backend::service::accounts::{self, GrantTarget};

pub const PASSWORD: &str = "Test-Passw0rd-long";

type Call = Rc<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

pub struct TestApp {
    call: Call,
    pub state: web::Data<AppState>,
    pub database_url: String,
    cleanup: Option<Cleanup>,
}

pub enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(Cleanup::Postgres { admin_url, name }) = self.cleanup.take() {
            if let Ok(mut c) = diesel::PgConnection::establish(&admin_url) {
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub content_type: String,
    pub body: Value,
    /// The body as text (CSV, HTML).
    pub text: String,
}

impl Resp {
    pub fn field_errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
    #[track_caller]
    pub fn assert(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        &self.body
    }
    #[track_caller]
    pub fn assert_problem(&self, status: u16, kind: &str) {
        self.assert(status);
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(
            self.body["type"],
            format!("/problems/{kind}"),
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
    }
}

fn sqlite_template() -> &'static std::path::PathBuf {
    static T: OnceLock<(tempfile::TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, path) = T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("template.db");
        let url = format!("sqlite://{}", path.display());
        let mut conn = db::connect(&url).expect("template db");
        tracing_backend::cli::prepare(&mut conn, Structure::ThreeLevel).expect("prepare template");
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .expect("checkpoint");
        drop(conn);
        (dir, path)
    });
    path
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let slash = base.rfind('/').expect("database url with a path");
    format!("{}/{}{}", &base[..slash], name, query)
}

/// A template database per version of the schema, made once and reused.
fn pg_template(admin_url: &str) -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = walk(&root.join("migrations/postgres"));
        files.push(root.join("data/vn-admin-units-3level.csv"));
        // the regimes shipped as data are loaded by `prepare`
        files.push(root.join("src/domain/quarantine/regimes.rs"));
        files.sort();
        for f in files {
            std::fs::read(&f).unwrap().hash(&mut h);
        }
        let name = format!("tracing_tmpl_{:016x}", h.finish());
        let mut admin =
            diesel::PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
        admin
            .batch_execute("SELECT pg_advisory_lock(727272)")
            .unwrap();
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )))
        .get_result(&mut admin)
        .unwrap();
        if !exists {
            let building = format!("{name}_building");
            admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE \"{building}\""))
                .unwrap();
            {
                let mut conn =
                    db::connect(&replace_db_name(admin_url, &building)).expect("template db");
                tracing_backend::cli::prepare(&mut conn, Structure::ThreeLevel)
                    .expect("prepare template");
            }
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                ))
                .unwrap();
        }
        admin
            .batch_execute("SELECT pg_advisory_unlock(727272)")
            .unwrap();
        name
    })
    .clone()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A fresh database, migrated and holding the official units.
pub fn fresh_database() -> (String, Cleanup) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            static CREATE: Mutex<()> = Mutex::new(());
            let template = pg_template(&admin_url);
            let name = format!("tracing_test_{}", uuid::Uuid::new_v4().simple());
            {
                let _g = CREATE.lock().unwrap_or_else(|p| p.into_inner());
                let mut admin = diesel::PgConnection::establish(&admin_url)
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .batch_execute(&format!(
                        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                    ))
                    .expect("create test database");
            }
            (
                replace_db_name(&admin_url, &name),
                Cleanup::Postgres { admin_url, name },
            )
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("test.db");
            std::fs::copy(sqlite_template(), &path).expect("copy template");
            (format!("sqlite://{}", path.display()), Cleanup::Sqlite(dir))
        }
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> TestApp {
        // errors the service logs are shown with a failing test's output
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("error")
            .try_init();
        let (url, cleanup) = fresh_database();
        Self::on_database(url, Some(cleanup), adjust).await
    }

    /// An instance on a fresh database of the primary `TEST_DATABASE_URL`, reading what
    /// tolerates lag from the streaming replica `TEST_REPLICA_URL` (see `.ci/replica.sh`);
    /// also the URL of that database on the replica. Waits until the replica has it.
    pub async fn with_replica(adjust: impl FnOnce(&mut Config)) -> (TestApp, String) {
        let replica = std::env::var("TEST_REPLICA_URL")
            .expect("TEST_REPLICA_URL: a streaming replica of TEST_DATABASE_URL (.ci/replica.sh)");
        let (url, cleanup) = fresh_database();
        let name = url.rsplit('/').next().unwrap().to_string();
        let replica_url = replace_db_name(&replica, &name);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while diesel::PgConnection::establish(&replica_url).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the replica never had {name}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let read = replica_url.clone();
        let app = Self::on_database(url, Some(cleanup), move |c| {
            c.read_database_url = Some(read);
            adjust(c);
        })
        .await;
        (app, replica_url)
    }

    /// A second instance on this one's database (a restart, or another node behind the load
    /// balancer); the database stays until the first instance is dropped.
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_with(|_| {}).await
    }

    /// `another_instance`, configured by `adjust`.
    pub async fn another_instance_with(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::on_database(self.database_url.clone(), None, adjust).await
    }

    async fn on_database(
        url: String,
        cleanup: Option<Cleanup>,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Config::for_database(&url);
        adjust(&mut config);
        let pool = db::pool(&url, config.pool_size, config.pool_timeout).expect("pool");
        let state = web::Data::new(AppState::new(pool, config).expect("state"));
        let svc = Rc::new(test::init_service(build_app(state.clone())).await);
        let call: Call = Rc::new(move |req| {
            let svc = svc.clone();
            Box::pin(async move {
                match svc.call(req).await {
                    Ok(res) => res.map_into_boxed_body(),
                    Err(e) => panic!("service error: {e}"),
                }
            })
        });
        TestApp {
            call,
            state,
            database_url: url,
            cleanup,
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path);
        if let Some(t) = token {
            req = req.insert_header(("authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req = req.set_json(b);
        }
        self.send(req.to_request()).await
    }

    pub async fn send(&self, req: actix_http::Request) -> Resp {
        let (method, uri) = (req.method().to_string(), req.uri().to_string());
        let res = (self.call)(req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_default();
        super::contract::check(&method, &uri, status.as_u16(), &content_type, &bytes);
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            headers,
            content_type,
            body,
            text: String::from_utf8_lossy(&bytes).into(),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request("GET", path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request("POST", path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request("PATCH", path, Some(token), Some(body)).await
    }

    /// A user with one grant; returns (user id, access token).
    pub async fn user(&self, username: &str, role: Role, scope: &str) -> (String, String) {
        let (u, r, s) = (username.to_string(), role, scope.to_string());
        let pool = self.state.pool.clone();
        let user = web::block(move || {
            let mut conn = pool.get().unwrap();
            let target = match r.scope_kind() {
                tracing_backend::domain::roles::ScopeKind::Unit => GrantTarget::Unit(&s),
                tracing_backend::domain::roles::ScopeKind::Site => {
                    ensure_site(&mut conn, &s);
                    GrantTarget::Site(&s)
                }
            };
            accounts::bootstrap_user(&mut conn, &u, &u, PASSWORD, r, target)
        })
        .await
        .unwrap()
        .expect("create user");
        let token = self.login(username, PASSWORD).await;
        (user.id, token)
    }

    /// Register someone living in Cái Rồng; returns their id.
    pub async fn person(&self, token: &str, name: &str) -> String {
        let r = self
            .post(
                "/api/v1/people",
                token,
                serde_json::json!({"full_name": name, "residence_unit_code": units::CAI_RONG}),
            )
            .await;
        r.assert(201)["person"]["id"].as_str().unwrap().to_string()
    }

    pub async fn token(&self, username: &str, role: Role, scope: &str) -> String {
        self.user(username, role, scope).await.1
    }

    /// The answer to a login, whatever it is.
    pub async fn login_raw(&self, username: &str, password: &str) -> Resp {
        self.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self.login_raw(username, password).await;
        r.assert(200);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    /// What the instance's metrics address answers (it is not part of the API).
    pub async fn metrics(&self) -> String {
        let svc = test::init_service(tracing_backend::api::metrics_app(self.state.clone())).await;
        let req = test::TestRequest::get().uri("/metrics").to_request();
        let res = test::call_service(&svc, req).await;
        assert_eq!(res.status(), 200);
        String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
    }

    pub fn raw_conn(&self) -> AnyConnection {
        db::connect(&self.database_url).unwrap()
    }

    /// The number a counting query (`SELECT COUNT(*) AS n …`) answers.
    pub fn count(&self, sql: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(sql)
            .get_result::<N>(&mut self.raw_conn())
            .unwrap()
            .n
    }
}

/// A camp manager's site: made in Cái Rồng (capacity 100, no rooms) unless it exists.
fn ensure_site(conn: &mut AnyConnection, id: &str) {
    use tracing_backend::store::quarantine as q;
    if q::get_site(conn, id).unwrap().is_some() {
        return;
    }
    let unit = tracing_backend::store::units::get(conn, units::CAI_RONG)
        .unwrap()
        .unwrap();
    let at = tracing_backend::store::now();
    q::insert_site(
        conn,
        &q::SiteRow {
            id: id.into(),
            name: format!("Khu cách ly {id}"),
            kind: tracing_backend::domain::camps::SiteKind::Barracks,
            address: "Cái Rồng".into(),
            unit_code: unit.code,
            unit_path: unit.path,
            capacity: 100,
            version: 1,
            created_by: None,
            created_at: at,
            updated_at: at,
        },
    )
    .unwrap();
}

/// An instant `days` days ago plus `hours` hours, RFC 3339.
pub fn ago(days: i64, hours: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days) + chrono::Duration::hours(hours))
        .to_rfc3339()
}

/// The instant at `hour`:00 Vietnam time on the local date `days` days ago, RFC 3339. Tests
/// that assert a local date use it, so that they pass at every hour of the day.
pub fn local_ago(days: i64, hour: u32) -> String {
    let date = (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(days))
        .date_naive();
    let local = date.and_hms_opt(hour, 0, 0).expect("an hour of the day");
    (local - chrono::Duration::hours(7)).and_utc().to_rfc3339()
}

/// The local (UTC+7) date `days` days ago.
pub fn date_ago(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(days))
        .date_naive()
        .to_string()
}

/// Codes from the official list used across tests.
pub mod units {
    pub const QUANG_NINH: &str = "22";
    pub const VAN_DON: &str = "203";
    pub const CAI_RONG: &str = "06994";
    pub const DAI_XUYEN: &str = "06997";
    pub const BAC_GIANG: &str = "24";
    pub const VAN_TRUNG: &str = "07801";
    pub const HA_LONG: &str = "193";
}
