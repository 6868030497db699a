//! Accounts, role grants, refresh tokens and login throttling.

use crate::db::AnyConnection;
use crate::schema::{admin_units, grants, login_guards, refresh_tokens, sites, users};
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
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub role: crate::domain::roles::Role,
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
    /// The path of the grant's unit (none for a site-bound grant).
    pub unit_path: Option<String>,
    /// For a site-bound grant, the path of the site's unit: where the grant lies, which is
    /// not a jurisdiction it gives.
    pub site_path: Option<String>,
}

impl GrantWithPath {
    /// Where in the tree the grant lies: its unit, or its site's unit.
    pub fn lies_at(&self) -> Option<&str> {
        self.unit_path.as_deref().or(self.site_path.as_deref())
    }
}

type GrantPaths = (GrantRow, Option<String>, Option<String>);

fn with_paths((grant, unit_path, site_path): GrantPaths) -> GrantWithPath {
    GrantWithPath {
        grant,
        unit_path,
        site_path,
    }
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
    let rows: Vec<GrantPaths> = grants::table
        .left_join(admin_units::table)
        .left_join(sites::table)
        .filter(grants::user_id.eq_any(user_ids))
        .filter(grants::revoked_at.is_null())
        .select((
            GrantRow::as_select(),
            admin_units::path.nullable(),
            sites::unit_path.nullable(),
        ))
        .order(grants::id.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(with_paths).collect())
}

/// A grant's user, its unit's path and its site's unit path.
pub type GrantPlace = (String, Option<String>, Option<String>);

/// Every active grant's user and where it lies (its unit's path, or its site's).
pub fn active_grant_places(conn: &mut AnyConnection) -> QueryResult<Vec<GrantPlace>> {
    grants::table
        .left_join(admin_units::table)
        .left_join(sites::table)
        .filter(grants::revoked_at.is_null())
        .select((
            grants::user_id,
            admin_units::path.nullable(),
            sites::unit_path.nullable(),
        ))
        .load(conn)
}

pub fn grant(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<GrantWithPath>> {
    let row: Option<GrantPaths> = grants::table
        .left_join(admin_units::table)
        .left_join(sites::table)
        .filter(grants::id.eq(id))
        .select((
            GrantRow::as_select(),
            admin_units::path.nullable(),
            sites::unit_path.nullable(),
        ))
        .get_result(conn)
        .optional()?;
    Ok(row.map(with_paths))
}

pub fn insert_grant(conn: &mut AnyConnection, g: &GrantRow) -> QueryResult<()> {
    diesel::insert_into(grants::table)
        .values(g.clone())
        .execute(conn)?;
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

/// Users by id after `cursor`, ordered by id: all of them (`ids: None`), or those named.
pub fn list_users(
    conn: &mut AnyConnection,
    ids: Option<&[String]>,
    cursor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(ids) = ids {
        q = q.filter(users::id.eq_any(ids.to_vec()));
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

/// The client of a username's failures counted across every address.
pub const ALL_CLIENTS: &str = "*";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_guards)]
pub struct GuardRow {
    pub username: String,
    pub client: String,
    pub failures: i32,
    pub last_failure: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

/// The failures of `username` at `client`, and across clients.
pub fn guards(
    conn: &mut AnyConnection,
    username: &str,
    client: &str,
) -> QueryResult<(Option<GuardRow>, Option<GuardRow>)> {
    let rows: Vec<GuardRow> = login_guards::table
        .filter(login_guards::username.eq(username))
        .filter(login_guards::client.eq_any([client, ALL_CLIENTS]))
        .select(GuardRow::as_select())
        .load(conn)?;
    let pick = |c: &str| rows.iter().find(|r| r.client == c).cloned();
    Ok((pick(client), pick(ALL_CLIENTS)))
}

pub fn save_guard(conn: &mut AnyConnection, row: &GuardRow) -> QueryResult<()> {
    let n = diesel::update(login_guards::table.find((&row.username, &row.client)))
        .set((
            login_guards::failures.eq(row.failures),
            login_guards::last_failure.eq(row.last_failure),
            login_guards::locked_until.eq(row.locked_until),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(login_guards::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Forget the failures of `username` at `client` and across clients (a login succeeded).
pub fn clear_guards(conn: &mut AnyConnection, username: &str, client: &str) -> QueryResult<()> {
    diesel::delete(
        login_guards::table
            .filter(login_guards::username.eq(username))
            .filter(login_guards::client.eq_any([client, ALL_CLIENTS])),
    )
    .execute(conn)?;
    Ok(())
}

/// Lift every lock and count of `username` (an administrator unlocks); how many were kept.
pub fn unlock(conn: &mut AnyConnection, username: &str) -> QueryResult<usize> {
    diesel::delete(login_guards::table.filter(login_guards::username.eq(username))).execute(conn)
}
