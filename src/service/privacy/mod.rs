//! Personal data: the access log every read of it writes, what the data protection officer
//! reads from it, and a person's own data on request.

mod audit;
mod dossier;

pub use audit::*;
pub use dossier::*;

use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::domain::privacy::{DayReading, Unusual};
use crate::domain::roles::Action;
use crate::domain::time::vn_midnight;
use crate::error::{AppError, AppResult};
use crate::service::{utc, Page, PageQuery, Paging};
use crate::store::access::{self as store, AccessRow};
use crate::store::{people as people_store, users as users_store};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One access to personal data: who read, under which role and grant, through which
/// operation, and the people shown who live in your jurisdiction.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessOut {
    pub id: String,
    pub user_id: String,
    pub username: Option<String>,
    pub role: String,
    pub grant_id: Option<String>,
    /// The API operation (its `operationId`).
    pub operation: String,
    /// The request's id, as its answer's `X-Request-Id` header gave it.
    pub request_id: Option<String>,
    /// Why a list was exported.
    pub purpose: Option<String>,
    pub at: DateTime<Utc>,
    /// How many people the answer showed in all.
    pub people_shown: i64,
    /// Of those, the people who live in your jurisdiction.
    pub people: Vec<String>,
}

/// Whose accesses to read: one person's (who has seen this record), or one user's (whose
/// records did they open). Exactly one.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessQuery {
    pub person_id: Option<String>,
    pub user_id: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The access log, newest first, for a person in your jurisdiction or for a user (only the
/// accesses that showed someone in your jurisdiction).
pub fn access_log(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: AccessQuery,
) -> AppResult<Page<AccessOut>> {
    let scope = actor.scope(Action::AccessLogRead)?;
    let paging = Paging::of(&PageQuery {
        cursor: q.cursor,
        limit: q.limit,
    })?;
    let ranges = scope.ranges();
    let rows = match (q.person_id.as_deref(), q.user_id.as_deref()) {
        (Some(person), None) => {
            match people_store::get_row(conn, person)? {
                Some(p) if scope.covers(&p.unit_path) => {}
                _ => return Err(AppError::not_found("person")),
            }
            store::for_person(conn, person, paging.after(), paging.fetch())?
        }
        (None, Some(user)) => store::by_user(conn, user, &ranges, paging.after(), paging.fetch())?,
        _ => {
            return Err(AppError::field(
                "person_id",
                "give either person_id or user_id",
            ))
        }
    };
    let page = paging.page(rows, |r| r.id.clone());
    let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
    let shown = store::people_inside(conn, &ids, &ranges)?;
    let counts: std::collections::HashMap<String, i64> =
        store::counts(conn, &ids)?.into_iter().collect();
    let mut names = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(page.items.len());
    for r in page.items {
        if !names.contains_key(&r.actor_id) {
            let name = users_store::get(conn, &r.actor_id)?.map(|u| u.username);
            names.insert(r.actor_id.clone(), name);
        }
        let people = shown
            .iter()
            .filter(|(a, _)| *a == r.id)
            .map(|(_, p)| p.clone())
            .collect();
        let all = counts.get(&r.id).copied().unwrap_or(0);
        let username = names[&r.actor_id].clone();
        items.push(access_out(r, username, all, people));
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

pub(crate) fn access_out(
    r: AccessRow,
    username: Option<String>,
    all: i64,
    people: Vec<String>,
) -> AccessOut {
    AccessOut {
        id: r.id,
        user_id: r.actor_id,
        username,
        role: r.actor_role,
        grant_id: r.grant_id,
        operation: r.operation,
        request_id: r.request_id,
        purpose: r.purpose,
        at: utc(r.at),
        people_shown: all,
        people,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnusualQuery {
    /// The day (Vietnam time), `YYYY-MM-DD`.
    pub day: NaiveDate,
}

/// A user who read far more people than their peers did that day.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnusualOut {
    pub user_id: String,
    pub username: Option<String>,
    pub role: String,
    /// The distinct people of your jurisdiction they were shown that day.
    pub people: i64,
    /// What the other users of the same role read that day, at the median.
    pub peer_median: f64,
    pub peers: usize,
}

/// The day's unusual reading in your jurisdiction: users shown at least `min_people`
/// people, and more than `factor` times their peers' median (both configured).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnusualReport {
    pub day: NaiveDate,
    pub factor: f64,
    pub min_people: i64,
    pub flagged: Vec<UnusualOut>,
}

pub fn unusual(
    conn: &mut AnyConnection,
    actor: &Actor,
    rule: Unusual,
    q: UnusualQuery,
) -> AppResult<UnusualReport> {
    let scope = actor.scope(Action::AccessLogRead)?;
    let next = q
        .day
        .succ_opt()
        .ok_or_else(|| AppError::field("day", "out of range"))?;
    let day: Vec<DayReading> =
        store::readings(conn, vn_midnight(q.day), vn_midnight(next), &scope.ranges())?
            .into_iter()
            .map(|(user_id, role, people)| DayReading {
                user_id,
                role,
                people,
            })
            .collect();
    let mut flagged = Vec::new();
    for f in rule.flag(&day) {
        let username = users_store::get(conn, &f.reading.user_id)?.map(|u| u.username);
        flagged.push(UnusualOut {
            user_id: f.reading.user_id,
            username,
            role: f.reading.role,
            people: f.reading.people,
            peer_median: f.peer_median,
            peers: f.peers,
        });
    }
    Ok(UnusualReport {
        day: q.day,
        factor: rule.factor,
        min_people: rule.min_people,
        flagged,
    })
}
