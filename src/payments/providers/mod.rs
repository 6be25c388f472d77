//! The outside payment providers' wire formats.

pub mod hyperpay_status;
pub mod hyperpay_webhook;
pub mod tap_signature;
