//! Quarantine (docs/domain.md §5): regimes as data, day counting in local time, the plan of an
//! episode (its days, release date and test days), and the episode state machine with who
//! may ask for each move.

use super::roles::Role;
use super::states::{text_enum, Refused};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// Where a person is quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A concentrated quarantine site (camp).
    Concentrated,
    /// At home, with a warning sign at the door.
    Home,
}
text_enum!(Mode { Concentrated => "concentrated", Home => "home" });

/// Days of each mode for one level (1 to 60); `None`: the regime does not allow that mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Durations {
    #[schema(minimum = 1, maximum = 60)]
    pub concentrated: Option<u32>,
    #[schema(minimum = 1, maximum = 60)]
    pub home: Option<u32>,
    /// Health monitoring at home after release.
    #[schema(minimum = 1, maximum = 60)]
    pub monitoring: Option<u32>,
}

/// Durations per level. A level without durations is not quarantined under the regime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDurations {
    #[serde(default)]
    pub f1: Durations,
    #[serde(default)]
    pub f2: Durations,
    #[serde(default)]
    pub f3: Durations,
}

/// The rules a regime fixes: what the documents of the time said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegimeRules {
    pub durations: LevelDurations,
    #[schema(schema_with = test_days)]
    pub test_days: Vec<u32>,
    #[serde(default)]
    #[schema(schema_with = monitoring_test_days)]
    pub monitoring_test_days: Vec<u32>,
    /// An F2 may be released as soon as the F1 they depend on is released with every test
    /// negative (a local practice of 2021, never national: off in the shipped regimes).
    #[serde(default)]
    pub f2_release_on_f1_negative: bool,
    /// A camp resident may move to home quarantine after a negative test on this day (one
    /// of `test_days`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 60)]
    pub camp_to_home_after_negative_day: Option<u32>,
}

fn test_days() -> utoipa::openapi::schema::Array {
    days("Quarantine days on which a test is due (day 1 is the first day): 1 to 60, increasing.")
}

fn monitoring_test_days() -> utoipa::openapi::schema::Array {
    days("Days of the post-release monitoring on which a test is due: 1 to 60, increasing.")
}

/// Days 1 to 60 without repeats (that they increase, a schema cannot say).
fn days(description: &str) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, Type};
    let day = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int32,
        )))
        .minimum(Some(1))
        .maximum(Some(60));
    ArrayBuilder::new()
        .items(day)
        .unique_items(true)
        .description(Some(description))
        .build()
}

/// One regime: a version of the rules, from a document, effective from a date, national or
/// for one province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regime {
    pub id: String,
    pub effective_from: NaiveDate,
    /// The province whose override this is; `None` for national rules.
    pub province_code: Option<String>,
    pub version: i32,
    pub rules: RegimeRules,
}

impl RegimeRules {
    pub fn durations(&self, level: i32) -> Option<&Durations> {
        match level {
            1 => Some(&self.durations.f1),
            2 => Some(&self.durations.f2),
            3 => Some(&self.durations.f3),
            _ => None,
        }
    }

    /// The days of quarantine for a level in a mode, when the regime allows it.
    pub fn days(&self, level: i32, mode: Mode) -> Option<u32> {
        let d = self.durations(level)?;
        match mode {
            Mode::Concentrated => d.concentrated,
            Mode::Home => d.home,
        }
        .filter(|n| *n > 0)
    }

    pub fn monitoring_days(&self, level: i32) -> u32 {
        self.durations(level)
            .and_then(|d| d.monitoring)
            .unwrap_or(0)
    }

    /// What is wrong with the rules, as (field, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        let all = [
            ("f1", &self.durations.f1),
            ("f2", &self.durations.f2),
            ("f3", &self.durations.f3),
        ];
        for (name, d) in all {
            for (mode, v) in [
                ("concentrated", d.concentrated),
                ("home", d.home),
                ("monitoring", d.monitoring),
            ] {
                if v.is_some_and(|n| n == 0 || n > 60) {
                    return Err((
                        format!("rules.durations.{name}.{mode}"),
                        "must be 1 to 60 days, or absent".into(),
                    ));
                }
            }
        }
        if self.durations.f1.concentrated.is_none() && self.durations.f1.home.is_none() {
            return Err((
                "rules.durations.f1".into(),
                "an F1 must be quarantined in at least one mode".into(),
            ));
        }
        for (field, days) in [
            ("rules.test_days", &self.test_days),
            ("rules.monitoring_test_days", &self.monitoring_test_days),
        ] {
            if days.iter().any(|d| *d == 0 || *d > 60) {
                return Err((field.into(), "days are 1 to 60".into()));
            }
            if days.windows(2).any(|w| w[0] >= w[1]) {
                return Err((field.into(), "must be increasing, without repeats".into()));
            }
        }
        if self
            .camp_to_home_after_negative_day
            .is_some_and(|d| d == 0 || !self.test_days.contains(&d))
        {
            return Err((
                "rules.camp_to_home_after_negative_day".into(),
                "must be one of the test days".into(),
            ));
        }
        Ok(())
    }
}

/// The regime a new episode starts under: among those effective on `date` that are national
/// or for `province`, the latest effective date wins; on the same date a province's override
/// wins over the national rules, then the highest version.
pub fn select_regime<'a>(
    regimes: &'a [Regime],
    date: NaiveDate,
    province: Option<&str>,
) -> Option<&'a Regime> {
    regimes
        .iter()
        .filter(|r| r.effective_from <= date)
        .filter(|r| match &r.province_code {
            None => true,
            Some(p) => Some(p.as_str()) == province,
        })
        .max_by_key(|r| (r.effective_from, r.province_code.is_some(), r.version))
}

/// Day `n` of an episode whose day 1 is `day1` (day 1 is the start date itself).
pub fn day_number(day1: NaiveDate, date: NaiveDate) -> i64 {
    (date - day1).num_days() + 1
}

/// The date of day `n`.
pub fn date_of_day(day1: NaiveDate, n: u32) -> NaiveDate {
    day1 + Duration::days(i64::from(n) - 1)
}

/// A scheduled test: the day of the episode and the date it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestDue {
    pub day: u32,
    pub due: NaiveDate,
}

/// When an episode of `days` days starting on `day1` ends and what it tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub days: u32,
    /// The last day in quarantine (day N).
    pub last_day: NaiveDate,
    /// The first date the person may be released (day N+1).
    pub release_from: NaiveDate,
    pub tests: Vec<TestDue>,
}

/// The plan of an N-day quarantine from `day1`, for someone admitted on `admitted`: a test
/// whose day has passed at admission is due on admission; test days after day N do not
/// apply.
pub fn plan(day1: NaiveDate, days: u32, test_days: &[u32], admitted: NaiveDate) -> Plan {
    let tests = test_days
        .iter()
        .filter(|d| **d <= days)
        .map(|d| TestDue {
            day: *d,
            due: date_of_day(day1, *d).max(admitted),
        })
        .collect();
    Plan {
        days,
        last_day: date_of_day(day1, days),
        release_from: date_of_day(day1, days + 1),
        tests,
    }
}

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
    let refuse = |why: Option<String>| Refused {
        state: state.to_string(),
        command: match why {
            None => command.to_string(),
            Some(w) => format!("{command} ({w})"),
        },
        reason: None,
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

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} days, release from {}", self.days, self.release_from)
    }
}

/// The four regimes of docs/domain.md §5, shipped as data.
pub fn shipped_regimes() -> Vec<(NaiveDate, &'static str, RegimeRules)> {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid date");
    let dur = |c: Option<u32>, h: Option<u32>, m: Option<u32>| Durations {
        concentrated: c,
        home: h,
        monitoring: m,
    };
    vec![
        (
            d(2020, 3, 12),
            "878/QĐ-BYT, 879/QĐ-BYT",
            RegimeRules {
                durations: LevelDurations {
                    f1: dur(Some(14), Some(14), Some(14)),
                    f2: dur(None, Some(14), None),
                    f3: Durations::default(),
                },
                test_days: vec![1, 14],
                monitoring_test_days: vec![],
                f2_release_on_f1_negative: false,
                camp_to_home_after_negative_day: None,
            },
        ),
        (
            d(2021, 5, 5),
            "Công điện 600/CĐ-BCĐ",
            RegimeRules {
                durations: LevelDurations {
                    f1: dur(Some(21), None, Some(7)),
                    f2: dur(None, Some(14), None),
                    f3: Durations::default(),
                },
                test_days: vec![1, 14, 20],
                monitoring_test_days: vec![7],
                f2_release_on_f1_negative: false,
                camp_to_home_after_negative_day: None,
            },
        ),
        (
            d(2021, 7, 14),
            "5599/BYT-MT",
            RegimeRules {
                durations: LevelDurations {
                    f1: dur(Some(14), Some(14), Some(14)),
                    f2: dur(None, Some(14), None),
                    f3: Durations::default(),
                },
                test_days: vec![1, 7, 14],
                monitoring_test_days: vec![],
                f2_release_on_f1_negative: false,
                camp_to_home_after_negative_day: Some(7),
            },
        ),
        (
            d(2021, 12, 16),
            "10696/BYT-MT",
            RegimeRules {
                durations: LevelDurations {
                    f1: dur(None, Some(7), Some(7)),
                    f2: Durations::default(),
                    f3: Durations::default(),
                },
                test_days: vec![1, 7],
                monitoring_test_days: vec![],
                f2_release_on_f1_negative: false,
                camp_to_home_after_negative_day: None,
            },
        ),
    ]
}

/// A camp checks in only the people it expects: an episode ordered to it.
pub fn may_check_in(state: EpisodeState) -> Result<(), Refused> {
    match state {
        EpisodeState::Ordered => Ok(()),
        _ => Err(Refused::new(state, "check in")),
    }
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
pub fn result_refused(recorded: Option<super::samples::TestResult>) -> Refused {
    Refused::new(
        recorded.map_or("superseded", |r| r.as_str()),
        "record result",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::vn_date;
    use chrono::NaiveDateTime;
    use EpisodeCommand as C;
    use EpisodeState as S;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn regime(id: &str, from: &str, province: Option<&str>, version: i32) -> Regime {
        Regime {
            id: id.into(),
            effective_from: d(from),
            province_code: province.map(str::to_string),
            version,
            rules: shipped_regimes()[0].2.clone(),
        }
    }

    #[test]
    fn shipped_regimes_are_valid_and_match_the_table() {
        let r = shipped_regimes();
        assert_eq!(r.len(), 4);
        for (_, _, rules) in &r {
            rules.check().unwrap();
        }
        assert_eq!(r[1].2.days(1, Mode::Concentrated), Some(21));
        assert_eq!(r[1].2.days(1, Mode::Home), None);
        assert_eq!(r[3].2.days(1, Mode::Concentrated), None);
        assert_eq!(r[3].2.days(1, Mode::Home), Some(7));
        assert_eq!(r[2].2.test_days, [1, 7, 14]);
    }

    #[test]
    fn rules_are_checked() {
        let mut rules = shipped_regimes()[0].2.clone();
        rules.test_days = vec![14, 1];
        assert_eq!(rules.check().unwrap_err().0, "rules.test_days");
        let mut rules = shipped_regimes()[0].2.clone();
        rules.durations.f1.home = Some(0);
        assert_eq!(rules.check().unwrap_err().0, "rules.durations.f1.home");
        let mut rules = shipped_regimes()[0].2.clone();
        rules.camp_to_home_after_negative_day = Some(9);
        assert_eq!(
            rules.check().unwrap_err().0,
            "rules.camp_to_home_after_negative_day"
        );
    }

    #[test]
    fn the_latest_effective_regime_applies_and_a_province_overrides_on_its_date() {
        let all = vec![
            regime("a", "2020-03-12", None, 1),
            regime("b", "2021-05-05", None, 1),
            regime("b2", "2021-05-05", None, 2),
            regime("qn", "2021-05-05", Some("22"), 1),
            regime("c", "2021-07-14", None, 1),
        ];
        let pick =
            |date: &str, p: Option<&str>| select_regime(&all, d(date), p).map(|r| r.id.as_str());
        assert_eq!(pick("2020-01-01", None), None);
        assert_eq!(pick("2020-03-12", None), Some("a"));
        assert_eq!(pick("2021-05-04", Some("22")), Some("a"));
        assert_eq!(pick("2021-05-05", None), Some("b2"));
        assert_eq!(pick("2021-06-01", Some("22")), Some("qn"));
        assert_eq!(pick("2021-06-01", Some("24")), Some("b2"));
        // a newer national regime applies to the province too
        assert_eq!(pick("2021-07-14", Some("22")), Some("c"));
    }

    #[test]
    fn day_one_is_the_last_contact_and_days_already_passed_count() {
        // last contact on 28 January, isolated on 30 January: 14 days run 28 Jan .. 10 Feb
        let p = plan(d("2021-01-28"), 14, &[1, 14], d("2021-01-30"));
        assert_eq!(p.last_day, d("2021-02-10"));
        assert_eq!(p.release_from, d("2021-02-11"));
        // the day-1 test has passed at admission: due on admission
        assert_eq!(
            p.tests[0],
            TestDue {
                day: 1,
                due: d("2021-01-30")
            }
        );
        assert_eq!(
            p.tests[1],
            TestDue {
                day: 14,
                due: d("2021-02-10")
            }
        );
        assert_eq!(day_number(d("2021-01-28"), d("2021-01-28")), 1);
        assert_eq!(day_number(d("2021-01-28"), d("2021-02-11")), 15);
    }

    #[test]
    fn test_days_after_the_last_day_do_not_apply() {
        let p = plan(d("2021-12-20"), 7, &[1, 7, 14], d("2021-12-20"));
        assert_eq!(p.tests.iter().map(|t| t.day).collect::<Vec<_>>(), [1, 7]);
    }

    #[test]
    fn days_turn_at_midnight_in_vietnam_not_utc() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        // a contact at 23:30 local on 27 January is 16:30 UTC the same day
        let day1 = vn_date(t("2021-01-27 16:30:00"));
        assert_eq!(day1, d("2021-01-27"));
        // a contact at 00:30 local on 28 January is still 27 January in UTC
        let day1 = vn_date(t("2021-01-27 17:30:00"));
        assert_eq!(day1, d("2021-01-28"));
        let p = plan(day1, 14, &[1, 14], day1);
        assert_eq!(p.release_from, d("2021-02-11"));
        // 16:59 UTC on 10 February is 23:59 local: still day 14, not releasable
        assert_eq!(day_number(day1, vn_date(t("2021-02-10 16:59:00"))), 14);
        assert_eq!(day_number(day1, vn_date(t("2021-02-10 17:00:00"))), 15);
    }

    #[test]
    fn a_regime_change_applies_to_new_episodes_only() {
        let all: Vec<Regime> = shipped_regimes()
            .into_iter()
            .enumerate()
            .map(|(i, (from, _, rules))| Regime {
                id: i.to_string(),
                effective_from: from,
                province_code: None,
                version: 1,
                rules,
            })
            .collect();
        // an episode that started on 4 May 2021 keeps the 14-day regime
        let before = select_regime(&all, d("2021-05-04"), None).unwrap();
        assert_eq!(before.rules.days(1, Mode::Concentrated), Some(14));
        // one that starts on 5 May gets 21 days
        let after = select_regime(&all, d("2021-05-05"), None).unwrap();
        assert_eq!(after.rules.days(1, Mode::Concentrated), Some(21));
        // moved explicitly: the same day 1, the new length
        let p = plan(d("2021-05-01"), 21, &after.rules.test_days, d("2021-05-01"));
        assert_eq!(p.release_from, d("2021-05-22"));
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
        assert!(
            e.command.contains("release from 2021-02-11"),
            "{}",
            e.command
        );
        let pending = EpisodeFacts {
            tests_not_negative: vec!["day 14 test pending".into()],
            ..facts()
        };
        let e = episode_transition(S::Active, C::Release, None, &pending).unwrap_err();
        assert!(e.command.contains("day 14 test pending"));
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
}
