//! Reads that tolerate a little lag, from a PostgreSQL streaming replica.
//!
//! With `READ_DATABASE_URL` set, chains, reports, line lists and pull feeds are read from
//! the replica; writes, and every read that must see what the same client just wrote, stay
//! on the primary. A thread beside the pool asks the replica how far behind it is a few
//! times a second. When it is further behind than `READ_MAX_LAG_MS`, or does not answer,
//! those reads go to the primary until it has caught up: a slow replica costs the primary
//! some load, never an answer staler than the bound.

use super::{Manager, Pool};
use diesel::sql_types::{BigInt, Nullable};
use diesel::{QueryableByName, RunQueryDsl};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How often the lag is measured.
const MEASURE_EVERY: Duration = Duration::from_millis(250);

/// The replica's pool and its last measured lag.
pub struct Replica {
    pool: Pool,
    max_lag: Duration,
    /// Milliseconds behind the primary; negative while unknown (not measured yet, or the
    /// replica did not answer).
    lag_ms: Arc<AtomicI64>,
    /// Dropping it ends the measuring thread.
    _stop: mpsc::Sender<()>,
}

impl Replica {
    /// A pool on `url` (not connected until used, so that a replica down at start does not
    /// stop the service) and the thread measuring its lag.
    pub fn start(url: &str, size: u32, max_lag: Duration) -> Replica {
        let pool = diesel::r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(1))
            .test_on_check_out(true)
            .build_unchecked(Manager::new(url));
        let lag_ms = Arc::new(AtomicI64::new(-1));
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("replica-lag".into())
            .spawn({
                let (pool, lag_ms) = (pool.clone(), lag_ms.clone());
                move || loop {
                    let lag = measure(&pool).unwrap_or(-1);
                    lag_ms.store(lag, Ordering::Relaxed);
                    match stopped.recv_timeout(MEASURE_EVERY) {
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        _ => return,
                    }
                }
            })
            .expect("start the replica lag thread");
        Replica {
            pool,
            max_lag,
            lag_ms,
            _stop: stop,
        }
    }

    /// The pool to read from, while the replica is within the bound.
    pub fn usable(&self) -> Option<&Pool> {
        let lag = self.lag_ms.load(Ordering::Relaxed);
        (lag >= 0 && lag as u128 <= self.max_lag.as_millis()).then_some(&self.pool)
    }

    /// The last measured lag in milliseconds, when the replica answered.
    pub fn lag_ms(&self) -> Option<i64> {
        let lag = self.lag_ms.load(Ordering::Relaxed);
        (lag >= 0).then_some(lag)
    }
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = Nullable<BigInt>)]
    ms: Option<i64>,
}

/// How far behind the replica is: nothing when it has replayed all it received, else the
/// age of the last transaction it replayed. `None` for a server that is not a replica.
fn measure(pool: &Pool) -> Option<i64> {
    let mut conn = pool.get().ok()?;
    let super::AnyConnection::Postgresql(c) = &mut *conn else {
        return None;
    };
    let lag: Lag = diesel::sql_query(
        "SELECT CASE
           WHEN NOT pg_is_in_recovery() THEN NULL
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
           ELSE COALESCE((EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
                          * 1000)::BIGINT, 0)
         END AS ms",
    )
    .get_result(c)
    .ok()?;
    lag.ms.map(|ms| ms.max(0))
}
