//! When a fact from the field happened, beside when it was recorded (docs/domain.md §11).
//!
//! Phones work offline and sync hours later, laboratories upload in batches, a province
//! imports its lists days after: the client says when a fact happened, within rules. The
//! server's clock only says when it was recorded.

use chrono::{Duration, NaiveDateTime};

/// The bounds on the time a fact may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactTimes {
    /// How far in the future (by the server's clock) a fact may be: phones' clocks drift.
    pub skew_minutes: i64,
    /// Facts older than this many days are taken only with a reason, which is kept.
    pub backdate_days: i64,
}

impl Default for FactTimes {
    fn default() -> FactTimes {
        FactTimes {
            skew_minutes: 5,
            backdate_days: 30,
        }
    }
}

/// A fact's two times, and the reason it was recorded late (when it had to give one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Happened {
    /// When it happened.
    pub at: NaiveDateTime,
    /// When the server recorded it.
    pub recorded_at: NaiveDateTime,
    /// Why a fact older than the backdating limit is recorded now.
    pub backdate_reason: Option<String>,
}

impl Happened {
    /// A fact recorded as it happens.
    pub fn now(at: NaiveDateTime) -> Happened {
        Happened {
            at,
            recorded_at: at,
            backdate_reason: None,
        }
    }

    /// The same record, for a fact that follows from this one at another time (the tests
    /// a check-in schedules, say): recorded now, happened `at`.
    pub fn at(&self, at: NaiveDateTime) -> Happened {
        Happened { at, ..self.clone() }
    }
}

/// What a claimed time must not precede: the fact before it, named for the answer.
#[derive(Debug, Clone, Copy)]
pub struct After<'a> {
    pub at: NaiveDateTime,
    /// What happened then, as the answer says it: "the check-in", "the collection".
    pub what: &'a str,
}

/// Why a claimed time is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeRefused {
    /// Later than the server's clock allows.
    Future { skew_minutes: i64 },
    /// Before the fact it follows.
    BeforeItsPredecessor { what: String },
    /// Older than the backdating limit and no reason given.
    NeedsReason { backdate_days: i64 },
    /// A reason of fewer than 3 characters.
    ShortReason,
}

impl TimeRefused {
    /// The field the answer names.
    pub fn field(&self) -> &'static str {
        match self {
            TimeRefused::ShortReason => "backdate_reason",
            _ => "at",
        }
    }

    pub fn message(&self) -> String {
        match self {
            TimeRefused::Future { skew_minutes } => {
                format!("must not be more than {skew_minutes} minutes in the future")
            }
            TimeRefused::BeforeItsPredecessor { what } => format!("must not be before {what}"),
            TimeRefused::NeedsReason { backdate_days } => format!(
                "is more than {backdate_days} days ago: give a backdate_reason (at least 3 characters)"
            ),
            TimeRefused::ShortReason => "must be at least 3 characters".to_string(),
        }
    }
}

impl FactTimes {
    /// The two times of a fact claimed to have happened at `claimed` (default: now),
    /// recorded `now`, after `after` (if any), with `reason` for a late record.
    pub fn check(
        &self,
        now: NaiveDateTime,
        claimed: Option<NaiveDateTime>,
        reason: Option<&str>,
        after: Option<After<'_>>,
    ) -> Result<Happened, TimeRefused> {
        let at = claimed.unwrap_or(now);
        if at > now + Duration::minutes(self.skew_minutes) {
            return Err(TimeRefused::Future {
                skew_minutes: self.skew_minutes,
            });
        }
        if let Some(a) = after {
            if at < a.at {
                return Err(TimeRefused::BeforeItsPredecessor {
                    what: a.what.to_string(),
                });
            }
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() < 3) {
            return Err(TimeRefused::ShortReason);
        }
        if at < now - Duration::days(self.backdate_days) && reason.is_none() {
            return Err(TimeRefused::NeedsReason {
                backdate_days: self.backdate_days,
            });
        }
        Ok(Happened {
            at,
            recorded_at: now,
            backdate_reason: reason.map(str::to_string),
        })
    }

    /// The latest of several predecessors (the one a claimed time must not precede).
    pub fn latest<'a>(facts: impl IntoIterator<Item = Option<After<'a>>>) -> Option<After<'a>> {
        facts.into_iter().flatten().max_by_key(|a| a.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    const NOW: &str = "2026-12-02 10:00";

    #[test]
    fn a_fact_without_a_time_happened_now() {
        let h = FactTimes::default()
            .check(t(NOW), None, None, None)
            .unwrap();
        assert_eq!(h, Happened::now(t(NOW)));
    }

    #[test]
    fn a_fact_may_be_a_little_ahead_of_the_server_but_not_more() {
        let r = FactTimes::default();
        assert!(r
            .check(t(NOW), Some(t("2026-12-02 10:05")), None, None)
            .is_ok());
        assert_eq!(
            r.check(t(NOW), Some(t("2026-12-02 10:06")), None, None),
            Err(TimeRefused::Future { skew_minutes: 5 })
        );
        let wide = FactTimes {
            skew_minutes: 10,
            ..r
        };
        assert!(wide
            .check(t(NOW), Some(t("2026-12-02 10:06")), None, None)
            .is_ok());
    }

    #[test]
    fn a_fact_does_not_precede_the_one_it_follows() {
        let r = FactTimes::default();
        let check_in = After {
            at: t("2026-12-01 20:00"),
            what: "the check-in",
        };
        let refused = r.check(t(NOW), Some(t("2026-12-01 19:59")), None, Some(check_in));
        assert_eq!(
            refused.unwrap_err().message(),
            "must not be before the check-in"
        );
        assert!(r
            .check(t(NOW), Some(t("2026-12-01 20:00")), None, Some(check_in))
            .is_ok());
    }

    #[test]
    fn an_old_fact_needs_a_reason_which_is_kept() {
        let r = FactTimes::default();
        let old = Some(t("2026-11-01 09:59"));
        let refused = r.check(t(NOW), old, None, None).unwrap_err();
        assert_eq!(refused, TimeRefused::NeedsReason { backdate_days: 30 });
        assert_eq!(refused.field(), "at");
        assert_eq!(
            r.check(t(NOW), old, Some(" x "), None).unwrap_err().field(),
            "backdate_reason"
        );
        let h = r
            .check(t(NOW), old, Some(" paper lists typed in "), None)
            .unwrap();
        assert_eq!(h.at, t("2026-11-01 09:59"));
        assert_eq!(h.recorded_at, t(NOW));
        assert_eq!(h.backdate_reason.as_deref(), Some("paper lists typed in"));
        // within the limit no reason is asked
        assert!(r
            .check(t(NOW), Some(t("2026-11-02 10:00")), None, None)
            .is_ok());
    }

    #[test]
    fn the_latest_predecessor_counts() {
        let a = After {
            at: t("2026-12-01 08:00"),
            what: "the order",
        };
        let b = After {
            at: t("2026-12-01 09:00"),
            what: "the check-in",
        };
        assert_eq!(
            FactTimes::latest([Some(a), None, Some(b)]).unwrap().what,
            "the check-in"
        );
        assert!(FactTimes::latest([None, None]).is_none());
    }
}
