//! The database: one connection type over PostgreSQL and SQLite, its pool, migrations, and
//! the few statements that differ between the two backends.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub mod analyze;
pub mod chore;
pub mod replica;
pub mod writer;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Which backend a URL names: `postgres://` or `postgresql://`, else `sqlite://`, `file:` or a
/// plain path. Chosen from the scheme alone, so a PostgreSQL URL never falls back to a file.
pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The path or URI SQLite opens for a `sqlite://` URL.
pub fn sqlite_target(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// An r2d2 manager that picks the backend from the URL scheme.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl Manager {
    pub fn new(url: &str) -> Self {
        Manager {
            url: url.to_string(),
        }
    }
}

pub fn connect(url: &str) -> Result<AnyConnection, diesel::ConnectionError> {
    match backend_of(url) {
        Backend::Postgres => PgConnection::establish(url).map(AnyConnection::Postgresql),
        Backend::Sqlite => {
            let target = sqlite_target(url);
            if !target.starts_with("file:") && target != ":memory:" {
                if let Some(dir) = std::path::Path::new(target).parent() {
                    if !dir.as_os_str().is_empty() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                }
            }
            let mut conn = SqliteConnection::establish(target)?;
            // secure_delete: what a purge erases is overwritten with zeros, not left in free
            // space of the file
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA secure_delete = ON;",
            )
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        connect(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        <<AnyConnection as Connection>::TransactionManager as TransactionManager<AnyConnection>>::is_broken_transaction_manager(conn)
    }
}

pub fn pool(url: &str, size: u32, timeout: Duration) -> Result<Pool, r2d2::PoolError> {
    let (size, test_on_check_out) = match backend_of(url) {
        // One writer at a time in SQLite anyway; a few readers in WAL. A connection to a
        // local file cannot drop, so it is not tested with a query on every check-out.
        Backend::Sqlite => (size.min(8), false),
        // A server connection can: test it before a handler gets it.
        Backend::Postgres => (size, true),
    };
    r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(timeout)
        .test_on_check_out(test_on_check_out)
        .build(Manager::new(url))
}

/// Apply the pending migrations of the backend in use.
pub fn migrate(conn: &mut AnyConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        AnyConnection::Postgresql(c) => c
            .run_pending_migrations(PG_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?
            .len(),
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?
            .len(),
    };
    Ok(applied)
}

/// Revert the applied migrations down to (not including) `version`, newest first: for
/// rehearsing a migration on data written before it. The number reverted.
pub fn revert_to(conn: &mut AnyConnection, version: &str) -> anyhow::Result<usize> {
    fn newest<C: MigrationHarness<DB>, DB: diesel::backend::Backend>(
        c: &mut C,
    ) -> anyhow::Result<Option<String>> {
        let applied = c.applied_migrations().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(applied.iter().map(|v| digits(&v.to_string())).max())
    }
    fn digits(v: &str) -> String {
        v.chars().filter(char::is_ascii_digit).collect()
    }
    let version = digits(version);
    let mut reverted = 0;
    loop {
        let last = match conn {
            AnyConnection::Postgresql(c) => newest(c)?,
            AnyConnection::Sqlite(c) => newest(c)?,
        };
        if last.is_none_or(|v| v < version) {
            return Ok(reverted);
        }
        match conn {
            AnyConnection::Postgresql(c) => c.revert_last_migration(PG_MIGRATIONS).map(drop),
            AnyConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).map(drop),
        }
        .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
        reverted += 1;
    }
}

/// Whether every migration the binary knows has been applied.
pub fn migrations_pending(conn: &mut AnyConnection) -> anyhow::Result<bool> {
    let pending = match conn {
        AnyConnection::Postgresql(c) => c
            .has_pending_migration(PG_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        AnyConnection::Sqlite(c) => c
            .has_pending_migration(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    Ok(pending)
}

/// In the current PostgreSQL transaction: its commit returns before its WAL reaches the
/// disk (it is flushed within a fraction of a second; a crash of the database server in
/// that moment loses this transaction, never leaves half of it). For the access log, whose
/// records would otherwise double the cost of a read. Nothing on SQLite, whose commits
/// (`synchronous = NORMAL`) are all of this kind already.
pub fn commit_unflushed(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => c.batch_execute("SET LOCAL synchronous_commit TO OFF"),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// Run `f` in one write transaction, or in a savepoint when a transaction is already open
/// (a group of the SQLite writer). On SQLite the transaction takes the write lock at its
/// start (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of failing
/// when both try to upgrade a read lock; on PostgreSQL it is a plain transaction and row
/// locks (`SELECT … FOR UPDATE`) do the rest.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let nested = match conn {
        AnyConnection::Sqlite(inner) => in_transaction(inner),
        AnyConnection::Postgresql(_) => false,
    };
    match conn {
        AnyConnection::Postgresql(_) => conn.transaction(f),
        AnyConnection::Sqlite(_) if nested => conn.transaction(f),
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <AnyConnection as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
                    Err(e)
                }
            }
        }
    }
}

fn in_transaction(conn: &mut SqliteConnection) -> bool {
    !matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(None)
    )
}

/// Whether an error is a unique-constraint violation on SQLite or PostgreSQL. SQLite carries
/// no constraint name, so callers map by what they were inserting.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Whether an error is another transaction getting in the way on PostgreSQL: a deadlock
/// (40P01) or a serialization failure (40001). The command may run again from the start.
pub fn is_contention(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("deadlock detected") || m.contains("could not serialize access")
        }
        _ => false,
    }
}

/// Take a lock on `key` until the transaction ends, so that commands about the same key
/// (the same client id sent again at once) run one after the other on PostgreSQL. SQLite
/// writes one transaction at a time already.
pub fn lock_key(conn: &mut AnyConnection, key: &str) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    match conn {
        AnyConnection::Postgresql(c) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(c)?;
            Ok(())
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// Take the locks of several keys (as [`lock_key`]) in one statement, in the order of the
/// keys, so that two commands naming some of the same keys never take them crosswise.
pub fn lock_keys(conn: &mut AnyConnection, keys: &[String]) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(());
    };
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    // a volatile output is computed after the sort, so the locks follow the keys' order
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) \
         FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
    .execute(c)?;
    Ok(())
}

/// Run one statement on the inner connection of either backend: diesel's multi-row insert
/// and upsert do not compile on the multi-backend connection.
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_inner;

/// Rows per multi-row statement: SQLite binds at most 32766 parameters per statement, and
/// the widest batched table has under 30 columns.
pub const CHUNK_ROWS: usize = 1000;

/// Insert a slice of rows in chunks of [`CHUNK_ROWS`], each chunk one statement on the inner
/// connection; an optional tail (`.on_conflict_do_nothing()`, an upsert's `.on_conflict(..)`)
/// is applied to every statement. The number of rows written. The one chunked insert of the
/// code base: each store wraps it with its own row type. Each chunk is copied: a row whose
/// enums are written as text (`serialize_as`) is insertable only by value.
macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr $(, $($tail:tt)+)?) => {{
        let mut written = 0usize;
        for chunk in $rows.chunks($crate::db::CHUNK_ROWS) {
            written += $crate::db::on_inner!($conn, |c| diesel::insert_into($table)
                .values(chunk.to_vec())
                $($($tail)+)?
                .execute(c))?;
        }
        Ok::<usize, diesel::result::Error>(written)
    }};
}
pub(crate) use insert_chunks;
