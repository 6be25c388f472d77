//! The API's HTTP conventions: the error envelope every failure leaves in (domain
//! errors map to a stable code and status through [`error::ErrorCode`]), extractors whose
//! rejections speak that envelope, credentials in headers, cached JSON, the language
//! of answers, and the rate-limit middleware.

pub mod credentials;
pub mod error;
pub mod extract;
pub mod json;
pub mod locale;
pub mod rate_limit;
