//! The purge: who is due under the policy in force, and anonymising them, person by person,
//! as one audited command of a national administrator.

use super::{national, rules_of};
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::retention::{due, Due, PersonFacts};
use crate::domain::roles::{Action, Role};
use crate::error::{AppError, AppResult};
use crate::store::events::{Entity, Event, Who};
use crate::store::purge::{self as store, PurgedRow};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurgeInput {
    /// Only list who would be purged; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A person due for purge, by id only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurgedOut {
    pub person_id: String,
    /// The rule applied: `never_f0` or `f0`.
    pub rule: String,
    pub days: u32,
    /// From when they were due.
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurgeOut {
    /// The run, an entry of the event log (absent for a dry run).
    pub run_id: Option<String>,
    pub dry_run: bool,
    /// The policy applied.
    pub policy_id: String,
    pub people: Vec<PurgedOut>,
    /// Rows whose personal columns were erased (0 for a dry run).
    pub rows_erased: usize,
    /// Changes of the event log erased (0 for a dry run).
    pub changes_erased: usize,
}

/// Who is due at `now`: each candidate with the records merged into them.
fn due_people(
    conn: &mut AnyConnection,
    rules: &crate::domain::retention::RetentionRules,
    now: NaiveDateTime,
) -> AppResult<Vec<(Vec<String>, Due)>> {
    let mut out = Vec::new();
    for id in store::candidates(conn)? {
        let family = crate::store::people::merged_family(conn, &id)?;
        let f = store::facts(conn, &family)?;
        let facts = PersonFacts {
            ever_f0: f.ever_f0,
            anything_open: f.anything_open,
            last_closed: f.last_closed,
            last_fact: f.last_fact.unwrap_or(now),
            purged: false,
        };
        if let Some(d) = due(rules, &facts, now) {
            out.push((family, d));
        }
    }
    Ok(out)
}

/// List (dry run) or purge the people due under the policy in force: their personal data
/// is erased, their records (ids, levels, units, dates, links) stay, so that no report
/// changes. One command: the run is one transaction and one event, with its counts.
pub fn purge(conn: &mut AnyConnection, actor: &Actor, input: PurgeInput) -> AppResult<PurgeOut> {
    national(actor, Action::DataPurge)?;
    let who = super::super::who_as(actor, Some(Role::Admin));
    run(conn, &who, input.dry_run)
}

/// The purge by `who` (the command line names no user).
pub fn run(conn: &mut AnyConnection, who: &Who, dry_run: bool) -> AppResult<PurgeOut> {
    crate::db::write_tx(conn, |conn| {
        let now = crate::store::now();
        let policy = store::current_policy(conn)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no retention policy")))?;
        let rules = rules_of(&policy)?;
        let due = due_people(conn, &rules, now)?;
        let people: Vec<PurgedOut> = due
            .iter()
            .map(|(family, d)| PurgedOut {
                person_id: family[0].clone(),
                rule: d.kind.as_str().into(),
                days: d.days,
                due_at: d.due_at.and_utc(),
            })
            .collect();
        let mut out = PurgeOut {
            run_id: None,
            dry_run,
            policy_id: policy.id.clone(),
            people,
            rows_erased: 0,
            changes_erased: 0,
        };
        if dry_run {
            return Ok(out);
        }
        let run_id = crate::store::new_id();
        for (family, d) in &due {
            let texts = store::identifying_texts(conn, family)?;
            let erased = store::erase_person(conn, family, &texts, now)?;
            out.rows_erased += erased.rows;
            out.changes_erased += erased.changes;
            for id in family {
                store::insert_purged(
                    conn,
                    &PurgedRow {
                        person_id: id.clone(),
                        purged_at: now,
                        policy_id: policy.id.clone(),
                        rule: d.kind.as_str().into(),
                        run_id: run_id.clone(),
                    },
                )?;
                Event::on(Entity::Person, id, "purged")
                    .reason(format!(
                        "retention policy {} ({}: {} days)",
                        policy.id,
                        d.kind.as_str(),
                        d.days
                    ))
                    .write(conn, who, now)?;
            }
        }
        Event::on(Entity::PurgeRun, &run_id, "purged")
            .after(&json!({
                "policy_id": policy.id,
                "people": out.people.len(),
                "rows_erased": out.rows_erased,
                "changes_erased": out.changes_erased,
            }))
            .write(conn, who, now)?;
        out.run_id = Some(run_id);
        Ok(out)
    })
}
