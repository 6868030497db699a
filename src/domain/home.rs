//! Home quarantine (docs/domain.md §5): a suitable address, the warning sign at the door as a
//! record with its own lifecycle, and the daily report that raises follow-ups.

use super::states::{text_enum, Refused};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The address checklist: all three must hold before anyone is quarantined there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub own_room: bool,
    pub own_toilet: bool,
    pub no_shared_air_conditioning: bool,
}

impl Checklist {
    /// What the address lacks, if anything.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if !self.own_room {
            m.push("own_room");
        }
        if !self.own_toilet {
            m.push("own_toilet");
        }
        if !self.no_shared_air_conditioning {
            m.push("no_shared_air_conditioning");
        }
        m
    }
}

/// Why someone is in a home quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdRole {
    /// The person the order is about.
    Person,
    /// Someone who lives there and is quarantined with them.
    HouseholdMember,
    /// Someone who cares for them and is quarantined with them.
    Carer,
}
text_enum!(HouseholdRole { Person => "person", HouseholdMember => "household_member", Carer => "carer" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignState {
    Posted,
    Removed,
}
text_enum!(SignState { Posted => "posted", Removed => "removed" });

/// A sign comes down at release; before that only with a reason.
pub fn remove_sign(
    state: SignState,
    anyone_still_quarantined: bool,
    reason: Option<&str>,
) -> Result<SignState, Refused> {
    let refuse = |why: &str| Refused::because(state, "remove", why);
    match state {
        SignState::Removed => Err(Refused::new(state, "remove")),
        SignState::Posted if anyone_still_quarantined && reason.is_none() => Err(refuse(
            "people are still quarantined there: give a reason to remove it before release",
        )),
        SignState::Posted => Ok(SignState::Removed),
    }
}

/// Who gave a daily report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    /// The quarantined person.
    Person,
    /// The officer, after a phone call.
    OfficerCall,
}
text_enum!(ReportSource { Person => "person", OfficerCall => "officer_call" });

/// What a follow-up is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    MissedReport,
    Symptom,
}
text_enum!(FollowUpKind { MissedReport => "missed_report", Symptom => "symptom" });

/// A temperature from which a report raises a follow-up, in °C.
pub const FEVER_C: f64 = 37.5;

/// Whether a daily report needs a follow-up: any symptom, or fever.
pub fn report_needs_follow_up(temperature_c: Option<f64>, symptoms: &[String]) -> bool {
    !symptoms.is_empty() || temperature_c.is_some_and(|t| t >= FEVER_C)
}

/// The dates an active home episode should have reported on and did not, up to yesterday
/// (today's report may still come). Reporting starts on the day quarantine began.
pub fn missed_days(
    active_from: NaiveDate,
    today: NaiveDate,
    reported: &[NaiveDate],
) -> Vec<NaiveDate> {
    active_from
        .iter_days()
        .take_while(|d| *d < today)
        .filter(|d| !reported.contains(d))
        .collect()
}

/// Daily reports are for a home quarantine under way.
pub fn may_report_daily(
    mode: super::quarantine::Mode,
    state: super::quarantine::EpisodeState,
) -> Result<(), Refused> {
    use super::quarantine::{EpisodeState, Mode};
    match (mode, state) {
        (Mode::Home, EpisodeState::Active) => Ok(()),
        _ => Err(Refused::new(format!("{state} ({mode})"), "daily report")),
    }
}

/// A violation is reported of a home quarantine under way, or of one who left it.
pub fn may_report_violation(
    mode: super::quarantine::Mode,
    state: super::quarantine::EpisodeState,
) -> Result<(), Refused> {
    use super::quarantine::{EpisodeState, Mode};
    match (mode, state) {
        (Mode::Home, EpisodeState::Active | EpisodeState::Absconded) => Ok(()),
        _ => Err(Refused::new(
            format!("{state} ({mode})"),
            "report violation",
        )),
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    Open,
    Done,
}
text_enum!(FollowUpState { Open => "open", Done => "done" });

/// What may be asked of a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpCommand {
    Resolve,
}
text_enum!(FollowUpCommand { Resolve => "resolve" });

/// The follow-up state machine: an open follow-up is resolved once.
pub fn follow_up_transition(
    state: FollowUpState,
    command: FollowUpCommand,
) -> Result<FollowUpState, Refused> {
    match (state, command) {
        (FollowUpState::Open, FollowUpCommand::Resolve) => Ok(FollowUpState::Done),
        _ => Err(Refused::new(state, command)),
    }
}

/// Where a reported violation stands: waiting for the police, or handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationState {
    Open,
    Handled,
}
text_enum!(ViolationState { Open => "open", Handled => "handled" });

impl ViolationState {
    /// A violation is handled once it has a handling time.
    pub fn of(handled_at: Option<NaiveDateTime>) -> ViolationState {
        match handled_at {
            None => ViolationState::Open,
            Some(_) => ViolationState::Handled,
        }
    }
}

/// What may be asked of a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationCommand {
    Handle,
}
text_enum!(ViolationCommand { Handle => "handle" });

/// The violation state machine: an open violation is handled once.
pub fn violation_transition(
    state: ViolationState,
    command: ViolationCommand,
) -> Result<ViolationState, Refused> {
    match (state, command) {
        (ViolationState::Open, ViolationCommand::Handle) => Ok(ViolationState::Handled),
        _ => Err(Refused::new(state, command)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// Left the home during quarantine.
    LeftHome,
    /// Received visitors.
    Visitors,
    /// Removed or covered the warning sign.
    SignTampered,
    Other,
}

text_enum!(ViolationKind { LeftHome => "left_home", Visitors => "visitors", SignTampered => "sign_tampered", Other => "other" });

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn checklist_names_what_is_missing() {
        let all = Checklist {
            own_room: true,
            own_toilet: true,
            no_shared_air_conditioning: true,
        };
        assert!(all.missing().is_empty());
        let shared = Checklist {
            own_toilet: false,
            ..all
        };
        assert_eq!(shared.missing(), ["own_toilet"]);
        assert_eq!(Checklist::default().missing().len(), 3);
    }

    #[test]
    fn a_sign_comes_down_at_release_or_with_a_reason() {
        assert_eq!(
            remove_sign(SignState::Posted, false, None),
            Ok(SignState::Removed)
        );
        assert!(remove_sign(SignState::Posted, true, None).is_err());
        assert_eq!(
            remove_sign(SignState::Posted, true, Some("damaged by rain")),
            Ok(SignState::Removed)
        );
        let e = remove_sign(SignState::Removed, false, None).unwrap_err();
        assert_eq!(
            (e.state.as_str(), e.command.as_str()),
            ("removed", "remove")
        );
    }

    #[test]
    fn fever_or_a_symptom_raises_a_follow_up() {
        assert!(!report_needs_follow_up(Some(36.8), &[]));
        assert!(!report_needs_follow_up(None, &[]));
        assert!(report_needs_follow_up(Some(37.5), &[]));
        assert!(report_needs_follow_up(Some(36.5), &["cough".into()]));
    }

    #[test]
    fn missed_days_stop_before_today() {
        let from = d("2021-05-10");
        assert!(missed_days(from, from, &[]).is_empty());
        assert_eq!(missed_days(from, d("2021-05-11"), &[]), [from]);
        assert_eq!(
            missed_days(from, d("2021-05-13"), &[d("2021-05-11")]),
            [d("2021-05-10"), d("2021-05-12")]
        );
    }

    #[test]
    fn follow_up_moves() {
        use FollowUpCommand::Resolve;
        assert_eq!(
            follow_up_transition(FollowUpState::Open, Resolve),
            Ok(FollowUpState::Done)
        );
        let err = follow_up_transition(FollowUpState::Done, Resolve).unwrap_err();
        assert_eq!(
            (err.state.as_str(), err.command.as_str()),
            ("done", "resolve")
        );
    }

    #[test]
    fn violation_moves() {
        use ViolationCommand::Handle;
        assert_eq!(ViolationState::of(None), ViolationState::Open);
        assert_eq!(
            violation_transition(ViolationState::Open, Handle),
            Ok(ViolationState::Handled)
        );
        let err = violation_transition(ViolationState::Handled, Handle).unwrap_err();
        assert_eq!(
            (err.state.as_str(), err.command.as_str()),
            ("handled", "handle")
        );
    }
}
