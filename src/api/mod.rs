//! HTTP: thin handlers per resource, the extractors, problem+json for every error, and the
//! OpenAPI document assembled from the handler and DTO types.

pub mod accounts;
pub mod audit;
pub mod camps;
pub mod extract;
pub mod health;
pub mod notices;
pub mod observe;
pub mod openapi;
pub mod people;
pub mod privacy;
pub mod quarantine;
pub mod reports;
pub mod retention;
pub mod samples;
pub mod sync;
pub mod trace;
pub mod units;
pub mod workflow;
pub mod zones;

use crate::auth::token::TokenKeys;
use crate::config::Config;
use crate::db::{AnyConnection, Pool};
use crate::error::{AppError, AppResult};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpResponse};
use std::sync::Arc;
use utoipa_actix_web::AppExt;

/// What every handler shares.
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub metrics: Arc<observe::Metrics>,
    /// Sessions and grants recently loaded for a token.
    pub actors: Arc<crate::auth::cache::ActorCache>,
    /// SQLite: the thread that commits commands in groups (see `db::writer`).
    writer: Option<Arc<crate::db::writer::Writer>>,
    /// PostgreSQL: a streaming replica for reads that tolerate lag (see `db::replica`).
    replica: Option<crate::db::replica::Replica>,
    /// PostgreSQL: the thread that keeps the planner's statistics fresh (`db::analyze`).
    _analyzer: Option<crate::db::chore::Chore>,
    /// The thread that files the people reads showed into the access log (`audit::filer`).
    _filer: crate::db::chore::Chore,
}

impl AppState {
    /// The state of one instance. With no JWT secret configured, the instance's own is read
    /// from the database (made there at first start).
    pub fn new(pool: Pool, mut config: Config) -> anyhow::Result<AppState> {
        let secret = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => {
                let mut conn = pool.get()?;
                crate::service::accounts::token_secret(&mut conn)
                    .map_err(|e| anyhow::anyhow!("cannot read the token secret: {e}"))?
            }
        };
        config.jwt_secret = Some(secret.clone());
        let backend = crate::db::backend_of(&config.database_url);
        let writer = (backend == crate::db::Backend::Sqlite).then(|| {
            Arc::new(crate::db::writer::Writer::start(
                pool.clone(),
                config.write_group_max,
            ))
        });
        Ok(AppState {
            keys: Arc::new(TokenKeys::new(&config, &secret)),
            actors: Arc::new(crate::auth::cache::ActorCache::new(config.auth_cache)),
            _filer: audit::filer(pool.clone(), writer.clone(), config.access_file_every),
            writer,
            _analyzer: (backend == crate::db::Backend::Postgres)
                .then(|| crate::db::analyze::start(pool.clone(), config.analyze_every)),
            replica: config.read_database_url.as_deref().map(|url| {
                crate::db::replica::Replica::start(url, config.pool_size, config.read_max_lag)
            }),
            config: Arc::new(config),
            pool,
            metrics: Arc::new(observe::Metrics::default()),
        })
    }

    /// Run blocking database work (and password hashing) off the async workers, with a
    /// connection from the pool; an exhausted pool answers 503 after the pool timeout.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        run_on(self.pool.clone(), f).await
    }

    /// `run` for a read that tolerates a little lag (a report, a chain, a line list, a pull
    /// feed): on the replica while it is within `READ_MAX_LAG_MS`, else on the primary.
    /// A replica that stopped answering since its lag was last measured costs the read the
    /// replica's connection timeout, then the primary answers it.
    pub async fn run_lagging<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let replica = self.replica.as_ref().and_then(|r| r.usable()).cloned();
        let primary = self.pool.clone();
        web::block(move || {
            let mut conn = match replica.and_then(|r| r.get().ok()) {
                Some(c) => c,
                None => primary.get()?,
            };
            f(&mut conn)
        })
        .await?
    }

    /// Whether the reads that tolerate lag go to the replica now (it is within the bound).
    pub fn reads_from_replica(&self) -> bool {
        self.replica.as_ref().and_then(|r| r.usable()).is_some()
    }

    /// The replica's last measured lag: `None` without a replica, `Some(None)` when it did
    /// not answer.
    pub fn replica_lag_ms(&self) -> Option<Option<i64>> {
        self.replica.as_ref().map(|r| r.lag_ms())
    }

    /// The key of pseudonyms: `PSEUDONYM_KEY`, else one derived from the token secret.
    pub fn pseudonym_key(&self) -> Vec<u8> {
        match &self.config.pseudonym_key {
            Some(k) => k.as_bytes().to_vec(),
            None => {
                use sha2::Digest;
                let secret = self.config.jwt_secret.as_deref().unwrap_or_default();
                sha2::Sha256::digest(format!("pseudonyms:{secret}")).to_vec()
            }
        }
    }

    /// The writer's groups and commands so far (SQLite only).
    pub fn write_stats(&self) -> Option<(u64, u64)> {
        self.writer.as_ref().map(|w| w.stats())
    }

    /// Run a command that writes. On SQLite it goes to the writer, which commits the
    /// commands waiting together (each still all-or-nothing, each answered after its commit).
    /// On PostgreSQL it runs on the pool, and when another transaction gets in its way (a
    /// deadlock, a serialization failure) it runs again from the start, a few times, so
    /// that a client never sees an error for it. Password hashing does not belong here: it
    /// would hold up every other write.
    pub async fn write<T, F>(&self, mut f: F) -> AppResult<T>
    where
        F: FnMut(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(f).await,
            None => {
                let pool = self.pool.clone();
                web::block(move || {
                    let mut conn = pool.get()?;
                    let mut attempt = 0u32;
                    loop {
                        match f(&mut conn) {
                            Err(e) if e.is_contention() && attempt < WRITE_ATTEMPTS => {
                                attempt += 1;
                                tracing::info!(attempt, "contention: running the command again");
                                std::thread::sleep(retry_pause(attempt));
                            }
                            other => return other,
                        }
                    }
                })
                .await?
            }
        }
    }
}

/// Run blocking database work off the async workers, on a connection of `pool`.
async fn run_on<T, F>(pool: Pool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// How many times a write that met contention runs again before it answers 503.
const WRITE_ATTEMPTS: u32 = 6;

/// A short pause before running again, growing and spread so that the two sides of a
/// deadlock do not meet again at once.
fn retry_pause(attempt: u32) -> std::time::Duration {
    use rand::Rng;
    let base = 5u64 << attempt.min(6);
    std::time::Duration::from_millis(base + rand::thread_rng().gen_range(0..base))
}

/// Count a request's identity look-ups against the user's hour (`service::lookups`), before
/// it runs: 429 past the limit.
pub(crate) async fn charge_lookups(
    state: &AppState,
    actor: &crate::auth::Actor,
    asked: crate::service::lookups::Asked<'static>,
) -> AppResult<()> {
    if asked.national_ids + asked.phones == 0 {
        return Ok(());
    }
    let (actor, limit) = (actor.clone(), state.config.identity_lookups_per_hour);
    state
        .write(move |c| crate::service::lookups::charge(c, &actor, limit, asked))
        .await
}

/// The answer a create gave (`service::replies`): its status and body.
pub(crate) fn answer(reply: crate::service::replies::Reply) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(reply.status)
        .unwrap_or(actix_web::http::StatusCode::OK);
    HttpResponse::build(status).json(reply.body)
}

/// Where every documented endpoint lies (links the service gives, like a redirect's
/// `Location`, start with it).
pub const API_BASE: &str = "/api/v1";

/// Registers every documented endpoint.
fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope(API_BASE)
            .configure(accounts::routes)
            .configure(units::routes)
            .configure(people::routes)
            .configure(privacy::routes)
            .configure(notices::routes)
            .configure(trace::routes)
            .configure(workflow::routes)
            .configure(zones::routes)
            .configure(sync::routes)
            .configure(quarantine::routes)
            .configure(camps::routes)
            .configure(samples::routes)
            .configure(reports::routes)
            .configure(retention::routes),
    );
}

/// The OpenAPI document, generated from the code.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .configure(routes)
        .split_for_parts();
    openapi::finish(doc)
}

/// The whole application, for the server and for tests.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let doc = web::Data::new(api_doc());
    let metrics = state.metrics.clone();
    App::new()
        .app_data(state)
        .app_data(doc)
        .app_data(extract::json_config())
        .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| AppError::BadRequest(format!("query: {e}")).into()),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| AppError::BadRequest(format!("path: {e}")).into()),
        )
        .into_utoipa_app()
        .configure(routes)
        .into_app()
        .service(health::healthz)
        .service(health::readyz)
        .service(openapi::serve)
        .service(reports::chain_page)
        .service(reports::chain_script)
        .default_service(web::to(not_found))
        .wrap(actix_web::middleware::from_fn(move |req, next| {
            observe::measure(metrics.clone(), req, next)
        }))
        .wrap(tracing_actix_web::TracingLogger::<observe::RootSpan>::new())
}

/// The metrics of an instance, served on their own address (`METRICS_ADDR`), apart from
/// the API: they are not for the API's users.
pub fn metrics_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .service(health::metrics)
        .default_service(web::to(|| async {
            actix_web::ResponseError::error_response(&AppError::NotFound(
                "only /metrics is served here".into(),
            ))
        }))
}

/// A path no route has: 404; a documented path asked with another method: 405 with the
/// methods it answers.
async fn not_found(
    req: actix_web::HttpRequest,
    doc: web::Data<utoipa::openapi::OpenApi>,
) -> HttpResponse {
    let allow = openapi::methods_of(&doc, req.path());
    let error = if allow.is_empty() {
        AppError::NotFound("no such resource".into())
    } else {
        AppError::MethodNotAllowed { allow }
    };
    actix_web::ResponseError::error_response(&error)
}
