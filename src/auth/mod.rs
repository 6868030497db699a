//! Who is asking: passwords (argon2id), tokens (JWT access + rotating refresh), and the
//! `Actor` a handler receives with its grants and the jurisdiction each one covers.

pub mod actor;
pub mod cache;
pub mod password;
pub mod token;

pub use actor::{Actor, ActorGrant, Scope, SiteScope};
