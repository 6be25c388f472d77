//! Where a request comes from: the client address and user agent.
//!
//! The address is the socket's peer unless that peer is a configured trusted proxy;
//! then `X-Forwarded-For` is read from the right, skipping trusted proxies, and the
//! first address that is not one is the client. Entries left of it were written by
//! the client itself and could say anything, so they are never believed.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

/// Longest user agent kept; the audit log's column has the same limit.
const USER_AGENT_MAX: usize = 512;

/// The client's address, given the socket peer and the trusted proxies.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> Option<IpAddr> {
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !trusted(&peer) {
        return Some(peer);
    }
    let mut forwarded: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return Some(peer);
        };
        for entry in value.split(',') {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) => forwarded.push(ip),
                // A malformed hop means the chain cannot be followed past it.
                Err(_) => forwarded.clear(),
            }
        }
    }
    let mut client = peer;
    for hop in forwarded.into_iter().rev() {
        client = hop;
        if !trusted(&hop) {
            break;
        }
    }
    Some(client)
}

/// The client address of a request, found once by the first layer that needs it (the
/// block list) and read from the request's extensions by the others.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

/// The request's client address: the one a layer already found, else found now.
pub fn request_client_ip(extensions: &Extensions, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> Option<IpAddr> {
    match extensions.get::<ClientAddress>() {
        Some(ClientAddress(ip)) => *ip,
        None => client_ip(peer_ip(extensions), headers, trusted_proxies),
    }
}

/// The peer address axum recorded for the connection, if the server recorded one.
pub fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
}

/// The proxies whose `X-Forwarded-For` is believed (`http.trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<[IpNet]>);

/// Longest request id kept: a client may send its own.
const REQUEST_ID_MAX: usize = 128;

/// Where a request came from, for rate limits and the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The request's `X-Request-Id` (set by the router when the client sent none).
    pub request_id: Option<String>,
}

impl RequestContext {
    pub fn of(parts: &Parts, trusted_proxies: &[IpNet]) -> RequestContext {
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|id| id.chars().take(REQUEST_ID_MAX).collect());
        RequestContext {
            ip: request_client_ip(&parts.extensions, &parts.headers, trusted_proxies),
            user_agent,
            request_id,
        }
    }

    /// The address as text, the way the database's `inet` columns take it.
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

impl<S> FromRequestParts<S> for RequestContext
where
    S: Send + Sync,
    TrustedProxies: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let TrustedProxies(proxies) = TrustedProxies::from_ref(state);
        Ok(RequestContext::of(parts, &proxies))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let headers = forwarded("1.2.3.4");
        assert_eq!(client_ip(Some(ip("203.0.113.9")), &headers, &[]), Some(ip("203.0.113.9")));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = Some(ip("10.0.0.2"));
        assert_eq!(client_ip(peer, &forwarded("198.51.100.7"), &proxies), Some(ip("198.51.100.7")));
        // The client wrote the left entry itself: it is not believed.
        assert_eq!(client_ip(peer, &forwarded("6.6.6.6, 198.51.100.7, 10.0.0.5"), &proxies), Some(ip("198.51.100.7")));
        assert_eq!(client_ip(peer, &HeaderMap::new(), &proxies), Some(ip("10.0.0.2")));
        assert_eq!(client_ip(peer, &forwarded("not-an-ip"), &proxies), Some(ip("10.0.0.2")));
    }

    #[test]
    fn an_address_a_layer_found_is_read_not_found_again() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(ip("10.0.0.2"), 443)));
        let headers = forwarded("198.51.100.7");
        assert_eq!(request_client_ip(&extensions, &headers, &proxies), Some(ip("198.51.100.7")), "found");
        extensions.insert(ClientAddress(Some(ip("203.0.113.9"))));
        assert_eq!(request_client_ip(&extensions, &headers, &proxies), Some(ip("203.0.113.9")), "read");
        extensions.insert(ClientAddress(None));
        assert_eq!(request_client_ip(&extensions, &headers, &proxies), None, "an unknown client stays unknown");
    }

    #[test]
    fn ipv6_peers_and_hops_work_alike() {
        let proxies: Vec<IpNet> = vec!["fd00::/8".parse().unwrap()];
        assert_eq!(client_ip(Some(ip("fd00::1")), &forwarded("2001:db8::7"), &proxies), Some(ip("2001:db8::7")));
    }
}
