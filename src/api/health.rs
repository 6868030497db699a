//! Liveness, readiness and metrics.

use super::AppState;
use crate::error::AppError;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

#[derive(Serialize)]
struct Status {
    status: &'static str,
    /// With a read replica configured: how far behind it is, and where the reads that
    /// tolerate lag go now.
    #[serde(skip_serializing_if = "Option::is_none")]
    replica: Option<ReplicaStatus>,
}

#[derive(Serialize)]
struct ReplicaStatus {
    /// Milliseconds behind the primary; null when the replica does not answer.
    lag_ms: Option<i64>,
    /// `replica`, or `primary` while the replica is too far behind or unreachable.
    reads_from: &'static str,
}

/// Alive: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status {
        status: "ok",
        replica: None,
    })
}

/// Ready: the database answers and every migration is applied.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pending = state
        .run(|conn| crate::db::migrations_pending(conn).map_err(AppError::Internal))
        .await
        .map_err(|e| {
            AppError::Unavailable(format!("database not reachable: {}", e.problem().title))
        })?;
    if pending {
        return Err(AppError::Unavailable(
            "database migrations are pending".into(),
        ));
    }
    // a replica behind or away does not make the service unready: its reads go to the primary
    let replica = state.replica_lag_ms().map(|lag_ms| ReplicaStatus {
        lag_ms,
        reads_from: if state.reads_from_replica() {
            "replica"
        } else {
            "primary"
        },
    });
    Ok(HttpResponse::Ok().json(Status {
        status: "ready",
        replica,
    }))
}

/// Prometheus metrics of this instance.
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(render_metrics(&state))
}

fn render_metrics(state: &AppState) -> String {
    let mut out = state.metrics.render();
    if let Some((groups, commands)) = state.write_stats() {
        out.push_str(&format!(
            "# HELP db_write_groups_total Transactions the SQLite writer ran, each carrying the commands that waited together.\n\
             # TYPE db_write_groups_total counter\n\
             db_write_groups_total {groups}\n\
             # HELP db_write_commands_total Commands the SQLite writer ran.\n\
             # TYPE db_write_commands_total counter\n\
             db_write_commands_total {commands}\n"
        ));
    }
    out
}
