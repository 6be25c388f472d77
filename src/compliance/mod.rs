//! Compliance: SAMA-style transaction monitoring. Every payment attempt is screened
//! by the rules in [`monitoring`]; what they flag waits in a review queue for an
//! administrator to clear or report. A flag never holds a payment back: it records
//! that someone must look.

pub mod error;
pub mod monitoring;
mod routes;
pub mod store;

pub use error::ComplianceError;
pub use routes::routes;
