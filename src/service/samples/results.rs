//! Results, from a laboratory's upload or an antigen test read on the spot: what each means.

use super::*;
use crate::domain::happened::Happened;
use crate::service::happened::{after, happened_at};
use crate::service::versioned;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LabResult {
    /// The barcode of a sample or a pool: 4 to 40 letters, digits or '-' (another is
    /// answered `invalid`, in its item).
    pub barcode: String,
    /// The result; or `reject_reason` for a damaged or mislabelled tube.
    pub result: Option<TestResult>,
    /// At least 3 characters (a shorter one is answered `invalid`, in its item).
    pub reject_reason: Option<String>,
    /// When the laboratory resulted (or rejected) it (default: now): not before the
    /// collection, at most a few minutes ahead of the server's clock (else `invalid`).
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a result more than the backdating limit (30 days) old is recorded now.
    pub backdate_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LabResults {
    /// Up to 1,000 results.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<LabResult>,
}

/// What one result (or rejection) is about.
enum Tube {
    Sample(SampleRow),
    Pool(PoolRow),
}

/// A laboratory's results in bulk, idempotently: the same result again is `unchanged`, a
/// different one a `conflict`. A positive confirms the person as F0 in the same transaction.
/// The tubes named are locked first, in a fixed order: an upload racing another over the
/// same tubes waits for it, then answers each item from what the other wrote.
pub fn record_results(
    conn: &mut AnyConnection,
    actor: &Actor,
    lab_id: &str,
    input: LabResults,
    rules: Rules,
) -> AppResult<Vec<SampleItemResult>> {
    check_items(&input.items)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (lab, scope) = own_lab(conn, actor, lab_id)?;
        let codes: Vec<String> = input
            .items
            .iter()
            .filter_map(|i| check_barcode(&i.barcode).ok())
            .collect();
        store::lock_tubes(conn, &codes)?;
        let mut tubes: HashMap<String, Tube> = store::samples_by_barcode(conn, &codes)?
            .into_iter()
            .filter_map(|s| s.barcode.clone().map(|b| (b, Tube::Sample(s))))
            .collect();
        for p in store::pools_by_barcode(conn, &codes)? {
            tubes.insert(p.barcode.clone(), Tube::Pool(p));
        }
        let who = who_as(actor, scope.role_at(&lab.unit_path));
        let mut out = Vec::with_capacity(input.items.len());
        for (index, item) in input.items.iter().enumerate() {
            let Ok(b) = check_barcode(&item.barcode) else {
                out.push(SampleItemResult::new(
                    index,
                    SampleItemStatus::Invalid,
                    None,
                    Some(&item.barcode),
                    Some("not a barcode".into()),
                ));
                continue;
            };
            let outcome = match (item.result, item.reject_reason.as_deref().map(str::trim)) {
                (Some(r), None) => Ok(r),
                (None, Some(why)) if why.chars().count() >= 3 => Err(why.to_string()),
                _ => {
                    out.push(SampleItemResult::new(
                        index,
                        SampleItemStatus::Invalid,
                        None,
                        Some(&b),
                        Some("give a result, or a reject_reason of 3 characters or more".into()),
                    ));
                    continue;
                }
            };
            let collected = match tubes.get(&b) {
                Some(Tube::Sample(s)) => s.received_at.or(s.collected_at),
                Some(Tube::Pool(p)) => p.received_at,
                None => None,
            };
            let when = collected.map(|t| after(t, "its collection or receipt"));
            let reason = item.backdate_reason.as_deref();
            let h = match happened_at(&rules, at, "at", item.at, reason, when) {
                Ok(h) => h,
                Err(e) => {
                    out.push(SampleItemResult::new(
                        index,
                        SampleItemStatus::Invalid,
                        None,
                        Some(&b),
                        Some(e.field_message()),
                    ));
                    continue;
                }
            };
            let ctx = ResultContext {
                actor,
                who: who.clone(),
                rules,
                h,
            };
            let r = match tubes.get(&b) {
                None => {
                    SampleItemResult::new(index, SampleItemStatus::NotFound, None, Some(&b), None)
                }
                Some(Tube::Sample(s)) if s.lab_id.as_deref() != Some(lab.id.as_str()) => {
                    SampleItemResult::new(
                        index,
                        SampleItemStatus::Conflict,
                        Some(&s.id),
                        Some(&b),
                        Some("not received at this laboratory".into()),
                    )
                }
                Some(Tube::Pool(p)) if p.lab_id.as_deref() != Some(lab.id.as_str()) => {
                    SampleItemResult::new(
                        index,
                        SampleItemStatus::Conflict,
                        None,
                        Some(&b),
                        Some("not received at this laboratory".into()),
                    )
                }
                Some(Tube::Sample(s)) => {
                    let current = store::get_sample(conn, &s.id)?.unwrap_or_else(|| s.clone());
                    result_sample(conn, &ctx, &current, outcome, index)?
                }
                Some(Tube::Pool(p)) => {
                    let current = store::get_pool(conn, &p.id)?.unwrap_or_else(|| p.clone());
                    result_pool(conn, &ctx, &current, outcome, index)?
                }
            };
            out.push(r);
        }
        Ok(out)
    })
}

struct ResultContext<'a> {
    actor: &'a Actor,
    who: Who,
    rules: Rules,
    /// When the result happened, and when it is recorded.
    h: Happened,
}

fn result_sample(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    outcome: Result<TestResult, String>,
    index: usize,
) -> AppResult<SampleItemResult> {
    let bc = s.barcode.as_deref();
    match (&outcome, s.state.as_str(), s.result) {
        (Ok(r), "resulted", Some(prev)) if prev == *r => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                Some(&s.id),
                bc,
                None,
            ))
        }
        (Err(_), "rejected", _) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                Some(&s.id),
                bc,
                None,
            ))
        }
        _ => {}
    }
    let kind = s.kind;
    let state = s.state;
    let command = if outcome.is_ok() {
        SampleCommand::Result
    } else {
        SampleCommand::Reject
    };
    if let Err(r) = sample_transition(kind, state, command, s.pool_id.is_some()) {
        return Ok(SampleItemResult::new(
            index,
            SampleItemStatus::Conflict,
            Some(&s.id),
            bc,
            Some(r.to_string()),
        ));
    }
    let written = match outcome {
        Ok(result) => apply_result(conn, ctx, s, result, None)?,
        Err(why) => reject_sample(conn, ctx, s, &why)?,
    };
    if !written {
        return Ok(SampleItemResult::changed_meanwhile(index, Some(&s.id), bc));
    }
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        Some(&s.id),
        bc,
        None,
    ))
}

/// A rejected tube: the sample is taken again. False, and nothing written, when the sample
/// changed since it was read.
fn reject_sample(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    why: &str,
) -> AppResult<bool> {
    let after = SampleRow {
        state: SampleState::Rejected,
        note: Some(why.to_string()),
        // a tube rejected alone leaves its pool: the pool's result is not its result
        pool_id: None,
        version: s.version + 1,
        updated_at: ctx.h.recorded_at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        return Ok(false);
    }
    Event::on(Entity::Sample, &s.id, "rejected")
        .before(&json!({"state": s.state, "pool_id": s.pool_id}))
        .after(&json!({"state": "rejected"}))
        .reason(why)
        .write_fact(conn, &ctx.who, &ctx.h)?;
    let kind = s.kind;
    resample(conn, s, kind, "retest", &ctx.h)?;
    Ok(true)
}

fn resample(
    conn: &mut AnyConnection,
    s: &SampleRow,
    kind: SampleKind,
    origin: &str,
    h: &Happened,
) -> AppResult<()> {
    let mut again = new_sample(
        &s.person_id,
        &s.unit_path,
        kind,
        origin,
        vn_date(h.at),
        h.recorded_at,
    );
    again.replaces_sample_id = Some(s.id.clone());
    again.episode_test_id = s.episode_test_id.clone();
    store::insert_samples(conn, std::slice::from_ref(&again))?;
    Ok(())
}

/// Write a sample's result and what follows from it: its scheduled test, a new sample when
/// inconclusive, and for a positive the new F0 with the episode transferred. False, and
/// nothing written, when the sample changed since it was read.
fn apply_result(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    result: TestResult,
    note: Option<&str>,
) -> AppResult<bool> {
    let after = SampleRow {
        state: SampleState::Resulted,
        result: Some(result),
        resulted_at: Some(ctx.h.at),
        note: note.map(str::to_string).or(s.note.clone()),
        version: s.version + 1,
        updated_at: ctx.h.recorded_at,
        ..s.clone()
    };
    if !store::update_sample(conn, &after, s.version)? {
        return Ok(false);
    }
    Event::on(Entity::Sample, &s.id, "resulted")
        .after(&json!({"result": result.as_str(), "note": note}))
        .write_fact(conn, &ctx.who, &ctx.h)?;
    let kind = s.kind;
    // a re-test is an individual RT-PCR for a pooled specimen, the same kind otherwise
    let retest = if kind == SampleKind::RtPcrPooled {
        SampleKind::RtPcr
    } else {
        kind
    };
    match &s.episode_test_id {
        Some(test) => {
            let current = q_store::get_test(conn, test)?;
            if current.is_some_and(|t| t.result.is_none() && t.superseded_at.is_none()) {
                crate::service::quarantine::test_resulted(
                    conn, &ctx.who, test, result, retest, &ctx.h,
                )?;
            } else if result == TestResult::Inconclusive {
                resample(conn, s, retest, "retest", &ctx.h)?;
            }
        }
        None if result == TestResult::Inconclusive => resample(conn, s, retest, "retest", &ctx.h)?,
        None => {}
    }
    if result == TestResult::Positive {
        positive(conn, ctx, &after, kind)?;
    }
    Ok(true)
}

/// A positive individual result: confirm the F0 (case, investigation, cascade), transfer
/// their quarantine episode to hospital; or order the RT-PCR an antigen positive needs.
fn positive(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    s: &SampleRow,
    kind: SampleKind,
) -> AppResult<()> {
    if trace_store::open_case_of(conn, &s.person_id)?.is_some() {
        return Ok(());
    }
    let level = trace_store::exposure(conn, &s.person_id)?
        .filter(|x| x.status == crate::domain::cases::ExposureStatus::Active)
        .map(|x| x.level);
    let collected = s.collected_at.unwrap_or(ctx.h.at);
    let earlier: Vec<NaiveDateTime> = store::samples_of_person(conn, &s.person_id)?
        .iter()
        .filter(|o| o.id != s.id && o.result == Some(TestResult::Positive))
        .filter(|o| o.kind.is_antigen())
        .filter_map(|o| o.collected_at)
        .collect();
    let test = match positive_means(kind, level, collected, &earlier) {
        PositiveMeans::Confirms(t) => t,
        PositiveMeans::NeedsRtPcr => {
            let mut confirm = new_sample(
                &s.person_id,
                &s.unit_path,
                SampleKind::RtPcr,
                "confirmation",
                vn_date(ctx.h.at),
                ctx.h.recorded_at,
            );
            confirm.replaces_sample_id = Some(s.id.clone());
            store::insert_samples(conn, std::slice::from_ref(&confirm))?;
            Event::on(Entity::Sample, &confirm.id, "ordered")
                .after(
                    &json!({"person_id": s.person_id, "kind": "rt_pcr", "origin": "confirmation"}),
                )
                .reason("a positive antigen test to confirm")
                .write_fact(conn, &ctx.who, &ctx.h)?;
            return Ok(());
        }
    };
    let Some(person) = people_store::get_row(conn, &s.person_id)? else {
        return Ok(());
    };
    let new = NewCase {
        id: new_id(),
        confirmation_test: test,
        test_ref: s.barcode.clone().unwrap_or_else(|| s.id.clone()),
        sample_date: vn_date(collected),
        onset_date: None,
        isolated_at: None,
        case_number: None,
    };
    let confirmed = confirm_in_tx(conn, &ctx.who, ctx.rules, &person, new, &ctx.h)?;
    Event::on(Entity::Sample, &s.id, "confirmed_case")
        .after(&json!({"case_id": confirmed.case.id}))
        .write_fact(conn, &ctx.who, &ctx.h)?;
    if let Some(e) = q_store::open_episode_of(conn, &s.person_id)? {
        if e.state == crate::domain::quarantine::EpisodeState::Active {
            let move_to_hospital = EpisodeTransition {
                command: EpisodeCommand::Transfer,
                version: e.version,
                reason: Some(format!(
                    "positive sample {}",
                    s.barcode.clone().unwrap_or_default()
                )),
                days: None,
                day1: None,
                destination: Some(Destination::Hospital),
                home_id: None,
                commitment_signed: None,
                at: None,
                backdate_reason: None,
            };
            // moved when the result came, or when the person entered the episode's state
            let moved = ctx.h.at(ctx.h.at.max(e.state_at));
            apply(
                conn,
                ctx.actor,
                Role::LabTechnician,
                &e,
                &move_to_hospital,
                Placement::default(),
                &moved,
            )?;
        }
    }
    Ok(())
}

fn result_pool(
    conn: &mut AnyConnection,
    ctx: &ResultContext,
    p: &PoolRow,
    outcome: Result<TestResult, String>,
    index: usize,
) -> AppResult<SampleItemResult> {
    let bc = Some(p.barcode.as_str());
    match (&outcome, p.state.as_str(), p.result) {
        (Ok(r), "resulted", Some(prev)) if prev == *r => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                None,
                bc,
                None,
            ))
        }
        (Err(_), "rejected", _) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Unchanged,
                None,
                bc,
                None,
            ))
        }
        _ => {}
    }
    let members = store::pool_members(conn, &p.id)?;
    let state = p.state;
    let command = if outcome.is_ok() {
        SampleCommand::Result
    } else {
        SampleCommand::Reject
    };
    let next = match pool_transition(state, command, members.len()) {
        Ok(n) => n,
        Err(r) => {
            return Ok(SampleItemResult::new(
                index,
                SampleItemStatus::Conflict,
                None,
                bc,
                Some(r.to_string()),
            ))
        }
    };
    let after = PoolRow {
        state: next,
        result: outcome.as_ref().ok().copied(),
        note: outcome.as_ref().err().cloned(),
        resulted_at: Some(ctx.h.at),
        version: p.version + 1,
        ..p.clone()
    };
    if !store::update_pool(conn, &after, p.version)? {
        return Ok(SampleItemResult::changed_meanwhile(index, None, bc));
    }
    Event::on(Entity::Pool, &p.id, command.as_str())
        .after(&json!({"result": after.result, "members": members.len()}))
        .reason_opt(outcome.as_ref().err().map(String::as_str))
        .write_fact(conn, &ctx.who, &ctx.h)?;
    let member_result = match &outcome {
        Ok(r) => pool_member_outcome(*r).result,
        // a rejected pool says nothing about its members: each is taken again
        Err(_) => TestResult::Inconclusive,
    };
    let note = match (&outcome, member_result) {
        (Ok(TestResult::Negative), _) => format!("pool {} negative", p.barcode),
        (Ok(_), _) => format!(
            "pool {} positive or unreadable: an individual sample is ordered",
            p.barcode
        ),
        (Err(why), _) => format!("pool {} rejected: {why}", p.barcode),
    };
    // the members are locked with their pool: each is still as read
    for m in members.iter().filter(|m| m.state == SampleState::Received) {
        versioned::applied(
            apply_result(conn, ctx, m, member_result, Some(&note))?,
            m.version,
        )?;
    }
    Ok(SampleItemResult::new(
        index,
        SampleItemStatus::Done,
        None,
        bc,
        None,
    ))
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct AntigenResult {
    pub result: TestResult,
    pub version: i32,
    /// When it was read (default: now): not before the collection, at most a few minutes
    /// ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a result read more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// The result of an antigen test, read where it was taken (health officers).
pub fn antigen_result(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    input: AntigenResult,
    rules: Rules,
) -> AppResult<SampleOut> {
    let scope = actor.scope(Action::SampleOrder)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let s = visible_sample(conn, &scope, id)?;
        versioned::expect(input.version, s.version)?;
        let kind = s.kind;
        let state = s.state;
        crate::domain::samples::may_result_on_site(kind, state)?;
        sample_transition(kind, state, SampleCommand::Result, false)?;
        let taken = s.collected_at.map(|t| after(t, "its collection"));
        let reason = input.backdate_reason.as_deref();
        let h = happened_at(&rules, at, "at", input.at, reason, taken)?;
        let ctx = ResultContext {
            actor,
            who: who_as(actor, scope.role_at(&s.unit_path)),
            rules,
            h,
        };
        versioned::applied(apply_result(conn, &ctx, &s, input.result, None)?, s.version)?;
        let after = store::get_sample(conn, &s.id)?.ok_or_else(|| AppError::not_found("sample"))?;
        Ok(SampleOut::from(&after))
    })
}
