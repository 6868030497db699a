//! Cordon zones (khoanh vùng, docs/domain.md §4 step 2): a set of administrative units, or a named
//! area inside exactly one unit, under a level of restriction, linked to the investigations
//! that caused it. A zone moves `proposed → active → lifted`; its start is fixed when it is
//! activated (or announced beforehand) and its end when it is lifted.

use super::states::Refused;
use super::units::in_subtree;
use super::FieldError;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneLevel {
    /// Phong tỏa cứng: nobody enters or leaves.
    HardLockdown,
    /// Phong tỏa mềm: movement restricted, essential services open.
    SoftLockdown,
    /// Khu cách ly y tế: a medical isolation area.
    MedicalIsolation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneState {
    Proposed,
    Active,
    Lifted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneCommand {
    /// The cordon takes effect (now, or at the start announced when it was declared).
    Activate,
    /// The cordon ends now; a reason is required.
    Lift,
}

super::states::text_conversions!(ZoneLevel);

impl ZoneLevel {
    pub const ALL: [ZoneLevel; 3] = [
        ZoneLevel::HardLockdown,
        ZoneLevel::SoftLockdown,
        ZoneLevel::MedicalIsolation,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneLevel::HardLockdown => "hard_lockdown",
            ZoneLevel::SoftLockdown => "soft_lockdown",
            ZoneLevel::MedicalIsolation => "medical_isolation",
        }
    }
    pub fn parse(s: &str) -> Option<ZoneLevel> {
        ZoneLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

super::states::text_conversions!(ZoneState);

impl ZoneState {
    pub const ALL: [ZoneState; 3] = [ZoneState::Proposed, ZoneState::Active, ZoneState::Lifted];
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneState::Proposed => "proposed",
            ZoneState::Active => "active",
            ZoneState::Lifted => "lifted",
        }
    }
    pub fn parse(s: &str) -> Option<ZoneState> {
        ZoneState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// A zone that was declared for real: it counts for the investigation's cordon step.
    pub fn was_declared(self) -> bool {
        matches!(self, ZoneState::Active | ZoneState::Lifted)
    }
}

impl fmt::Display for ZoneState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ZoneCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneCommand::Activate => "activate",
            ZoneCommand::Lift => "lift",
        }
    }
    /// Whether the command must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, ZoneCommand::Lift)
    }
}

/// The zone state machine, as a table: everything not listed is refused.
pub fn zone_transition(state: ZoneState, command: ZoneCommand) -> Result<ZoneState, Refused> {
    use ZoneCommand as C;
    use ZoneState as S;
    match (state, command) {
        (S::Proposed, C::Activate) => Ok(S::Active),
        (S::Active, C::Lift) => Ok(S::Lifted),
        _ => Err(Refused::new(state.as_str(), command.as_str())),
    }
}

/// The start and end of a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneTimes {
    pub start_at: Option<NaiveDateTime>,
    pub end_at: Option<NaiveDateTime>,
}

/// The times after an allowed command at `now`. Activation keeps an announced start (a
/// lockdown "from 0h on 2 February") or starts now; lifting ends now, or at the announced
/// start when the zone is lifted before it took effect, so that a zone never ends before it
/// starts.
pub fn times_after(command: ZoneCommand, times: ZoneTimes, now: NaiveDateTime) -> ZoneTimes {
    match command {
        ZoneCommand::Activate => ZoneTimes {
            start_at: Some(times.start_at.unwrap_or(now)),
            end_at: None,
        },
        ZoneCommand::Lift => {
            let start = times.start_at.unwrap_or(now);
            ZoneTimes {
                start_at: Some(start),
                end_at: Some(now.max(start)),
            }
        }
    }
}

/// The shape of a declaration: at least one unit, no unit twice, and a named area (a market,
/// a street, an apartment block) lies inside exactly one unit.
pub fn check_declaration(unit_codes: &[String], area_name: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if unit_codes.is_empty() {
        errors.push(FieldError::new("unit_codes", "name at least one unit"));
    }
    for (i, code) in unit_codes.iter().enumerate() {
        if unit_codes[..i].contains(code) {
            errors.push(FieldError::new(
                format!("unit_codes[{i}]"),
                "is listed twice",
            ));
        }
    }
    if area_name.is_some() && unit_codes.len() > 1 {
        errors.push(FieldError::new(
            "area_name",
            "a named area lies inside exactly one unit",
        ));
    }
    errors
}

/// The lowest common ancestor of materialised paths (`/22/203/06994/` and `/22/203/06997/`
/// give `/22/203/`); the country `/` when nothing else is shared or no path is given.
pub fn common_ancestor<S: AsRef<str>>(paths: &[S]) -> String {
    let Some(first) = paths.first() else {
        return "/".into();
    };
    let mut common: Vec<&str> = segments(first.as_ref());
    for p in &paths[1..] {
        let other = segments(p.as_ref());
        let shared = common
            .iter()
            .zip(other.iter())
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(shared);
    }
    if common.is_empty() {
        "/".into()
    } else {
        format!("/{}/", common.join("/"))
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// The subtrees lying in both sets of subtrees: where a zone's units and an actor's
/// jurisdiction overlap. None of the roots returned is inside another.
pub fn intersect_subtrees(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in a {
        for y in b {
            let deeper = if in_subtree(x, y) {
                y
            } else if in_subtree(y, x) {
                x
            } else {
                continue;
            };
            out.push(deeper.clone());
        }
    }
    out.sort();
    out.dedup();
    let roots: Vec<String> = out
        .iter()
        .filter(|p| !out.iter().any(|q| q != *p && in_subtree(q, p)))
        .cloned()
        .collect();
    roots
}

/// Sampling rounds are ordered in a zone in force.
pub fn may_order_round(state: ZoneState) -> Result<(), Refused> {
    match state {
        ZoneState::Active => Ok(()),
        _ => Err(Refused::new(state.as_str(), "sampling round")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2021, 2, 2)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn allowed_moves() {
        use ZoneCommand as C;
        use ZoneState as S;
        assert_eq!(zone_transition(S::Proposed, C::Activate), Ok(S::Active));
        assert_eq!(zone_transition(S::Active, C::Lift), Ok(S::Lifted));
    }

    #[test]
    fn refused_moves_name_state_and_command() {
        use ZoneCommand as C;
        use ZoneState as S;
        for (state, command) in [
            (S::Proposed, C::Lift),
            (S::Active, C::Activate),
            (S::Lifted, C::Activate),
            (S::Lifted, C::Lift),
        ] {
            let err = zone_transition(state, command).unwrap_err();
            assert_eq!(err.state, state.as_str());
            assert_eq!(err.command, command.as_str());
        }
    }

    #[test]
    fn only_lifting_needs_a_reason() {
        assert!(ZoneCommand::Lift.needs_reason());
        assert!(!ZoneCommand::Activate.needs_reason());
    }

    #[test]
    fn names_round_trip() {
        for l in ZoneLevel::ALL {
            assert_eq!(ZoneLevel::parse(l.as_str()), Some(l));
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str());
        }
        for s in ZoneState::ALL {
            assert_eq!(ZoneState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ZoneLevel::parse("lockdown"), None);
        assert!(ZoneState::Active.was_declared() && ZoneState::Lifted.was_declared());
        assert!(!ZoneState::Proposed.was_declared());
    }

    #[test]
    fn activation_starts_now_or_at_the_announced_start() {
        let none = ZoneTimes {
            start_at: None,
            end_at: None,
        };
        assert_eq!(
            times_after(ZoneCommand::Activate, none, t(4)).start_at,
            Some(t(4))
        );
        let announced = ZoneTimes {
            start_at: Some(t(12)),
            end_at: None,
        };
        assert_eq!(
            times_after(ZoneCommand::Activate, announced, t(4)),
            announced
        );
    }

    #[test]
    fn lifting_ends_now_and_never_before_the_start() {
        let started = ZoneTimes {
            start_at: Some(t(1)),
            end_at: None,
        };
        assert_eq!(
            times_after(ZoneCommand::Lift, started, t(9)),
            ZoneTimes {
                start_at: Some(t(1)),
                end_at: Some(t(9))
            }
        );
        let announced = ZoneTimes {
            start_at: Some(t(12)),
            end_at: None,
        };
        assert_eq!(
            times_after(ZoneCommand::Lift, announced, t(9)).end_at,
            Some(t(12))
        );
    }

    #[test]
    fn declarations_name_the_wrong_field() {
        let codes = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_declaration(&codes(&["06994", "06997"]), None).is_empty());
        assert!(check_declaration(&codes(&["06994"]), Some("Chợ Cái Rồng")).is_empty());
        let fields = |e: Vec<FieldError>| e.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(
            fields(check_declaration(&codes(&["06994", "06997"]), Some("Chợ"))),
            ["area_name"]
        );
        assert_eq!(fields(check_declaration(&[], None)), ["unit_codes"]);
        assert_eq!(
            fields(check_declaration(
                &codes(&["06994", "06997", "06994"]),
                None
            )),
            ["unit_codes[2]"]
        );
    }

    #[test]
    fn lowest_common_ancestor() {
        assert_eq!(
            common_ancestor(&["/22/203/06994/", "/22/203/06997/"]),
            "/22/203/"
        );
        assert_eq!(common_ancestor(&["/22/203/06994/"]), "/22/203/06994/");
        assert_eq!(common_ancestor(&["/22/203/06994/", "/22/203/"]), "/22/203/");
        assert_eq!(common_ancestor(&["/22/203/", "/22/193/"]), "/22/");
        assert_eq!(common_ancestor(&["/22/", "/24/"]), "/");
        // segments compare whole: 203 and 2030 share only the province
        assert_eq!(common_ancestor(&["/22/203/", "/22/2030/"]), "/22/");
        assert_eq!(common_ancestor::<&str>(&[]), "/");
    }

    #[test]
    fn overlap_of_zone_units_and_a_jurisdiction() {
        let v = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // a district officer sees the zone's communes inside their district
        assert_eq!(
            intersect_subtrees(&v(&["/22/203/06994/", "/22/193/06500/"]), &v(&["/22/203/"])),
            ["/22/203/06994/"]
        );
        // a commune officer sees only their commune of a district-wide zone
        assert_eq!(
            intersect_subtrees(&v(&["/22/203/"]), &v(&["/22/203/06994/"])),
            ["/22/203/06994/"]
        );
        // nested zone units collapse to the outer one
        assert_eq!(
            intersect_subtrees(&v(&["/22/203/", "/22/203/06994/"]), &v(&["/22/"])),
            ["/22/203/"]
        );
        assert!(intersect_subtrees(&v(&["/22/203/"]), &v(&["/24/"])).is_empty());
    }
}
