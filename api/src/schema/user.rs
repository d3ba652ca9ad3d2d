//! The `User` type, `viewer`, `users` and `user(username:)`; its mutation is in [`user_mutations`](super::user_mutations).

use async_graphql::{Context, Enum, ID, Object};
use entity::user;

use super::{
    connection::{TotalCount, connection_type, page_args, window},
    context::ContextExt,
    node::{NodeType, global_id},
    preferences::UserPreferences,
    scalars::DateTime,
    todo_list::{TodoConnection, TodoFilter, TodoOrder, todos_of_parent},
    todo_stats::{TodoStats, todo_stats_of_owner},
};
use crate::{
    error::Error,
    service::{self, todo::list::Parent},
};

/// What a user may do beyond their own data.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::user::Role")]
pub enum Role {
    /// Sees and changes their own data.
    User,
    /// Sees everyone's todos and emails, and manages tags.
    Admin,
}

/// A person with an account.
pub struct User {
    model: user::Model,
    /// Set on the user of a sign-up or log-in payload: the request carried no token, yet
    /// the client is that user and may see their own email.
    is_session_owner: bool,
}

impl User {
    /// The user of a new session, seen by themself.
    pub fn session_owner(model: user::Model) -> Self {
        Self {
            model,
            is_session_owner: true,
        }
    }

    /// Whether the viewer may see this user's private fields (email, lastLoginAt,
    /// preferences): the one rule for all of them. Decided from the viewer and the row
    /// alone, so that hiding costs no statement.
    fn is_private_visible(&self, ctx: &Context<'_>) -> bool {
        self.is_session_owner
            || ctx
                .viewer()
                .is_some_and(|viewer| viewer.can_see_private_data_of(self.model.id))
    }
}

connection_type!(UserConnection, UserEdge, User, "users");

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self {
            model,
            is_session_owner: false,
        }
    }
}

/// A person with an account.
// Fields one after another: cheaper than async-graphql's concurrent set per object, and the
// list around the objects still resolves them together, so loaders batch as before.
#[Object(serial)]
impl User {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeType::User, self.model.id)
    }

    /// Public handle, unique.
    async fn username(&self) -> &str {
        &self.model.username
    }

    /// Visible to the user themself and to admins; null for everyone else.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.is_private_visible(ctx)
            .then_some(self.model.email.as_str())
    }

    /// Link to the user's picture.
    async fn avatar_url(&self) -> Option<&str> {
        self.model.avatar_url.as_deref()
    }

    /// Free text about the user; empty when not set.
    async fn bio(&self) -> &str {
        &self.model.bio
    }

    /// Inactive users cannot log in.
    async fn is_active(&self) -> bool {
        self.model.is_active
    }

    /// USER or ADMIN.
    async fn role(&self) -> Role {
        self.model.role.into()
    }

    /// When the user last logged in. Visible to the user themself and to admins; null for
    /// everyone else.
    async fn last_login_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.model
            .last_login_at
            .filter(|_| self.is_private_visible(ctx))
            .map(DateTime)
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// When the profile last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.model.updated_at)
    }

    /// The user's todos that the viewer may see. Soft-deleted todos are left out unless
    /// filter.deleted is true.
    #[expect(
        clippy::too_many_arguments,
        reason = "the GraphQL arguments of a todo connection: one parameter each"
    )]
    async fn todos(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<TodoFilter>,
        order_by: Option<TodoOrder>,
    ) -> async_graphql::Result<TodoConnection> {
        todos_of_parent(
            ctx,
            Parent::Owner,
            self.model.id,
            page_args(first, after, last, before),
            filter,
            order_by,
        )
        .await
    }

    /// The user's settings. Visible to the user themself and to admins; null for everyone
    /// else.
    async fn preferences(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<UserPreferences>> {
        if !self.is_private_visible(ctx) {
            return Ok(None);
        }
        let prefs = ctx
            .loaders()?
            .preferences_by_user_id()
            .load_one(self.model.id)
            .await?
            .ok_or_else(|| Error::Internal(format!("user {} has no preferences", self.model.id)))?;
        Ok(Some(UserPreferences(prefs)))
    }

    /// Counts over the same todos as todos(filter:) would list, computed in the database.
    async fn todo_stats(
        &self,
        ctx: &Context<'_>,
        filter: Option<TodoFilter>,
    ) -> async_graphql::Result<TodoStats> {
        todo_stats_of_owner(ctx, self.model.id, filter).await
    }
}

/// User queries.
#[derive(Default)]
pub struct UserQuery;

/// Queries about users.
#[Object]
impl UserQuery {
    /// The signed-in user; null without a valid token.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(viewer) = ctx.viewer() else {
            return Ok(None);
        };
        Ok(service::user::find(ctx.db()?, viewer.user_id)
            .await?
            .map(User::from))
    }

    /// All users, by username; `search` (at most 200 characters) keeps those whose username
    /// contains it (ignoring case).
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        let window = window(
            ctx,
            page_args(first, after, last, before),
            service::user::ORDERING,
        )?;
        let page = service::user::page(ctx.db()?, search.as_deref(), &window).await?;
        Ok(UserConnection::new(
            page,
            |u| service::user::cursor(u).encode(),
            User::from,
            TotalCount::Users(search),
        ))
    }

    /// The user with this username (at most 32 characters), or null.
    async fn user(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<Option<User>> {
        Ok(service::user::find_by_username(ctx.db()?, &username)
            .await?
            .map(User::from))
    }
}
