//! One integration binary: the real application against a fresh database per test.
//! `cargo test` runs it on SQLite; `TEST_DATABASE_URL=postgres://… cargo test` on PostgreSQL.

mod accounts;
mod barcodes;
mod cascade_property;
mod concurrency;
mod contract;
mod event_changes;
mod exports;
mod field_times;
mod helpers;
mod instances;
mod lifecycles;
mod logs;
mod matrix;
mod merge;
mod notices;
mod people;
mod platform;
mod privacy;
mod purge;
mod quarantine;
mod races;
mod regimes;
mod replica;
mod reports;
mod samples;
mod sync;
mod sync_feed;
mod trace;
mod units;
mod workflow;
mod writer;
mod zones;
