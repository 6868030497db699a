//! The numbers the directives set, which changed many times in 2020–2022: one value, built
//! once from the configuration (`Config::from_env`) and held by the application, handed to
//! every command and report that applies them. Each default is written here, once.

use chrono::{Duration, NaiveDateTime};

/// How long after the confirmation of an F0 each step of its investigation is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDeadlines {
    pub tracing_hours: i64,
    pub cordoning_hours: i64,
    pub isolating_hours: i64,
    pub sampling_hours: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Days before onset (or the positive sample) that an F0's window opens.
    pub window_days_before: i64,
    /// The deepest level the cascade classifies (3 = F3).
    pub max_depth: u8,
    pub steps: StepDeadlines,
    /// The default deadline of a trace task, in hours from its creation.
    pub task_hours: i64,
    /// Hours from collection within which a result is due (12 in the directives).
    pub result_hours: i64,
    /// Hours within which arrivals at a camp room form one admission cohort.
    pub cohort_hours: i64,
    /// The most specimens a pool may hold (2 to 10; 5 in Ho Chi Minh City, 7 in Đà Nẵng).
    pub pool_max_size: i32,
    /// Days between mass-sampling rounds of a zone whose risk is not high (5 to 7).
    pub round_interval_days: i64,
    /// How far ahead and how far back a fact from the field may say it happened.
    pub facts: crate::domain::happened::FactTimes,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            window_days_before: 2,
            max_depth: 3,
            steps: StepDeadlines {
                tracing_hours: 2,
                cordoning_hours: 12,
                isolating_hours: 24,
                sampling_hours: 24,
            },
            task_hours: 6,
            result_hours: 12,
            cohort_hours: 24,
            pool_max_size: 10,
            round_interval_days: 7,
            facts: Default::default(),
        }
    }
}

impl Rules {
    /// When the result of a sample collected at `collected` is due.
    pub fn result_due(&self, collected: NaiveDateTime) -> NaiveDateTime {
        collected + Duration::hours(self.result_hours)
    }

    /// Whether a sample collected at `collected` is late at `now`: resulted after its due
    /// time, or still without a result past it.
    pub fn is_late(
        &self,
        collected: NaiveDateTime,
        resulted: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> bool {
        let due = self.result_due(collected);
        match resulted {
            Some(r) => r > due,
            None => now > due,
        }
    }

    /// Samples collected before this instant, still without a result, are overdue at `now`.
    pub fn overdue_before(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - Duration::hours(self.result_hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_due_twelve_hours_after_collection() {
        let r = Rules::default();
        let t = chrono::DateTime::from_timestamp(1_611_849_600, 0)
            .unwrap()
            .naive_utc();
        assert_eq!(r.result_due(t), t + Duration::hours(12));
        assert_eq!(r.overdue_before(r.result_due(t)), t);
        let due = r.result_due(t);
        assert!(!r.is_late(t, Some(due), due));
        assert!(r.is_late(t, Some(due + Duration::seconds(1)), due));
        assert!(!r.is_late(t, None, due));
        assert!(r.is_late(t, None, due + Duration::seconds(1)));
    }
}
