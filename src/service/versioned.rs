//! The one way to write a versioned change.
//!
//! A command that changes a record names the version it read. The change is refused with 409
//! and the version the record has when the two differ ([`expect`]); the row is written only
//! if it still has the version read when the write runs (a store `update_*` answers whether
//! it did), and when it no longer does, another change got in between and the answer is 409
//! too ([`applied`]). [`write`] does the second check and records the change's event with it,
//! in the caller's transaction, so that a change and its event are never apart.

use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::store::events::{Event, Who};
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// The version the client read must be the record's.
pub fn expect(read: i32, current: i32) -> AppResult<()> {
    if read == current {
        Ok(())
    } else {
        Err(AppError::StaleVersion { current })
    }
}

/// Whether the write at version `read` took; when it did not, the record has moved on (to
/// one version later at least).
pub fn applied(written: bool, read: i32) -> AppResult<()> {
    if written {
        Ok(())
    } else {
        Err(AppError::StaleVersion { current: read + 1 })
    }
}

/// Write the row at version `read` (`update` answers whether it still had it) and record the
/// change's event by `who` at `at`; 409 and nothing written when another change got in.
pub fn write(
    conn: &mut AnyConnection,
    read: i32,
    update: impl FnOnce(&mut AnyConnection) -> QueryResult<bool>,
    event: Event,
    who: &Who,
    at: NaiveDateTime,
) -> AppResult<()> {
    applied(update(conn)?, read)?;
    event.write(conn, who, at)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_version_is_refused_with_the_current_one() {
        assert!(expect(3, 3).is_ok());
        match expect(2, 3) {
            Err(AppError::StaleVersion { current }) => assert_eq!(current, 3),
            other => panic!("{other:?}"),
        }
        assert!(applied(true, 3).is_ok());
        match applied(false, 3) {
            Err(AppError::StaleVersion { current }) => assert_eq!(current, 4),
            other => panic!("{other:?}"),
        }
    }
}
