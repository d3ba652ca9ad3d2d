//! The `TodoHistoryEntry` type: one change in a todo's audit trail.

use async_graphql::{Context, Enum, ID, Object};
use entity::todo_history;

use super::{
    connection::connection_type,
    context::ContextExt,
    node::{NodeType, global_id},
    scalars::DateTime,
    user::User,
};

/// What happened to a todo.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::todo_history::TodoAction")]
pub enum TodoAction {
    /// It was created.
    Created,
    /// Its fields changed.
    Updated,
    /// It was marked done.
    Completed,
    /// It was marked not done.
    Reopened,
    /// It was soft-deleted.
    Deleted,
    /// It was restored.
    Restored,
    /// It moved to another owner.
    Transferred,
    /// Tags were added.
    Tagged,
    /// Tags were removed.
    Untagged,
}

/// One change in a todo's audit trail.
pub struct TodoHistoryEntry(pub todo_history::Model);

connection_type!(
    TodoHistoryConnection,
    TodoHistoryEdge,
    TodoHistoryEntry,
    "audit trail entries"
);

async fn user(ctx: &Context<'_>, id: Option<i32>) -> async_graphql::Result<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx
        .loaders()?
        .user_by_id()
        .load_one(id)
        .await?
        .map(User::from))
}

/// One change in a todo's audit trail.
#[Object(serial)] // see User
impl TodoHistoryEntry {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeType::TodoHistoryEntry, self.0.id)
    }

    /// What happened.
    async fn action(&self) -> TodoAction {
        self.0.action.into()
    }

    /// Who did it.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.actor_id).await
    }

    /// For transfers: the previous owner.
    #[expect(
        clippy::wrong_self_convention,
        reason = "the contract names the field fromUser"
    )]
    async fn from_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.from_user_id).await
    }

    /// For transfers: the new owner.
    async fn to_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.to_user_id).await
    }

    /// When it happened.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}
