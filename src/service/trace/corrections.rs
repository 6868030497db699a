//! Corrections: after a retracted case or contact, recompute what it touched; never downgrade automatically.

use super::*;
use crate::domain::classification::Classified;
use crate::store::events::{Entity, Event};

/// After a correction: recompute the classification of the part of the graph it touched.
/// Nobody is downgraded automatically: people whose level would rise or vanish go to the
/// review list. `corrected` (a retracted case's person) is reclassified at once: the
/// correction is about them.
pub(crate) fn after_correction(
    conn: &mut AnyConnection,
    who: &Who,
    touched: Vec<String>,
    corrected: Option<&str>,
    rules: Rules,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<usize> {
    let (ids, edges_by_id) = component_around(conn, touched)?;
    let exposures: Vec<ExposureRow> = store::exposures_of(conn, &ids)?;
    let computed = recompute(conn, &ids, &edges_by_id, &exposures, rules)?;
    let mut opened = 0;
    for e in exposures
        .iter()
        .filter(|e| e.status == ExposureStatus::Active)
    {
        if corrected == Some(e.person_id.as_str()) {
            reclassify(conn, who, e, computed.get(&e.person_id), at, reason)?;
            continue;
        }
        let now_level = computed.get(&e.person_id).map(|c| c.level as i32);
        let could_drop = match now_level {
            None => true,
            Some(l) => l > e.level,
        };
        if could_drop && store::open_review_of(conn, &e.person_id)?.is_none() {
            open_review(conn, who, e, now_level, at, reason)?;
            opened += 1;
        }
    }
    Ok(opened)
}

/// The connected part of the graph around the touched people, bounded: its people and the
/// contacts between them, by id.
fn component_around(
    conn: &mut AnyConnection,
    touched: Vec<String>,
) -> AppResult<(Vec<String>, BTreeMap<String, ContactRow>)> {
    let mut component: HashSet<String> = touched.iter().cloned().collect();
    let mut frontier = touched;
    let mut edges_by_id: BTreeMap<String, ContactRow> = BTreeMap::new();
    while !frontier.is_empty() && component.len() < 50_000 {
        let mut next = Vec::new();
        for c in store::contacts_touching(conn, &frontier)? {
            for p in [&c.person_a, &c.person_b] {
                if component.insert(p.clone()) {
                    next.push(p.clone());
                }
            }
            edges_by_id.insert(c.id.clone(), c);
        }
        frontier = next;
    }
    Ok((component.into_iter().collect(), edges_by_id))
}

/// The classification of the component from scratch: its open cases as sources, its close
/// contacts as edges, isolation ending the windows of those already classified.
fn recompute(
    conn: &mut AnyConnection,
    ids: &[String],
    edges_by_id: &BTreeMap<String, ContactRow>,
    exposures: &[ExposureRow],
    rules: Rules,
) -> AppResult<BTreeMap<String, Classified<String>>> {
    let sources: Vec<(String, Window)> = store::open_cases_of(conn, ids)?
        .into_iter()
        .map(|c| {
            (
                c.person_id.clone(),
                Window {
                    start: c.window_start,
                    end: c.isolated_at,
                },
            )
        })
        .collect();
    let isolated: BTreeMap<String, NaiveDateTime> = exposures
        .iter()
        .filter(|e| e.level > 0)
        .filter_map(|e| e.window_end.map(|t| (e.person_id.clone(), t)))
        .collect();
    let edges: Vec<Edge<String>> = edges_by_id
        .values()
        .filter(|c| contact_is_close(c))
        .map(|c| Edge {
            a: c.person_a.clone(),
            b: c.person_b.clone(),
            first: c.first_at,
            last: c.last_at,
        })
        .collect();
    Ok(classify(&sources, &edges, &isolated, rules.max_depth))
}

/// Reclassify the person the correction is about at once: to what was computed, or
/// declassified when nothing reaches them any more.
fn reclassify(
    conn: &mut AnyConnection,
    who: &Who,
    e: &ExposureRow,
    computed: Option<&Classified<String>>,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<()> {
    let after = match computed {
        Some(c) => ExposureRow {
            level: c.level as i32,
            window_start: c.window.start,
            via_person_id: c.via.clone(),
            case_id: None,
            updated_at: at,
            ..e.clone()
        },
        None => ExposureRow {
            status: exposure_transition(e.status, ExposureCommand::Declassify)?,
            case_id: None,
            updated_at: at,
            ..e.clone()
        },
    };
    upsert_exposures(conn, std::slice::from_ref(&after))?;
    Event::on(Entity::Person, &e.person_id, "reclassified")
        .before(exposure_json(Some(e)).as_ref())
        .after(exposure_json(Some(&after)).as_ref())
        .reason(reason)
        .write(conn, who, at)?;
    Ok(())
}

/// Put someone whose level would rise or vanish on the review list, with its event.
fn open_review(
    conn: &mut AnyConnection,
    who: &Who,
    e: &ExposureRow,
    now_level: Option<i32>,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<()> {
    let review = ReviewRow {
        id: new_id(),
        person_id: e.person_id.clone(),
        current_level: e.level,
        computed_level: now_level,
        reason: reason.to_string(),
        unit_path: e.unit_path.clone(),
        created_at: at,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
    };
    store::insert_review(conn, &review)?;
    let detail = json!({"review_id": review.id, "current_level": label(e.level as u8), "computed_level": now_level.map(|l| label(l as u8))});
    Event::on(Entity::Person, &e.person_id, "level_review_opened")
        .after(&detail)
        .reason(reason)
        .write(conn, who, at)?;
    Ok(())
}
