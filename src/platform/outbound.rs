//! Calls to outside services (payment, SMS and email providers): one way to build the
//! HTTP client, and one way to join a base URL and a path.

use std::time::Duration;

/// The HTTP client every outside provider shares: rustls with the ring provider (no OpenSSL),
/// and a timeout on every request so a slow provider never holds a shopper forever.
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    install_tls_provider();
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("cargoparts/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Gives the process its TLS crypto provider before any reqwest client is built.
///
/// reqwest (ours and object_store's) is built without a provider of its own; the process
/// gets one, once, the same ring that sqlx's TLS uses. Err means one is installed already.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A URL under a provider's base URL, whether or not the base ends with `/`.
pub fn endpoint(base_url: &str, path: &str) -> String {
    format!("{}/{}", base_url.trim_end_matches('/'), path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_join_whatever_the_slashes() {
        assert_eq!(endpoint("https://eu-test.oppwa.com/", "/v1/checkouts"), "https://eu-test.oppwa.com/v1/checkouts");
        assert_eq!(endpoint("https://api.tap.company/v2", "charges"), "https://api.tap.company/v2/charges");
    }
}
