//! What a merge moves: every record that names the duplicate goes to the record kept, each
//! with its event (the actor, the time, the merge's reason), in the merge's transaction; then
//! the neighbourhood of both is classified again, as after a contact logged or retracted.

use super::*;
use crate::domain::cases::ExposureStatus;
use crate::domain::classification::{combine, Held, MergeSide as Side, Window};
use crate::domain::happened::Happened;
use crate::domain::people::MergeSide;
use crate::domain::rules::Rules;
use crate::service::trace::{after_correction, cascade, exposure_json};
use crate::service::utc;
use crate::store::events::insert_many;
use crate::store::merge as moves;
use crate::store::quarantine as q_store;
use crate::store::trace::{self as trace_store, ExposureRow};
use chrono::NaiveDateTime;
use serde_json::{json, Value};

/// The reason a contact between the two records is retracted with: one person met no one.
pub const SAME_PERSON: &str = "merged: same person";

/// A record's cases and quarantine episodes, as the merge rules read them.
pub(super) fn merge_side(conn: &mut AnyConnection, person: &str) -> AppResult<MergeSide> {
    Ok(MergeSide {
        cases: moves::cases_of(conn, person)?
            .into_iter()
            .map(|c| (c.id, c.state))
            .collect(),
        episodes: q_store::episodes_of_person(conn, person)?
            .into_iter()
            .map(|e| (e.id, e.state, e.site_id))
            .collect(),
    })
}

/// The events of one merge, all made alike.
struct Log<'a> {
    who: &'a Who,
    at: NaiveDateTime,
    /// "merged into {kept}: {the merge's reason}"
    why: String,
    events: Vec<EventRow>,
}

impl Log<'_> {
    fn push(&mut self, event: Event) {
        self.events
            .push(event.reason(&self.why).row(self.who, self.at));
    }

    /// A record that named the duplicate and now names the record kept.
    fn moved(&mut self, entity: Entity, id: &str, before: Value, after: Value) {
        self.push(Event::on(entity, id, "moved").before(&before).after(&after));
    }
}

/// Move everything recorded about `dup` to `kept` (both rows already written as merged),
/// then classify their neighbourhood again.
pub(super) fn move_records(
    conn: &mut AnyConnection,
    who: &Who,
    policy: Rules,
    kept: &PersonRow,
    dup: &PersonRow,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<()> {
    let (k, d) = (kept.id.as_str(), dup.id.as_str());
    let mut log = Log {
        who,
        at,
        why: format!("merged into {k}: {reason}"),
        events: Vec::new(),
    };
    let person = |p: &str| json!({ "person_id": p });
    let mut counts = serde_json::Map::new();
    let mut count = |what: &str, n: usize| {
        if n > 0 {
            counts.insert(what.into(), n.into());
        }
    };
    count("contacts_retracted", retract_between(conn, &mut log, k, d)?);
    let contacts = moves::move_contacts(conn, d, k, at)?;
    for c in &contacts {
        let swap = |p: &str| if p == d { k } else { p }.to_string();
        log.moved(
            Entity::Contact,
            &c.id,
            json!({"person_id": c.person_a, "contact_person_id": c.person_b}),
            json!({"person_id": swap(&c.person_a), "contact_person_id": swap(&c.person_b)}),
        );
    }
    count("contacts", contacts.len());
    combine_exposures(conn, &mut log, kept, dup)?;
    let cases = moves::move_cases(conn, d, k, at)?;
    for c in &cases {
        log.moved(Entity::Case, &c.id, person(d), person(k));
    }
    count("cases", cases.len());
    let investigations = moves::move_investigations(conn, d, k, at)?;
    for i in &investigations {
        log.moved(Entity::Investigation, &i.id, person(d), person(k));
    }
    count("investigations", investigations.len());
    let tasks = moves::move_trace_tasks(conn, d, k, at)?;
    for t in &tasks {
        log.moved(Entity::TraceTask, &t.id, person(d), person(k));
    }
    count("trace_tasks", tasks.len());
    let episodes = moves::move_episodes(conn, d, k, at)?;
    for e in &episodes {
        log.moved(Entity::Episode, &e.id, person(d), person(k));
    }
    count("episodes", episodes.len());
    let violations = moves::move_violations(conn, d, k)?;
    for v in &violations {
        log.moved(Entity::Violation, &v.id, person(d), person(k));
    }
    count("violations", violations.len());
    let samples = moves::move_samples(conn, d, k, at)?;
    for s in &samples {
        log.moved(Entity::Sample, &s.id, person(d), person(k));
    }
    count("samples", samples.len());
    count("notices", move_notices(conn, &mut log, k, d)?);
    count("level_reviews", move_reviews(conn, &mut log, k, d)?);
    let sourced = moves::move_vias(conn, d, k, at)?;
    for p in &sourced {
        log.push(
            Event::on(Entity::Person, p, "exposure_source_merged")
                .before(&json!({ "via_person_id": d }))
                .after(&json!({ "via_person_id": k })),
        );
    }
    count("classified_through", sourced.len());
    log.push(
        Event::on(Entity::Person, k, "records_moved")
            .after(&json!({ "from_person_id": d, "moved": counts })),
    );
    insert_many(conn, &log.events)?;
    // both neighbourhoods are now one: what the moved contacts pass on is classified, and
    // whoever could drop (a contact between the two retracted, a window ended by an
    // isolation of the other record) goes to the review list
    let mut seeds: Vec<String> = trace_store::contacts_touching(conn, &[k.to_string()])?
        .into_iter()
        .flat_map(|c| [c.person_a, c.person_b])
        .chain([k.to_string(), d.to_string()])
        .collect();
    seeds.sort();
    seeds.dedup();
    cascade(
        conn,
        who,
        seeds.clone(),
        policy,
        &Happened::now(at),
        &log.why,
    )?;
    after_correction(conn, who, seeds, None, policy, at, &log.why)?;
    Ok(())
}

/// Retract the standing contacts between the two records: kept, never dropped, marked as a
/// person's contact with themselves. How many.
fn retract_between(conn: &mut AnyConnection, log: &mut Log, k: &str, d: &str) -> AppResult<usize> {
    let mut n = 0;
    for c in moves::contacts_between(conn, k, d)? {
        if c.retracted_at.is_none()
            && trace_store::retract_contact(conn, &c.id, log.at, SAME_PERSON)?
        {
            let after = json!({"retracted_at": utc(log.at), "retract_reason": SAME_PERSON});
            log.push(Event::on(Entity::Contact, &c.id, "retracted").after(&after));
            n += 1;
        }
    }
    Ok(n)
}

/// One classification for the person (`domain::classification::combine`): written on the
/// record kept, the duplicate's withdrawn (declassified), both with their events.
fn combine_exposures(
    conn: &mut AnyConnection,
    log: &mut Log,
    kept: &PersonRow,
    dup: &PersonRow,
) -> AppResult<()> {
    let both = trace_store::exposures_of(conn, &[kept.id.clone(), dup.id.clone()])?;
    let of = |id: &str| both.iter().find(|e| e.person_id == id);
    let (k, d) = (of(&kept.id), of(&dup.id));
    let held = |e: &ExposureRow| Held {
        level: e.level as u8,
        // only a classification in force counts over one that ended (declassified, cleared
        // by a release, recovered, deceased)
        withdrawn: e.status != ExposureStatus::Active,
        window: Window {
            start: e.window_start,
            end: e.window_end,
        },
        via: e.via_person_id.clone(),
    };
    let Some((side, h)) = combine(k.map(held).as_ref(), d.map(held).as_ref()) else {
        return Ok(());
    };
    let Some(base) = (if side == Side::Kept { k } else { d }) else {
        return Ok(());
    };
    let after = ExposureRow {
        person_id: kept.id.clone(),
        level: i32::from(h.level),
        window_start: h.window.start,
        window_end: h.window.end,
        via_person_id: h.via,
        unit_path: kept.unit_path.clone(),
        classified_at: [k, d]
            .into_iter()
            .flatten()
            .map(|e| e.classified_at)
            .min()
            .unwrap_or(log.at),
        updated_at: log.at,
        ..base.clone()
    };
    if let Some(d) = d {
        // the duplicate's row stays, withdrawn, so that phones following the classification
        // feed learn it ended
        let withdrawn = ExposureRow {
            status: ExposureStatus::Declassified,
            updated_at: log.at,
            ..d.clone()
        };
        trace_store::upsert_exposures(conn, std::slice::from_ref(&withdrawn))?;
        log.push(
            Event::on(Entity::Person, &dup.id, "classification_moved")
                .before(exposure_json(Some(d)).as_ref())
                .after(&json!({ "merged_into": kept.id })),
        );
    }
    let unchanged = k.is_some_and(|k| {
        *k == ExposureRow {
            updated_at: k.updated_at,
            ..after.clone()
        }
    });
    if !unchanged {
        moves::put_exposure(conn, &after)?;
        log.push(
            Event::on(Entity::Person, &kept.id, "classification_merged")
                .before(exposure_json(k).as_ref())
                .after(exposure_json(Some(&after)).as_ref())
                .classifies(after.level as u8, after.via_person_id.as_deref()),
        );
    }
    Ok(())
}

/// Point the notices that name the duplicate at the record kept. How many.
fn move_notices(conn: &mut AnyConnection, log: &mut Log, k: &str, d: &str) -> AppResult<usize> {
    let rows = moves::move_notices(conn, d, k)?;
    let swap = |p: &Option<String>| match p.as_deref() {
        Some(x) if x == d => Some(k.to_string()),
        other => other.map(str::to_string),
    };
    for n in &rows {
        let names = |f: &dyn Fn(&Option<String>) -> Option<String>| {
            json!({
                "source_person_id": f(&n.source_person_id),
                "local_person_id": f(&n.local_person_id),
                "matched_person_id": f(&n.matched_person_id),
                "linked_person_id": f(&n.linked_person_id),
            })
        };
        log.moved(Entity::Notice, &n.id, names(&|p| p.clone()), names(&swap));
    }
    Ok(rows.len())
}

/// The duplicate's level reviews go to the record kept. An open one was about the
/// duplicate's level, which the merge replaced: it is resolved as `merged` (the cascade's
/// review list reopens one for the person if the merged level could still drop).
fn move_reviews(conn: &mut AnyConnection, log: &mut Log, k: &str, d: &str) -> AppResult<usize> {
    let by = log.who.actor_id.clone().unwrap_or_default();
    for r in moves::reviews_of(conn, d)? {
        if r.resolved_at.is_none()
            && trace_store::resolve_review(conn, &r.id, &by, "merged", log.at)?
        {
            log.push(
                Event::on(Entity::Person, d, "level_review_resolved")
                    .after(&json!({"review_id": r.id, "decision": "merged"})),
            );
        }
    }
    let rows = moves::move_reviews(conn, d, k)?;
    for r in &rows {
        log.push(
            Event::on(Entity::Person, k, "level_review_moved")
                .after(&json!({"review_id": r.id, "from_person_id": d})),
        );
    }
    Ok(rows.len())
}
