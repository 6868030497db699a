//! Extractors: the authenticated `Actor`, and a JSON body whose errors name the field.

use super::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

impl FromRequest for Actor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Actor, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            let token = bearer
                .ok_or_else(|| AppError::Unauthorized("a bearer token is required".into()))?;
            let claims = state
                .keys
                .verify(&token)
                .map_err(|e| AppError::Unauthorized(format!("the token is not valid: {e}")))?;
            if let Some(actor) = state.actors.get(&claims.sub, &claims.sid) {
                return Ok(actor);
            }
            let generation = state.actors.generation();
            let (user, session) = (claims.sub.clone(), claims.sid.clone());
            let actor = state
                .run(move |conn| {
                    crate::service::accounts::load_actor(conn, &claims.sub, &claims.sid)
                })
                .await?;
            state.actors.put(generation, &user, &session, &actor);
            Ok(actor)
        })
    }
}

/// The address a request comes from, for login throttling: the peer's, or behind a trusted
/// proxy the one it forwards (`TRUST_FORWARDED`). `unknown` when there is none.
pub fn client_addr(req: &HttpRequest, trust_forwarded: bool) -> String {
    let info = req.connection_info();
    let addr = if trust_forwarded {
        info.realip_remote_addr().map(str::to_string)
    } else {
        req.peer_addr().map(|a| a.ip().to_string())
    };
    // a forwarded value may carry a port; keep the host
    let addr = addr.unwrap_or_else(|| "unknown".into());
    match addr.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().to_string(),
        Err(_) => addr.chars().take(64).collect(),
    }
}

/// A JSON request body. Unlike `web::Json`, a type error names the field it is in, and every
/// error is a problem+json answer. The second field is a hash of the body's content (keys
/// sorted), which tells a request sent again from another one.
pub struct ApiJson<T>(pub T, pub BodyHash);

/// The SHA-256 of a body's content, in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyHash(pub String);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<ApiJson<T>, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::BadRequest(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            let bytes = bytes
                .await
                .map_err(|e| AppError::BadRequest(format!("body: {e}")))?;
            let mut value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
            whole_floats_as_integers(&mut value);
            if let Some((path, c)) = forbidden_text(&value, String::new()) {
                return Err(AppError::field(
                    &path,
                    format!(
                        "holds an invisible or control character (U+{:04X})",
                        c as u32
                    ),
                ));
            }
            let hash = {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(value.to_string().as_bytes());
                BodyHash(digest.iter().map(|b| format!("{b:02x}")).collect())
            };
            match serde_path_to_error::deserialize::<_, T>(value) {
                Ok(v) => Ok(ApiJson(v, hash)),
                Err(err) => Err(type_error(err)),
            }
        })
    }
}

/// The field path and character of the first string in the body holding a character no
/// person types (`domain::text::is_forbidden_char`).
fn forbidden_text(v: &serde_json::Value, path: String) -> Option<(String, char)> {
    use serde_json::Value;
    match v {
        Value::String(s) => crate::domain::text::forbidden_char(s).map(|c| (path, c)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| forbidden_text(x, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            forbidden_text(x, p)
        }),
        _ => None,
    }
}

/// JSON Schema counts `5.0` an integer, serde does not take it for an `i32`: every float
/// without a fraction, inside the range of `i64`, becomes that integer.
fn whole_floats_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            let whole = n.as_f64().filter(|f| {
                n.is_f64() && f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64
            });
            if let Some(f) = whole {
                *n = (f as i64).into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

/// A body that is JSON but not of the request's shape: the field it is in, and what is wrong.
fn type_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let msg = err.into_inner().to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    let named = |prefix: &str| {
        msg.strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
            .map(str::to_string)
    };
    let under = |field: String| {
        if path == "." {
            field
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(field) = named("missing field `") {
        return AppError::field(&under(field), "is required");
    }
    if let Some(field) = named("unknown field `") {
        // the path already ends at the unknown field
        let name = if path == "." { field } else { path };
        return AppError::field(&name, "is not a known field");
    }
    if path == "." {
        return AppError::BadRequest(format!(
            "the body is not valid JSON for this request: {msg}"
        ));
    }
    AppError::field(&path, msg)
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .error_handler(|e, _| AppError::BadRequest(format!("body: {e}")).into())
}

#[cfg(test)]
mod tests {
    use super::whole_floats_as_integers;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_and_the_rest_stays() {
        let mut v = json!({"version": 5.0, "t": 37.5, "n": [-0.0, 2, 1e19], "s": "5.0"});
        whole_floats_as_integers(&mut v);
        assert_eq!(
            v,
            json!({"version": 5, "t": 37.5, "n": [0, 2, 1e19], "s": "5.0"})
        );
        assert!(v["version"].is_i64() && v["n"][2].is_f64());
    }
}
