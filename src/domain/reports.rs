//! Reports (docs/domain.md §4 "the 5S" and §8): the steps whose delays are measured, their
//! deadlines, the reporting week in Vietnam's time, the line lists and how a figure is
//! picked from a sorted set. Pure: the figures themselves are SQL aggregations in the store.

use super::roles::Action;
use super::rules::Rules;
use super::time::vn_midnight;
use super::FieldError;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};

/// A step of the response to a new F0, measured for each of its F1s from the confirmation:
/// confirmation → F1 listed → F1 located → F1 isolated → F1 sampled → result.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[schema(as = FiveSStep)]
#[serde(rename_all = "snake_case")]
pub enum FiveSStep {
    /// Classified F1 through this F0.
    Listed,
    /// Found: a trace task done, a quarantine order, an admission or a sample.
    Located,
    /// Admitted to a camp or started home quarantine.
    Isolated,
    /// First sample collected after the confirmation.
    Sampled,
    /// First result of a sample collected after the confirmation.
    Resulted,
}

super::states::text_conversions!(FiveSStep);

impl FiveSStep {
    pub const ALL: [FiveSStep; 5] = [
        FiveSStep::Listed,
        FiveSStep::Located,
        FiveSStep::Isolated,
        FiveSStep::Sampled,
        FiveSStep::Resulted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FiveSStep::Listed => "listed",
            FiveSStep::Located => "located",
            FiveSStep::Isolated => "isolated",
            FiveSStep::Sampled => "sampled",
            FiveSStep::Resulted => "resulted",
        }
    }

    pub fn parse(s: &str) -> Option<FiveSStep> {
        FiveSStep::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl FiveSStep {
    /// Hours after the confirmation by which the step is due: F1s are listed and located
    /// within the tracing deadline, isolated within the isolating one, sampled within the
    /// sampling one, and have a result within the turnaround after that.
    pub fn deadline_hours(self, rules: &Rules) -> i64 {
        let steps = &rules.steps;
        match self {
            FiveSStep::Listed | FiveSStep::Located => steps.tracing_hours,
            FiveSStep::Isolated => steps.isolating_hours,
            FiveSStep::Sampled => steps.sampling_hours,
            FiveSStep::Resulted => steps.sampling_hours + rules.result_hours,
        }
    }
}

/// The 1-based rank of the `pct`-th percentile in a sorted set of `n` (nearest rank:
/// the smallest value with at least `pct`% of the set at or below it). The SQL in the store
/// computes the same rank as `(n * pct + 99) / 100`.
pub fn nearest_rank(n: i64, pct: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    ((n * pct + 99) / 100).max(1)
}

/// The `pct`-th percentile of sorted values, by nearest rank.
pub fn percentile(sorted: &[f64], pct: i64) -> Option<f64> {
    let r = nearest_rank(sorted.len() as i64, pct);
    (r > 0).then(|| sorted[(r - 1) as usize])
}

/// A reporting week: Monday 00:00 to the next Monday 00:00 in Vietnam (UTC+7), as UTC
/// instants, with its ISO name ("2021-W05").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    pub year: i32,
    pub week: u32,
    /// The Monday, a local date.
    pub monday: NaiveDate,
}

impl Week {
    pub fn containing(local: NaiveDate) -> Week {
        let iso = local.iso_week();
        let monday = NaiveDate::from_isoywd_opt(iso.year(), iso.week(), Weekday::Mon)
            .expect("an ISO week has a Monday");
        Week {
            year: iso.year(),
            week: iso.week(),
            monday,
        }
    }

    /// "2021-W05" (or "2021-w5").
    pub fn parse(s: &str) -> Result<Week, FieldError> {
        let bad = || FieldError::new("week", "must be an ISO week such as 2021-W05");
        let (y, w) = s.trim().split_once(['W', 'w']).ok_or_else(bad)?;
        let year: i32 = y
            .strip_suffix('-')
            .unwrap_or(y)
            .parse()
            .map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(FieldError::new(
                "week",
                "year must be between 2000 and 2100",
            ));
        }
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| FieldError::new("week", format!("{year} has no week {week}")))?;
        Ok(Week { year, week, monday })
    }

    pub fn name(&self) -> String {
        format!("{}-W{:02}", self.year, self.week)
    }

    /// The first instant of the week, in UTC.
    pub fn start_utc(&self) -> NaiveDateTime {
        vn_midnight(self.monday)
    }

    /// The first instant after the week, in UTC.
    pub fn end_utc(&self) -> NaiveDateTime {
        self.start_utc() + Duration::days(7)
    }
}

/// The line lists (§8), in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineList {
    /// F1s (active) never admitted to quarantine.
    F1NotIsolated,
    /// F1s and F2s (active) without a sample collected since they were classified.
    NotSampled,
    /// Samples collected and without a result past the turnaround deadline.
    SamplesOverdue,
    /// Home quarantines with a missed daily report not yet followed up.
    MissedReports,
    /// Active episodes whose planned end is today or earlier.
    DueForRelease,
    /// People whose level could drop, awaiting a health officer's decision.
    DowngradeReviews,
}

impl LineList {
    pub const ALL: [LineList; 6] = [
        LineList::F1NotIsolated,
        LineList::NotSampled,
        LineList::SamplesOverdue,
        LineList::MissedReports,
        LineList::DueForRelease,
        LineList::DowngradeReviews,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LineList::F1NotIsolated => "f1_not_isolated",
            LineList::NotSampled => "not_sampled",
            LineList::SamplesOverdue => "samples_overdue",
            LineList::MissedReports => "missed_reports",
            LineList::DueForRelease => "due_for_release",
            LineList::DowngradeReviews => "downgrade_reviews",
        }
    }

    pub fn parse(s: &str) -> Option<LineList> {
        LineList::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// What reading the list needs besides `ReportRead`: the action that reads its records.
    pub fn action(self) -> Action {
        match self {
            LineList::F1NotIsolated | LineList::MissedReports | LineList::DueForRelease => {
                Action::QuarantineRead
            }
            LineList::NotSampled | LineList::SamplesOverdue => Action::SampleRead,
            LineList::DowngradeReviews => Action::LevelReview,
        }
    }
}

/// The columns of every line list's CSV, in order.
pub const LINE_COLUMNS: [&str; 11] = [
    "person_id",
    "full_name",
    "birth_year",
    "phones",
    "residence_unit_code",
    "level",
    "reference_type",
    "reference_id",
    "since",
    "due",
    "detail",
];

/// A spreadsheet reading a CSV runs a cell that starts with `=`, `+`, `-`, `@` (or a tab or
/// carriage return) as a formula; such a cell is written with a leading apostrophe so that a
/// name typed on a phone can never become one.
pub fn csv_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_week_runs_monday_to_monday_in_vietnam() {
        let w = Week::parse("2021-W05").unwrap();
        assert_eq!(w.monday, NaiveDate::from_ymd_opt(2021, 2, 1).unwrap());
        // Monday 00:00 in Vietnam is Sunday 17:00 UTC
        assert_eq!(w.start_utc().to_string(), "2021-01-31 17:00:00");
        assert_eq!(w.end_utc().to_string(), "2021-02-07 17:00:00");
        assert_eq!(w.name(), "2021-W05");
        assert_eq!(Week::parse("2021w5").unwrap(), w);
        assert_eq!(
            Week::containing(NaiveDate::from_ymd_opt(2021, 2, 7).unwrap()),
            w
        );
        // 1 January 2021 was a Friday: ISO week 53 of 2020
        assert_eq!(
            Week::containing(NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()).name(),
            "2020-W53"
        );
    }

    #[test]
    fn a_bad_week_names_the_field() {
        for s in [
            "", "2021", "2021-05", "2021-W54", "2021-W0", "1999-W01", "x-Wy",
        ] {
            let e = Week::parse(s).unwrap_err();
            assert_eq!(e.field, "week", "{s}");
        }
    }

    #[test]
    fn deadlines_follow_the_steps() {
        let d = Rules::default();
        assert_eq!(FiveSStep::Listed.deadline_hours(&d), 2);
        assert_eq!(FiveSStep::Located.deadline_hours(&d), 2);
        assert_eq!(FiveSStep::Isolated.deadline_hours(&d), 24);
        assert_eq!(FiveSStep::Resulted.deadline_hours(&d), 36);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[3.0], 90), Some(3.0));
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 50), Some(5.0));
        assert_eq!(percentile(&v, 90), Some(9.0));
        assert_eq!(percentile(&v, 100), Some(10.0));
        assert_eq!(percentile(&v[..3], 50), Some(2.0));
    }

    #[test]
    fn formulas_never_reach_a_spreadsheet() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("Nguyễn Văn A"), "Nguyễn Văn A");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn names_round_trip() {
        for l in LineList::ALL {
            assert_eq!(LineList::parse(l.as_str()), Some(l));
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str());
        }
        for s in FiveSStep::ALL {
            assert_eq!(FiveSStep::parse(s.as_str()), Some(s));
        }
    }

    proptest! {
        /// The percentile is a member of the set with at least pct% of it at or below, and
        /// the value before it (if any) has fewer.
        #[test]
        fn nearest_rank_is_the_smallest_covering_value(
            mut v in proptest::collection::vec(0u32..1000, 1..60),
            pct in 1i64..=100,
        ) {
            v.sort();
            let f: Vec<f64> = v.iter().map(|x| *x as f64).collect();
            let p = percentile(&f, pct).unwrap();
            let at_or_below = f.iter().filter(|x| **x <= p).count() as i64;
            prop_assert!(at_or_below * 100 >= pct * f.len() as i64);
            let below = f.iter().filter(|x| **x < p).count() as i64;
            prop_assert!(below * 100 < pct * f.len() as i64);
        }
    }
}
