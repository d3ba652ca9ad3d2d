//! The Query root, composed of one part per domain.

use async_graphql::MergedObject;

use super::{
    node::NodeQuery, tag::TagQuery, todo_list::TodoQuery, todo_stats::TodoStatsQuery,
    user::UserQuery,
};

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(NodeQuery, UserQuery, TodoQuery, TodoStatsQuery, TagQuery);
