//! Regimes as data: how long each level stays in quarantine, in which mode, and when it
//! is tested; the regimes shipped with the system and which one an episode is under: the one
//! in force on its day 1 (docs/domain.md §5).

use crate::domain::states::text_enum;
use chrono::NaiveDate;
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
    /// The document the rules come from ("10696/BYT-MT").
    pub document: String,
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

/// The regime an episode is under: the one in force on its day 1 (the last contact with the
/// F0, or the arrival), not on the day it is ordered. Among the regimes effective on `day1`
/// that are national or for `province`, the latest effective date wins; on the same date a
/// province's override wins over the national rules, then the highest version.
pub fn select_regime<'a>(
    regimes: &'a [Regime],
    day1: NaiveDate,
    province: Option<&str>,
) -> Option<&'a Regime> {
    regimes
        .iter()
        .filter(|r| r.effective_from <= day1)
        .filter(|r| match &r.province_code {
            None => true,
            Some(p) => Some(p.as_str()) == province,
        })
        .max_by_key(|r| (r.effective_from, r.province_code.is_some(), r.version))
}

/// A mode the regime does not quarantine a level in: which regime it is and what it allows
/// that level instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeRefused {
    pub regime_id: String,
    pub document: String,
    pub effective_from: NaiveDate,
    /// The day 1 the regime was chosen by; `None` when it was named in the command.
    pub day1: Option<NaiveDate>,
    pub level: i32,
    pub asked: Mode,
    /// The modes the regime allows the level, with their days; empty: it quarantines no one
    /// of that level.
    pub allowed: Vec<(Mode, u32)>,
}

impl ModeRefused {
    /// The regime was chosen as the one in force on `day1`.
    pub fn on_day1(self, day1: NaiveDate) -> Self {
        ModeRefused {
            day1: Some(day1),
            ..self
        }
    }
}

fn mode_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Concentrated => "concentrated (camp)",
        Mode::Home => "home",
    }
}

impl fmt::Display for ModeRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let regime = format!(
            "{} ({}, in force from {})",
            self.document, self.regime_id, self.effective_from
        );
        match self.day1 {
            Some(day1) => write!(f, "day 1 ({day1}) falls under {regime}, which has")?,
            None => write!(f, "{regime} has")?,
        }
        let level = self.level;
        write!(
            f,
            " no {} quarantine for F{level}: ",
            mode_words(self.asked)
        )?;
        if self.allowed.is_empty() {
            return write!(f, "it quarantines no F{level}");
        }
        let allowed: Vec<String> = self
            .allowed
            .iter()
            .map(|(mode, days)| format!("{} quarantine ({days} days)", mode_words(*mode)))
            .collect();
        write!(f, "it allows {}", allowed.join(" or "))
    }
}

/// The days of quarantine of `level` in `mode` under `regime`, or why not.
pub fn days_under(regime: &Regime, level: i32, mode: Mode) -> Result<u32, ModeRefused> {
    regime.rules.days(level, mode).ok_or_else(|| ModeRefused {
        regime_id: regime.id.clone(),
        document: regime.document.clone(),
        effective_from: regime.effective_from,
        day1: None,
        level,
        asked: mode,
        allowed: [Mode::Concentrated, Mode::Home]
            .into_iter()
            .filter_map(|m| regime.rules.days(level, m).map(|d| (m, d)))
            .collect(),
    })
}

/// The regime an episode whose day 1 moves from `old_day1` to `new_day1` (a restart) goes
/// on under, with its days; `None`: it stays under `current`, with the days it has.
///
/// An episode under the regime its day 1 gave follows its day 1: it takes the regime in
/// force on the new day 1, when that regime quarantines its level in its mode (a restart
/// never moves anyone between a camp and home). One ordered under, or moved to, another
/// regime by name keeps that regime.
pub fn restart_regime<'a>(
    regimes: &'a [Regime],
    current: &Regime,
    (old_day1, new_day1): (NaiveDate, NaiveDate),
    province: Option<&str>,
    (level, mode): (i32, Mode),
) -> Option<(&'a Regime, u32)> {
    let by_rule = select_regime(regimes, old_day1, province).map(|r| r.id.as_str());
    if by_rule != Some(current.id.as_str()) {
        return None;
    }
    let next = select_regime(regimes, new_day1, province)?;
    if next.id == current.id {
        return None;
    }
    let days = days_under(next, level, mode).ok()?;
    Some((next, days))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quarantine::plan;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn regime(id: &str, from: &str, province: Option<&str>, version: i32) -> Regime {
        Regime {
            id: id.into(),
            document: format!("document {id}"),
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

    /// The shipped regimes as loaded at start (`vn-<date>.v1`).
    fn shipped() -> Vec<Regime> {
        shipped_regimes()
            .into_iter()
            .map(|(from, document, rules)| Regime {
                id: format!("vn-{from}.v1"),
                document: document.into(),
                effective_from: from,
                province_code: None,
                version: 1,
                rules,
            })
            .collect()
    }

    #[test]
    fn an_episode_takes_the_regime_in_force_on_its_day_1_not_on_its_order() {
        let all = shipped();
        let ordered = d("2021-05-06");
        // last contact on 4 May, ordered on 6 May: the 14-day regime of 2020
        let before = select_regime(&all, d("2021-05-04"), None).unwrap();
        assert_eq!(before.id, "vn-2020-03-12.v1");
        let days = days_under(before, 1, Mode::Concentrated).unwrap();
        let p = plan(d("2021-05-04"), days, &before.rules.test_days, ordered);
        assert_eq!((p.days, p.release_from), (14, d("2021-05-18")));
        assert_eq!(p.tests.iter().map(|t| t.day).collect::<Vec<_>>(), [1, 14]);
        // last contact on 5 May: Công điện 600, 21 days tested on days 1, 14 and 20
        let after = select_regime(&all, d("2021-05-05"), None).unwrap();
        assert_eq!(after.id, "vn-2021-05-05.v1");
        let days = days_under(after, 1, Mode::Concentrated).unwrap();
        let p = plan(d("2021-05-05"), days, &after.rules.test_days, ordered);
        assert_eq!((p.days, p.release_from), (21, d("2021-05-26")));
        assert_eq!(
            p.tests.iter().map(|t| t.day).collect::<Vec<_>>(),
            [1, 14, 20]
        );
        // moved explicitly: the same day 1, the new length
        let p = plan(d("2021-05-01"), 21, &after.rules.test_days, d("2021-05-01"));
        assert_eq!(p.release_from, d("2021-05-22"));
    }

    #[test]
    fn a_mode_the_regime_lacks_is_refused_naming_the_regime_and_what_it_allows() {
        let all = shipped();
        let day1 = d("2022-01-10");
        let r = select_regime(&all, day1, None).unwrap();
        let refused = days_under(r, 1, Mode::Concentrated).unwrap_err();
        assert_eq!(refused.regime_id, "vn-2021-12-16.v1");
        assert_eq!(refused.allowed, [(Mode::Home, 7)]);
        assert_eq!(
            refused.clone().on_day1(day1).to_string(),
            "day 1 (2022-01-10) falls under 10696/BYT-MT (vn-2021-12-16.v1, in force from \
             2021-12-16), which has no concentrated (camp) quarantine for F1: it allows home \
             quarantine (7 days)"
        );
        // named in the command rather than chosen by day 1
        assert_eq!(
            refused.to_string(),
            "10696/BYT-MT (vn-2021-12-16.v1, in force from 2021-12-16) has no concentrated \
             (camp) quarantine for F1: it allows home quarantine (7 days)"
        );
        // a level the regime does not quarantine at all
        let refused = days_under(r, 2, Mode::Home).unwrap_err();
        assert!(refused.allowed.is_empty());
        assert!(refused
            .to_string()
            .ends_with("has no home quarantine for F2: it quarantines no F2"));
        // Công điện 600: camp only for F1
        let r = select_regime(&all, d("2021-06-01"), None).unwrap();
        assert!(days_under(r, 1, Mode::Home)
            .unwrap_err()
            .to_string()
            .ends_with("it allows concentrated (camp) quarantine (21 days)"));
        assert_eq!(days_under(r, 1, Mode::Concentrated), Ok(21));
    }

    #[test]
    fn a_restart_follows_its_new_day_1_unless_the_regime_was_named() {
        let all = shipped();
        let camp = (1, Mode::Concentrated);
        let under = |id: &str| all.iter().find(|r| r.id == id).unwrap();
        let may = (d("2021-05-04"), d("2021-05-08"));
        // under the regime of its day 1 (4 May): the new day 1 (8 May) gives Công điện 600
        let (next, days) =
            restart_regime(&all, under("vn-2020-03-12.v1"), may, None, camp).unwrap();
        assert_eq!((next.id.as_str(), days), ("vn-2021-05-05.v1", 21));
        // the same regime on both days: nothing changes
        let june = (d("2021-06-01"), d("2021-06-10"));
        assert_eq!(
            restart_regime(&all, under("vn-2021-05-05.v1"), june, None, camp),
            None
        );
        // a regime named in the order (or moved to) is kept
        assert_eq!(
            restart_regime(&all, under("vn-2021-07-14.v1"), may, None, camp),
            None
        );
        // a regime without the episode's mode on the new day 1: the episode keeps its own
        let dec = (d("2021-12-10"), d("2021-12-20"));
        assert_eq!(
            restart_regime(&all, under("vn-2021-07-14.v1"), dec, None, camp),
            None
        );
        let (next, days) =
            restart_regime(&all, under("vn-2021-07-14.v1"), dec, None, (1, Mode::Home)).unwrap();
        assert_eq!((next.id.as_str(), days), ("vn-2021-12-16.v1", 7));
    }
}
