//! The episode state machine, with who may ask for each move, and the guards on check-in,
//! regime moves and test results.

use super::Mode;
use crate::domain::roles::Role;
use crate::domain::states::{text_enum, Refused};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeState {
    /// Ordered by health, the person not yet in quarantine.
    Ordered,
    Active,
    Released,
    /// Health monitoring at home after release.
    Monitoring,
    Closed,
    /// To hospital (positive) or from a camp to home quarantine.
    Transferred,
    /// Left without release: on the police list.
    Absconded,
}
text_enum!(EpisodeState { Ordered => "ordered", Active => "active", Released => "released", Monitoring => "monitoring", Closed => "closed", Transferred => "transferred", Absconded => "absconded" });

impl EpisodeState {
    /// The person is (or should be) in quarantine.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            EpisodeState::Ordered | EpisodeState::Active | EpisodeState::Absconded
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeCommand {
    /// The person is in quarantine: checked in at the camp, or at home with the sign posted.
    Activate,
    /// Withdraw an order never carried out (a reason is required).
    Cancel,
    /// Lengthen the quarantine (a reason and the new number of days are required).
    Extend,
    /// Start again at day 1: a new positive among people quarantined together.
    Restart,
    Release,
    StartMonitoring,
    Close,
    /// To hospital (positive) or camp → home where the regime allows.
    Transfer,
    /// Left without release (a reason is required).
    Abscond,
    /// Back in quarantine after absconding.
    Return,
}
text_enum!(EpisodeCommand { Activate => "activate", Cancel => "cancel", Extend => "extend", Restart => "restart", Release => "release", StartMonitoring => "start_monitoring", Close => "close", Transfer => "transfer", Abscond => "abscond", Return => "return" });

impl EpisodeCommand {
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            EpisodeCommand::Cancel
                | EpisodeCommand::Extend
                | EpisodeCommand::Restart
                | EpisodeCommand::Abscond
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    Hospital,
    Home,
}
text_enum!(Destination { Hospital => "hospital", Home => "home" });

/// What the guards of an episode's moves read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeFacts {
    /// Today's local date.
    pub today: NaiveDate,
    pub release_from: NaiveDate,
    /// Scheduled tests not negative yet (pending, inconclusive or positive), described.
    pub tests_not_negative: Vec<String>,
    /// Days of monitoring after release under the episode's regime.
    pub monitoring_days: u32,
    /// When monitoring started, if it did.
    pub monitoring_from: Option<NaiveDate>,
    /// Monitoring tests not negative yet, described.
    pub monitoring_tests_not_negative: Vec<String>,
    /// The person has a positive result or an open case.
    pub positive: bool,
    pub mode: Option<Mode>,
    /// For camp → home: the regime allows it and the test of that day is negative.
    pub home_transfer_allowed: bool,
    /// For an F2 whose upstream F1 tested negative, under a regime that releases them then.
    pub upstream_cleared: bool,
}

/// The episode state machine. `Ok` is the next state; a refusal says why.
pub fn episode_transition(
    state: EpisodeState,
    command: EpisodeCommand,
    destination: Option<Destination>,
    facts: &EpisodeFacts,
) -> Result<EpisodeState, Refused> {
    use EpisodeCommand as C;
    use EpisodeState as S;
    let refuse = |why: Option<String>| match why {
        None => Refused::new(state, command),
        Some(w) => Refused::because(state, command, w),
    };
    match (state, command) {
        (S::Ordered, C::Activate) => Ok(S::Active),
        (S::Ordered, C::Cancel) => Ok(S::Closed),
        (S::Active, C::Extend | C::Restart) => Ok(S::Active),
        (S::Active, C::Release) => {
            let mut blocking = Vec::new();
            if facts.today < facts.release_from && !facts.upstream_cleared {
                blocking.push(format!(
                    "the planned end is not reached: release from {}",
                    facts.release_from
                ));
            }
            if facts.positive {
                blocking.push("the person is positive".to_string());
            } else if !facts.upstream_cleared {
                blocking.extend(facts.tests_not_negative.iter().cloned());
            }
            if blocking.is_empty() {
                Ok(S::Released)
            } else {
                Err(refuse(Some(blocking.join("; "))))
            }
        }
        (S::Released, C::StartMonitoring) if facts.monitoring_days > 0 => Ok(S::Monitoring),
        (S::Released, C::StartMonitoring) => {
            Err(refuse(Some("the regime has no monitoring".into())))
        }
        (S::Released, C::Close) if facts.monitoring_days == 0 => Ok(S::Closed),
        (S::Released, C::Close) => Err(refuse(Some("monitoring comes first".into()))),
        (S::Monitoring, C::Close) => {
            let from = facts.monitoring_from.unwrap_or(facts.today);
            let ends = from + Duration::days(i64::from(facts.monitoring_days));
            if facts.today >= ends && facts.monitoring_tests_not_negative.is_empty() {
                Ok(S::Closed)
            } else if facts.today >= ends {
                Err(refuse(Some(facts.monitoring_tests_not_negative.join("; "))))
            } else {
                Err(refuse(Some(format!(
                    "monitoring runs until {}",
                    ends - Duration::days(1)
                ))))
            }
        }
        (S::Active, C::Transfer) => match destination {
            Some(Destination::Hospital) if facts.positive => Ok(S::Transferred),
            Some(Destination::Hospital) => Err(refuse(Some(
                "only a positive person goes to hospital".into(),
            ))),
            Some(Destination::Home) if facts.mode != Some(Mode::Concentrated) => {
                Err(refuse(Some("only from a camp".into())))
            }
            Some(Destination::Home) if facts.positive => {
                Err(refuse(Some("the person is positive".into())))
            }
            Some(Destination::Home) if facts.home_transfer_allowed => Ok(S::Transferred),
            Some(Destination::Home) => Err(refuse(Some(
                "the regime does not allow it, or its test is not negative".into(),
            ))),
            None => Err(refuse(Some("a destination is required".into()))),
        },
        (S::Active, C::Abscond) => Ok(S::Absconded),
        (S::Absconded, C::Return) => Ok(S::Active),
        _ => Err(refuse(None)),
    }
}

/// Who may ask for a move: health officers for every episode; camp managers check people in
/// and out of their camps; commune officers set up home quarantine and report absconding.
pub fn may_command(role: Role, mode: Mode, command: EpisodeCommand) -> bool {
    use EpisodeCommand as C;
    match role {
        Role::HealthOfficer => true,
        Role::CampManager => {
            mode == Mode::Concentrated
                && matches!(
                    command,
                    C::Activate | C::Release | C::Transfer | C::Abscond | C::Return
                )
        }
        Role::CommuneOfficer => {
            mode == Mode::Home && matches!(command, C::Activate | C::Abscond | C::Return)
        }
        _ => false,
    }
}

/// A camp checks in only the people it expects: an episode ordered to it (which the
/// check-in activates), or a resident who absconded and came back (who returns through the
/// gate like an arrival: a bed, the capacity and the room's cohort are checked again).
pub fn check_in_command(state: EpisodeState) -> Result<EpisodeCommand, Refused> {
    match state {
        EpisodeState::Ordered => Ok(EpisodeCommand::Activate),
        EpisodeState::Absconded => Ok(EpisodeCommand::Return),
        _ => Err(Refused::new(state, "check in")),
    }
}

/// A camp resident's activation and return go through the check-in, never straight to
/// the episode: the bed, capacity and cohort checks are the check-in's.
pub fn goes_through_check_in(mode: Mode, command: EpisodeCommand) -> bool {
    mode == Mode::Concentrated
        && matches!(command, EpisodeCommand::Activate | EpisodeCommand::Return)
}

/// The regime of an episode moves only before or during the quarantine.
pub fn may_move_regime(state: EpisodeState) -> Result<(), Refused> {
    match state {
        EpisodeState::Ordered | EpisodeState::Active => Ok(()),
        _ => Err(Refused::new(state, "move_regime")),
    }
}

/// A scheduled test takes one result: once it has one, or was superseded by a reschedule,
/// another is refused from that state.
pub fn result_refused(recorded: Option<crate::domain::samples::TestResult>) -> Refused {
    Refused::new(
        recorded.map_or("superseded", |r| r.as_str()),
        "record result",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use EpisodeCommand as C;
    use EpisodeState as S;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts() -> EpisodeFacts {
        EpisodeFacts {
            today: d("2021-02-11"),
            release_from: d("2021-02-11"),
            tests_not_negative: vec![],
            monitoring_days: 14,
            monitoring_from: None,
            monitoring_tests_not_negative: vec![],
            positive: false,
            mode: Some(Mode::Concentrated),
            home_transfer_allowed: false,
            upstream_cleared: false,
        }
    }

    #[test]
    fn the_happy_path() {
        let f = facts();
        let mut s = S::Ordered;
        for c in [C::Activate, C::Extend, C::Release, C::StartMonitoring] {
            s = episode_transition(s, c, None, &f).unwrap();
        }
        assert_eq!(s, S::Monitoring);
        let done = EpisodeFacts {
            today: d("2021-02-25"),
            monitoring_from: Some(d("2021-02-11")),
            ..f.clone()
        };
        assert_eq!(episode_transition(s, C::Close, None, &done), Ok(S::Closed));
        let untested = EpisodeFacts {
            monitoring_tests_not_negative: vec!["the day-7 monitoring test is pending".into()],
            ..done.clone()
        };
        assert!(episode_transition(s, C::Close, None, &untested).is_err());
        let early = EpisodeFacts {
            today: d("2021-02-24"),
            ..done
        };
        assert!(episode_transition(s, C::Close, None, &early).is_err());
    }

    #[test]
    fn release_needs_the_planned_end_and_negative_tests() {
        let early = EpisodeFacts {
            today: d("2021-02-10"),
            ..facts()
        };
        let e = episode_transition(S::Active, C::Release, None, &early).unwrap_err();
        assert_eq!(e.command, "release");
        let why = e.reason.unwrap_or_default();
        assert!(why.contains("release from 2021-02-11"), "{why}");
        let pending = EpisodeFacts {
            tests_not_negative: vec!["day 14 test pending".into()],
            ..facts()
        };
        let e = episode_transition(S::Active, C::Release, None, &pending).unwrap_err();
        assert!(e.reason.is_some_and(|r| r.contains("day 14 test pending")));
        let positive = EpisodeFacts {
            positive: true,
            ..facts()
        };
        assert!(episode_transition(S::Active, C::Release, None, &positive).is_err());
        // an F2 released early when the upstream F1 tests negative
        let cleared = EpisodeFacts {
            today: d("2021-02-01"),
            tests_not_negative: vec!["day 14 test pending".into()],
            upstream_cleared: true,
            ..facts()
        };
        assert_eq!(
            episode_transition(S::Active, C::Release, None, &cleared),
            Ok(S::Released)
        );
    }

    #[test]
    fn refused_moves_name_state_and_command() {
        let f = facts();
        for (s, c) in [
            (S::Ordered, C::Release),
            (S::Active, C::Activate),
            (S::Released, C::Release),
            (S::Closed, C::Activate),
            (S::Transferred, C::Release),
            (S::Absconded, C::Release),
            (S::Active, C::Return),
            (S::Monitoring, C::Extend),
            (S::Active, C::Cancel),
        ] {
            let e = episode_transition(s, c, None, &f).unwrap_err();
            assert_eq!(e.state, s.as_str());
            assert_eq!(e.command, c.as_str());
        }
        let none = EpisodeFacts {
            monitoring_days: 0,
            ..f
        };
        assert!(episode_transition(S::Released, C::StartMonitoring, None, &none).is_err());
        assert_eq!(
            episode_transition(S::Released, C::Close, None, &none),
            Ok(S::Closed)
        );
    }

    #[test]
    fn transfers() {
        let f = facts();
        let t = |f: &EpisodeFacts, dest| episode_transition(S::Active, C::Transfer, dest, f);
        assert!(t(&f, None).is_err());
        assert!(t(&f, Some(Destination::Hospital)).is_err());
        let pos = EpisodeFacts {
            positive: true,
            ..f.clone()
        };
        assert_eq!(t(&pos, Some(Destination::Hospital)), Ok(S::Transferred));
        assert!(t(&f, Some(Destination::Home)).is_err());
        let allowed = EpisodeFacts {
            home_transfer_allowed: true,
            ..f.clone()
        };
        assert_eq!(t(&allowed, Some(Destination::Home)), Ok(S::Transferred));
        let at_home = EpisodeFacts {
            mode: Some(Mode::Home),
            ..allowed
        };
        assert!(t(&at_home, Some(Destination::Home)).is_err());
    }

    #[test]
    fn absconding_and_return() {
        let f = facts();
        assert_eq!(
            episode_transition(S::Active, C::Abscond, None, &f),
            Ok(S::Absconded)
        );
        assert_eq!(
            episode_transition(S::Absconded, C::Return, None, &f),
            Ok(S::Active)
        );
        assert!(S::Absconded.is_open() && !S::Released.is_open());
    }

    #[test]
    fn who_may_command() {
        assert!(may_command(Role::HealthOfficer, Mode::Home, C::Release));
        assert!(may_command(
            Role::CampManager,
            Mode::Concentrated,
            C::Activate
        ));
        assert!(may_command(
            Role::CampManager,
            Mode::Concentrated,
            C::Release
        ));
        assert!(!may_command(
            Role::CampManager,
            Mode::Concentrated,
            C::Extend
        ));
        assert!(!may_command(Role::CampManager, Mode::Home, C::Activate));
        assert!(may_command(Role::CommuneOfficer, Mode::Home, C::Activate));
        assert!(!may_command(Role::CommuneOfficer, Mode::Home, C::Release));
        assert!(!may_command(Role::PoliceTracer, Mode::Home, C::Abscond));
    }

    #[test]
    fn a_camp_checks_in_arrivals_and_returns_only() {
        use EpisodeCommand as C;
        use EpisodeState as S;
        assert_eq!(check_in_command(S::Ordered), Ok(C::Activate));
        assert_eq!(check_in_command(S::Absconded), Ok(C::Return));
        for s in [
            S::Active,
            S::Released,
            S::Closed,
            S::Transferred,
            S::Monitoring,
        ] {
            assert!(check_in_command(s).is_err(), "{s}");
        }
        assert!(goes_through_check_in(Mode::Concentrated, C::Return));
        assert!(goes_through_check_in(Mode::Concentrated, C::Activate));
        assert!(!goes_through_check_in(Mode::Home, C::Return));
        assert!(!goes_through_check_in(Mode::Concentrated, C::Abscond));
    }
}
