//! Collection from phones, in batches of barcodes.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// The ordered sample; or `person_id` and `kind` for a sample taken on the spot.
    pub sample_id: Option<String>,
    pub person_id: Option<String>,
    pub kind: Option<SampleKind>,
    /// The tube's barcode: 4 to 40 letters, digits or '-' (another is answered `invalid`,
    /// in its item).
    pub barcode: String,
    /// When it was taken (default: now).
    pub collected_at: Option<DateTime<Utc>>,
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
    /// Refused: the record is in another state, or the barcode is another sample's.
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
/// fails the others, and the same batch sent again changes nothing.
pub fn collect(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: Collections,
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
        let by_barcode: HashMap<String, SampleRow> = store::samples_by_barcode(conn, &barcodes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, s)))
            .collect();
        let ids: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| i.sample_id.clone())
            .collect();
        let mut by_id: HashMap<String, SampleRow> = store::samples_by_id(conn, &ids)?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut results = Vec::with_capacity(input.items.len());
        let mut fresh: Vec<SampleRow> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, item) in input.items.iter().enumerate() {
            let r = collect_one(
                conn,
                &scope,
                &who,
                item,
                index,
                &by_barcode,
                &mut by_id,
                &mut seen,
                &mut fresh,
                at,
            )?;
            results.push(r);
        }
        store::insert_samples(conn, &fresh)?;
        let events: Vec<crate::store::events::EventRow> = fresh
            .iter()
            .map(|s| {
                let after = json!({"person_id": s.person_id, "kind": s.kind, "barcode": s.barcode, "origin": s.origin});
                Event::on(Entity::Sample, &s.id, "collected")
                    .after(&after)
                    .row(&who, at)
            })
            .collect();
        crate::store::events::insert_many(conn, &events)?;
        Ok(results)
    })
}

#[allow(clippy::too_many_arguments)]
fn collect_one(
    conn: &mut AnyConnection,
    scope: &Scope,
    who: &Who,
    item: &Collection,
    index: usize,
    by_barcode: &HashMap<String, SampleRow>,
    by_id: &mut HashMap<String, SampleRow>,
    seen: &mut HashMap<String, usize>,
    fresh: &mut Vec<SampleRow>,
    at: NaiveDateTime,
) -> AppResult<SampleItemResult> {
    let barcode = match check_barcode(&item.barcode) {
        Ok(b) => b,
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
    let collected = item.collected_at.map(instant).unwrap_or(at);
    if collected > at + Duration::minutes(5) || collected < at - Duration::days(14) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Invalid,
            None,
            Some(&barcode),
            Some("collected_at: must be within the last 14 days".into()),
        ));
    }
    if let Some(first) = seen.insert(barcode.clone(), index) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            None,
            Some(&barcode),
            Some(format!("the barcode is also in item {first}")),
        ));
    }
    let existing = by_barcode.get(&barcode);
    match (&item.sample_id, &item.person_id, item.kind) {
        (Some(id), None, None) => {
            let Some(s) = by_id
                .get(id)
                .filter(|s| scope.covers(&s.unit_path))
                .cloned()
            else {
                return Ok(SampleItemResult::new(
                    index,
                    SampleItemStatus::NotFound,
                    Some(id),
                    Some(&barcode),
                    None,
                ));
            };
            if let Some(other) = existing {
                let status = if other.id == s.id {
                    SampleItemStatus::Unchanged
                } else {
                    SampleItemStatus::Conflict
                };
                let detail = (status == SampleItemStatus::Conflict)
                    .then(|| "the barcode is another sample's".to_string());
                return Ok(SampleItemResult::new(
                    index,
                    status,
                    Some(&s.id),
                    Some(&barcode),
                    detail,
                ));
            }
            let kind = s.kind;
            let state = s.state;
            if let Err(r) = sample_transition(kind, state, SampleCommand::Collect, false) {
                return Ok(SampleItemResult::new(
                    index,
                    SampleItemStatus::Conflict,
                    Some(&s.id),
                    Some(&barcode),
                    Some(r.to_string()),
                ));
            }
            let after = SampleRow {
                state: SampleState::Collected,
                barcode: Some(barcode.clone()),
                collected_at: Some(collected),
                version: s.version + 1,
                updated_at: at,
                ..s.clone()
            };
            if !store::update_sample(conn, &after, s.version)? {
                return Ok(SampleItemResult::new(
                    index,
                    SampleItemStatus::Conflict,
                    Some(&s.id),
                    Some(&barcode),
                    Some("changed meanwhile".into()),
                ));
            }
            Event::on(Entity::Sample, &s.id, "collected")
                .before(&json!({"state": s.state}))
                .after(&json!({"state": after.state, "barcode": barcode}))
                .write(conn, who, at)?;
            by_id.insert(s.id.clone(), after);
            Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Done,
                Some(&s.id),
                Some(&barcode),
                None,
            ))
        }
        (None, Some(person), Some(kind)) => {
            if let Some(other) = existing {
                let same = other.person_id == *person && other.kind == kind;
                let status = if same {
                    SampleItemStatus::Unchanged
                } else {
                    SampleItemStatus::Conflict
                };
                let detail = (!same).then(|| "the barcode is another sample's".to_string());
                return Ok(SampleItemResult::new(
                    index,
                    status,
                    Some(&other.id),
                    Some(&barcode),
                    detail,
                ));
            }
            let p = match people_store::get_row(conn, person)? {
                Some(p) if scope.covers(&p.unit_path) && p.merged_into.is_none() => p,
                _ => {
                    return Ok(SampleItemResult::new(
                        index,
                        SampleItemStatus::NotFound,
                        None,
                        Some(&barcode),
                        Some("person_id: no such person in your jurisdiction".into()),
                    ))
                }
            };
            let mut s = new_sample(&p.id, &p.unit_path, kind, "ad_hoc", vn_date(collected), at);
            s.state = SampleState::Collected;
            s.barcode = Some(barcode.clone());
            s.collected_at = Some(collected);
            s.created_by = who.actor_id.clone();
            let id = s.id.clone();
            fresh.push(s);
            Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Done,
                Some(&id),
                Some(&barcode),
                None,
            ))
        }
        _ => Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Invalid,
            item.sample_id.as_deref(),
            Some(&barcode),
            Some("give sample_id, or person_id and kind".into()),
        )),
    }
}
