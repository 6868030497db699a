//! Accounts, role grants, refresh tokens and login throttling.

use crate::db::AnyConnection;
use crate::domain::units::subtree_range;
use crate::schema::{admin_units, grants, login_throttle, refresh_tokens, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub active: bool,
    pub password_changed_at: NaiveDateTime,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct GrantRow {
    pub id: String,
    pub user_id: String,
    pub role: String,
    pub unit_code: Option<String>,
    pub site_id: Option<String>,
    pub granted_by: Option<String>,
    pub granted_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// A grant with the path of its unit, for jurisdiction checks.
#[derive(Debug, Clone)]
pub struct GrantWithPath {
    pub grant: GrantRow,
    pub unit_path: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, user: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn by_username(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

/// Write back a user's mutable fields if its version is still `expected`; false when stale.
pub fn update(conn: &mut AnyConnection, user: &UserRow, expected: i32) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .find(&user.id)
            .filter(users::version.eq(expected)),
    )
    .set((
        users::display_name.eq(&user.display_name),
        users::password_hash.eq(&user.password_hash),
        users::active.eq(user.active),
        users::password_changed_at.eq(user.password_changed_at),
        users::version.eq(user.version),
        users::updated_at.eq(user.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Active grants of users, with their unit paths.
pub fn active_grants(
    conn: &mut AnyConnection,
    user_ids: &[String],
) -> QueryResult<Vec<GrantWithPath>> {
    let rows: Vec<(GrantRow, Option<String>)> = grants::table
        .left_join(admin_units::table)
        .filter(grants::user_id.eq_any(user_ids))
        .filter(grants::revoked_at.is_null())
        .select((GrantRow::as_select(), admin_units::path.nullable()))
        .order(grants::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(grant, unit_path)| GrantWithPath { grant, unit_path })
        .collect())
}

pub fn grant(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<GrantWithPath>> {
    let row: Option<(GrantRow, Option<String>)> = grants::table
        .left_join(admin_units::table)
        .filter(grants::id.eq(id))
        .select((GrantRow::as_select(), admin_units::path.nullable()))
        .get_result(conn)
        .optional()?;
    Ok(row.map(|(grant, unit_path)| GrantWithPath { grant, unit_path }))
}

pub fn insert_grant(conn: &mut AnyConnection, g: &GrantRow) -> QueryResult<()> {
    diesel::insert_into(grants::table).values(g).execute(conn)?;
    Ok(())
}

pub fn revoke_grant(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
    reason: &str,
) -> QueryResult<bool> {
    let n = diesel::update(grants::table.find(id).filter(grants::revoked_at.is_null()))
        .set((
            grants::revoked_at.eq(at),
            grants::revoked_by.eq(by),
            grants::revoke_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Users an administrator with these subtrees may see: those with an active grant inside
/// them, and those with no active grant at all (new accounts). Ordered by id, after `cursor`.
pub fn list_visible(
    conn: &mut AnyConnection,
    roots: &[String],
    everything: bool,
    cursor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if !everything {
        let mut in_scope: Vec<String> = Vec::new();
        for root in roots {
            let (lo, hi) = subtree_range(root);
            let ids: Vec<String> = grants::table
                .inner_join(admin_units::table)
                .filter(grants::revoked_at.is_null())
                .filter(admin_units::path.ge(lo))
                .filter(admin_units::path.lt(hi))
                .select(grants::user_id)
                .distinct()
                .load(conn)?;
            in_scope.extend(ids);
        }
        let with_grants = grants::table
            .filter(grants::revoked_at.is_null())
            .select(grants::user_id);
        q = q.filter(
            users::id
                .eq_any(in_scope)
                .or(diesel::dsl::not(users::id.eq_any(with_grants))),
        );
    }
    if let Some(c) = cursor {
        q = q.filter(users::id.gt(c.to_string()));
    }
    q.load(conn)
}

// ---- refresh tokens -------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub replaced_by: Option<String>,
}

pub fn insert_refresh(conn: &mut AnyConnection, r: &RefreshRow) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(r)
        .execute(conn)?;
    Ok(())
}

pub fn refresh_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshRow::as_select())
        .get_result(conn)
        .optional()
}

/// Mark a token used (replaced by its successor); false if it was already revoked (a race).
pub fn rotate_refresh(
    conn: &mut AnyConnection,
    id: &str,
    successor: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((
        refresh_tokens::revoked_at.eq(at),
        refresh_tokens::replaced_by.eq(successor),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The username of an active user whose login session is still live, in one query: the
/// check every authenticated request makes.
pub fn live_session_user(
    conn: &mut AnyConnection,
    user_id: &str,
    family: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<String>> {
    users::table
        .filter(users::id.eq(user_id))
        .filter(users::active.eq(true))
        .filter(diesel::dsl::exists(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family))
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::revoked_at.is_null())
                .filter(refresh_tokens::expires_at.gt(at)),
        ))
        .select(users::username)
        .get_result(conn)
        .optional()
}

pub fn revoke_family(
    conn: &mut AnyConnection,
    family: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn revoke_all_for_user(
    conn: &mut AnyConnection,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)
}

// ---- login throttling -----------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_throttle)]
pub struct ThrottleRow {
    pub username: String,
    pub failures: i32,
    pub last_failure: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

pub fn throttle(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<ThrottleRow>> {
    login_throttle::table
        .find(username)
        .select(ThrottleRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn save_throttle(conn: &mut AnyConnection, row: &ThrottleRow) -> QueryResult<()> {
    let n = diesel::update(login_throttle::table.find(&row.username))
        .set((
            login_throttle::failures.eq(row.failures),
            login_throttle::last_failure.eq(row.last_failure),
            login_throttle::locked_until.eq(row.locked_until),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(login_throttle::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear_throttle(conn: &mut AnyConnection, username: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(username)).execute(conn)?;
    Ok(())
}
