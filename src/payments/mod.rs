//! Payments: what the providers say about a payment, and how to tell that it was
//! really them saying it.
//!
//! - [`result_codes`]: HyperPay's result codes classified (succeeded, to review,
//!   pending, rejected) by the documented patterns.
//! - [`providers::hyperpay_webhook`]: HyperPay's AES-256-GCM webhook bodies opened, or
//!   refused as forged.
//! - [`providers::hyperpay_status`]: a payment as HyperPay's status answers and
//!   notifications describe it, keeping of the card only its BIN and last four digits.
//! - [`providers::tap_signature`]: Tap's `hashstring` HMAC checked in constant time,
//!   over the fields read from the charge Tap posts.
//!
//! A notification that passes these checks is still only a hint: the payment's state
//! is always asked of the provider before an order is marked paid.

pub mod providers;
pub mod result_codes;
