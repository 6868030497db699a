//! Retention as data (Decree 13/2023): how long the personal data of each kind of person is
//! kept after their last episode (or case, or other record) closes, whether a person is due
//! for purge and from when, and what in the database is personal and goes with a purge.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kinds of person a policy has a rule for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// Never a confirmed case (F1, F2, … or only registered).
    NeverF0,
    /// Once a confirmed case.
    F0,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::NeverF0 => "never_f0",
            PersonKind::F0 => "f0",
        }
    }
}

/// One rule: people of a kind are kept `days` days after their last record closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    pub kind: PersonKind,
    /// Days kept after the last closure: 1 to 36500.
    #[schema(minimum = 1, maximum = 36500)]
    pub days: u32,
}

/// The rules of a policy: one per kind of person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    pub rules: Vec<RetentionRule>,
}

/// What is wrong with a set of rules: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: &'static str,
    pub message: String,
}

impl RetentionRules {
    /// The policy shipped with the system: people never F0 go 90 days after their last
    /// episode closed, confirmed cases after a year.
    pub fn shipped() -> RetentionRules {
        RetentionRules {
            rules: vec![
                RetentionRule {
                    kind: PersonKind::NeverF0,
                    days: 90,
                },
                RetentionRule {
                    kind: PersonKind::F0,
                    days: 365,
                },
            ],
        }
    }

    /// Exactly one rule per kind, each of 1 to 36500 days.
    pub fn check(&self) -> Result<(), RuleError> {
        for kind in [PersonKind::NeverF0, PersonKind::F0] {
            let n = self.rules.iter().filter(|r| r.kind == kind).count();
            if n != 1 {
                return Err(RuleError {
                    field: "rules",
                    message: format!("must have exactly one rule for {}", kind.as_str()),
                });
            }
        }
        if self.rules.iter().any(|r| r.days == 0 || r.days > 36500) {
            return Err(RuleError {
                field: "rules",
                message: "days must be between 1 and 36500".into(),
            });
        }
        Ok(())
    }

    pub fn days_for(&self, kind: PersonKind) -> Option<u32> {
        self.rules.iter().find(|r| r.kind == kind).map(|r| r.days)
    }
}

/// What the retention decision needs to know of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    /// Ever a confirmed case (a case, in any state).
    pub ever_f0: bool,
    /// Any episode, case, investigation, trace task, or active classification still open:
    /// the person is still followed and nothing of theirs goes.
    pub anything_open: bool,
    /// When the last of their episodes, cases and investigations closed (None when they had
    /// none, or none that closed).
    pub last_closed: Option<NaiveDateTime>,
    /// The latest date among their own records (registration, last change, contacts,
    /// samples): what counts when they never had an episode.
    pub last_fact: NaiveDateTime,
    /// Already purged.
    pub purged: bool,
}

/// A person due for purge: under which rule and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub kind: PersonKind,
    pub days: u32,
    pub due_at: NaiveDateTime,
}

/// Whether the person is due for purge at `now` under `rules`, and from when. Nobody with
/// anything open is; nobody already purged is again.
pub fn due(rules: &RetentionRules, facts: &PersonFacts, now: NaiveDateTime) -> Option<Due> {
    if facts.purged || facts.anything_open {
        return None;
    }
    let kind = if facts.ever_f0 {
        PersonKind::F0
    } else {
        PersonKind::NeverF0
    };
    let days = rules.days_for(kind)?;
    let from = facts
        .last_closed
        .map_or(facts.last_fact, |c| c.max(facts.last_fact));
    let due_at = from + Duration::days(i64::from(days));
    (due_at <= now).then_some(Due { kind, days, due_at })
}

/// What a purge does to a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erase {
    /// Set to NULL.
    Null,
    /// Set to this text (a NOT NULL column).
    Text(&'static str),
}

/// A personal column: table, column, how it is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Personal {
    pub table: &'static str,
    pub column: &'static str,
    pub erase: Erase,
}

const fn null(table: &'static str, column: &'static str) -> Personal {
    Personal {
        table,
        column,
        erase: Erase::Null,
    }
}

const fn text(table: &'static str, column: &'static str, to: &'static str) -> Personal {
    Personal {
        table,
        column,
        erase: Erase::Text(to),
    }
}

/// What a purged person's name becomes.
pub const PURGED_NAME: &str = "[đã xoá]";

/// The personal columns of a person and of the records about them, which a purge erases.
/// Kept, because reports, 5S figures and clusters are made of them and they name nobody:
/// ids and links, levels, states, units and unit paths, dates and times, sex, birth year,
/// nationality, vaccination doses, case numbers and test references, symptoms as recorded
/// (coded health facts), barcodes. Rows are never deleted, but for a person's phones (a
/// list of numbers and nothing else), stored replies and sync answers that hold them.
pub const PERSONAL: &[Personal] = &[
    // the person: who they are, where they live and work
    text("persons", "full_name", PURGED_NAME),
    text("persons", "name_folded", ""),
    null("persons", "birth_date"),
    null("persons", "national_id"),
    null("persons", "pending_national_id"),
    null("persons", "passport_no"),
    null("persons", "residence_address"),
    null("persons", "current_location"),
    null("persons", "occupation"),
    null("persons", "workplace"),
    // free text about them in the records of the outbreak
    null("cases", "treatment"),
    null("contacts", "place"),
    null("contacts", "retract_reason"),
    text("level_reviews", "reason", ""),
    null("trace_tasks", "note"),
    null("episodes", "destination"),
    null("episodes", "reason"),
    null("follow_ups", "note"),
    null("violations", "note"),
    null("violations", "outcome"),
    null("samples", "note"),
    text("duplicate_flags", "reason", ""),
    // a home and its sign, once everyone quarantined there is purged
    text("homes", "address", ""),
    null("warning_signs", "photo_ref"),
    null("warning_signs", "removed_reason"),
    // a case's places: the address always; a place never published
    null("landmarks", "address"),
    // notices across borders carry the person as sent
    text("notices", "person_json", "{}"),
    null("notices", "contact_json"),
    null("notices", "resolution_reason"),
    // the values of every change about them in the event log
    null("event_changes", "before_json"),
    null("event_changes", "after_json"),
    null("event_changes", "reason"),
    null("event_changes", "backdate_reason"),
];

/// The personal columns of one table.
pub fn personal_columns(table: &str) -> Vec<Personal> {
    PERSONAL
        .iter()
        .copied()
        .filter(|p| p.table == table)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(days: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            + Duration::days(days)
    }

    fn facts(ever_f0: bool, open: bool, closed: Option<i64>, fact: i64) -> PersonFacts {
        PersonFacts {
            ever_f0,
            anything_open: open,
            last_closed: closed.map(at),
            last_fact: at(fact),
            purged: false,
        }
    }

    #[test]
    fn someone_never_f0_goes_90_days_after_their_last_episode_closed() {
        let rules = RetentionRules::shipped();
        let f = facts(false, false, Some(10), 0);
        assert_eq!(due(&rules, &f, at(99)), None);
        let d = due(&rules, &f, at(100)).expect("due");
        assert_eq!(d.kind, PersonKind::NeverF0);
        assert_eq!(d.days, 90);
        assert_eq!(d.due_at, at(100));
    }

    #[test]
    fn a_confirmed_case_is_kept_a_year() {
        let rules = RetentionRules::shipped();
        let f = facts(true, false, Some(10), 0);
        assert_eq!(due(&rules, &f, at(200)), None);
        let d = due(&rules, &f, at(375)).expect("due");
        assert_eq!(d.kind, PersonKind::F0);
        assert_eq!(d.due_at, at(375));
    }

    #[test]
    fn anything_open_keeps_everything() {
        let rules = RetentionRules::shipped();
        assert_eq!(due(&rules, &facts(false, true, Some(0), 0), at(1000)), None);
        assert_eq!(due(&rules, &facts(true, true, None, 0), at(1000)), None);
    }

    #[test]
    fn without_an_episode_the_latest_own_record_counts() {
        let rules = RetentionRules::shipped();
        let f = facts(false, false, None, 30);
        assert_eq!(due(&rules, &f, at(119)), None);
        assert_eq!(due(&rules, &f, at(120)).map(|d| d.due_at), Some(at(120)));
        // a later record of their own keeps them past their last closure
        let f = facts(false, false, Some(10), 50);
        assert_eq!(due(&rules, &f, at(139)), None);
    }

    #[test]
    fn nobody_is_purged_twice() {
        let rules = RetentionRules::shipped();
        let mut f = facts(false, false, Some(0), 0);
        f.purged = true;
        assert_eq!(due(&rules, &f, at(1000)), None);
    }

    #[test]
    fn a_policy_has_one_rule_per_kind() {
        assert!(RetentionRules::shipped().check().is_ok());
        let one = RetentionRules {
            rules: vec![RetentionRule {
                kind: PersonKind::F0,
                days: 30,
            }],
        };
        assert_eq!(one.check().unwrap_err().field, "rules");
        let mut zero = RetentionRules::shipped();
        zero.rules[0].days = 0;
        assert!(zero.check().is_err());
    }

    #[test]
    fn what_is_personal_covers_who_a_person_is_and_keeps_what_reports_count() {
        let person: Vec<&str> = personal_columns("persons")
            .iter()
            .map(|p| p.column)
            .collect();
        for c in ["full_name", "name_folded", "national_id", "passport_no"] {
            assert!(person.contains(&c), "{c}");
        }
        assert!(person.contains(&"residence_address"));
        // what reports and clusters are made of is never erased
        for (table, column) in [
            ("persons", "unit_path"),
            ("persons", "residence_unit_code"),
            ("episodes", "level"),
            ("episodes", "state"),
            ("contacts", "person_a"),
            ("cases", "confirmed_at"),
        ] {
            assert!(
                !PERSONAL
                    .iter()
                    .any(|p| p.table == table && p.column == column),
                "{table}.{column}"
            );
        }
        // every change's values go
        assert_eq!(personal_columns("event_changes").len(), 4);
        // a NOT NULL name is replaced, not emptied to NULL
        assert_eq!(
            personal_columns("persons")[0].erase,
            Erase::Text(PURGED_NAME)
        );
    }
}
