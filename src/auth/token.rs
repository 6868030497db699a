//! Access tokens: HS256 JWTs (the algorithm pinned) with `sub`, `iss`, `aud`, `exp`, `nbf`,
//! `iat`, all required. Refresh tokens: random, stored only as a SHA-256 hash.

use crate::config::Config;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    /// The login session (refresh-token family): logging out or changing the password ends
    /// it, and with it every access token issued in it.
    pub sid: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    /// Keys from the configuration and the secret in use (the configured one, or the
    /// instance's own).
    pub fn new(config: &Config, secret: &str) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl_secs: config.access_ttl.as_secs() as i64,
        }
    }

    pub fn issue(&self, user_id: &str, session: &str, now: i64) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl_secs,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: session.to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing failed: {e}"))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| e.to_string())
    }
}

/// A new refresh token (what the client keeps) and its hash (what the database keeps).
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-secret-of-the-tests-a-secret-of-the-tests";

    fn keys() -> TokenKeys {
        TokenKeys::new(&Config::for_database("sqlite://:memory:"), SECRET)
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let t = k.issue("user-1", "s", now).unwrap();
        assert_eq!(k.verify(&t).unwrap().sub, "user-1");
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let k = keys();
        let long_ago = chrono::Utc::now().timestamp() - 3600;
        assert!(k.verify(&k.issue("u", "s", long_ago).unwrap()).is_err());
        let mut other = Config::for_database("sqlite://:memory:");
        other.jwt_audience = "someone-else".into();
        let foreign = TokenKeys::new(&other, SECRET)
            .issue("u", "s", chrono::Utc::now().timestamp())
            .unwrap();
        assert!(k.verify(&foreign).is_err());
        let other_secret = TokenKeys::new(&Config::for_database("sqlite://:memory:"), "another")
            .issue("u", "s", chrono::Utc::now().timestamp())
            .unwrap();
        assert!(k.verify(&other_secret).is_err());
    }

    #[test]
    fn refresh_tokens_are_stored_hashed() {
        let (t, h) = new_refresh_token();
        assert_ne!(t, h);
        assert_eq!(hash_refresh_token(&t), h);
        assert_eq!(h.len(), 64);
    }
}
