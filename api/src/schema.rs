//! The GraphQL schema: types and resolvers per domain, composed into one schema. Resolvers
//! stay thin: they read arguments, call a service, wrap the result.

pub mod auth;
pub mod auth_mutations;
pub mod compiled;
pub mod connection;
pub mod context;
pub mod history;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod preferences;
pub mod preferences_mutations;
pub mod query;
pub mod scalars;
pub mod subscription;
pub mod tag;
pub mod tag_mutations;
pub mod todo;
pub mod todo_list;
pub mod todo_mutations;
pub mod todo_stats;
pub mod user;
pub mod user_mutations;

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::{
    config::{AuthConfig, RateLimitConfig},
    events::Events,
    execution::{executor::ApiSchema, limits::QueryLimits},
    service::{page::PageLimits, password::Passwords},
};

/// The server's schema, held to its limits: what the transports execute.
pub type Api = ApiSchema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

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
pub fn build_schema(data: AppData, limits: QueryLimits, introspection: bool) -> Api {
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
    ApiSchema::new(schema, limits, max_ids)
}

/// The SDL of the schema, as `api export-schema` prints it. Needs no database.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().include_specified_by())
}

/// The schema's types as the cost limits price them (see
/// [`pricing_registry`](crate::execution::executor::pricing_registry)).
pub fn pricing_registry() -> async_graphql::registry::Registry {
    crate::execution::executor::pricing_registry::<
        query::QueryRoot,
        mutation::MutationRoot,
        subscription::SubscriptionRoot,
    >()
}

fn builder()
-> SchemaBuilder<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot> {
    Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
}
