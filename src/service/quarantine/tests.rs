//! Scheduled tests: their results, and the samples they order or cancel.

use super::*;
use crate::store::events::{Entity, Event};

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecordTestResult {
    /// `negative` or `inconclusive`; a positive goes through its sample at the laboratory.
    #[schema(value_type = EpisodeTestResult)]
    pub result: TestResult,
    /// When the result came (default: now): not before the quarantine was ordered, at most
    /// a few minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a result more than the backdating limit (30 days) old is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// The results a scheduled test is recorded with here: the `TestResult`s but `positive`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum EpisodeTestResult {
    Negative,
    Inconclusive,
}

/// Record the outcome of a scheduled test (health officers).
pub fn record_test_result(
    conn: &mut AnyConnection,
    actor: &Actor,
    episode_id: &str,
    test_id: &str,
    input: RecordTestResult,
    rules: &crate::domain::rules::Rules,
) -> AppResult<EpisodeOut> {
    if input.result == TestResult::Positive {
        // a positive makes a new F0: it goes through its sample at the laboratory (or the
        // case is confirmed), so that the case, the cascade and the transfer follow at once
        return Err(AppError::field(
            "result",
            "a positive is recorded through its sample at the laboratory, or by confirming the case",
        ));
    }
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (e, roles) = visible_episode(conn, actor, Action::QuarantineOrder, episode_id)?;
        if !store::tests_of(conn, &e.id)?
            .iter()
            .any(|t| t.id == test_id)
        {
            return Err(AppError::not_found("scheduled test"));
        }
        let ordered = crate::service::happened::after(e.ordered_at, "the quarantine was ordered");
        let h = crate::service::happened::happened_at(
            rules,
            at,
            "at",
            input.at,
            input.backdate_reason.as_deref(),
            Some(ordered),
        )?;
        let who = who_as(actor, roles.first().copied());
        // a result from elsewhere (another lab's system, a paper record): the sample ordered
        // for this test is not needed any more
        cancel_samples_of_tests(
            conn,
            &who,
            &[test_id.to_string()],
            "the result was recorded without it",
            at,
        )?;
        test_resulted(conn, &who, test_id, input.result, SampleKind::RtPcr, &h)?;
        let tests = store::tests_of(conn, &e.id)?;
        Ok(episode_out(&e, &tests, vn_date(at)))
    })
}

/// A scheduled test has its result (from a sample, or recorded directly): write it, and for
/// an inconclusive one schedule the same day again today, with a new sample of `retest`
/// kind. An event on the episode either way.
pub(crate) fn test_resulted(
    conn: &mut AnyConnection,
    who: &Who,
    test_id: &str,
    result: TestResult,
    retest: SampleKind,
    h: &crate::domain::happened::Happened,
) -> AppResult<()> {
    let at = h.at;
    let Some(test) = store::get_test(conn, test_id)? else {
        return Err(AppError::not_found("scheduled test"));
    };
    let by = who.actor_id.clone().unwrap_or_default();
    if !store::set_test_result(conn, test_id, result.as_str(), at, &by)? {
        return Err(result_refused(test.result).into());
    }
    if result == TestResult::Inconclusive {
        let again = TestRow {
            id: new_id(),
            due_date: vn_date(at),
            result: None,
            resulted_at: None,
            recorded_by: None,
            superseded_at: None,
            created_at: h.recorded_at,
            ..test.clone()
        };
        store::insert_tests(conn, std::slice::from_ref(&again))?;
        // the retest stands for this day now: the inconclusive row no longer blocks release
        store::supersede_test(conn, test_id, at)?;
        let e = store::get_episode(conn, &test.episode_id)?
            .ok_or_else(|| AppError::not_found("episode"))?;
        order_samples_for(conn, &e, &[again], retest, "retest", h.recorded_at)?;
    }
    Event::on(Entity::Episode, &test.episode_id, "test_resulted")
        .after(&json!({"test_id": test_id, "day": test.day, "result": result.as_str()}))
        .write_fact(conn, who, h)?;
    Ok(())
}

/// Samples for scheduled tests: one ordered sample per test, due on its date.
pub(super) fn order_samples_for(
    conn: &mut AnyConnection,
    e: &EpisodeRow,
    tests: &[TestRow],
    kind: SampleKind,
    origin: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let rows: Vec<crate::store::samples::SampleRow> = tests
        .iter()
        .map(|t| crate::store::samples::SampleRow {
            id: new_id(),
            person_id: e.person_id.clone(),
            kind,
            state: crate::domain::samples::SampleState::Ordered,
            origin: origin.into(),
            episode_test_id: Some(t.id.clone()),
            round_id: None,
            replaces_sample_id: None,
            due_date: t.due_date,
            barcode: None,
            pool_id: None,
            lab_id: None,
            collected_at: None,
            received_at: None,
            resulted_at: None,
            result: None,
            note: None,
            unit_path: e.unit_path.clone(),
            version: 1,
            created_by: None,
            created_at: at,
            updated_at: at,
        })
        .collect();
    crate::store::samples::insert_samples(conn, &rows)?;
    Ok(())
}

/// Replace the pending tests of an episode (a restart, a new regime): the tests are kept,
/// marked superseded, and the samples ordered for them cancelled.
pub(super) fn supersede(
    conn: &mut AnyConnection,
    who: &Who,
    e: &str,
    h: &crate::domain::happened::Happened,
) -> AppResult<()> {
    // the samples' rows change now (their feed's time); the tests were superseded then
    cancel_pending_samples(conn, who, e, "the test schedule changed", h.recorded_at)?;
    store::supersede_pending_tests(conn, e, h.at)?;
    Ok(())
}

/// Cancel the samples still only ordered for an episode's pending tests, each an event.
pub(super) fn cancel_pending_samples(
    conn: &mut AnyConnection,
    who: &Who,
    e: &str,
    why: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let pending: Vec<String> = store::tests_of(conn, e)?
        .into_iter()
        .filter(|t| t.result.is_none() && t.superseded_at.is_none())
        .map(|t| t.id)
        .collect();
    cancel_samples_of_tests(conn, who, &pending, why, at)
}

fn cancel_samples_of_tests(
    conn: &mut AnyConnection,
    who: &Who,
    tests: &[String],
    why: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    // before collection neither the kind nor a pool matters to a cancellation
    let next = crate::domain::samples::sample_transition(
        SampleKind::RtPcr,
        crate::domain::samples::SampleState::Ordered,
        crate::domain::samples::SampleCommand::Cancel,
        false,
    )?;
    let cancelled = crate::store::samples::cancel_ordered_for_tests(conn, tests, next, at)?;
    let rows: Vec<crate::store::events::EventRow> = cancelled
        .iter()
        .map(|id| {
            Event::on(Entity::Sample, id, "cancel")
                .before(&json!({"state": "ordered"}))
                .after(&json!({"state": "cancelled"}))
                .reason(why)
                .row(who, at)
        })
        .collect();
    crate::store::events::insert_many(conn, &rows)?;
    Ok(())
}
