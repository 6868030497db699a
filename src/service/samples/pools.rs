//! Pools: specimens of several people tested as one.

use super::*;
use crate::service::versioned;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreatePool {
    /// The pool tube's barcode: 4 to 40 letters, digits or '-'.
    #[schema(pattern = "^[A-Za-z0-9-]{4,40}$")]
    pub barcode: String,
    #[schema(schema_with = pool_members)]
    pub sample_ids: Vec<String>,
    /// The most specimens it may hold, 2 to 10 (default: `POOL_MAX_SIZE`).
    #[schema(minimum = 2, maximum = 10)]
    pub max_size: Option<i32>,
}

fn pool_members() -> utoipa::openapi::schema::Array {
    crate::service::distinct_strings(
        2,
        10,
        false,
        "The collected `rt_pcr_pooled` samples in it, by id: 2 to `max_size`, each once.",
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PoolOut {
    pub id: String,
    pub barcode: String,
    pub state: PoolState,
    pub max_size: i32,
    pub lab_id: Option<String>,
    pub result: Option<TestResult>,
    pub members: Vec<SampleOut>,
}

fn pool_out(conn: &mut AnyConnection, p: &PoolRow) -> AppResult<PoolOut> {
    let members = store::pool_members(conn, &p.id)?;
    Ok(PoolOut {
        id: p.id.clone(),
        barcode: p.barcode.clone(),
        state: p.state,
        max_size: p.max_size,
        lab_id: p.lab_id.clone(),
        result: p.result,
        members: members.iter().map(SampleOut::from).collect(),
    })
}

/// Put collected specimens in one pool tube (health officers, where they are collected).
pub fn create_pool(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CreatePool,
    rules: &Rules,
) -> AppResult<PoolOut> {
    let scope = actor.scope(Action::SampleOrder)?;
    let barcode = check_barcode(&input.barcode).map_err(|e| AppError::field("barcode", e))?;
    let max = input.max_size.unwrap_or(rules.pool_max_size);
    if !(2..=10).contains(&max) {
        return Err(AppError::field("max_size", "must be 2 to 10"));
    }
    if input.sample_ids.len() < 2 || input.sample_ids.len() > max as usize {
        return Err(AppError::field(
            "sample_ids",
            format!("a pool holds 2 to {max} specimens"),
        ));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        // a collection giving a sample this barcode waits for the pool, or the pool for it
        crate::db::lock_keys(conn, &[barcode_key(&barcode)])?;
        let held_by = if !store::pools_by_barcode(conn, std::slice::from_ref(&barcode))?.is_empty()
        {
            Some(TubeKind::Pool)
        } else if !store::samples_by_barcode(conn, std::slice::from_ref(&barcode))?.is_empty() {
            Some(TubeKind::Sample)
        } else {
            None
        };
        barcode_free(TubeKind::Pool, held_by).map_err(|e| AppError::field("barcode", e))?;
        store::lock_samples(conn, &input.sample_ids)?;
        let members = store::samples_by_id(conn, &input.sample_ids)?;
        let mut pool = PoolRow {
            id: new_id(),
            barcode: barcode.clone(),
            state: PoolState::Open,
            max_size: max,
            lab_id: None,
            result: None,
            note: None,
            unit_path: String::new(),
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            received_at: None,
            resulted_at: None,
            version: 1,
        };
        let mut rows = Vec::new();
        for (i, id) in input.sample_ids.iter().enumerate() {
            let field = format!("sample_ids[{i}]");
            let Some(s) = members
                .iter()
                .find(|s| &s.id == id && scope.covers(&s.unit_path))
            else {
                return Err(AppError::field(
                    &field,
                    "no such sample in your jurisdiction",
                ));
            };
            if input.sample_ids[..i].contains(id) {
                return Err(AppError::field(&field, "is listed twice"));
            }
            let kind = s.kind;
            let state = s.state;
            can_join_pool(
                PoolState::Open,
                i,
                max as usize,
                kind,
                state,
                s.pool_id.is_some(),
            )
            .map_err(|e| AppError::field(&field, e))?;
            rows.push(s.clone());
        }
        // the pool belongs where its first member lives (for the lab's and the lists' scope)
        pool.unit_path = rows[0].unit_path.clone();
        store::insert_pool(conn, &pool)?;
        for s in &rows {
            let after = SampleRow {
                pool_id: Some(pool.id.clone()),
                version: s.version + 1,
                updated_at: at,
                ..s.clone()
            };
            versioned::applied(store::update_sample(conn, &after, s.version)?, s.version)?;
        }
        Event::on(Entity::Pool, &pool.id, "created")
            .after(&json!({"barcode": barcode, "sample_ids": input.sample_ids}))
            .write(conn, &who_as(actor, scope.role_at(&pool.unit_path)), at)?;
        pool_out(conn, &pool)
    })
}

pub fn get_pool(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<PoolOut> {
    let scope = actor.scope(Action::SampleRead)?;
    match store::get_pool(conn, id)? {
        Some(p) if scope.covers(&p.unit_path) => pool_out(conn, &p),
        _ => Err(AppError::not_found("pool")),
    }
}
