//! The outbreak-response backend: the library behind the `tracing-backend` binary and the
//! integration tests.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod schema;
pub mod service;
pub mod store;
pub mod synth;
