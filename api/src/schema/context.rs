//! What resolvers take from the request context: the database, the viewer and the
//! client's address.

use std::net::IpAddr;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::{
    error::{Error, Result},
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
    /// Any other data the schema was built with.
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

    fn app_data<T: Send + Sync + 'static>(&self) -> Result<&T> {
        self.data::<T>().map_err(|err| Error::Internal(err.message))
    }
}
