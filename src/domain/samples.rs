//! Sampling and testing (docs/domain.md §6): the sample and pool state machines, what a pool's
//! result means for its members, when a positive makes a new F0 (docs/domain.md §3), the cadence
//! of mass-sampling rounds and the turnaround deadline.

use super::cases::ConfirmationTest;
use super::states::{text_enum, Refused};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// RT-PCR, tested alone.
    RtPcr,
    /// RT-PCR, tested in a pool with others.
    RtPcrPooled,
    /// Rapid antigen test taken by staff.
    AntigenStaff,
    /// Rapid antigen self-test, supervised remotely.
    AntigenSelf,
}
text_enum!(SampleKind { RtPcr => "rt_pcr", RtPcrPooled => "rt_pcr_pooled", AntigenStaff => "antigen_staff", AntigenSelf => "antigen_self" });

impl SampleKind {
    pub fn is_antigen(self) -> bool {
        matches!(self, SampleKind::AntigenStaff | SampleKind::AntigenSelf)
    }
    /// Antigen tests are read where they are taken; RT-PCR goes to a lab.
    pub fn needs_lab(self) -> bool {
        !self.is_antigen()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SampleState {
    Ordered,
    Collected,
    /// At the lab.
    Received,
    Resulted,
    /// Damaged or mislabelled.
    Rejected,
    /// Not needed any more (the schedule changed, the person was released or transferred).
    Cancelled,
}
text_enum!(SampleState { Ordered => "ordered", Collected => "collected", Received => "received", Resulted => "resulted", Rejected => "rejected", Cancelled => "cancelled" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestResult {
    Positive,
    Negative,
    /// Not readable: a new sample is ordered.
    Inconclusive,
}
text_enum!(TestResult { Positive => "positive", Negative => "negative", Inconclusive => "inconclusive" });

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleCommand {
    Collect,
    Receive,
    Result,
    Reject,
    Cancel,
}
text_enum!(SampleCommand { Collect => "collect", Receive => "receive", Result => "result", Reject => "reject", Cancel => "cancel" });

/// The sample state machine. Antigen tests are read where they are taken: they go from
/// collected to resulted without a lab; pooled specimens are resulted through their pool.
pub fn sample_transition(
    kind: SampleKind,
    state: SampleState,
    command: SampleCommand,
    in_pool: bool,
) -> Result<SampleState, Refused> {
    use SampleCommand as C;
    use SampleState as S;
    let refuse = |why: Option<&str>| match why {
        None => Refused::new(state, command),
        Some(w) => Refused::because(state, command, w),
    };
    match (state, command) {
        (S::Ordered, C::Collect) => Ok(S::Collected),
        (S::Ordered, C::Cancel) => Ok(S::Cancelled),
        (S::Collected, C::Receive) if kind.needs_lab() => Ok(S::Received),
        (S::Collected, C::Receive) => {
            Err(refuse(Some("an antigen test is read where it is taken")))
        }
        (S::Collected, C::Result) if kind.is_antigen() => Ok(S::Resulted),
        (S::Received, C::Result) if in_pool => {
            Err(refuse(Some("a pooled specimen is resulted with its pool")))
        }
        (S::Received, C::Result) => Ok(S::Resulted),
        (S::Collected | S::Received, C::Reject) => Ok(S::Rejected),
        _ => Err(refuse(None)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolState {
    /// Specimens are being added.
    Open,
    Received,
    Resulted,
    Rejected,
}
text_enum!(PoolState { Open => "open", Received => "received", Resulted => "resulted", Rejected => "rejected" });

/// Why a specimen cannot join a pool.
pub fn can_join_pool(
    pool: PoolState,
    members: usize,
    max: usize,
    kind: SampleKind,
    state: SampleState,
    already_pooled: bool,
) -> Result<(), String> {
    if pool != PoolState::Open {
        return Err(format!("the pool is {pool}"));
    }
    if members >= max {
        return Err(format!("the pool is full ({max} specimens)"));
    }
    if kind != SampleKind::RtPcrPooled {
        return Err(format!("a {kind} sample is not pooled"));
    }
    if state != SampleState::Collected {
        return Err(format!("the sample is {state}, not collected"));
    }
    if already_pooled {
        return Err("the sample is in another pool".into());
    }
    Ok(())
}

/// A pool goes to the lab with 2 to `max` specimens.
pub fn pool_transition(
    state: PoolState,
    command: SampleCommand,
    members: usize,
) -> Result<PoolState, Refused> {
    let refuse = |why: Option<String>| match why {
        None => Refused::new(state, command),
        Some(w) => Refused::because(state, command, w),
    };
    match (state, command) {
        (PoolState::Open, SampleCommand::Receive) if members >= 2 => Ok(PoolState::Received),
        (PoolState::Open, SampleCommand::Receive) => Err(refuse(Some(format!(
            "a pool holds at least 2 specimens, this one {members}"
        )))),
        (PoolState::Received, SampleCommand::Result) => Ok(PoolState::Resulted),
        (PoolState::Open | PoolState::Received, SampleCommand::Reject) => Ok(PoolState::Rejected),
        _ => Err(refuse(None)),
    }
}

/// What a pool's result means for each member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberOutcome {
    /// The member's own result.
    pub result: TestResult,
    /// A new individual sample is ordered.
    pub resample: bool,
}

/// A negative pool makes every member negative; a positive (or unreadable) pool says nothing
/// about one member: each gets a new individual sample.
pub fn pool_member_outcome(pool: TestResult) -> MemberOutcome {
    match pool {
        TestResult::Negative => MemberOutcome {
            result: TestResult::Negative,
            resample: false,
        },
        TestResult::Positive | TestResult::Inconclusive => MemberOutcome {
            result: TestResult::Inconclusive,
            resample: true,
        },
    }
}

/// What a positive individual result means (docs/domain.md §3): RT-PCR confirms; an antigen
/// confirms an F1, or a second positive antigen within 8 hours of the first; any other
/// positive antigen orders an RT-PCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositiveMeans {
    Confirms(ConfirmationTest),
    NeedsRtPcr,
}

pub fn positive_means(
    kind: SampleKind,
    level: Option<i32>,
    collected_at: NaiveDateTime,
    earlier_antigen_positives: &[NaiveDateTime],
) -> PositiveMeans {
    if !kind.is_antigen() {
        return PositiveMeans::Confirms(ConfirmationTest::RtPcr);
    }
    if level == Some(1) {
        return PositiveMeans::Confirms(ConfirmationTest::AntigenF1);
    }
    let within = earlier_antigen_positives
        .iter()
        .any(|t| *t < collected_at && collected_at - *t <= Duration::hours(8));
    if within {
        PositiveMeans::Confirms(ConfirmationTest::AntigenTwice)
    } else {
        PositiveMeans::NeedsRtPcr
    }
}

/// Days between mass-sampling rounds of a zone by its risk: three times a week (every 2
/// days) where the risk is high, else every `other_days` (5 to 7).
pub fn round_interval_days(high_risk: bool, other_days: i64) -> i64 {
    if high_risk {
        2
    } else {
        other_days.clamp(5, 7)
    }
}

/// The date the next round is due after one on `last`.
pub fn next_round(last: Option<NaiveDate>, today: NaiveDate, interval: i64) -> NaiveDate {
    match last {
        None => today,
        Some(d) => d + Duration::days(interval),
    }
}

/// A barcode printed on a tube: 4 to 40 letters, digits or '-'.
pub fn check_barcode(raw: &str) -> Result<String, String> {
    let b = raw.trim().to_uppercase();
    if (4..=40).contains(&b.len()) && b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(b)
    } else {
        Err("must be 4 to 40 letters, digits or '-'".into())
    }
}

/// What a barcode is printed on: a sample's tube, or a pool's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TubeKind {
    Sample,
    Pool,
}

/// A barcode names one tube, a sample's or a pool's, never two: a laboratory receives and
/// results by barcode alone, and a pool's result is its members'. A `tube` takes a barcode
/// only when no other tube holds it (`held_by`: the kind of the one that does); why not
/// otherwise.
pub fn barcode_free(tube: TubeKind, held_by: Option<TubeKind>) -> Result<(), String> {
    match (tube, held_by) {
        (_, None) => Ok(()),
        (TubeKind::Sample, Some(TubeKind::Sample)) => Err("is another sample's".into()),
        (TubeKind::Pool, Some(TubeKind::Pool)) => Err("is another pool's".into()),
        (TubeKind::Sample, Some(TubeKind::Pool)) => {
            Err("is a pool's: a sample and a pool never share a barcode".into())
        }
        (TubeKind::Pool, Some(TubeKind::Sample)) => {
            Err("is a sample's: a sample and a pool never share a barcode".into())
        }
    }
}

/// Only an antigen test is resulted where it is taken; an RT-PCR sample by its laboratory.
pub fn may_result_on_site(kind: SampleKind, state: SampleState) -> Result<(), Refused> {
    if kind.is_antigen() {
        Ok(())
    } else {
        Err(Refused::because(
            state,
            SampleCommand::Result,
            "an RT-PCR sample is resulted by its laboratory",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SampleCommand as C;
    use SampleKind as K;
    use SampleState as S;

    fn t(h: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_620_000_000 + h * 3600, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn an_rt_pcr_sample_goes_through_the_lab() {
        let mut s = S::Ordered;
        for c in [C::Collect, C::Receive, C::Result] {
            s = sample_transition(K::RtPcr, s, c, false).unwrap();
        }
        assert_eq!(s, S::Resulted);
        assert!(sample_transition(K::RtPcr, S::Collected, C::Result, false).is_err());
        assert!(sample_transition(K::RtPcr, S::Resulted, C::Result, false).is_err());
        assert!(sample_transition(K::RtPcr, S::Ordered, C::Receive, false).is_err());
    }

    #[test]
    fn an_antigen_test_is_read_where_it_is_taken() {
        let s = sample_transition(K::AntigenStaff, S::Ordered, C::Collect, false).unwrap();
        assert_eq!(
            sample_transition(K::AntigenStaff, s, C::Result, false),
            Ok(S::Resulted)
        );
        assert!(sample_transition(K::AntigenSelf, s, C::Receive, false).is_err());
    }

    #[test]
    fn rejection_and_cancellation() {
        assert_eq!(
            sample_transition(K::RtPcr, S::Received, C::Reject, false),
            Ok(S::Rejected)
        );
        assert_eq!(
            sample_transition(K::RtPcr, S::Ordered, C::Cancel, false),
            Ok(S::Cancelled)
        );
        assert!(sample_transition(K::RtPcr, S::Collected, C::Cancel, false).is_err());
        assert!(sample_transition(K::RtPcr, S::Ordered, C::Reject, false).is_err());
        let e = sample_transition(K::RtPcr, S::Rejected, C::Result, false).unwrap_err();
        assert_eq!(
            (e.state.as_str(), e.command.as_str()),
            ("rejected", "result")
        );
    }

    #[test]
    fn a_pooled_specimen_is_resulted_with_its_pool() {
        assert!(sample_transition(K::RtPcrPooled, S::Received, C::Result, true).is_err());
        assert_eq!(
            can_join_pool(PoolState::Open, 0, 10, K::RtPcrPooled, S::Collected, false),
            Ok(())
        );
        assert!(
            can_join_pool(PoolState::Open, 10, 10, K::RtPcrPooled, S::Collected, false).is_err()
        );
        assert!(can_join_pool(PoolState::Open, 1, 10, K::RtPcr, S::Collected, false).is_err());
        assert!(can_join_pool(PoolState::Open, 1, 10, K::RtPcrPooled, S::Ordered, false).is_err());
        assert!(can_join_pool(PoolState::Open, 1, 10, K::RtPcrPooled, S::Collected, true).is_err());
        assert!(can_join_pool(
            PoolState::Received,
            1,
            10,
            K::RtPcrPooled,
            S::Collected,
            false
        )
        .is_err());
    }

    #[test]
    fn a_pool_needs_two_specimens_and_is_resulted_once() {
        assert!(pool_transition(PoolState::Open, C::Receive, 1).is_err());
        assert_eq!(
            pool_transition(PoolState::Open, C::Receive, 2),
            Ok(PoolState::Received)
        );
        assert_eq!(
            pool_transition(PoolState::Received, C::Result, 2),
            Ok(PoolState::Resulted)
        );
        assert!(pool_transition(PoolState::Resulted, C::Result, 2).is_err());
        assert!(pool_transition(PoolState::Open, C::Result, 5).is_err());
    }

    #[test]
    fn pool_results_for_members() {
        assert_eq!(
            pool_member_outcome(TestResult::Negative),
            MemberOutcome {
                result: TestResult::Negative,
                resample: false
            }
        );
        assert!(pool_member_outcome(TestResult::Positive).resample);
        assert!(pool_member_outcome(TestResult::Inconclusive).resample);
    }

    #[test]
    fn which_positives_confirm() {
        assert_eq!(
            positive_means(K::RtPcr, None, t(0), &[]),
            PositiveMeans::Confirms(ConfirmationTest::RtPcr)
        );
        assert_eq!(
            positive_means(K::AntigenStaff, Some(1), t(0), &[]),
            PositiveMeans::Confirms(ConfirmationTest::AntigenF1)
        );
        assert_eq!(
            positive_means(K::AntigenSelf, Some(2), t(0), &[]),
            PositiveMeans::NeedsRtPcr
        );
        assert_eq!(
            positive_means(K::AntigenSelf, None, t(8), &[t(0)]),
            PositiveMeans::Confirms(ConfirmationTest::AntigenTwice)
        );
        assert_eq!(
            positive_means(K::AntigenSelf, None, t(9), &[t(0)]),
            PositiveMeans::NeedsRtPcr
        );
    }

    #[test]
    fn rounds_three_times_a_week_where_the_risk_is_high() {
        assert_eq!(round_interval_days(true, 7), 2);
        assert_eq!(round_interval_days(false, 9), 7);
        assert_eq!(round_interval_days(false, 3), 5);
        let d = NaiveDate::from_ymd_opt(2021, 5, 10).unwrap();
        assert_eq!(next_round(None, d, 2), d);
        assert_eq!(
            next_round(Some(d), d, 2),
            NaiveDate::from_ymd_opt(2021, 5, 12).unwrap()
        );
    }

    #[test]
    fn a_barcode_names_one_tube_sample_or_pool() {
        use TubeKind::{Pool, Sample};
        assert_eq!(barcode_free(Sample, None), Ok(()));
        assert_eq!(barcode_free(Pool, None), Ok(()));
        for (tube, holder) in [
            (Sample, Sample),
            (Sample, Pool),
            (Pool, Sample),
            (Pool, Pool),
        ] {
            assert!(
                barcode_free(tube, Some(holder)).is_err(),
                "{tube:?} {holder:?}"
            );
        }
        assert!(barcode_free(Sample, Some(Pool))
            .unwrap_err()
            .contains("pool's"));
        assert!(barcode_free(Pool, Some(Sample))
            .unwrap_err()
            .contains("sample's"));
    }

    #[test]
    fn barcodes() {
        assert_eq!(check_barcode(" qn-0001 ").unwrap(), "QN-0001");
        assert!(check_barcode("x").is_err());
        assert!(check_barcode("QN 0001").is_err());
    }
}
