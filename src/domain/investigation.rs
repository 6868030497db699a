//! The Vân Đồn workflow for each F0 as a state machine: opened → tracing → isolating →
//! sampling → monitoring → closed. The cordon step arrives with the isolation module and
//! fits between tracing and isolating. Trace tasks and their states live here too.

use super::cases::Refused;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Opened,
    Tracing,
    Isolating,
    Sampling,
    Monitoring,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepCommand {
    StartTracing,
    StartIsolating,
    StartSampling,
    StartMonitoring,
    Close,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Opened,
        Step::Tracing,
        Step::Isolating,
        Step::Sampling,
        Step::Monitoring,
        Step::Closed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Opened => "opened",
            Step::Tracing => "tracing",
            Step::Isolating => "isolating",
            Step::Sampling => "sampling",
            Step::Monitoring => "monitoring",
            Step::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl StepCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            StepCommand::StartTracing => "start_tracing",
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
}

/// The investigation state machine: each step in order; the facts guard the later ones.
pub fn step_transition(state: Step, command: StepCommand, facts: &Facts) -> Result<Step, Refused> {
    use Step::*;
    use StepCommand::*;
    let refuse = |why: Option<String>| Refused {
        state: state.as_str().to_string(),
        command: match why {
            None => command.as_str().to_string(),
            Some(w) => format!("{} ({w})", command.as_str()),
        },
    };
    let next = match (state, command) {
        (Opened, StartTracing) => Tracing,
        (Tracing, StartIsolating) => Isolating,
        (Isolating, StartSampling) => Sampling,
        (Sampling, StartMonitoring) => Monitoring,
        (Monitoring, Close) => Closed,
        _ => return Err(refuse(None)),
    };
    if command == StartIsolating && facts.f1_listed == 0 {
        return Err(refuse(Some("no F1 listed yet".into())));
    }
    if command == Close {
        let mut blocking = Vec::new();
        if facts.people_unlocated > 0 {
            blocking.push(format!("{} people not located", facts.people_unlocated));
        }
        if facts.f1_not_isolated > 0 {
            blocking.push(format!("{} F1 not isolated", facts.f1_not_isolated));
        }
        if facts.samples_pending > 0 {
            blocking.push(format!("{} samples pending", facts.samples_pending));
        }
        if !blocking.is_empty() {
            return Err(refuse(Some(blocking.join(", "))));
        }
    }
    Ok(next)
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
        _ => Err(Refused {
            state: state.as_str().into(),
            command: command.as_str().into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_in_order() {
        let facts = Facts {
            f1_listed: 3,
            ..Default::default()
        };
        let mut s = Step::Opened;
        for c in [
            StepCommand::StartTracing,
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
    fn guards_name_what_blocks() {
        let none = Facts::default();
        let err = step_transition(Step::Tracing, StepCommand::StartIsolating, &none).unwrap_err();
        assert_eq!(err.command, "start_isolating (no F1 listed yet)");
        let busy = Facts {
            f1_listed: 2,
            people_unlocated: 1,
            f1_not_isolated: 2,
            samples_pending: 0,
        };
        let err = step_transition(Step::Monitoring, StepCommand::Close, &busy).unwrap_err();
        assert_eq!(err.state, "monitoring");
        assert_eq!(
            err.command,
            "close (1 people not located, 2 F1 not isolated)"
        );
        let pending = Facts {
            samples_pending: 4,
            ..busy
        };
        let pending = Facts {
            people_unlocated: 0,
            f1_not_isolated: 0,
            ..pending
        };
        assert!(
            step_transition(Step::Monitoring, StepCommand::Close, &pending)
                .unwrap_err()
                .command
                .contains("4 samples pending")
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
