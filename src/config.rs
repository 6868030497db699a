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
    /// A PostgreSQL streaming replica for the reads that tolerate a little lag (see
    /// `db::replica`); `None`: every read from the primary.
    pub read_database_url: Option<String>,
    /// How far behind the replica may be for those reads to go to it.
    pub read_max_lag: Duration,
    /// PostgreSQL: how often tables changed a lot since their statistics are analysed.
    pub analyze_every: Duration,
    /// How often the people shown by reads are filed into the access log (see
    /// `store::access::file`); reads of the log file what waits first.
    pub access_file_every: Duration,
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
    /// The numbers of the directives (deadlines, windows, sizes), in one value.
    pub rules: crate::domain::rules::Rules,
    /// Sync pulls leave out changes younger than this, so that a transaction still
    /// committing is never skipped.
    pub sync_settle_secs: i64,
    /// National IDs and phones a user may look up in an hour.
    pub identity_lookups_per_hour: i32,
    /// Hours for which the first answer to a create with a client id is kept and given again.
    pub reply_hours: i64,
    /// When a user's day of reading people is flagged to the data protection officer.
    pub unusual_reading: crate::domain::privacy::Unusual,
    /// The key of the pseudonyms in pseudonymised lists; `None`: derived from the token
    /// secret (stable as long as it is).
    pub pseudonym_key: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "read_database_url",
                &self.read_database_url.as_deref().map(redact_url),
            )
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
            None => Config::default().metrics_addr,
            Some("off") | Some("none") => None,
            Some(addr) => Some(addr.to_string()),
        };
        let structure = var("UNITS_STRUCTURE").unwrap_or_else(|| "3level".into());
        let d = Config::default();
        let database_url = var("DATABASE_URL").unwrap_or(d.database_url.clone());
        let read_database_url = var("READ_DATABASE_URL");
        let postgres = |u: &str| crate::db::backend_of(u) == crate::db::Backend::Postgres;
        if read_database_url
            .as_deref()
            .is_some_and(|r| !postgres(r) || !postgres(&database_url))
        {
            bail!("READ_DATABASE_URL names a PostgreSQL replica of a PostgreSQL DATABASE_URL");
        }
        let r = d.rules;
        let rules = crate::domain::rules::Rules {
            window_days_before: parse_var("WINDOW_DAYS_BEFORE", r.window_days_before)?.clamp(0, 30),
            max_depth: parse_var("CASCADE_MAX_DEPTH", r.max_depth)?.clamp(1, 6),
            steps: crate::domain::rules::StepDeadlines {
                tracing_hours: parse_var("DEADLINE_TRACING_HOURS", r.steps.tracing_hours)?.max(0),
                cordoning_hours: parse_var("DEADLINE_CORDONING_HOURS", r.steps.cordoning_hours)?
                    .max(0),
                isolating_hours: parse_var("DEADLINE_ISOLATING_HOURS", r.steps.isolating_hours)?
                    .max(0),
                sampling_hours: parse_var("DEADLINE_SAMPLING_HOURS", r.steps.sampling_hours)?
                    .max(0),
            },
            task_hours: parse_var("DEADLINE_TASK_HOURS", r.task_hours)?.max(1),
            result_hours: parse_var("RESULT_DEADLINE_HOURS", r.result_hours)?.clamp(1, 24 * 7),
            cohort_hours: parse_var("COHORT_WINDOW_HOURS", r.cohort_hours)?.clamp(1, 24 * 14),
            pool_max_size: parse_var("POOL_MAX_SIZE", r.pool_max_size)?.clamp(2, 10),
            round_interval_days: parse_var("ROUND_INTERVAL_DAYS", r.round_interval_days)?
                .clamp(5, 7),
            facts: crate::domain::happened::FactTimes {
                skew_minutes: parse_var("FACT_CLOCK_SKEW_MINUTES", r.facts.skew_minutes)?
                    .clamp(0, 60),
                backdate_days: parse_var("FACT_BACKDATE_DAYS", r.facts.backdate_days)?
                    .clamp(1, 3660),
            },
        };
        let secs = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(parse_var(name, default.as_secs())?))
        };
        let millis = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            Ok(Duration::from_millis(parse_var(
                name,
                default.as_millis() as u64,
            )?))
        };
        Ok(Config {
            env,
            database_url,
            read_database_url,
            read_max_lag: millis("READ_MAX_LAG_MS", d.read_max_lag)?,
            analyze_every: secs("ANALYZE_EVERY_SECS", d.analyze_every)?.max(Duration::from_secs(1)),
            access_file_every: millis("ACCESS_FILE_EVERY_MS", d.access_file_every)?
                .max(Duration::from_millis(10)),
            bind_addr: var("BIND_ADDR").unwrap_or(d.bind_addr),
            metrics_addr,
            jwt_secret,
            jwt_issuer: var("JWT_ISSUER").unwrap_or(d.jwt_issuer),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or(d.jwt_audience),
            access_ttl: secs("ACCESS_TOKEN_TTL_SECS", d.access_ttl)?,
            refresh_ttl: secs("REFRESH_TOKEN_TTL_SECS", d.refresh_ttl)?,
            pool_size: parse_var("DATABASE_POOL_SIZE", d.pool_size)?.max(1),
            pool_timeout: millis("DATABASE_POOL_TIMEOUT_MS", d.pool_timeout)?,
            auth_cache: millis("AUTH_CACHE_MS", d.auth_cache)?.min(Duration::from_secs(60)),
            write_group_max: parse_var("WRITE_GROUP_MAX", d.write_group_max)?.clamp(1, 1000),
            login_max_failures: parse_var("LOGIN_MAX_FAILURES", d.login_max_failures)?.max(1),
            login_lock: secs("LOGIN_LOCK_SECS", d.login_lock)?,
            login_slow_after: parse_var("LOGIN_SLOW_AFTER", d.login_slow_after)?.max(1),
            login_max_delay: secs("LOGIN_MAX_DELAY_SECS", d.login_max_delay)?
                .clamp(Duration::from_secs(1), Duration::from_secs(3600)),
            trust_forwarded: parse_var("TRUST_FORWARDED", d.trust_forwarded)?,
            units_structure: crate::domain::units::Structure::parse(&structure)
                .with_context(|| format!("UNITS_STRUCTURE={structure:?}: use 3level or 2level"))?,
            rules,
            sync_settle_secs: parse_var("SYNC_SETTLE_SECS", d.sync_settle_secs)?.max(0),
            reply_hours: parse_var("REPLY_HOURS", d.reply_hours)?.clamp(1, 24 * 30),
            identity_lookups_per_hour: parse_var(
                "IDENTITY_LOOKUPS_PER_HOUR",
                d.identity_lookups_per_hour,
            )?
            .max(1),
            unusual_reading: crate::domain::privacy::Unusual {
                factor: parse_var("UNUSUAL_READING_FACTOR", d.unusual_reading.factor)?.max(1.0),
                min_people: parse_var("UNUSUAL_READING_MIN_PEOPLE", d.unusual_reading.min_people)?
                    .max(1),
            },
            pseudonym_key: std::env::var("PSEUDONYM_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
        })
    }

    /// Settings for tests and tools: the defaults, with the given database, any port, a
    /// small pool and pulls that wait for nothing.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            bind_addr: "127.0.0.1:0".into(),
            metrics_addr: None,
            pool_size: 4,
            pool_timeout: Duration::from_secs(5),
            sync_settle_secs: 0,
            ..Config::default()
        }
    }
}

impl Default for Config {
    /// Every default, written once.
    fn default() -> Config {
        Config {
            env: Env::Development,
            database_url: DEFAULT_DATABASE_URL.into(),
            read_database_url: None,
            read_max_lag: Duration::from_millis(5000),
            analyze_every: Duration::from_secs(5),
            access_file_every: Duration::from_millis(1000),
            bind_addr: "127.0.0.1:8080".into(),
            metrics_addr: Some(DEFAULT_METRICS_ADDR.into()),
            jwt_secret: None,
            jwt_issuer: "tracing-backend".into(),
            jwt_audience: "tracing-api".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            pool_size: 10,
            pool_timeout: Duration::from_millis(3000),
            auth_cache: Duration::from_millis(1000),
            write_group_max: 64,
            login_max_failures: 5,
            login_lock: Duration::from_secs(900),
            login_slow_after: 10,
            login_max_delay: Duration::from_secs(30),
            trust_forwarded: false,
            units_structure: crate::domain::units::Structure::ThreeLevel,
            rules: crate::domain::rules::Rules::default(),
            sync_settle_secs: 5,
            identity_lookups_per_hour: 1000,
            reply_hours: 48,
            unusual_reading: crate::domain::privacy::Unusual::default(),
            pseudonym_key: None,
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
