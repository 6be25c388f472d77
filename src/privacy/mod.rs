//! Personal data rights under the PDPL: a copy of everything held about an account,
//! its erasure, and the consents it gave or withdrew. `docs/privacy.md` lists what is
//! stored, why, for how long, and how each right is exercised.
//!
//! The data lives in the modules that own it (accounts, orders, messages, the audit
//! trail); this module asks each for its part, and erases in one transaction.

pub mod consents;
pub mod erasure;
pub mod error;
pub mod export;
pub mod exports;
pub mod retention;
mod routes;

pub use error::PrivacyError;
pub use routes::routes;
