//! Integration tests against the real PostgreSQL (and Redis where a test says so).
//! One test binary: linking once keeps the suite fast.

mod auth_accounts;
mod auth_authorization;
mod auth_conventions;
mod auth_injection;
mod auth_mfa;
mod auth_otp;
mod auth_rate_limits;
mod auth_recovery;
mod auth_support;
mod auth_tokens;
mod auth_verification;
mod blocklist;
mod cache;
mod catalog_import;
mod conventions;
mod error_reports;
mod hardening;
mod helpers;
mod index_crash;
mod index_lifecycle;
mod inventory_sync;
mod kyc;
mod languages;
mod log_capture;
mod notify;
mod orders;
mod orders_support;
mod payments;
mod payments_support;
mod photos;
mod privacy;
mod public_read;
mod retention;
mod search;
mod security;
