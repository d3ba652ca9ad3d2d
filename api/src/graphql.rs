//! The GraphQL schema: types and resolvers per domain, composed into one schema. Resolvers
//! stay thin: they read arguments, call a service, wrap the result.

pub mod auth;
pub mod connection;
pub mod context;
pub mod cost;
pub mod error_codes;
pub mod executor;
pub mod history;
pub mod input_bounds;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod plain_fields;
pub mod preferences;
pub mod query;
pub mod response_budget;
pub mod scalars;
pub mod scan;
pub mod screen;
pub mod subscription;
pub mod tag;
pub mod todo;
pub mod todo_mutation;
pub mod user;

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::{
    config::{AuthConfig, RateLimitConfig},
    events::Events,
    service::{page::PageLimits, password::Passwords},
};

/// The server's schema type.
pub type AppSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// What every resolver may read: app-wide, the same for every request.
pub struct AppData {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Password hashing.
    pub passwords: Passwords,
    /// Session settings.
    pub auth: AuthConfig,
    /// Page sizes.
    pub page_limits: PageLimits,
    /// Live updates.
    pub events: Events,
    /// Log-in throttling settings.
    pub rate_limits: RateLimitConfig,
    /// The rate limiter, for the points and allowances of sign-ups and log-ins.
    pub rate_limiter: crate::rate_limit::RateLimiter,
}

/// The schema with its app-wide data, held to `limits`. Request-scoped data (the viewer)
/// is added per request by the HTTP handler, never here.
pub fn build_schema(
    data: AppData,
    limits: limits::QueryLimits,
    introspection: bool,
) -> executor::ApiSchema {
    let max_ids = usize::try_from(data.page_limits.max).unwrap_or(usize::MAX);
    let mut builder = builder();
    if !introspection {
        builder = builder.disable_introspection();
    }
    let schema = builder
        .data(data.events)
        .data(data.db)
        .data(data.passwords)
        .data(data.auth)
        .data(data.page_limits)
        .data(data.rate_limits)
        .data(data.rate_limiter)
        .finish();
    executor::ApiSchema::new(schema, limits, max_ids)
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
}
