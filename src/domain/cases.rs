//! Confirmed cases (F0) and the contacts logged by tracing teams: their states, the moves
//! between them, and the rules that say what a command does.

use super::states::{text_enum, Refused};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Confirmed,
    InTreatment,
    Recovered,
    Deceased,
    /// A correction: the case was a false positive.
    NotACase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    Facility,
    HomeCare,
}

/// What may be asked of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseCommand {
    /// Admitted to a treatment facility or to home care: the case is isolated.
    StartTreatment,
    Recover,
    Die,
    /// Correct a false positive: the person was never a case.
    Retract,
}

/// Which test confirmed the case (docs/domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationTest {
    /// A positive RT-PCR.
    RtPcr,
    /// A positive antigen test of an F1 (from December 2021).
    AntigenF1,
    /// Two positive antigen tests, the second within 8 hours of the first.
    AntigenTwice,
}

text_enum!(CaseState { Confirmed => "confirmed", InTreatment => "in_treatment", Recovered => "recovered", Deceased => "deceased", NotACase => "not_a_case" });
text_enum!(Treatment { Facility => "facility", HomeCare => "home_care" });
text_enum!(CaseCommand { StartTreatment => "start_treatment", Recover => "recover", Die => "die", Retract => "retract" });
text_enum!(ConfirmationTest { RtPcr => "rt_pcr", AntigenF1 => "antigen_f1", AntigenTwice => "antigen_twice" });

/// The case state machine, as a table: (state, command) → next state.
pub fn case_transition(state: CaseState, command: CaseCommand) -> Result<CaseState, Refused> {
    use CaseCommand::*;
    use CaseState::*;
    match (state, command) {
        (Confirmed, StartTreatment) => Ok(InTreatment),
        (InTreatment, Recover) => Ok(Recovered),
        (Confirmed | InTreatment, Die) => Ok(Deceased),
        (Confirmed | InTreatment, Retract) => Ok(NotACase),
        _ => Err(Refused::new(state, command)),
    }
}

impl CaseState {
    /// Open cases can still pass the infection on (until isolation ends their window).
    pub fn is_open(self) -> bool {
        matches!(self, CaseState::Confirmed | CaseState::InTreatment)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Household,
    Workplace,
    Market,
    Vehicle,
    Healthcare,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Proximity {
    /// Touched.
    Physical,
    /// Within 2 m (1 m from April 2022) in the same space.
    #[serde(rename = "within_2m")]
    Within2m,
    /// Cared for the person without full protection.
    Care,
    /// The same space, farther apart.
    SameSpace,
}

text_enum!(Setting { Household => "household", Workplace => "workplace", Market => "market", Vehicle => "vehicle", Healthcare => "healthcare", Other => "other" });
text_enum!(Proximity { Physical => "physical", Within2m => "within_2m", Care => "care", SameSpace => "same_space" });

/// Minutes a masked contact must last to be close (docs/domain.md §3).
pub const MASKED_MIN_MINUTES: i32 = 15;

/// Whether a contact is close enough to classify: physical contact or care always; within
/// 2 m when unmasked, or masked for at least 15 minutes; the same space farther apart never.
pub fn is_close(
    proximity: Proximity,
    masked: bool,
    duration_minutes: Option<i32>,
) -> Result<(), String> {
    match proximity {
        Proximity::Physical | Proximity::Care => Ok(()),
        Proximity::Within2m if !masked => Ok(()),
        Proximity::Within2m => match duration_minutes {
            Some(m) if m >= MASKED_MIN_MINUTES => Ok(()),
            Some(m) => Err(format!("masked for {m} minutes: a masked contact is close from {MASKED_MIN_MINUTES} minutes")),
            None => Err(format!("masked and of unknown duration: a masked contact is close from {MASKED_MIN_MINUTES} minutes")),
        },
        Proximity::SameSpace => Err("the same space but farther than 2 m is not a close contact".into()),
    }
}

/// Where a person's classification stands: in force, or ended by the case's outcome or by
/// a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExposureStatus {
    Active,
    Recovered,
    Deceased,
    /// A correction took the classification back.
    Declassified,
    /// Released from quarantine: no longer an active F1 (or F2), and passing nothing on. A
    /// new exposure after the release classifies the person again.
    Cleared,
}

/// What ends a classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExposureCommand {
    Recover,
    Die,
    Declassify,
    /// The quarantine ended in release.
    Clear,
}

text_enum!(ExposureStatus { Active => "active", Recovered => "recovered", Deceased => "deceased", Declassified => "declassified", Cleared => "cleared" });
text_enum!(ExposureCommand { Recover => "recover", Die => "die", Declassify => "declassify", Clear => "clear" });

/// The classification state machine: only one in force ends, and only once.
pub fn exposure_transition(
    status: ExposureStatus,
    command: ExposureCommand,
) -> Result<ExposureStatus, Refused> {
    use ExposureCommand as C;
    use ExposureStatus as S;
    match (status, command) {
        (S::Active, C::Recover) => Ok(S::Recovered),
        (S::Active, C::Die) => Ok(S::Deceased),
        (S::Active, C::Declassify) => Ok(S::Declassified),
        (S::Active, C::Clear) => Ok(S::Cleared),
        _ => Err(Refused::new(status, command)),
    }
}

/// Whether an exposure beginning at `start` may classify a person whose classification
/// stands at `status`: never someone recovered or deceased; someone cleared by a release
/// (at `cleared_at`) only for an exposure after it; anyone else.
pub fn may_classify(
    status: ExposureStatus,
    cleared_at: Option<chrono::NaiveDateTime>,
    start: chrono::NaiveDateTime,
) -> bool {
    match status {
        ExposureStatus::Recovered | ExposureStatus::Deceased => false,
        ExposureStatus::Cleared => cleared_at.is_some_and(|c| start > c),
        ExposureStatus::Active | ExposureStatus::Declassified => true,
    }
}

/// How a case's outcome ends the classification of its person.
pub fn exposure_command_of(outcome: CaseState) -> Option<ExposureCommand> {
    match outcome {
        CaseState::Recovered => Some(ExposureCommand::Recover),
        CaseState::Deceased => Some(ExposureCommand::Die),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_case_moves() {
        use CaseCommand::*;
        use CaseState::*;
        assert_eq!(case_transition(Confirmed, StartTreatment), Ok(InTreatment));
        assert_eq!(case_transition(InTreatment, Recover), Ok(Recovered));
        assert_eq!(case_transition(Confirmed, Die), Ok(Deceased));
        assert_eq!(case_transition(InTreatment, Die), Ok(Deceased));
        assert_eq!(case_transition(Confirmed, Retract), Ok(NotACase));
        assert_eq!(case_transition(InTreatment, Retract), Ok(NotACase));
    }

    #[test]
    fn refused_case_moves_name_state_and_command() {
        use CaseCommand::*;
        use CaseState::*;
        let err = case_transition(Confirmed, Recover).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'recover' is not allowed from state 'confirmed'"
        );
        for terminal in [Recovered, Deceased, NotACase] {
            for c in [StartTreatment, Recover, Die, Retract] {
                assert!(case_transition(terminal, c).is_err(), "{terminal} {c}");
            }
        }
        assert!(case_transition(InTreatment, StartTreatment).is_err());
    }

    #[test]
    fn closeness_rules() {
        assert!(is_close(Proximity::Physical, true, None).is_ok());
        assert!(is_close(Proximity::Care, true, Some(1)).is_ok());
        assert!(is_close(Proximity::Within2m, false, Some(1)).is_ok());
        assert!(is_close(Proximity::Within2m, true, Some(15)).is_ok());
        assert!(is_close(Proximity::Within2m, true, Some(14)).is_err());
        assert!(is_close(Proximity::Within2m, true, None).is_err());
        assert!(is_close(Proximity::SameSpace, false, Some(600)).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in [
            "confirmed",
            "in_treatment",
            "recovered",
            "deceased",
            "not_a_case",
        ] {
            assert_eq!(CaseState::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(Proximity::parse("within_2m"), Some(Proximity::Within2m));
        assert_eq!(
            serde_json::to_value(Proximity::Within2m).unwrap(),
            "within_2m"
        );
    }

    #[test]
    fn exposure_moves() {
        use ExposureCommand::*;
        use ExposureStatus::*;
        assert_eq!(exposure_transition(Active, Recover), Ok(Recovered));
        assert_eq!(exposure_transition(Active, Die), Ok(Deceased));
        assert_eq!(exposure_transition(Active, Declassify), Ok(Declassified));
        let err = exposure_transition(Declassified, Recover).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'recover' is not allowed from state 'declassified'"
        );
        assert!(exposure_transition(Recovered, Die).is_err());
        assert_eq!(exposure_transition(Active, Clear), Ok(Cleared));
        assert!(exposure_transition(Cleared, Clear).is_err());
        assert!(exposure_transition(Declassified, Clear).is_err());
        assert_eq!(exposure_command_of(CaseState::Recovered), Some(Recover));
        assert_eq!(exposure_command_of(CaseState::InTreatment), None);
    }

    #[test]
    fn a_released_person_is_classified_again_only_by_a_later_exposure() {
        let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let released = Some(t("2021-02-12 09:00"));
        use ExposureStatus::*;
        assert!(!may_classify(Cleared, released, t("2021-01-28 20:00")));
        assert!(!may_classify(Cleared, released, t("2021-02-12 09:00")));
        assert!(may_classify(Cleared, released, t("2021-02-20 10:00")));
        assert!(!may_classify(Recovered, None, t("2021-02-20 10:00")));
        assert!(!may_classify(Deceased, None, t("2021-02-20 10:00")));
        assert!(may_classify(Active, None, t("2021-01-28 20:00")));
        assert!(may_classify(Declassified, None, t("2021-01-28 20:00")));
    }
}
