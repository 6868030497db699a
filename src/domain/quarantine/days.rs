//! Day counting in local time and the plan of an episode: its days, release date and
//! test days.

use chrono::{Duration, NaiveDate};
use std::fmt;

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

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} days, release from {}", self.days, self.release_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::vn_date;
    use chrono::NaiveDateTime;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
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
}
