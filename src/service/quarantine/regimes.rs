//! Regimes: the shipped ones, reading them, and new versions.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Serialize, ToSchema)]
pub struct RegimeOut {
    pub id: String,
    /// Versions of one regime share a code.
    pub code: String,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub document: String,
    /// The province whose override this is; absent for national rules.
    pub province_code: Option<String>,
    pub rules: RegimeRules,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(super) fn regime_rules(r: &RegimeRow) -> AppResult<RegimeRules> {
    serde_json::from_str(&r.rules)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("regime {} rules: {e}", r.id)))
}

fn regime_out(r: &RegimeRow) -> AppResult<RegimeOut> {
    Ok(RegimeOut {
        id: r.id.clone(),
        code: r.code.clone(),
        version: r.version,
        effective_from: r.effective_from,
        document: r.document.clone(),
        province_code: r.province_code.clone(),
        rules: regime_rules(r)?,
        note: r.note.clone(),
        created_at: utc(r.created_at),
    })
}

pub(super) fn regime_domain(r: &RegimeRow) -> AppResult<Regime> {
    Ok(Regime {
        id: r.id.clone(),
        document: r.document.clone(),
        effective_from: r.effective_from,
        province_code: r.province_code.clone(),
        version: r.version,
        rules: regime_rules(r)?,
    })
}

/// Every regime, as rows and as the domain reads them (in the same order).
pub(super) fn load_regimes(conn: &mut AnyConnection) -> AppResult<(Vec<RegimeRow>, Vec<Regime>)> {
    let rows = store::all_regimes(conn)?;
    let all = rows.iter().map(regime_domain).collect::<AppResult<_>>()?;
    Ok((rows, all))
}

/// Load the regimes of docs/domain.md §5 into a database that has none of them yet.
pub fn ensure_shipped_regimes(conn: &mut AnyConnection, at: NaiveDateTime) -> AppResult<usize> {
    let mut added = 0;
    for (from, document, rules) in shipped_regimes() {
        let code = format!("vn-{from}");
        if store::latest_version(conn, &code)?.is_some() {
            continue;
        }
        let row = RegimeRow {
            id: format!("{code}.v1"),
            code,
            version: 1,
            effective_from: from,
            document: document.into(),
            province_code: None,
            rules: serde_json::to_string(&rules).map_err(anyhow::Error::from)?,
            note: Some("shipped with the system".into()),
            created_by: None,
            created_at: at,
        };
        store::insert_regime(conn, &row)?;
        added += 1;
    }
    Ok(added)
}

pub fn list_regimes(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Vec<RegimeOut>> {
    actor.may(Action::RegimeRead)?;
    store::all_regimes(conn)?.iter().map(regime_out).collect()
}

pub fn get_regime(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<RegimeOut> {
    actor.may(Action::RegimeRead)?;
    let r = store::get_regime(conn, id)?.ok_or_else(|| AppError::not_found("regime"))?;
    regime_out(&r)
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateRegime {
    /// The code of the regime; a code already in use gets a new version. 1 to 64 letters,
    /// digits, '-', '_' or '.'.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub code: String,
    pub effective_from: NaiveDate,
    /// The document the rules come from ("5599/BYT-MT"), 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub document: String,
    /// For one province's override; absent for national rules.
    pub province_code: Option<String>,
    pub rules: RegimeRules,
    pub note: Option<String>,
}

/// Add a regime, or a new version of one: regimes are never edited, so an episode's rules
/// never change under it.
pub fn create_regime(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreateRegime,
) -> AppResult<RegimeOut> {
    let scope = actor.scope(Action::RegimeManage)?;
    let code = input.code.trim().to_lowercase();
    if code.is_empty()
        || code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(AppError::field(
            "code",
            "must be 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let document = crate::domain::text::tidy(&input.document);
    if document.is_empty() || document.chars().count() > 200 {
        return Err(AppError::field("document", "must be 1 to 200 characters"));
    }
    input
        .rules
        .check()
        .map_err(|(field, msg)| AppError::field(&field, msg))?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let path = match &input.province_code {
            None => "/".to_string(),
            Some(p) => {
                let unit = crate::store::units::get(conn, p)?
                    .filter(|u| u.level == crate::domain::units::Level::Province)
                    .ok_or_else(|| AppError::field("province_code", "no province has this code"))?;
                unit.path
            }
        };
        if !scope.covers(&path) {
            return Err(AppError::field(
                "province_code",
                "outside your jurisdiction",
            ));
        }
        let version = store::latest_version(conn, &code)?.unwrap_or(0) + 1;
        let row = RegimeRow {
            id: format!("{code}.v{version}"),
            code: code.clone(),
            version,
            effective_from: input.effective_from,
            document: document.clone(),
            province_code: input.province_code.clone(),
            rules: serde_json::to_string(&input.rules).map_err(anyhow::Error::from)?,
            note: input.note.as_deref().map(crate::domain::text::tidy),
            created_by: Some(actor.user_id.clone()),
            created_at: at,
        };
        store::insert_regime(conn, &row)?;
        let out = regime_out(&row)?;
        Event::on(Entity::Regime, &row.id, "created")
            .after(&serde_json::to_value(&out).map_err(anyhow::Error::from)?)
            .write(conn, &who_as(actor, scope.role_at(&path)), at)?;
        Ok(out)
    })
}
