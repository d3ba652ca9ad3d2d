//! What resolvers take from the context: the schema's data, the same for every request
//! (the database, the event hub, settings), and the request's own (the viewer, its
//! loaders, the client's address).

use std::net::IpAddr;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::loaders::Loaders;
use crate::{
    error::{Error, Result},
    events::Events,
    service::viewer::Viewer,
};

/// The address a request came from (for log-in throttling and per-address caps), put in
/// the request's data by the transport.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Typed access to the schema's and the request's data.
pub trait ContextExt {
    /// The connection pool.
    fn db(&self) -> Result<&DatabaseConnection>;
    /// The signed-in user, if the request carried a valid token.
    fn viewer(&self) -> Option<&Viewer>;
    /// The signed-in user, or UNAUTHENTICATED.
    fn require_viewer(&self) -> Result<&Viewer>;
    /// The event hub, which changes are committed through.
    fn events(&self) -> Result<&Events>;
    /// The request's own loaders: each request gets new ones from its transport, so that
    /// nothing one request loaded is served to another.
    fn loaders(&self) -> Result<&Loaders>;
    /// Any other data the schema was built with, the same for every request.
    fn app_data<T: Send + Sync + 'static>(&self) -> Result<&T>;
}

impl ContextExt for Context<'_> {
    fn db(&self) -> Result<&DatabaseConnection> {
        self.app_data()
    }

    fn viewer(&self) -> Option<&Viewer> {
        self.data_opt::<Viewer>()
    }

    fn require_viewer(&self) -> Result<&Viewer> {
        self.viewer().ok_or(Error::Unauthenticated(
            "Sign in first: send Authorization: Bearer <token>.",
        ))
    }

    fn events(&self) -> Result<&Events> {
        self.app_data()
    }

    fn loaders(&self) -> Result<&Loaders> {
        self.app_data()
    }

    fn app_data<T: Send + Sync + 'static>(&self) -> Result<&T> {
        self.data::<T>().map_err(|err| Error::Internal(err.message))
    }
}
