//! The SQL of accounts and security, one file per group of tables.
//!
//! Functions here run one statement each on the executor they are given (a pool, or
//! a transaction the caller holds) and answer plain rows; the decisions, and which
//! statements share a transaction, stay with the callers in `auth`.

pub mod api_keys;
pub mod mfa;
pub mod otp;
pub mod resets;
pub mod sessions;
mod standing;
pub mod users;
pub mod verifications;

pub use standing::{Standing, standing};
