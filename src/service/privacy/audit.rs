//! Writing the access log: one record per answer that showed people's personal data.

use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::roles::{allows, Action};
use crate::error::AppResult;
use crate::store::access::{self as store, AccessRow};

/// An answer's access to personal data, to be recorded before the answer leaves.
#[derive(Debug, Clone)]
pub struct Access {
    row: AccessRow,
    people: Vec<String>,
}

/// How a read is named in the access log: its operation, the action it needed, the
/// request's id, and why (for an export).
#[derive(Debug, Clone)]
pub struct Reading {
    pub operation: &'static str,
    pub action: Action,
    pub request_id: Option<String>,
    pub purpose: Option<String>,
    /// The read tolerates a replica's lag (a report, a chain, a line list, a pull feed).
    pub may_lag: bool,
}

impl Reading {
    /// The same read, allowed to come from a replica a little behind the primary.
    pub fn from_replica(self) -> Reading {
        Reading {
            may_lag: true,
            ..self
        }
    }
}

impl Access {
    /// What `actor` was shown by `reading`: the grant named is the first that allows the
    /// action (the one the read was allowed under).
    pub fn new(actor: &Actor, reading: &Reading, mut people: Vec<String>) -> Access {
        people.sort();
        people.dedup();
        // a read some other grant allowed (a camp's staff reading an episode) names that one
        let grant = actor
            .grants
            .iter()
            .find(|g| allows(g.role, reading.action))
            .or_else(|| actor.grants.first());
        Access {
            row: AccessRow {
                id: crate::store::new_id(),
                actor_id: actor.user_id.clone(),
                actor_role: grant
                    .map(|g| g.role.as_str().to_string())
                    .unwrap_or_default(),
                grant_id: grant.map(|g| g.id.clone()),
                operation: reading.operation.to_string(),
                request_id: reading.request_id.clone(),
                purpose: reading.purpose.clone(),
                at: crate::store::now(),
            },
            people,
        }
    }

    pub fn id(&self) -> &str {
        &self.row.id
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The id it is written under, when it is written at all (it showed someone).
    pub fn written_id(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.row.id.clone())
    }

    /// Write it: the record and its people, all or nothing.
    pub fn write(&self, conn: &mut AnyConnection) -> AppResult<()> {
        crate::db::write_tx(conn, |c| store::record(c, &self.row, &self.people)).map_err(Into::into)
    }
}

/// More people shown by an access already written (the next pages of an export).
pub fn add_shown(conn: &mut AnyConnection, access_id: &str, people: &[String]) -> AppResult<()> {
    crate::db::write_tx(conn, |c| store::add_people(c, access_id, people)).map_err(Into::into)
}

/// How many waiting parts of the access log one filing takes at most.
pub const FILE_BATCH: i64 = 32;

/// File up to `FILE_BATCH` waiting parts of the access log (the filer's round does this
/// until none wait): how many were filed.
pub fn file_some(conn: &mut AnyConnection) -> AppResult<usize> {
    crate::db::write_tx(conn, |c| store::file(c, FILE_BATCH)).map_err(Into::into)
}

/// Before `actor` reads the access log (under `action`): file every part of it waiting
/// now, so that its answers count every access recorded so far. Refused, filing nothing,
/// when the actor may not read it.
pub fn file_waiting(conn: &mut AnyConnection, actor: &Actor, action: Action) -> AppResult<usize> {
    actor.scope(action)?;
    let mut filed = 0;
    loop {
        let n = crate::db::write_tx(conn, |c| store::file(c, 500))?;
        if n == 0 {
            return Ok(filed);
        }
        filed += n;
    }
}
