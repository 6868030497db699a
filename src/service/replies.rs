//! Creates that carry the client's id answer once. The first answer is kept, and the same
//! request sent again (one copy after another, or several at once: a phone retrying on a
//! bad network) gets it again, status and body, for `REPLY_HOURS`. A request with the same
//! id and other content is no replay: it goes through the command, which answers for the
//! record as it stands (the record, or a conflict).

use super::{Made, Outcome};
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::store::now;
use crate::store::replies::{self as store, ReplyRow};
use serde::Serialize;
use uuid::Uuid;

/// An answer: its status and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
}

/// What a create's result answers: 201 made, 200 found, 202 notified elsewhere.
pub trait IntoReply {
    fn into_reply(self) -> AppResult<Reply>;
}

fn reply<T: Serialize>(status: u16, v: T) -> AppResult<Reply> {
    Ok(Reply {
        status,
        body: serde_json::to_value(v).map_err(|e| AppError::Internal(e.into()))?,
    })
}

impl<T: Serialize> IntoReply for Outcome<T> {
    fn into_reply(self) -> AppResult<Reply> {
        match self {
            Outcome::Created(v) => reply(201, v),
            Outcome::Existing(v) => reply(200, v),
        }
    }
}

impl<T: Serialize> IntoReply for Made<T> {
    fn into_reply(self) -> AppResult<Reply> {
        match self {
            Made::Here(o) => o.into_reply(),
            Made::Notified(n) => reply(202, n),
        }
    }
}

/// Run a create once per client id: `operation` names the endpoint, `request_hash` the
/// request's content.
pub fn once<R: IntoReply>(
    conn: &mut AnyConnection,
    actor: &Actor,
    operation: &str,
    client_id: Option<Uuid>,
    request_hash: &str,
    run: impl FnOnce(&mut AnyConnection) -> AppResult<R>,
) -> AppResult<Reply> {
    let Some(id) = client_id.map(|u| u.to_string()) else {
        return run(conn)?.into_reply();
    };
    crate::db::write_tx(conn, |conn| {
        // copies sent at once wait here for the first to commit, then find its answer
        crate::db::lock_key(conn, &format!("reply {operation} {id}"))?;
        if let Some(kept) = store::get(conn, operation, &id, &actor.user_id)? {
            if kept.request_hash == request_hash {
                return Ok(Reply {
                    status: kept.status as u16,
                    body: serde_json::from_str(&kept.body)
                        .map_err(|e| AppError::Internal(e.into()))?,
                });
            }
        }
        let reply = run(conn)?.into_reply()?;
        if reply.status == 201 || reply.status == 202 {
            store::insert(
                conn,
                &ReplyRow {
                    operation: operation.to_string(),
                    client_id: id.clone(),
                    user_id: actor.user_id.clone(),
                    request_hash: request_hash.to_string(),
                    status: reply.status as i32,
                    body: reply.body.to_string(),
                    created_at: now(),
                },
            )?;
        }
        Ok(reply)
    })
}

/// Forget the answers older than `hours`; how many.
pub fn purge(conn: &mut AnyConnection, hours: i64) -> AppResult<usize> {
    Ok(store::purge(conn, now() - chrono::Duration::hours(hours))?)
}
