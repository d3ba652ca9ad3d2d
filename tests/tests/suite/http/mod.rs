//! The HTTP surface: GraphiQL, probes and GET ([`surface`]), the GraphQL-over-HTTP spec
//! ([`spec`]), and persisted and trusted documents ([`documents`]).

mod documents;
mod spec;
mod surface;
