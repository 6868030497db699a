//! Time in Vietnam: UTC+7 all year, no daylight saving. Instants are stored in UTC; dates
//! (quarantine days, birth dates, deadlines) are local.

use chrono::{Duration, NaiveDate, NaiveDateTime};

pub const VN_OFFSET_HOURS: i64 = 7;

/// The earliest instant a fact of this system may carry: facts dated before 2020 are
/// typing mistakes (a phone's date picker left at year 0, a swapped field).
pub fn earliest_fact() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2020, 1, 1)
        .expect("a date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
}

/// The local date in Vietnam at a UTC instant.
pub fn vn_date(utc: NaiveDateTime) -> NaiveDate {
    (utc + Duration::hours(VN_OFFSET_HOURS)).date()
}

/// The first instant of a local date in Vietnam, in UTC.
pub fn vn_midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight exists") - Duration::hours(VN_OFFSET_HOURS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_date_turns_at_17_utc() {
        let d = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            vn_date(d("2021-01-28 16:59:59")),
            NaiveDate::from_ymd_opt(2021, 1, 28).unwrap()
        );
        assert_eq!(
            vn_date(d("2021-01-28 17:00:00")),
            NaiveDate::from_ymd_opt(2021, 1, 29).unwrap()
        );
        let day = NaiveDate::from_ymd_opt(2021, 1, 29).unwrap();
        assert_eq!(vn_midnight(day), d("2021-01-28 17:00:00"));
        assert_eq!(vn_date(vn_midnight(day)), day);
    }
}
