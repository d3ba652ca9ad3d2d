//! The Mutation root, composed of one part per domain: each domain's mutations are in
//! `schema/<domain>_mutations.rs`.

use async_graphql::MergedObject;

use super::{
    auth_mutations::AuthMutation, preferences_mutations::PreferencesMutation,
    tag_mutations::TagMutation, todo_mutations::TodoMutation, user_mutations::UserMutation,
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
