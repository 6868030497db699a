//! Collection from phones, in batches of barcodes.

use super::*;
use crate::domain::happened::Happened;
use crate::service::happened::happened_at;
use crate::store::events::{Entity, Event};
use std::collections::HashSet;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// The ordered sample; or `person_id` and `kind` for a sample taken on the spot.
    pub sample_id: Option<String>,
    pub person_id: Option<String>,
    pub kind: Option<SampleKind>,
    /// The tube's barcode: 4 to 40 letters, digits or '-' (another is answered `invalid`,
    /// in its item). One that another sample or a pool has is answered `conflict`.
    pub barcode: String,
    /// When it was taken (default: now), at most a few minutes ahead of the server's clock
    /// (else `invalid`).
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub collected_at: Option<DateTime<Utc>>,
    /// Why a sample taken more than the backdating limit (30 days) ago is recorded now
    /// (without it such an item is `invalid`).
    pub backdate_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Collections {
    /// Up to 1,000 samples.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<Collection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SampleItemStatus {
    /// Done now.
    Done,
    /// Done before, the same way: nothing changed.
    Unchanged,
    /// Refused: the record is in another state, or the barcode is another tube's (a sample's
    /// or a pool's).
    Conflict,
    Invalid,
    NotFound,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SampleItemResult {
    pub index: usize,
    pub status: SampleItemStatus,
    pub sample_id: Option<String>,
    pub barcode: Option<String>,
    pub detail: Option<String>,
}

impl SampleItemResult {
    /// The item lost a race: the sample or pool changed between reading and writing it.
    pub(super) fn changed_meanwhile(index: usize, id: Option<&str>, barcode: Option<&str>) -> Self {
        let detail = Some("changed meanwhile".to_string());
        SampleItemResult::new(index, SampleItemStatus::Conflict, id, barcode, detail)
    }

    pub(super) fn new(
        index: usize,
        status: SampleItemStatus,
        sample: Option<&str>,
        barcode: Option<&str>,
        detail: Option<String>,
    ) -> Self {
        SampleItemResult {
            index,
            status,
            sample_id: sample.map(str::to_string),
            barcode: barcode.map(str::to_string),
            detail,
        }
    }
}

pub(super) fn check_items<T>(items: &[T]) -> AppResult<()> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(AppError::field(
            "items",
            format!("must hold 1 to {MAX_ITEMS} items"),
        ));
    }
    Ok(())
}

/// Collect samples from a phone, in batches: each item gets its own result, a bad item never
/// fails the others, and the same batch sent again changes nothing. A barcode a sample or a
/// pool already has is refused in its item. The barcodes and the samples named are locked
/// first: a batch racing another over them waits for it and answers from what it wrote.
pub fn collect(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: Collections,
    rules: &Rules,
) -> AppResult<Vec<SampleItemResult>> {
    let scope = actor.scope(Action::SampleOrder)?;
    check_items(&input.items)?;
    let at = now();
    let who = Who {
        actor_id: Some(actor.user_id.clone()),
        role: scope.acting_role("/").map(|r| r.as_str().to_string()),
    };
    crate::db::write_tx(conn, |conn| {
        let barcodes: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| check_barcode(&i.barcode).ok())
            .collect();
        let ids: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| i.sample_id.clone())
            .collect();
        let keys: Vec<String> = barcodes.iter().map(|b| barcode_key(b)).collect();
        crate::db::lock_keys(conn, &keys)?;
        store::lock_samples(conn, &ids)?;
        let pool_barcodes: HashSet<String> = store::pools_by_barcode(conn, &barcodes)?
            .into_iter()
            .map(|p| p.barcode)
            .collect();
        let by_barcode: HashMap<String, SampleRow> = store::samples_by_barcode(conn, &barcodes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, s)))
            .collect();
        let by_id: HashMap<String, SampleRow> = store::samples_by_id(conn, &ids)?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut batch = Batch {
            scope: &scope,
            who: &who,
            by_barcode,
            pool_barcodes,
            by_id,
            seen: HashMap::new(),
            fresh: Vec::new(),
            fresh_times: Vec::new(),
            at,
            rules,
        };
        let mut results = Vec::with_capacity(input.items.len());
        for (index, item) in input.items.iter().enumerate() {
            results.push(collect_one(conn, &mut batch, item, index)?);
        }
        let (fresh, times) = (batch.fresh, batch.fresh_times);
        store::insert_samples(conn, &fresh)?;
        let events: Vec<crate::store::events::EventRow> = fresh
            .iter()
            .zip(&times)
            .map(|(s, h)| {
                let after = json!({"person_id": s.person_id, "kind": s.kind, "barcode": s.barcode, "origin": s.origin});
                Event::on(Entity::Sample, &s.id, "collected")
                    .after(&after)
                    .fact_row(&who, h)
            })
            .collect();
        crate::store::events::insert_many(conn, &events)?;
        Ok(results)
    })
}

/// What the items of one collection batch are checked and written against.
struct Batch<'a> {
    scope: &'a Scope,
    who: &'a Who,
    /// The stored samples the batch's barcodes already name.
    by_barcode: HashMap<String, SampleRow>,
    /// The batch's barcodes that pools already have.
    pool_barcodes: HashSet<String>,
    /// The stored samples the batch names by id, as the batch leaves them.
    by_id: HashMap<String, SampleRow>,
    /// Barcode → the first item that gave it.
    seen: HashMap<String, usize>,
    /// Ad hoc samples to insert at the end, and when each was taken.
    fresh: Vec<SampleRow>,
    fresh_times: Vec<Happened>,
    at: NaiveDateTime,
    rules: &'a Rules,
}

/// One item's answer, for the item and barcode at hand.
struct Answer<'a> {
    index: usize,
    barcode: &'a str,
}

impl Answer<'_> {
    fn of(
        &self,
        status: SampleItemStatus,
        id: Option<&str>,
        detail: Option<String>,
    ) -> SampleItemResult {
        SampleItemResult::new(self.index, status, id, Some(self.barcode), detail)
    }
}

/// Check one item (barcode, time, a pool's barcode, repeated barcode), then collect an
/// ordered sample or an ad hoc one.
fn collect_one(
    conn: &mut AnyConnection,
    b: &mut Batch,
    item: &Collection,
    index: usize,
) -> AppResult<SampleItemResult> {
    let barcode = match check_barcode(&item.barcode) {
        Ok(code) => code,
        Err(e) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Invalid,
                None,
                None,
                Some(format!("barcode: {e}")),
            ))
        }
    };
    let answer = Answer {
        index,
        barcode: &barcode,
    };
    let reason = item.backdate_reason.as_deref();
    let field = "collected_at";
    let collected = match happened_at(b.rules, b.at, field, item.collected_at, reason, None) {
        Ok(h) => h,
        Err(e) => return Ok(answer.of(SampleItemStatus::Invalid, None, Some(e.field_message()))),
    };
    if b.pool_barcodes.contains(&barcode) {
        let detail = taken(TubeKind::Pool);
        return Ok(answer.of(
            SampleItemStatus::Conflict,
            item.sample_id.as_deref(),
            detail,
        ));
    }
    if let Some(first) = b.seen.insert(barcode.clone(), index) {
        return Ok(answer.of(
            SampleItemStatus::Conflict,
            None,
            Some(format!("the barcode is also in item {first}")),
        ));
    }
    match (&item.sample_id, &item.person_id, item.kind) {
        (Some(id), None, None) => collect_ordered(conn, b, &answer, id, &collected),
        (None, Some(person), Some(kind)) => {
            collect_ad_hoc(conn, b, &answer, person, kind, collected)
        }
        _ => Ok(answer.of(
            SampleItemStatus::Invalid,
            item.sample_id.as_deref(),
            Some("give sample_id, or person_id and kind".into()),
        )),
    }
}

/// Why a sample cannot take a barcode that a tube of `holder`'s kind has, naming the field.
fn taken(holder: TubeKind) -> Option<String> {
    barcode_free(TubeKind::Sample, Some(holder))
        .err()
        .map(|why| format!("barcode: {why}"))
}

/// An ordered sample, collected: the barcode is put on it and the state moves.
fn collect_ordered(
    conn: &mut AnyConnection,
    b: &mut Batch,
    answer: &Answer,
    id: &str,
    h: &Happened,
) -> AppResult<SampleItemResult> {
    let Some(s) = b
        .by_id
        .get(id)
        .filter(|s| b.scope.covers(&s.unit_path))
        .cloned()
    else {
        return Ok(answer.of(SampleItemStatus::NotFound, Some(id), None));
    };
    if let Some(other) = b.by_barcode.get(answer.barcode) {
        if other.id == s.id {
            return Ok(answer.of(SampleItemStatus::Unchanged, Some(&s.id), None));
        }
        let detail = taken(TubeKind::Sample);
        return Ok(answer.of(SampleItemStatus::Conflict, Some(&s.id), detail));
    }
    if let Err(r) = sample_transition(s.kind, s.state, SampleCommand::Collect, false) {
        return Ok(answer.of(SampleItemStatus::Conflict, Some(&s.id), Some(r.to_string())));
    }
    let after = SampleRow {
        state: SampleState::Collected,
        barcode: Some(answer.barcode.to_string()),
        collected_at: Some(h.at),
        version: s.version + 1,
        updated_at: b.at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        let detail = Some("changed meanwhile".into());
        return Ok(answer.of(SampleItemStatus::Conflict, Some(&s.id), detail));
    }
    Event::on(Entity::Sample, &s.id, "collected")
        .before(&json!({"state": s.state}))
        .after(&json!({"state": after.state, "barcode": answer.barcode}))
        .write_fact(conn, b.who, h)?;
    b.by_id.insert(s.id.clone(), after);
    Ok(answer.of(SampleItemStatus::Done, Some(&s.id), None))
}

/// A sample nobody ordered, taken from a person in the jurisdiction: made at the end of the
/// batch, with the others.
fn collect_ad_hoc(
    conn: &mut AnyConnection,
    b: &mut Batch,
    answer: &Answer,
    person: &str,
    kind: SampleKind,
    collected: Happened,
) -> AppResult<SampleItemResult> {
    if let Some(other) = b.by_barcode.get(answer.barcode) {
        if other.person_id == person && other.kind == kind {
            return Ok(answer.of(SampleItemStatus::Unchanged, Some(&other.id), None));
        }
        let detail = taken(TubeKind::Sample);
        return Ok(answer.of(SampleItemStatus::Conflict, Some(&other.id), detail));
    }
    let p = match people_store::get_row(conn, person)? {
        Some(p) if b.scope.covers(&p.unit_path) && p.merged_into.is_none() => p,
        _ => {
            let detail = Some("person_id: no such person in your jurisdiction".into());
            return Ok(answer.of(SampleItemStatus::NotFound, None, detail));
        }
    };
    let mut s = new_sample(
        &p.id,
        &p.unit_path,
        kind,
        "ad_hoc",
        vn_date(collected.at),
        b.at,
    );
    s.state = SampleState::Collected;
    s.barcode = Some(answer.barcode.to_string());
    s.collected_at = Some(collected.at);
    s.created_by = b.who.actor_id.clone();
    let id = s.id.clone();
    b.fresh.push(s);
    b.fresh_times.push(collected);
    Ok(answer.of(SampleItemStatus::Done, Some(&id), None))
}
