//! Settings from the environment (12-factor), validated at start.

use anyhow::{bail, Context};
use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tracing.db";
/// Metrics are served on the loopback interface unless told otherwise: they tell, among
/// other things, how many cases were confirmed.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Config {
    pub env: Env,
    pub database_url: String,
    pub bind_addr: String,
    /// Where `/metrics` is served, apart from the API (`None`: not served).
    pub metrics_addr: Option<String>,
    /// The HS256 key of the access tokens; `None`: the instance's own random key, made at
    /// first start and kept in the database (see `service::accounts::token_secret`).
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub pool_size: u32,
    pub pool_timeout: Duration,
    /// How long a token's session and grants, once loaded, answer without reloading them
    /// (0: reload on every request).
    pub auth_cache: Duration,
    /// SQLite: the most commands one commit of the writer may carry (1: a commit each).
    pub write_group_max: usize,
    /// Failed logins in a row from one client before that client is locked out for a while.
    pub login_max_failures: i32,
    pub login_lock: Duration,
    /// Failed logins of a username across clients after which each attempt waits a delay
    /// doubling up to `login_max_delay`.
    pub login_slow_after: i32,
    pub login_max_delay: Duration,
    /// Take the client address of login throttling from `X-Forwarded-For` / `Forwarded`
    /// (only behind a proxy that sets them: otherwise anyone can claim any address).
    pub trust_forwarded: bool,
    /// Which official list of administrative units to load on first start.
    pub units_structure: crate::domain::units::Structure,
    /// Days before onset (or the positive sample) that an F0's window opens.
    pub window_days_before: i64,
    /// The deepest level the cascade classifies (3 = F3).
    pub cascade_max_depth: u8,
    /// Deadlines of the workflow steps, in hours from the confirmation of the F0.
    pub deadline_tracing_hours: i64,
    pub deadline_cordoning_hours: i64,
    pub deadline_isolating_hours: i64,
    pub deadline_sampling_hours: i64,
    /// Default deadline of a trace task, in hours from its creation.
    pub deadline_task_hours: i64,
    /// Sync pulls leave out changes younger than this, so that a transaction still
    /// committing is never skipped.
    pub sync_settle_secs: i64,
    /// Hours within which arrivals at a camp room form one admission cohort.
    pub cohort_window_hours: i64,
    /// National IDs and phones a user may look up in an hour.
    pub identity_lookups_per_hour: i32,
    /// Hours for which the first answer to a create with a client id is kept and given again.
    pub reply_hours: i64,
    /// Hours from collection within which a result is due.
    pub result_deadline_hours: i64,
    /// The most specimens a pool may hold (2 to 10).
    pub pool_max_size: i32,
    /// Days between mass-sampling rounds where the risk is not high (5 to 7).
    pub round_interval_days: i64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("database_url", &redact_url(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("metrics_addr", &self.metrics_addr)
            .field("jwt_secret", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

/// A URL with its password hidden, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v:?} is not valid: {e}")),
    }
}

impl Config {
    /// The login throttling rules.
    pub fn login_limits(&self) -> crate::domain::login::Limits {
        let secs = |d: Duration| chrono::Duration::seconds(d.as_secs() as i64);
        crate::domain::login::Limits {
            max_failures: self.login_max_failures,
            lock: secs(self.login_lock),
            slow_after: self.login_slow_after,
            max_delay: secs(self.login_max_delay),
        }
    }

    /// Read the environment. A JWT secret, when given, must be strong.
    pub fn from_env() -> anyhow::Result<Config> {
        let env = match var("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => Env::Development,
            Some("production") | Some("prod") => Env::Production,
            Some(other) => bail!("APP_ENV={other:?}: use development or production"),
        };
        let jwt_secret = match var("JWT_SECRET") {
            Some(s) if s.len() >= 32 => Some(s),
            Some(_) => bail!("JWT_SECRET must be at least 32 characters"),
            None => None,
        };
        let metrics_addr = match var("METRICS_ADDR").as_deref() {
            None => Some(DEFAULT_METRICS_ADDR.to_string()),
            Some("off") | Some("none") => None,
            Some(addr) => Some(addr.to_string()),
        };
        let structure = var("UNITS_STRUCTURE").unwrap_or_else(|| "3level".into());
        Ok(Config {
            env,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            bind_addr: var("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            metrics_addr,
            jwt_secret,
            jwt_issuer: var("JWT_ISSUER").unwrap_or_else(|| "tracing-backend".into()),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or_else(|| "tracing-api".into()),
            access_ttl: Duration::from_secs(parse_var("ACCESS_TOKEN_TTL_SECS", 900u64)?),
            refresh_ttl: Duration::from_secs(parse_var(
                "REFRESH_TOKEN_TTL_SECS",
                14 * 24 * 3600u64,
            )?),
            pool_size: parse_var("DATABASE_POOL_SIZE", 10u32)?.max(1),
            pool_timeout: Duration::from_millis(parse_var("DATABASE_POOL_TIMEOUT_MS", 3000u64)?),
            auth_cache: Duration::from_millis(parse_var("AUTH_CACHE_MS", 1000u64)?.min(60_000)),
            write_group_max: parse_var("WRITE_GROUP_MAX", 64usize)?.clamp(1, 1000),
            login_max_failures: parse_var("LOGIN_MAX_FAILURES", 5i32)?.max(1),
            login_lock: Duration::from_secs(parse_var("LOGIN_LOCK_SECS", 900u64)?),
            login_slow_after: parse_var("LOGIN_SLOW_AFTER", 10i32)?.max(1),
            login_max_delay: Duration::from_secs(
                parse_var("LOGIN_MAX_DELAY_SECS", 30u64)?.clamp(1, 3600),
            ),
            trust_forwarded: parse_var("TRUST_FORWARDED", false)?,
            units_structure: crate::domain::units::Structure::parse(&structure)
                .with_context(|| format!("UNITS_STRUCTURE={structure:?}: use 3level or 2level"))?,
            window_days_before: parse_var("WINDOW_DAYS_BEFORE", 2i64)?.clamp(0, 30),
            cascade_max_depth: parse_var("CASCADE_MAX_DEPTH", 3u8)?.clamp(1, 6),
            deadline_tracing_hours: parse_var("DEADLINE_TRACING_HOURS", 2i64)?.max(0),
            deadline_cordoning_hours: parse_var("DEADLINE_CORDONING_HOURS", 12i64)?.max(0),
            deadline_isolating_hours: parse_var("DEADLINE_ISOLATING_HOURS", 24i64)?.max(0),
            deadline_sampling_hours: parse_var("DEADLINE_SAMPLING_HOURS", 24i64)?.max(0),
            deadline_task_hours: parse_var("DEADLINE_TASK_HOURS", 6i64)?.max(1),
            sync_settle_secs: parse_var("SYNC_SETTLE_SECS", 5i64)?.max(0),
            cohort_window_hours: parse_var("COHORT_WINDOW_HOURS", 24i64)?.clamp(1, 24 * 14),
            result_deadline_hours: parse_var("RESULT_DEADLINE_HOURS", 12i64)?.clamp(1, 24 * 7),
            reply_hours: parse_var("REPLY_HOURS", 48i64)?.clamp(1, 24 * 30),
            identity_lookups_per_hour: parse_var("IDENTITY_LOOKUPS_PER_HOUR", 1000i32)?.max(1),
            pool_max_size: parse_var("POOL_MAX_SIZE", 10i32)?.clamp(2, 10),
            round_interval_days: parse_var("ROUND_INTERVAL_DAYS", 7i64)?.clamp(5, 7),
        })
    }

    /// Settings for tests and tools: development defaults with the given database.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            env: Env::Development,
            database_url: database_url.to_string(),
            bind_addr: "127.0.0.1:0".into(),
            metrics_addr: None,
            jwt_secret: None,
            jwt_issuer: "tracing-backend".into(),
            jwt_audience: "tracing-api".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            pool_size: 4,
            pool_timeout: Duration::from_secs(5),
            auth_cache: Duration::from_millis(1000),
            write_group_max: 64,
            login_max_failures: 5,
            login_lock: Duration::from_secs(900),
            login_slow_after: 10,
            login_max_delay: Duration::from_secs(30),
            trust_forwarded: false,
            units_structure: crate::domain::units::Structure::ThreeLevel,
            window_days_before: 2,
            cascade_max_depth: 3,
            deadline_tracing_hours: 2,
            deadline_cordoning_hours: 12,
            deadline_isolating_hours: 24,
            deadline_sampling_hours: 24,
            deadline_task_hours: 6,
            sync_settle_secs: 0,
            cohort_window_hours: 24,
            result_deadline_hours: 12,
            reply_hours: 48,
            identity_lookups_per_hour: 1000,
            pool_max_size: 10,
            round_interval_days: 7,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
