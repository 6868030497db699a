//! The cascade: classify onward from the people whose level changed, a round at a time.

use super::*;

pub(super) fn contact_is_close(c: &ContactRow) -> bool {
    is_close(c.proximity, c.masked, c.duration_minutes).is_ok()
}

pub(crate) fn exposure_json(e: Option<&ExposureRow>) -> Option<serde_json::Value> {
    e.map(|e| {
        json!({
            "level": label(e.level as u8),
            "status": e.status,
            "window_start": utc(e.window_start),
            "window_end": e.window_end.map(utc),
            "via_person_id": e.via_person_id,
        })
    })
}

/// Classify onward from `seeds`, a round at a time: each round loads the contacts of the
/// people whose classification changed in the last one (one query per side), asks the
/// domain what each contact makes of the other side, and writes every improvement with its
/// event in two batch statements. Levels only go down (F2 → F1); nobody is declassified.
pub fn cascade(
    conn: &mut AnyConnection,
    who: &Who,
    seeds: Vec<String>,
    rules: Rules,
    h: &Happened,
    reason: &str,
) -> AppResult<CascadeReport> {
    cascade_attributed(conn, seeds, rules, &HashMap::new(), &|_| {
        (who.clone(), reason.to_string(), h.clone())
    })
}

/// The cascade of several new contacts at once (a phone's batch, `new_contacts` with the
/// order they were logged in). The levels and windows it reaches are those of running the
/// cascade after each contact in turn, since the cascade is a fixpoint (lowest level,
/// earliest window start) over the standing contacts. Every change is attributed as that
/// would have attributed it: to the last-logged new contact on the path that made it, whose
/// logging would have set it off; `attribute` gives the actor and reason for that contact
/// id (or, for a change reached through older contacts only, for the contact that made it),
/// with when it happened (the contact's listing) and was recorded.
pub(crate) fn cascade_attributed(
    conn: &mut AnyConnection,
    seeds: Vec<String>,
    rules: Rules,
    new_contacts: &HashMap<String, usize>,
    attribute: &dyn Fn(&str) -> Attribution,
) -> AppResult<CascadeReport> {
    let mut report = CascadeReport::default();
    // person → the new contact their last change descends from
    let mut origin: HashMap<String, String> = HashMap::new();
    let mut frontier: Vec<String> = seeds;
    frontier.sort();
    frontier.dedup();
    let mut rounds = 0;
    while !frontier.is_empty() && rounds < 64 {
        rounds += 1;
        let ups: HashMap<String, ExposureRow> = store::exposures_of(conn, &frontier)?
            .into_iter()
            .filter(|e| e.status == ExposureStatus::Active)
            .map(|e| (e.person_id.clone(), e))
            .collect();
        if ups.is_empty() {
            break;
        }
        let candidates = round_candidates(conn, &ups, &origin, rules, new_contacts)?;
        if candidates.is_empty() {
            break;
        }
        let round = Round { rules, attribute };
        frontier = write_round(conn, &round, &candidates, &mut origin, &mut report)?;
    }
    Ok(report)
}

/// The best way a round found to reach one person: lowest level (with its source), earliest
/// exposure.
struct Candidate {
    level: u8,
    start: NaiveDateTime,
    /// The person they were reached from, and by which contact.
    via: String,
    contact: String,
    /// The new contact this change descends from (or the contact itself).
    origin: String,
}

/// Who a change is attributed to, why, and when it happened.
pub(crate) type Attribution = (Who, String, Happened);

/// What stays the same across the rounds of one cascade.
struct Round<'a> {
    rules: Rules,
    attribute: &'a dyn Fn(&str) -> Attribution,
}

/// Collect the candidates of a round: for every close contact of the people in `ups` (their
/// active exposures), what it makes of the other side, keeping the best per person.
fn round_candidates(
    conn: &mut AnyConnection,
    ups: &HashMap<String, ExposureRow>,
    origin: &HashMap<String, String>,
    rules: Rules,
    new_contacts: &HashMap<String, usize>,
) -> AppResult<HashMap<String, Candidate>> {
    let up_ids: Vec<String> = ups.keys().cloned().collect();
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    for c in store::contacts_touching(conn, &up_ids)? {
        if !contact_is_close(&c) {
            continue;
        }
        for (q, p) in [(&c.person_a, &c.person_b), (&c.person_b, &c.person_a)] {
            let Some(up) = ups.get(q) else { continue };
            let window = Window {
                start: up.window_start,
                end: up.window_end,
            };
            let Some((level, start)) = through(
                up.level as u8,
                &window,
                c.first_at,
                c.last_at,
                rules.max_depth,
            ) else {
                continue;
            };
            let from = [Some(&c.id), origin.get(q)]
                .into_iter()
                .flatten()
                .filter_map(|id| new_contacts.get(id).map(|n| (n, id)))
                .max()
                .map_or_else(|| c.id.clone(), |(_, id)| id.clone());
            offer(
                &mut candidates,
                p,
                Candidate {
                    level,
                    start,
                    via: q.clone(),
                    contact: c.id.clone(),
                    origin: from,
                },
            );
        }
    }
    Ok(candidates)
}

/// Keep `cand` for `p` if it is the first, or merge it into the best so far: a lower level
/// takes its source, an earlier start at the same level its origin; the start is the
/// earliest of both.
fn offer(candidates: &mut HashMap<String, Candidate>, p: &str, cand: Candidate) {
    match candidates.get_mut(p) {
        None => {
            candidates.insert(p.to_string(), cand);
        }
        Some(best) => {
            if cand.level < best.level {
                best.level = cand.level;
                best.via = cand.via;
                best.contact = cand.contact;
                best.origin = cand.origin;
            } else if cand.start < best.start && cand.level == best.level {
                best.origin = cand.origin;
            }
            best.start = best.start.min(cand.start);
        }
    }
}

/// Write the round's improvements: each candidate that lowers a level or widens a window
/// becomes an exposure with its event, both in one batch statement. Returns the next
/// frontier: the people changed who may still pass a level on.
fn write_round(
    conn: &mut AnyConnection,
    round: &Round,
    candidates: &HashMap<String, Candidate>,
    origin: &mut HashMap<String, String>,
    report: &mut CascadeReport,
) -> AppResult<Vec<String>> {
    let ids: Vec<String> = candidates.keys().cloned().collect();
    let current: HashMap<String, ExposureRow> = store::exposures_of(conn, &ids)?
        .into_iter()
        .map(|e| (e.person_id.clone(), e))
        .collect();
    let paths: HashMap<String, String> = store::unit_paths(conn, &ids)?.into_iter().collect();
    let mut rows = Vec::new();
    let mut evs = Vec::new();
    let mut next = Vec::new();
    let mut ids_sorted = ids;
    ids_sorted.sort();
    for p in ids_sorted {
        let cand = &candidates[&p];
        let (who, reason, h) = (round.attribute)(&cand.origin);
        let Some((row, level_changed)) = improvement(&p, cand, current.get(&p), &paths, &h) else {
            continue;
        };
        let level = row.level as u8;
        let active = current
            .get(&p)
            .filter(|e| e.status == ExposureStatus::Active);
        if level_changed {
            report.changed += 1;
            *report.by_level.entry(label(level)).or_default() += 1;
        } else {
            report.widened += 1;
        }
        origin.insert(p.clone(), cand.origin.clone());
        let action = if level_changed {
            "classified"
        } else {
            "exposure_widened"
        };
        let after = json!({
            "level": label(level),
            "window_start": utc(row.window_start),
            "via_person_id": row.via_person_id,
            "contact_id": cand.contact,
        });
        evs.push(
            Event::on(Entity::Person, &p, action)
                .before(exposure_json(active).as_ref())
                .after(&after)
                .reason(reason)
                .classifies(level, row.via_person_id.as_deref())
                .fact_row(&who, &h),
        );
        if level < round.rules.max_depth {
            next.push(p.clone());
        }
        rows.push(row);
    }
    upsert_exposures(conn, &rows)?;
    insert_events(conn, &evs)?;
    Ok(next)
}

/// The exposure `cand` gives person `p` over their current one `cur`, if it improves it
/// (nobody recovered or deceased is reclassified), and whether the level changed (else the
/// window only widened).
fn improvement(
    p: &str,
    cand: &Candidate,
    cur: Option<&ExposureRow>,
    paths: &HashMap<String, String>,
    h: &Happened,
) -> Option<(ExposureRow, bool)> {
    let active = cur.filter(|e| e.status == ExposureStatus::Active);
    if cur.is_some_and(|e| !may_classify(e.status, e.cleared_at, cand.start)) {
        return None;
    }
    let (level, start) = improve(
        active.map(|e| (e.level as u8, e.window_start)),
        (cand.level, cand.start),
    )?;
    let level_changed = active.is_none_or(|e| (level as i32) < e.level);
    let row = ExposureRow {
        person_id: p.to_string(),
        level: level as i32,
        status: ExposureStatus::Active,
        window_start: start,
        window_end: active.and_then(|e| e.window_end),
        via_person_id: if level_changed {
            Some(cand.via.clone())
        } else {
            active.and_then(|e| e.via_person_id.clone())
        },
        case_id: None,
        unit_path: paths.get(p).cloned().unwrap_or_else(|| "/".into()),
        classified_at: active.map(|e| e.classified_at).unwrap_or(h.at),
        updated_at: h.recorded_at,
        cleared_at: None,
    };
    Some((row, level_changed))
}
