//! Receiving tubes and pools at a laboratory.

use super::*;
use crate::domain::happened::Happened;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Receipts {
    /// Barcodes of samples or pools arriving at the laboratory (up to 1,000), each 4 to 40
    /// letters, digits or '-' (another is answered `invalid`, in its item).
    #[schema(min_items = 1, max_items = 1000)]
    pub barcodes: Vec<String>,
    /// When they arrived (default: now), at most a few minutes ahead of the server's clock;
    /// a tube collected later is answered `invalid`.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a receipt more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// A laboratory receives tubes (samples or pools) in bulk, idempotently.
pub fn receive(
    conn: &mut AnyConnection,
    actor: &Actor,
    lab_id: &str,
    input: Receipts,
    rules: &Rules,
) -> AppResult<Vec<SampleItemResult>> {
    check_items(&input.barcodes)
        .map_err(|_| AppError::field("barcodes", format!("must hold 1 to {MAX_ITEMS} barcodes")))?;
    let reason = input.backdate_reason.as_deref();
    let h = crate::service::happened::happened(rules, "at", input.at, reason, None)?;
    crate::db::write_tx(conn, |conn| {
        let (lab, scope) = own_lab(conn, actor, lab_id)?;
        let who = who_as(actor, scope.role_at(&lab.unit_path));
        let codes: Vec<String> = input
            .barcodes
            .iter()
            .filter_map(|b| check_barcode(b).ok())
            .collect();
        // racing another upload over the same tubes, wait for it and read what it wrote
        store::lock_tubes(conn, &codes)?;
        let samples: HashMap<String, SampleRow> = store::samples_by_barcode(conn, &codes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, s)))
            .collect();
        let pools: HashMap<String, PoolRow> = store::pools_by_barcode(conn, &codes)?
            .into_iter()
            .map(|p| (p.barcode.clone(), p))
            .collect();
        let mut out = Vec::with_capacity(input.barcodes.len());
        for (index, raw) in input.barcodes.iter().enumerate() {
            let Ok(b) = check_barcode(raw) else {
                out.push(SampleItemResult::new(
                    index,
                    SampleItemStatus::Invalid,
                    None,
                    Some(raw),
                    Some("not a barcode".into()),
                ));
                continue;
            };
            if let Some(p) = pools.get(&b) {
                out.push(receive_pool(conn, &who, &lab, p, index, &h)?);
            } else if let Some(s) = samples.get(&b) {
                out.push(receive_sample(conn, &who, &lab, s, index, &h)?);
            } else {
                out.push(SampleItemResult::new(
                    index,
                    SampleItemStatus::NotFound,
                    None,
                    Some(&b),
                    None,
                ));
            }
        }
        Ok(out)
    })
}

fn receive_sample(
    conn: &mut AnyConnection,
    who: &Who,
    lab: &LabRow,
    s: &SampleRow,
    index: usize,
    h: &Happened,
) -> AppResult<SampleItemResult> {
    let bc = s.barcode.as_deref();
    if s.state == SampleState::Received && s.lab_id.as_deref() == Some(lab.id.as_str()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Unchanged,
            Some(&s.id),
            bc,
            None,
        ));
    }
    if s.pool_id.is_some() {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some("a pooled specimen arrives in its pool".into()),
        ));
    }
    let kind = s.kind;
    let state = s.state;
    if let Err(r) = sample_transition(kind, state, SampleCommand::Receive, false) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some(r.to_string()),
        ));
    }
    if s.collected_at.is_some_and(|c| h.at < c) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Invalid,
            Some(&s.id),
            bc,
            Some("at: must not be before its collection".into()),
        ));
    }
    let after = SampleRow {
        state: SampleState::Received,
        lab_id: Some(lab.id.clone()),
        received_at: Some(h.at),
        version: s.version + 1,
        updated_at: h.recorded_at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        return Ok(SampleItemResult::changed_meanwhile(index, Some(&s.id), bc));
    }
    Event::on(Entity::Sample, &s.id, "received")
        .before(&json!({"state": s.state}))
        .after(&json!({"state": "received", "lab_id": lab.id}))
        .write_fact(conn, who, h)?;
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        Some(&s.id),
        bc,
        None,
    ))
}

fn receive_pool(
    conn: &mut AnyConnection,
    who: &Who,
    lab: &LabRow,
    p: &PoolRow,
    index: usize,
    h: &Happened,
) -> AppResult<SampleItemResult> {
    let bc = Some(p.barcode.as_str());
    if p.state == PoolState::Received && p.lab_id.as_deref() == Some(lab.id.as_str()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Unchanged,
            None,
            bc,
            None,
        ));
    }
    let members = store::pool_members(conn, &p.id)?;
    let state = p.state;
    if let Err(r) = pool_transition(state, SampleCommand::Receive, members.len()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            None,
            bc,
            Some(r.to_string()),
        ));
    }
    let after = PoolRow {
        state: PoolState::Received,
        lab_id: Some(lab.id.clone()),
        received_at: Some(h.at),
        version: p.version + 1,
        ..p.clone()
    };
    if !store::update_pool(conn, &after, p.version)? {
        return Ok(SampleItemResult::changed_meanwhile(index, None, bc));
    }
    // only the specimens still waiting in the pool travel with it (not one rejected alone)
    for m in members
        .into_iter()
        .filter(|m| m.state == SampleState::Collected)
    {
        let moved = SampleRow {
            state: SampleState::Received,
            lab_id: Some(lab.id.clone()),
            received_at: Some(h.at),
            version: m.version + 1,
            updated_at: h.recorded_at,
            ..m.clone()
        };
        store::update_sample(conn, &moved, m.version)?;
    }
    Event::on(Entity::Pool, &p.id, "received")
        .after(&json!({"lab_id": lab.id}))
        .write_fact(conn, who, h)?;
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        None,
        bc,
        None,
    ))
}
