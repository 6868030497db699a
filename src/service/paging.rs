//! The paging contract of every list.
//!
//! A list is read in the order of a key (an id, or a composite key its store knows). The
//! service turns the request into a [`Paging`]: the page size, bounded, and the key after
//! which the page starts, decoded from the previous page's cursor. Store functions are given
//! [`Paging::fetch`] rows to read, one more than the page, and never add to it themselves;
//! [`Paging::page`] keeps the page and turns the extra row, if any, into the next cursor.
//!
//! Cursors are opaque to clients: a version tag and the key, base64url-encoded. A cursor this
//! service did not hand out is refused with 422 naming `cursor`, never answered with an
//! empty page, which a client could not tell from the end of the list.

use crate::error::{AppError, AppResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Page size bounds for every list.
pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;
/// Cursors of this version start with this tag once decoded.
const TAG: &str = "k1:";
/// The longest key a cursor may carry.
const MAX_KEY: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The size of a short worklist that is not paged.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// How many to show, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A page of a list: the items and, when more remain, the cursor for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    limit: i64,
    after: Option<String>,
}

impl Paging {
    /// From a request's `cursor` and `limit`; an empty cursor is the first page.
    pub fn new(cursor: Option<&str>, limit: Option<i64>) -> AppResult<Paging> {
        let after = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(decode(c)?),
            None => None,
        };
        Ok(Paging {
            limit: Paging::size(limit),
            after,
        })
    }

    pub fn of(q: &PageQuery) -> AppResult<Paging> {
        Paging::new(q.cursor.as_deref(), q.limit)
    }

    /// The bounded size of a list that is not paged (a short worklist).
    pub fn size(limit: Option<i64>) -> i64 {
        limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }

    /// The same start with another page size, unbounded: for exports that stream a whole
    /// list page by page.
    pub fn sized(self, limit: i64) -> Paging {
        Paging {
            limit: limit.max(1),
            ..self
        }
    }

    /// The items a page shows.
    pub fn limit(&self) -> i64 {
        self.limit
    }

    /// The rows a store function reads: one more than the page, to know whether more remain.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// The key the page starts after, if not the first page.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The page of `fetched` (at most [`Paging::fetch`] rows in key order): the extra row
    /// only says that more remain, and the last shown row's key becomes the cursor.
    pub fn page<T>(&self, mut fetched: Vec<T>, key_of: impl Fn(&T) -> String) -> Page<T> {
        let more = fetched.len() as i64 > self.limit;
        fetched.truncate(self.limit as usize);
        let next_cursor = if more {
            fetched.last().map(|t| encode(&key_of(t)))
        } else {
            None
        };
        Page {
            items: fetched,
            next_cursor,
        }
    }
}

/// The cursor that resumes a list after `key`.
pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TAG}{key}"))
}

/// The key a cursor carries, or 422 naming `cursor`.
pub fn decode(cursor: &str) -> AppResult<String> {
    let bad = || AppError::field("cursor", "not a cursor this service returned");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let key = text.strip_prefix(TAG).ok_or_else(bad)?;
    if key.is_empty() || key.len() > MAX_KEY || key.chars().any(char::is_control) {
        return Err(bad());
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_returns_its_key_and_a_forged_one_is_refused() {
        let c = encode("0193a1b2-0000-7000-8000-000000000001");
        assert_eq!(decode(&c).unwrap(), "0193a1b2-0000-7000-8000-000000000001");
        for forged in ["nonsense", "0193a1b2-0000-7000-8000-000000000001", "!!", ""] {
            assert!(decode(forged).is_err(), "{forged}");
        }
        assert!(
            decode(&URL_SAFE_NO_PAD.encode("k2:x")).is_err(),
            "another version"
        );
    }

    #[test]
    fn a_page_keeps_the_limit_and_says_whether_more_remain() {
        let p = Paging::new(None, Some(2)).unwrap();
        assert_eq!(p.fetch(), 3);
        let page = p.page(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(page.items, ["a", "b"]);
        let next = Paging::new(page.next_cursor.as_deref(), Some(2)).unwrap();
        assert_eq!(next.after(), Some("b"));
        let last = p.page(vec!["a", "b"], |s| s.to_string());
        assert_eq!(last.next_cursor, None);
        assert_eq!(Paging::new(None, Some(10_000)).unwrap().limit(), MAX_PAGE);
        assert_eq!(Paging::new(Some(""), None).unwrap().after(), None);
    }
}
