//! Who sent a request: its address (for rate limits and log-in throttling) and its bearer
//! token, read the same way from an HTTP header and from a socket's `connectionParams`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, header::AUTHORIZATION},
};

use crate::state::AppState;

/// The client's address: the TCP peer, or, behind a proxy configured with
/// `--client-ip-header`, the last address that header lists (the one the proxy saw).
pub fn client_ip(state: &AppState, request: &Request) -> IpAddr {
    let from_header = state.http.client_ip_header.as_ref().and_then(|name| {
        let value = request.headers().get(name.as_str())?.to_str().ok()?;
        value.rsplit(',').next()?.trim().parse().ok()
    });
    from_header
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_header(headers: &HeaderMap) -> Option<&str> {
    bearer(headers.get(AUTHORIZATION)?.to_str().ok()?)
}

/// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 7235).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
