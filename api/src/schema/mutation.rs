//! The Mutation root, composed of one part per domain: each domain's mutations are in
//! `schema/<domain>/mutations.rs`.

use async_graphql::MergedObject;

use super::{
    auth::mutations::AuthMutation, preferences::mutations::PreferencesMutation,
    tag::mutations::TagMutation, todo::mutations::TodoMutation, user::mutations::UserMutation,
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
