//! The HTTP endpoints of accounts and security.

pub mod account;
pub mod admin;
pub mod mfa;
pub mod otp;
pub mod seller_keys;
