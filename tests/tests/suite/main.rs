//! The end-to-end suite: the real server, over HTTP and WebSocket, on SQLite and PostgreSQL
//! (see the `tests` library for the harness). One test binary, a module per domain, so that
//! the server is linked once, not once per file. `both_backends!` declares a test's SQLite
//! and PostgreSQL variants: `cargo test -p tests -- todos::` runs one domain,
//! `-- ::postgres` one backend.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "in a test, a failed expectation is the failure"
)]

mod auth;
mod browser;
mod clients;
mod compiled;
mod demo;
mod hostile;
mod http;
mod limits;
mod lists;
mod nodes;
mod operations;
mod performance;
mod preferences;
mod resilience;
mod schema;
mod subscriptions;
mod tags;
mod telemetry;
mod todos;
mod users;
