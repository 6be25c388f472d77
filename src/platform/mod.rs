//! What every module may use and none owns: configuration, database pools, Redis,
//! the clock, the client address, rate limiting, security headers, the audit log,
//! encryption at rest, phone numbers, money, pagination, idempotency keys, the event
//! outbox and its relay, background jobs, calls to outside services and telemetry.
//!
//! Nothing here knows about HTTP responses or any domain module.

pub mod audit;
pub mod cache;
pub mod client;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error_reports;
pub mod events;
pub mod headers;
pub mod hijri;
pub mod i18n;
pub mod idempotency;
pub mod jobs;
pub mod media;
pub mod migrations;
pub mod money;
pub mod outbound;
pub mod pagination;
pub mod phone;
pub mod rate_limit;
pub mod redis;
pub mod sms;
pub mod store;
pub mod telemetry;
pub mod text;
