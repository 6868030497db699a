//! The append-only event log.

use crate::db::AnyConnection;
use crate::domain::happened::Happened;
use crate::schema::{event_changes, events};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An event as the code makes and reads it: the log's row and the values its change carried
/// (kept in `event_changes`, which a purge can erase).
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: String,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub at: NaiveDateTime,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    /// For a classification: the level it gives the person (0 for F0).
    pub level: Option<i32>,
    /// For a classification: the person through whom it was reached.
    pub via_id: Option<String>,
    /// The state the record is left in, for an event that moves one.
    pub state: Option<String>,
    /// When the server wrote it (`at` is when it happened); absent in events written
    /// before the two were told apart, which were stamped when recorded.
    pub recorded_at: Option<NaiveDateTime>,
    /// Why a fact older than the backdating limit was recorded late.
    pub backdate_reason: Option<String>,
    /// When a purge erased the values of its change (then before, after and the reasons
    /// are gone; the event stays).
    pub erased_at: Option<NaiveDateTime>,
}

/// The append-only row of the log: nothing in it names a person but by id.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct LogRow {
    pub id: String,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub at: NaiveDateTime,
    pub level: Option<i32>,
    pub via_id: Option<String>,
    pub state: Option<String>,
    pub recorded_at: Option<NaiveDateTime>,
}

/// The erasable values of an event's change.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = event_changes, treat_none_as_default_value = false)]
pub struct ChangeRow {
    pub event_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    pub backdate_reason: Option<String>,
    pub erased_at: Option<NaiveDateTime>,
}

impl EventRow {
    /// The row of the log and, when the change carried any value, the row of its values.
    pub fn split(&self) -> (LogRow, Option<ChangeRow>) {
        let log = LogRow {
            id: self.id.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            action: self.action.clone(),
            actor_id: self.actor_id.clone(),
            actor_role: self.actor_role.clone(),
            at: self.at,
            level: self.level,
            via_id: self.via_id.clone(),
            state: self.state.clone(),
            recorded_at: self.recorded_at,
        };
        let carries = self.before_json.is_some()
            || self.after_json.is_some()
            || self.reason.is_some()
            || self.backdate_reason.is_some();
        let change = carries.then(|| ChangeRow {
            event_id: self.id.clone(),
            before_json: self.before_json.clone(),
            after_json: self.after_json.clone(),
            reason: self.reason.clone(),
            backdate_reason: self.backdate_reason.clone(),
            erased_at: self.erased_at,
        });
        (log, change)
    }

    /// The event from its two rows (a change may have none).
    pub fn join(log: LogRow, change: Option<ChangeRow>) -> EventRow {
        let c = change.unwrap_or(ChangeRow {
            event_id: log.id.clone(),
            before_json: None,
            after_json: None,
            reason: None,
            backdate_reason: None,
            erased_at: None,
        });
        EventRow {
            id: log.id,
            entity_type: log.entity_type,
            entity_id: log.entity_id,
            action: log.action,
            actor_id: log.actor_id,
            actor_role: log.actor_role,
            at: log.at,
            before_json: c.before_json,
            after_json: c.after_json,
            reason: c.reason,
            level: log.level,
            via_id: log.via_id,
            state: log.state,
            recorded_at: log.recorded_at,
            backdate_reason: c.backdate_reason,
            erased_at: c.erased_at,
        }
    }
}

/// One event, by statements the connection keeps prepared (a slice insert is built anew).
pub fn insert(conn: &mut AnyConnection, row: &EventRow) -> QueryResult<()> {
    let (log, change) = row.split();
    diesel::insert_into(events::table)
        .values(&log)
        .execute(conn)?;
    if let Some(c) = change {
        diesel::insert_into(event_changes::table)
            .values(&c)
            .execute(conn)?;
    }
    Ok(())
}

/// Many events, a multi-row statement per chunk (the log's rows, then their changes).
pub fn insert_many(conn: &mut AnyConnection, rows: &[EventRow]) -> QueryResult<usize> {
    let (logs, changes): (Vec<LogRow>, Vec<Option<ChangeRow>>) =
        rows.iter().map(EventRow::split).unzip();
    let changes: Vec<ChangeRow> = changes.into_iter().flatten().collect();
    let written = crate::db::insert_chunks!(conn, events::table, &logs)?;
    crate::db::insert_chunks!(conn, event_changes::table, &changes)?;
    Ok(written)
}

/// Who did it, as the event log names them.
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub actor_id: Option<String>,
    pub role: Option<String>,
}

/// What an event is about: one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    AdminUnit,
    Case,
    Contact,
    Episode,
    Home,
    Investigation,
    Lab,
    Landmark,
    Notice,
    Person,
    Pool,
    PurgeRun,
    Regime,
    RetentionPolicy,
    RiskLevel,
    Sample,
    SamplingRound,
    Site,
    TraceTask,
    User,
    Violation,
    WarningSign,
    Zone,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::AdminUnit => "admin_unit",
            Entity::Case => "case",
            Entity::Contact => "contact",
            Entity::Episode => "episode",
            Entity::Home => "home",
            Entity::Investigation => "investigation",
            Entity::Lab => "lab",
            Entity::Landmark => "landmark",
            Entity::Notice => "notice",
            Entity::Person => "person",
            Entity::Pool => "pool",
            Entity::PurgeRun => "purge_run",
            Entity::Regime => "regime",
            Entity::RetentionPolicy => "retention_policy",
            Entity::RiskLevel => "risk_level",
            Entity::Sample => "sample",
            Entity::SamplingRound => "sampling_round",
            Entity::Site => "site",
            Entity::TraceTask => "trace_task",
            Entity::User => "user",
            Entity::Violation => "violation",
            Entity::WarningSign => "warning_sign",
            Entity::Zone => "zone",
        }
    }
}

/// An event being made: what it is about and what happened, then (optionally) the record
/// before and after, the reason, and the typed facts reports read. `write` records it by
/// someone at a time; `row` gives the row for a batch insert.
#[derive(Debug, Clone)]
#[must_use = "an event is recorded by write() or row()"]
pub struct Event {
    entity: Entity,
    entity_id: String,
    action: String,
    before: Option<String>,
    after: Option<String>,
    reason: Option<String>,
    level: Option<i32>,
    via_id: Option<String>,
    state: Option<String>,
}

impl Event {
    pub fn on(entity: Entity, id: &str, action: &str) -> Event {
        Event {
            entity,
            entity_id: id.to_string(),
            action: action.to_string(),
            before: None,
            after: None,
            reason: None,
            level: None,
            via_id: None,
            state: None,
        }
    }

    /// A classification's facts: the level it gives and through whom (None for an F0).
    pub fn classifies(mut self, level: u8, via: Option<&str>) -> Event {
        self.level = Some(i32::from(level));
        self.via_id = via.map(str::to_string);
        self
    }

    /// The state the record is left in.
    pub fn state(mut self, state: &str) -> Event {
        self.state = Some(state.to_string());
        self
    }

    /// The record before the change (a JSON value, or an optional one).
    pub fn before<'v>(mut self, v: impl Into<Option<&'v serde_json::Value>>) -> Event {
        self.before = v.into().map(|v| v.to_string());
        self
    }

    /// The record after the change.
    pub fn after<'v>(mut self, v: impl Into<Option<&'v serde_json::Value>>) -> Event {
        self.after = v.into().map(|v| v.to_string());
        self
    }

    pub fn reason(mut self, r: impl AsRef<str>) -> Event {
        self.reason = Some(r.as_ref().to_string());
        self
    }

    pub fn reason_opt(mut self, r: Option<impl AsRef<str>>) -> Event {
        self.reason = r.map(|r| r.as_ref().to_string());
        self
    }

    /// The row, by `who` at `at`.
    pub fn row(self, who: &Who, at: NaiveDateTime) -> EventRow {
        EventRow {
            id: super::new_id(),
            entity_type: self.entity.as_str().to_string(),
            entity_id: self.entity_id,
            action: self.action,
            actor_id: who.actor_id.clone(),
            actor_role: who.role.clone(),
            at,
            before_json: self.before,
            after_json: self.after,
            reason: self.reason,
            level: self.level,
            via_id: self.via_id,
            state: self.state,
            recorded_at: Some(super::now()),
            backdate_reason: None,
            erased_at: None,
        }
    }

    /// Record it, by `who` at `at`, in the caller's transaction.
    pub fn write(self, conn: &mut AnyConnection, who: &Who, at: NaiveDateTime) -> QueryResult<()> {
        insert(conn, &self.row(who, at))
    }

    /// The row of a fact from the field: it happened at `h.at`, recorded at `h.recorded_at`.
    pub fn fact_row(self, who: &Who, h: &Happened) -> EventRow {
        EventRow {
            recorded_at: Some(h.recorded_at),
            backdate_reason: h.backdate_reason.clone(),
            ..self.row(who, h.at)
        }
    }

    /// Record a fact from the field, with its two times, in the caller's transaction.
    pub fn write_fact(self, conn: &mut AnyConnection, who: &Who, h: &Happened) -> QueryResult<()> {
        insert(conn, &self.fact_row(who, h))
    }
}

/// When a record was made or last moved to a state (the time its next move must not
/// precede); other events about it (a merge moving it, say) do not count.
pub fn last_move_at(
    conn: &mut AnyConnection,
    entity: Entity,
    id: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    events::table
        .filter(events::entity_type.eq(entity.as_str()))
        .filter(events::entity_id.eq(id))
        .filter(events::state.is_not_null().or(events::action.eq("created")))
        .select(diesel::dsl::max(events::at))
        .get_result(conn)
}

/// Events of some entities, oldest first, after the event `cursor`, each with the values of
/// its change (erased or not).
pub fn history(
    conn: &mut AnyConnection,
    entity_type: &str,
    ids: &[String],
    cursor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut q = events::table
        .left_join(event_changes::table)
        .filter(events::entity_type.eq(entity_type))
        .filter(events::entity_id.eq_any(ids))
        .select((LogRow::as_select(), Option::<ChangeRow>::as_select()))
        .order(events::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = cursor {
        q = q.filter(events::id.gt(c.to_string()));
    }
    let rows: Vec<(LogRow, Option<ChangeRow>)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(log, change)| EventRow::join(log, change))
        .collect())
}
