//! The Mutation root, composed of one part per domain.

use async_graphql::MergedObject;

use super::{
    auth::AuthMutation, preferences::PreferencesMutation, tag::TagMutation,
    todo::mutations::TodoMutation, user::UserMutation,
};

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AuthMutation,
    UserMutation,
    PreferencesMutation,
    TodoMutation,
    TagMutation,
);
