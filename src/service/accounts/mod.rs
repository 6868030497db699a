//! Accounts: log in, refresh, log out, change password; administrators manage users and
//! their role grants.

use super::{require_reason, Page};
use crate::auth::token::{hash_refresh_token, new_refresh_token, TokenKeys};
use crate::auth::{password, Actor, Scope};
use crate::config::Config;
use crate::db::AnyConnection;
use crate::domain::check_password;
use crate::domain::login::{after_failure, gate, Failures, Gate};
use crate::domain::roles::{manages_account, Action, Role, ScopeKind};
use crate::error::{AppError, AppResult};
use crate::service::Paging;
use crate::store::events::{self, Who};
use crate::store::users::{self as store, GrantRow, GrantWithPath, GuardRow, RefreshRow, UserRow};
use crate::store::{new_id, now, units};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tokens {
    /// A short-lived JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchange it at `/auth/refresh` for new tokens; it works once.
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

pub fn normalize_username(u: &str) -> String {
    u.trim().to_lowercase()
}

mod admin;
mod audit;
mod grants;
mod passwords;
mod sessions;
mod tokens;
mod users;

pub use admin::*;
pub use audit::*;
pub use grants::*;
pub use passwords::*;
pub use sessions::*;
pub use tokens::*;
pub use users::*;
