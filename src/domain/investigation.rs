//! The Vân Đồn workflow for each F0 as a state machine: opened → tracing → cordoning →
//! isolating → sampling → monitoring → closed. Trace tasks and their states live here too.

use super::states::Refused;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Opened,
    Tracing,
    /// A cordon zone is being declared around the F0's residence or landmarks.
    Cordoning,
    Isolating,
    Sampling,
    Monitoring,
    Closed,
    /// The case was retracted (not a case): the investigation ends without closing.
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepCommand {
    StartTracing,
    StartCordoning,
    StartIsolating,
    StartSampling,
    StartMonitoring,
    Close,
}

super::states::text_conversions!(Step);

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Opened,
        Step::Tracing,
        Step::Cordoning,
        Step::Isolating,
        Step::Sampling,
        Step::Monitoring,
        Step::Closed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Opened => "opened",
            Step::Tracing => "tracing",
            Step::Cordoning => "cordoning",
            Step::Isolating => "isolating",
            Step::Sampling => "sampling",
            Step::Monitoring => "monitoring",
            Step::Closed => "closed",
            Step::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL
            .into_iter()
            .chain([Step::Withdrawn])
            .find(|x| x.as_str() == s)
    }
}

impl StepCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            StepCommand::StartTracing => "start_tracing",
            StepCommand::StartCordoning => "start_cordoning",
            StepCommand::StartIsolating => "start_isolating",
            StepCommand::StartSampling => "start_sampling",
            StepCommand::StartMonitoring => "start_monitoring",
            StepCommand::Close => "close",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the guards need to know about the investigation's people and work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// F1s listed so far.
    pub f1_listed: usize,
    /// Trace tasks still open or in progress (people not yet located).
    pub people_unlocated: usize,
    /// F1s not yet isolated.
    pub f1_not_isolated: usize,
    /// Samples ordered or collected and not yet resulted.
    pub samples_pending: usize,
    /// Cordon zones linked to the investigation that are active or already lifted.
    pub zones_declared: usize,
}

/// The investigation state machine: each step in order; the facts guard the later ones.
pub fn step_transition(state: Step, command: StepCommand, facts: &Facts) -> Result<Step, Refused> {
    use Step::*;
    use StepCommand::*;
    let next = match (state, command) {
        (Opened, StartTracing) => Tracing,
        (Tracing, StartCordoning) => Cordoning,
        (Cordoning, StartIsolating) => Isolating,
        (Isolating, StartSampling) => Sampling,
        (Sampling, StartMonitoring) => Monitoring,
        (Monitoring, Close) => Closed,
        _ => return Err(refused(state, command, &[])),
    };
    let blocking = blocking(command, facts);
    if !blocking.is_empty() {
        return Err(refused(state, command, &blocking));
    }
    Ok(next)
}

/// The investigation of a case retracted as not a case: withdrawn from whatever step it
/// reached, unless it had already ended (docs/domain.md §4).
pub fn withdraw(state: Step) -> Result<Step, Refused> {
    match state {
        Step::Closed | Step::Withdrawn => Err(Refused::because(
            state.as_str(),
            "withdraw",
            "the investigation has already ended",
        )),
        _ => Ok(Step::Withdrawn),
    }
}

/// What keeps a command from being applied, in words; empty when nothing does.
fn blocking(command: StepCommand, facts: &Facts) -> Vec<String> {
    let count = |n: usize, what: &str| (n > 0).then(|| format!("{n} {what}"));
    let none = |n: usize, what: &str| (n == 0).then(|| what.to_string());
    let reasons = match command {
        StepCommand::StartIsolating => vec![
            none(facts.f1_listed, "no F1 listed yet"),
            none(facts.zones_declared, "no active or lifted cordon zone"),
        ],
        StepCommand::Close => vec![
            count(facts.people_unlocated, "people not located"),
            count(facts.f1_not_isolated, "F1 not isolated"),
            count(facts.samples_pending, "samples pending"),
        ],
        _ => Vec::new(),
    };
    reasons.into_iter().flatten().collect()
}

fn refused(state: Step, command: StepCommand, why: &[String]) -> Refused {
    if why.is_empty() {
        Refused::new(state.as_str(), command.as_str())
    } else {
        Refused::because(state.as_str(), command.as_str(), why.join(", "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Open,
    InProgress,
    Done,
    Unreachable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskCommand {
    Start,
    /// The person was located.
    Done,
    /// The person could not be reached (a reason is required).
    Unreachable,
    /// Try again (after unreachable).
    Reopen,
}

super::states::text_conversions!(TaskState);

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::InProgress => "in_progress",
            TaskState::Done => "done",
            TaskState::Unreachable => "unreachable",
        }
    }
    pub fn parse(s: &str) -> Option<TaskState> {
        [
            TaskState::Open,
            TaskState::InProgress,
            TaskState::Done,
            TaskState::Unreachable,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    pub fn is_pending(self) -> bool {
        matches!(self, TaskState::Open | TaskState::InProgress)
    }
}

impl TaskCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskCommand::Start => "start",
            TaskCommand::Done => "done",
            TaskCommand::Unreachable => "unreachable",
            TaskCommand::Reopen => "reopen",
        }
    }
}

/// Trace tasks: open → in progress → done | unreachable; unreachable may be reopened.
pub fn task_transition(state: TaskState, command: TaskCommand) -> Result<TaskState, Refused> {
    use TaskCommand as C;
    use TaskState as S;
    match (state, command) {
        (S::Open, C::Start) => Ok(S::InProgress),
        (S::Open | S::InProgress, C::Done) => Ok(S::Done),
        (S::InProgress, C::Unreachable) => Ok(S::Unreachable),
        (S::Unreachable, C::Reopen) => Ok(S::Open),
        _ => Err(Refused::new(state.as_str(), command.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Facts {
        Facts {
            f1_listed: 3,
            zones_declared: 1,
            ..Default::default()
        }
    }

    #[test]
    fn a_retracted_case_withdraws_its_investigation_unless_it_ended() {
        for s in Step::ALL.into_iter().filter(|s| *s != Step::Closed) {
            assert_eq!(withdraw(s), Ok(Step::Withdrawn), "{s}");
        }
        assert!(withdraw(Step::Closed).is_err());
        assert!(withdraw(Step::Withdrawn).is_err());
        // nothing moves a withdrawn investigation on
        let facts = ready();
        assert!(step_transition(Step::Withdrawn, StepCommand::StartTracing, &facts).is_err());
        assert!(step_transition(Step::Withdrawn, StepCommand::Close, &facts).is_err());
        assert_eq!(Step::parse("withdrawn"), Some(Step::Withdrawn));
    }

    #[test]
    fn steps_go_in_order() {
        let facts = ready();
        let mut s = Step::Opened;
        for c in [
            StepCommand::StartTracing,
            StepCommand::StartCordoning,
            StepCommand::StartIsolating,
            StepCommand::StartSampling,
            StepCommand::StartMonitoring,
            StepCommand::Close,
        ] {
            s = step_transition(s, c, &facts).unwrap();
        }
        assert_eq!(s, Step::Closed);
        assert!(step_transition(Step::Opened, StepCommand::Close, &facts).is_err());
        assert!(step_transition(Step::Tracing, StepCommand::StartSampling, &facts).is_err());
        assert!(step_transition(Step::Closed, StepCommand::StartTracing, &facts).is_err());
    }

    #[test]
    fn cordoning_comes_between_tracing_and_isolating() {
        use Step as S;
        use StepCommand as C;
        let facts = ready();
        assert_eq!(
            step_transition(S::Tracing, C::StartCordoning, &facts),
            Ok(S::Cordoning)
        );
        assert_eq!(
            step_transition(S::Cordoning, C::StartIsolating, &facts),
            Ok(S::Isolating)
        );
        // isolating no longer follows tracing directly, even with every fact in place
        let err = step_transition(S::Tracing, C::StartIsolating, &facts).unwrap_err();
        assert_eq!(
            (err.state.as_str(), err.command.as_str()),
            ("tracing", "start_isolating")
        );
        for from in [
            S::Opened,
            S::Cordoning,
            S::Isolating,
            S::Sampling,
            S::Monitoring,
            S::Closed,
        ] {
            assert!(
                step_transition(from, C::StartCordoning, &facts).is_err(),
                "start_cordoning from {from}"
            );
        }
        assert!(step_transition(S::Cordoning, C::StartSampling, &facts).is_err());
        assert!(step_transition(S::Cordoning, C::Close, &facts).is_err());
        assert_eq!(Step::parse("cordoning"), Some(S::Cordoning));
        assert!(S::Tracing < S::Cordoning && S::Cordoning < S::Isolating);
    }

    #[test]
    fn isolating_needs_an_f1_and_a_declared_zone() {
        use Step as S;
        use StepCommand as C;
        let no_zone = Facts {
            zones_declared: 0,
            ..ready()
        };
        let err = step_transition(S::Cordoning, C::StartIsolating, &no_zone).unwrap_err();
        assert_eq!(err.state, "cordoning");
        assert_eq!(err.command, "start_isolating");
        assert_eq!(
            err.reason.as_deref(),
            Some("no active or lifted cordon zone")
        );
        let no_f1 = Facts {
            f1_listed: 0,
            ..ready()
        };
        let err = step_transition(S::Cordoning, C::StartIsolating, &no_f1).unwrap_err();
        assert_eq!(err.reason.as_deref(), Some("no F1 listed yet"));
        let err = step_transition(S::Cordoning, C::StartIsolating, &Facts::default()).unwrap_err();
        assert_eq!(
            err.reason.as_deref(),
            Some("no F1 listed yet, no active or lifted cordon zone")
        );
        // cordoning itself needs neither: the zone is declared during the step
        assert_eq!(
            step_transition(S::Tracing, C::StartCordoning, &Facts::default()),
            Ok(S::Cordoning)
        );
    }

    #[test]
    fn guards_name_what_blocks() {
        let busy = Facts {
            f1_listed: 2,
            people_unlocated: 1,
            f1_not_isolated: 2,
            samples_pending: 0,
            zones_declared: 1,
        };
        let err = step_transition(Step::Monitoring, StepCommand::Close, &busy).unwrap_err();
        assert_eq!(err.state, "monitoring");
        assert_eq!(err.command, "close");
        assert_eq!(
            err.reason.as_deref(),
            Some("1 people not located, 2 F1 not isolated")
        );
        let pending = Facts {
            samples_pending: 4,
            people_unlocated: 0,
            f1_not_isolated: 0,
            ..busy
        };
        assert!(
            step_transition(Step::Monitoring, StepCommand::Close, &pending)
                .unwrap_err()
                .reason
                .is_some_and(|r| r.contains("4 samples pending"))
        );
    }

    #[test]
    fn task_moves() {
        use TaskCommand as C;
        use TaskState as S;
        assert_eq!(task_transition(S::Open, C::Start), Ok(S::InProgress));
        assert_eq!(task_transition(S::InProgress, C::Done), Ok(S::Done));
        assert_eq!(task_transition(S::Open, C::Done), Ok(S::Done));
        assert_eq!(
            task_transition(S::InProgress, C::Unreachable),
            Ok(S::Unreachable)
        );
        assert_eq!(task_transition(S::Unreachable, C::Reopen), Ok(S::Open));
        assert!(task_transition(S::Open, C::Unreachable).is_err());
        assert!(task_transition(S::Done, C::Start).is_err());
        assert!(task_transition(S::Done, C::Reopen).is_err());
        assert!(S::InProgress.is_pending() && !S::Done.is_pending());
    }
}
