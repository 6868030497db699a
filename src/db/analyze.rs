//! Planner statistics that follow the data on PostgreSQL, whether autovacuum runs or not.
//!
//! PostgreSQL plans from statistics taken by `ANALYZE`, and keeps a plan it judged good
//! (among them the foreign-key checks of every insert) until those statistics change. A
//! table analysed while nearly empty is planned as if it stayed so: after a bulk import, a
//! cascade of thousands or a night of samples, each foreign-key check of a 100,000-row
//! table read all of it, and line-list pages sorted every match. Autovacuum analyses a
//! table once a tenth of it has changed, when it is on and when its turn comes. This thread
//! does the same itself, a few seconds after the writes: it asks which tables changed by
//! more than that since their last analysis and analyses them, which also makes every
//! connection plan their statements again.

use super::chore::Chore;
use super::{AnyConnection, Pool};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use std::time::Duration;

/// Look every `every` for tables whose statistics are stale, and analyse them; dropping
/// the chore ends it.
pub fn start(pool: Pool, every: Duration) -> Chore {
    Chore::start("pg-analyze", every, move || {
        if let Ok(mut conn) = pool.get() {
            if let Err(e) = analyze_stale(&mut conn) {
                tracing::warn!(error = %e, "could not refresh the planner's statistics");
            }
        }
    })
}

#[derive(QueryableByName)]
struct Stale {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Analyse the tables changed by more than autovacuum's threshold (50 rows and a tenth of
/// the table) since their last analysis; their names. Nothing on SQLite, whose planner
/// reads the b-trees themselves.
pub fn analyze_stale(conn: &mut AnyConnection) -> diesel::QueryResult<Vec<String>> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(Vec::new());
    };
    let stale: Vec<Stale> = diesel::sql_query(
        "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname) AS name
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
         ORDER BY s.n_mod_since_analyze DESC",
    )
    .load(c)?;
    let names: Vec<String> = stale.into_iter().map(|s| s.name).collect();
    for name in &names {
        c.batch_execute(&format!("ANALYZE {name}"))?;
    }
    if !names.is_empty() {
        tracing::info!(tables = ?names, "analysed tables whose statistics were stale");
    }
    Ok(names)
}
