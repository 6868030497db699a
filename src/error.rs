//! Errors as RFC 9457 `application/problem+json`: a stable `type` per kind, a human `detail`,
//! and for validation the list of fields with what is wrong. Internal causes are logged and
//! never sent.

use crate::domain::FieldError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem document every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldError>,
    /// For conflicts with an existing record (a known national ID): its identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
    /// For stale updates: the version the record has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// For refused transitions: the state the record is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// For refused transitions: the command that was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        existing_id: Option<String>,
    },
    /// `reason`, when given, is the problem's detail instead of the generic sentence.
    #[error("invalid transition: {command} from {state}")]
    InvalidTransition {
        state: String,
        command: String,
        reason: Option<String>,
    },
    #[error("stale version: {current}")]
    StaleVersion { current: i32 },
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A concurrent transaction got in the way (a deadlock, a serialization failure): the
    /// command may run again from the start (`AppState::write` does); answered only when
    /// the retries ran out.
    #[error("contention: {0}")]
    Contention(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// Whether running the command again from the start may succeed.
    pub fn is_contention(&self) -> bool {
        matches!(self, AppError::Contention(_))
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// The error as one line an item's answer carries: "field: message" for invalid fields.
    pub fn field_message(&self) -> String {
        match self {
            AppError::Validation(errs) => errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }
    pub fn not_found(what: &str) -> AppError {
        AppError::NotFound(format!("{what} not found"))
    }
    /// A stored value the code does not know (an enum's text, say): the data is wrong, not
    /// the request, so this is an internal error that names the value.
    pub fn stored(message: impl std::fmt::Display) -> AppError {
        AppError::Internal(anyhow::anyhow!("unknown stored value: {message}"))
    }

    pub fn conflict(detail: impl Into<String>) -> AppError {
        AppError::Conflict {
            detail: detail.into(),
            existing_id: None,
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            AppError::Validation(_) => ("validation", "Invalid input"),
            AppError::BadRequest(_) => ("bad-request", "Malformed request"),
            AppError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            AppError::Forbidden(_) => ("forbidden", "Not allowed"),
            AppError::NotFound(_) => ("not-found", "Not found"),
            AppError::Conflict { .. } => ("conflict", "Conflict"),
            AppError::StaleVersion { .. } => ("stale-version", "Stale version"),
            AppError::InvalidTransition { .. } => ("invalid-transition", "Transition not allowed"),
            AppError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            AppError::TooManyRequests { .. } => ("too-many-requests", "Too many attempts"),
            AppError::Unavailable(_) | AppError::Contention(_) => {
                ("unavailable", "Service unavailable")
            }
            AppError::Internal(_) => ("internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind();
        let detail = match self {
            AppError::Validation(errs) => {
                let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
                format!("invalid field(s): {}", fields.join(", "))
            }
            AppError::BadRequest(d)
            | AppError::Unauthorized(d)
            | AppError::Forbidden(d)
            | AppError::NotFound(d)
            | AppError::Unavailable(d) => d.clone(),
            AppError::Conflict { detail, .. } => detail.clone(),
            AppError::StaleVersion { current } => {
                format!("the record changed since it was read: its version is now {current}")
            }
            AppError::InvalidTransition {
                reason: Some(reason),
                ..
            } => reason.clone(),
            AppError::InvalidTransition { state, command, .. } => {
                format!("'{command}' is not allowed from state '{state}'")
            }
            AppError::MethodNotAllowed { allow } => {
                format!("this resource answers only {}", allow.join(", "))
            }
            AppError::TooManyRequests { retry_after_secs } => {
                format!("too many attempts: try again in {retry_after_secs} s")
            }
            AppError::Contention(_) => {
                "the database was busy with the same records; try again shortly".into()
            }
            AppError::Internal(_) => "an internal error occurred; it has been logged".into(),
        };
        Problem {
            kind: format!("/problems/{kind}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors: match self {
                AppError::Validation(errs) => errs.clone(),
                _ => Vec::new(),
            },
            existing_id: match self {
                AppError::Conflict { existing_id, .. } => existing_id.clone(),
                _ => None,
            },
            current_version: match self {
                AppError::StaleVersion { current } => Some(*current),
                _ => None,
            },
            state: match self {
                AppError::InvalidTransition { state, .. } => Some(state.clone()),
                _ => None,
            },
            command: match self {
                AppError::InvalidTransition { command, .. } => Some(command.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. }
            | AppError::StaleVersion { .. }
            | AppError::InvalidTransition { .. } => StatusCode::CONFLICT,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Contention(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            AppError::Unauthorized(_) => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::MethodNotAllowed { allow } => {
                resp.insert_header((header::ALLOW, allow.join(", ")));
            }
            AppError::Contention(_) => {
                resp.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        resp.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// A refusal with a reason keeps the reason in the command the client sees, the way the
/// domain's own refusals name what blocks them, and makes it the problem's detail.
impl From<crate::domain::states::Refused> for AppError {
    fn from(r: crate::domain::states::Refused) -> Self {
        AppError::InvalidTransition {
            command: match &r.reason {
                None => r.command,
                Some(why) => format!("{} ({why})", r.command),
            },
            state: r.state,
            reason: r.reason,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    #[track_caller]
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found("record"),
            e if crate::db::is_contention(&e) => AppError::Contention(e.to_string()),
            e if crate::db::is_unique_violation(&e) => {
                AppError::conflict("a record with the same unique value already exists")
            }
            e => {
                let at = std::panic::Location::caller();
                AppError::Internal(anyhow::Error::new(e).context(format!("database error at {at}")))
            }
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool exhausted");
        AppError::Unavailable("the database is busy; try again shortly".into())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errs: validator::ValidationErrors) -> Self {
        AppError::Validation(validation_fields(&errs, ""))
    }
}

/// Flatten validator's nested errors into `field` / `parent.field` / `list[3]` names.
pub fn validation_fields(errs: &validator::ValidationErrors, prefix: &str) -> Vec<FieldError> {
    use validator::ValidationErrorsKind;
    let mut out = Vec::new();
    let mut entries: Vec<_> = errs.errors().iter().collect();
    entries.sort_by_key(|(k, _)| k.to_string());
    for (field, kind) in entries {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError::new(name.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => out.extend(validation_fields(inner, &name)),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    out.extend(validation_fields(inner, &format!("{name}[{i}]")));
                }
            }
        }
    }
    out
}

fn describe(e: &validator::ValidationError) -> String {
    let p = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".into(),
        },
        code => format!("is invalid ({code})"),
    }
}
