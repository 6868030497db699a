//! What the command line does, kept in the library so that it is tested with the rest.

use crate::api::{build_app, AppState};
use crate::config::{redact_url, Config};
use crate::db::{self, AnyConnection};
use crate::domain::roles::Role;
use crate::domain::units::Structure;
use crate::service::accounts;
use actix_web::{web, HttpServer};
use anyhow::Context;

fn open(config: &Config) -> anyhow::Result<AnyConnection> {
    db::connect(&config.database_url).with_context(|| {
        format!(
            "cannot open the database at {}",
            redact_url(&config.database_url)
        )
    })
}

/// Migrate, then load the official units if the tree is empty.
pub fn prepare(conn: &mut AnyConnection, structure: Structure) -> anyhow::Result<()> {
    let applied = db::migrate(conn)?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let loaded = crate::store::units::setting(conn, "units_structure")?;
    if loaded.is_none() {
        let n = db::write_tx(conn, |c| {
            crate::store::units::import_official(c, structure, crate::store::now())
        })?;
        tracing::info!(
            units = n,
            structure = structure.as_str(),
            "administrative units loaded"
        );
    }
    let added = db::write_tx(conn, |c| {
        crate::service::quarantine::ensure_shipped_regimes(c, crate::store::now())
    })?;
    if added > 0 {
        tracing::info!(added, "quarantine regimes loaded");
    }
    Ok(())
}

pub fn serve(config: Config) -> anyhow::Result<()> {
    crate::api::observe::init_tracing();
    let mut conn = open(&config)?;
    prepare(&mut conn, config.units_structure)?;
    drop(conn);
    let pool = db::pool(&config.database_url, config.pool_size, config.pool_timeout)?;
    let bind = config.bind_addr.clone();
    let metrics_bind = config.metrics_addr.clone();
    tracing::info!(database = %redact_url(&config.database_url), bind = %bind, metrics = ?metrics_bind, env = ?config.env, "starting");
    spawn_hourly(pool.clone(), config.reply_hours);
    let state = web::Data::new(AppState::new(pool, config)?);
    actix_web::rt::System::new().block_on(async move {
        let api = {
            let state = state.clone();
            HttpServer::new(move || build_app(state.clone()))
                .bind(&bind)
                .with_context(|| format!("cannot listen on {bind}"))?
                .run()
        };
        let Some(metrics_bind) = metrics_bind else {
            return api.await.context("server failed");
        };
        // metrics on their own address (loopback by default), never on the API's
        let metrics = HttpServer::new(move || crate::api::metrics_app(state.clone()))
            .workers(1)
            .bind(&metrics_bind)
            .with_context(|| format!("cannot serve metrics on {metrics_bind}"))?
            .run();
        futures_util::future::try_join(api, metrics)
            .await
            .map(|_| ())
            .context("server failed")
    })
}

/// Every hour: raise a follow-up for each home in quarantine that missed yesterday's
/// report, so the lists are right even when nobody opened them; and forget the kept answers
/// to creates older than `reply_hours`.
fn spawn_hourly(pool: db::Pool, reply_hours: i64) {
    std::thread::spawn(move || loop {
        let everywhere = vec![crate::domain::units::subtree_range("/")];
        let result = pool
            .get()
            .map_err(crate::error::AppError::from)
            .and_then(|mut c| {
                let raised = crate::service::homes::raise_missed_reports(
                    &mut c,
                    &everywhere,
                    crate::store::now(),
                )?;
                let forgotten = crate::service::replies::purge(&mut c, reply_hours)?;
                crate::service::lookups::purge(&mut c)?;
                Ok((raised, forgotten))
            });
        match result {
            Ok((raised, forgotten)) => {
                if raised > 0 {
                    tracing::info!(raised, "follow-ups raised for missed daily reports");
                }
                if forgotten > 0 {
                    tracing::info!(forgotten, "kept answers to creates forgotten");
                }
            }
            Err(e) => tracing::warn!(error = %e, "hourly work failed"),
        }
        std::thread::sleep(std::time::Duration::from_secs(3600));
    });
}

pub fn migrate(config: &Config) -> anyhow::Result<()> {
    let mut conn = open(config)?;
    let n = db::migrate(&mut conn)?;
    println!("{n} migration(s) applied");
    Ok(())
}

pub fn import_units(config: &Config, structure: &str) -> anyhow::Result<()> {
    let structure = Structure::parse(structure)
        .with_context(|| format!("unknown structure {structure:?}: use 3level or 2level"))?;
    let mut conn = open(config)?;
    db::migrate(&mut conn)?;
    let n = db::write_tx(&mut conn, |c| {
        crate::store::units::import_official(c, structure, crate::store::now())
    })?;
    if n == 0 {
        println!(
            "the administrative tree is already loaded ({})",
            structure.as_str()
        );
    } else {
        println!("{n} administrative units loaded ({})", structure.as_str());
    }
    Ok(())
}

pub fn create_user(
    config: &Config,
    username: &str,
    password: &str,
    display_name: &str,
    role: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let mut conn = open(config)?;
    prepare(&mut conn, config.units_structure)?;
    let name = if display_name.is_empty() {
        username
    } else {
        display_name
    };
    let user = accounts::bootstrap_user(
        &mut conn,
        username,
        name,
        password,
        role,
        target_of(role, unit),
    )
    .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
    println!(
        "created user {} ({}) with role {} on {}",
        user.username, user.id, role, unit
    );
    Ok(())
}

/// The demo district and its users: (username, role, unit or site).
pub const DEMO_USERS: [(&str, Role, &str); 7] = [
    ("demo.admin", Role::Admin, "VN"),
    ("demo.police", Role::PoliceTracer, "203"),
    ("demo.health", Role::HealthOfficer, "203"),
    ("demo.lab", Role::LabTechnician, "203"),
    ("demo.commune", Role::CommuneOfficer, "06994"),
    ("demo.camp", Role::CampManager, DEMO_SITE),
    ("demo.cdc", Role::CdcAnalyst, "22"),
];

pub fn seed_demo(config: &Config, password: Option<String>) -> anyhow::Result<()> {
    use rand::Rng;
    let password = password.unwrap_or_else(|| {
        let mut rng = rand::thread_rng();
        (0..16)
            .map(|_| rng.sample(rand::distributions::Alphanumeric) as char)
            .collect()
    });
    crate::domain::check_password("demo", &password)
        .map_err(|e| anyhow::anyhow!("password {e}"))?;
    let mut conn = open(config)?;
    prepare(&mut conn, config.units_structure)?;
    if config.units_structure != Structure::ThreeLevel {
        anyhow::bail!("the demo district (Vân Đồn) exists in the 3level structure only");
    }
    println!("Demo district: Huyện Vân Đồn (203), Tỉnh Quảng Ninh (22); commune Thị trấn Cái Rồng (06994)");
    db::write_tx(&mut conn, demo_site)?;
    println!("Demo camp: {DEMO_SITE} (Trung đoàn 244, 2 rooms of 4 beds)");
    let from = db::write_tx(&mut conn, demo_regime)?;
    println!("Demo regime: {DEMO_REGIME} for Quảng Ninh from {from}, not a directive: F1 7 days in a camp or at home, tested on days 1 and 7");
    println!("username       role             jurisdiction");
    for (username, role, scope) in DEMO_USERS {
        let created = accounts::bootstrap_user(
            &mut conn,
            username,
            username,
            &password,
            role,
            target_of(role, scope),
        );
        match created {
            Ok(_) => {}
            Err(crate::error::AppError::Conflict { .. }) => {
                println!("{username:<14} (exists already, password unchanged)");
                continue;
            }
            Err(e) => anyhow::bail!("{}: {}", username, e.problem().detail),
        }
        println!("{username:<14} {:<16} {scope}", role.as_str());
    }
    println!("password for every new demo user: {password}");
    Ok(())
}

pub const DEMO_SITE: &str = "demo-van-don-camp";

/// The demo camp in Vân Đồn, with two rooms of four beds, unless it exists.
fn demo_site(conn: &mut AnyConnection) -> Result<(), crate::error::AppError> {
    use crate::store::quarantine::{self as q, BedRow, RoomRow, SiteRow};
    if q::get_site(conn, DEMO_SITE)?.is_some() {
        return Ok(());
    }
    let at = crate::store::now();
    let unit = crate::store::units::get(conn, "203")?
        .ok_or_else(|| crate::error::AppError::not_found("district 203"))?;
    q::insert_site(
        conn,
        &SiteRow {
            id: DEMO_SITE.into(),
            name: "Khu cách ly Trung đoàn 244".into(),
            kind: crate::domain::camps::SiteKind::Barracks,
            address: "Vân Đồn, Quảng Ninh".into(),
            unit_code: unit.code,
            unit_path: unit.path,
            capacity: 8,
            version: 1,
            created_by: None,
            created_at: at,
            updated_at: at,
        },
    )?;
    for name in ["A1", "A2"] {
        let room = RoomRow {
            id: crate::store::new_id(),
            site_id: DEMO_SITE.into(),
            area_id: None,
            name: name.into(),
            created_at: at,
        };
        let beds: Vec<BedRow> = (1..=4)
            .map(|n| BedRow {
                id: crate::store::new_id(),
                room_id: room.id.clone(),
                site_id: DEMO_SITE.into(),
                label: n.to_string(),
                created_at: at,
            })
            .collect();
        q::insert_room(conn, &room, &beds)?;
    }
    Ok(())
}

/// The demo regime: a regime of this demo, not of any directive.
pub const DEMO_REGIME: &str = "demo-camp.v1";

/// The demo regime's rules: those of 10696/BYT-MT (an F1 7 days at home, tested on days 1
/// and 7, then 7 days of monitoring) with camp quarantine allowed as well, which the
/// regime in force since December 2021 is not, so that the demo camp can be tried.
pub fn demo_regime_rules() -> crate::domain::quarantine::RegimeRules {
    use crate::domain::quarantine::{Durations, LevelDurations, RegimeRules};
    RegimeRules {
        durations: LevelDurations {
            f1: Durations {
                concentrated: Some(7),
                home: Some(7),
                monitoring: Some(7),
            },
            ..Default::default()
        },
        test_days: vec![1, 7],
        monitoring_test_days: vec![],
        f2_release_on_f1_negative: false,
        camp_to_home_after_negative_day: None,
    }
}

/// The demo regime, for the demo province (Quảng Ninh), unless it exists: in force from 60
/// days before the day it is seeded (the earliest day 1 an order may give), so that every
/// episode of the demo's data starts under it. Returns its effective date.
fn demo_regime(conn: &mut AnyConnection) -> Result<chrono::NaiveDate, crate::error::AppError> {
    use crate::store::events::{Entity, Event, Who};
    use crate::store::quarantine::{self as q, RegimeRow};
    if let Some(r) = q::get_regime(conn, DEMO_REGIME)? {
        return Ok(r.effective_from);
    }
    let at = crate::store::now();
    let row = RegimeRow {
        id: DEMO_REGIME.into(),
        code: "demo-camp".into(),
        version: 1,
        effective_from: crate::domain::time::vn_date(at) - chrono::Duration::days(60),
        document: "Demo regime (not a directive): 10696/BYT-MT with camp quarantine".into(),
        province_code: Some("22".into()),
        rules: serde_json::to_string(&demo_regime_rules()).map_err(anyhow::Error::from)?,
        note: Some("made by seed-demo, to try the demo camp; not the rules of any document".into()),
        created_by: None,
        created_at: at,
    };
    q::insert_regime(conn, &row)?;
    let after = serde_json::json!({"code": row.code, "effective_from": row.effective_from,
        "document": row.document, "province_code": row.province_code, "note": row.note});
    let system = Who {
        actor_id: None,
        role: None,
    };
    Event::on(Entity::Regime, &row.id, "created")
        .after(&after)
        .reason("seed-demo")
        .write(conn, &system, at)?;
    Ok(row.effective_from)
}

fn target_of(role: Role, scope: &str) -> accounts::GrantTarget<'_> {
    match role.scope_kind() {
        crate::domain::roles::ScopeKind::Unit => accounts::GrantTarget::Unit(scope),
        crate::domain::roles::ScopeKind::Site => accounts::GrantTarget::Site(scope),
    }
}

pub fn print_openapi(json: bool) -> anyhow::Result<()> {
    let doc = crate::api::api_doc();
    if json {
        println!("{}", doc.to_pretty_json()?);
    } else {
        print!("{}", crate::api::openapi::to_yaml(&doc));
    }
    Ok(())
}

/// `purge`: list (`dry_run`) or purge the people due under the retention policy in force,
/// as the national administrator `by` (the run is recorded as theirs). Prints ids, rules and
/// due dates only, never a name.
pub fn purge(config: &Config, by: &str, dry_run: bool) -> anyhow::Result<()> {
    let mut conn = open(config)?;
    db::migrate(&mut conn)?;
    let user = crate::store::users::by_username(&mut conn, by)?
        .with_context(|| format!("no user {by:?}"))?;
    let actor = crate::service::accounts::actor_of(&mut conn, &user.id, user.username.clone())
        .map_err(|e| anyhow::anyhow!("{}", e.field_message()))?;
    let input = crate::service::retention::PurgeInput { dry_run };
    let out = crate::service::retention::purge(&mut conn, &actor, input)
        .map_err(|e| anyhow::anyhow!("{}", e.field_message()))?;
    if !dry_run {
        crate::service::retention::flush_erased(&mut conn)
            .map_err(|e| anyhow::anyhow!("{}", e.field_message()))?;
    }
    for p in &out.people {
        println!("{}\t{}\t{}", p.person_id, p.rule, p.due_at.to_rfc3339());
    }
    match (&out.run_id, dry_run) {
        (_, true) => println!(
            "{} people would be purged (policy {})",
            out.people.len(),
            out.policy_id
        ),
        (Some(run), false) => println!(
            "{} people purged (policy {}, run {run}): {} rows and {} changes erased",
            out.people.len(),
            out.policy_id,
            out.rows_erased,
            out.changes_erased
        ),
        (None, false) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quarantine::Mode;

    #[test]
    fn the_demo_regime_allows_the_demo_camp() {
        let rules = demo_regime_rules();
        rules.check().unwrap();
        assert_eq!(rules.days(1, Mode::Concentrated), Some(7));
        assert_eq!(rules.days(1, Mode::Home), Some(7));
    }
}
