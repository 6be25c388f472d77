//! The payments module's SQL: payments, refunds, their audit trail, and the sandbox
//! provider's checkouts.

pub mod audit;
pub mod payments;
pub mod refunds;
pub mod sandbox;
