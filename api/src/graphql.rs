//! The GraphQL schema: types and resolvers per domain, composed into one schema. Resolvers
//! stay thin: they read arguments, call a service, wrap the result.

pub mod auth;
pub mod connection;
pub mod context;
pub mod error_codes;
pub mod history;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod preferences;
pub mod query;
pub mod scalars;
pub mod subscription;
pub mod tag;
pub mod todo;
pub mod todo_mutation;
pub mod user;

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::{
    config::AuthConfig,
    events::Events,
    service::{page::PageLimits, password::Passwords},
};

/// The server's schema type.
pub type AppSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// The schema with its app-wide data. Request-scoped data (the viewer) is added per request
/// by the HTTP handler, never here.
pub fn build_schema(
    db: DatabaseConnection,
    passwords: Passwords,
    auth: AuthConfig,
    page_limits: PageLimits,
    events: Events,
) -> AppSchema {
    builder()
        .data(events)
        .data(db)
        .data(passwords)
        .data(auth)
        .data(page_limits)
        .finish()
}

/// The SDL of the schema, as `api export-schema` prints it. Needs no database.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().include_specified_by())
}

fn builder()
-> SchemaBuilder<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot> {
    Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .extension(error_codes::ErrorCodes)
}
