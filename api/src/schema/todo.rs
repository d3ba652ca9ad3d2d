//! The `Todo` type; its lists (`Query.todos`, the filter and order inputs, the connection)
//! are in [`todo_list`](super::todo_list), its mutations in
//! [`todo_mutations`](super::todo_mutations).

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use entity::todo;

use super::{
    connection::{TotalCount, page_args, window, with_total},
    context::ContextExt,
    history::{TodoHistoryConnection, TodoHistoryEntry},
    node::{NodeType, global_id},
    scalars::DateTime,
    tag::Tag,
    user::User,
};
use crate::{
    error::Error,
    execution::{
        plain_fields::{Plain, PlainFields},
        response_budget::Items,
    },
    service,
};

/// How urgent a todo is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::todo::Priority")]
pub enum Priority {
    /// Can wait.
    Low,
    /// The default.
    Medium,
    /// Do it first.
    High,
}

/// Something to do, owned by one user.
pub struct Todo {
    /// The row. Lists leave out the description when no field asks for it, so read that
    /// through the `description` field only.
    pub model: todo::Model,
    /// Whether `model.description` was read.
    pub(super) description_read: bool,
    /// Its tags, when they came with it: loaded for its whole list
    /// (`TodoConnection::with_tags`), or those it had when handed over.
    pub(super) tags: Option<Arc<[Plain<Tag>]>>,
    /// For the todo as it was handed over in a transfer: the transfer's history entry,
    /// where the history it shows ends.
    pub(super) history_until: Option<i32>,
}

impl From<todo::Model> for Todo {
    /// A whole row.
    fn from(model: todo::Model) -> Self {
        Self {
            model,
            description_read: true,
            tags: None,
            history_until: None,
        }
    }
}

impl Todo {
    /// The todo as it was handed over in the transfer recorded as history entry `entry`,
    /// with the tags it had then: its fields, tags and history stay as they were.
    pub fn handed_over(model: todo::Model, mut tags: Vec<entity::tag::Model>, entry: i32) -> Self {
        tags.sort_by_cached_key(|tag| tag.name.to_lowercase());
        tags.truncate(service::validate::TAGS_PER_TODO_MAX);
        Self {
            model,
            description_read: true,
            tags: Some(tags.into_iter().map(|tag| Plain(Tag(tag))).collect()),
            history_until: Some(entry),
        }
    }
}

/// Something to do, owned by one user.
#[Object(serial)] // see User
impl Todo {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Todo, self.model.id)
    }

    /// What to do.
    async fn title(&self) -> &str {
        &self.model.title
    }

    /// Details.
    async fn description(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if self.description_read {
            return Ok(self.model.description.clone());
        }
        // The list decided from its selection that no one asks; should a selection it did
        // not foresee ask anyway, the answer still comes from the row, not a null.
        let row = ctx.loaders()?.todo_by_id().load_one(self.model.id).await?;
        Ok(row.and_then(|row| row.description))
    }

    /// How urgent it is.
    async fn priority(&self) -> Priority {
        self.model.priority.into()
    }

    /// Whether it is done.
    async fn completed(&self) -> bool {
        self.model.completed
    }

    /// When it should be done.
    async fn due_date(&self) -> Option<DateTime> {
        self.model.due_date.map(DateTime)
    }

    /// When it was completed; null while open.
    async fn completed_at(&self) -> Option<DateTime> {
        self.model.completed_at.map(DateTime)
    }

    /// Set when soft-deleted; null otherwise.
    async fn deleted_at(&self) -> Option<DateTime> {
        self.model.deleted_at.map(DateTime)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.model.updated_at)
    }

    /// Optimistic-locking version: starts at 1, +1 on every change.
    async fn version(&self) -> i32 {
        self.model.version
    }

    /// The owner.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let user = ctx
            .loaders()?
            .user_by_id()
            .load_one(self.model.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        Ok(user.into())
    }

    /// Audit trail of this todo, newest first.
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<TodoHistoryConnection> {
        let args = page_args(first, after, last, before);
        let window = window(ctx, args, service::history::ORDERING)?;
        let until = self.history_until;
        let page = async {
            if let Some(until) = until {
                // One todo of one event: nothing to batch.
                let mut pages = service::history::pages_by_todo(
                    ctx.db()?,
                    &[self.model.id],
                    &window,
                    Some(until),
                )
                .await?;
                return Ok(pages.remove(&self.model.id));
            }
            let loaders = ctx.loaders()?;
            Ok(loaders
                .history_page_by_todo()
                .load_one((self.model.id, window.clone()))
                .await?)
        };
        let total = TotalCount::History {
            todo_id: self.model.id,
            until,
        };
        let (page, total) = with_total(ctx, page, total).await?;
        Ok(TodoHistoryConnection::new(
            page.unwrap_or_else(service::page::Page::empty),
            |e| service::history::cursor(e).encode(),
            TodoHistoryEntry,
            total,
        ))
    }

    /// Sorted by name; at most 20 (a todo holds at most 20 tags).
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Items<Plain<Tag>>> {
        if let Some(tags) = &self.tags {
            return Ok(Items(tags.clone()));
        }
        let loaders = ctx.loaders()?;
        let tags = loaders.tags_by_todo_id().load_one(self.model.id).await?;
        Ok(Items(
            tags.unwrap_or_default()
                .into_iter()
                .map(|tag| Plain(Tag(tag)))
                .collect(),
        ))
    }
}

impl PlainFields for Todo {
    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        use async_graphql::{ScalarType, Value, resolver_utils::enum_value};
        let todo = &self.model;
        let instant = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map_or(Value::Null, |at| DateTime(at).to_value())
        };
        Some(match name {
            "id" => Value::String(global_id(NodeType::Todo, todo.id).0),
            "title" => Value::String(todo.title.clone()),
            "description" if self.description_read => {
                todo.description.clone().map_or(Value::Null, Value::String)
            }
            "priority" => enum_value(Priority::from(todo.priority)),
            "completed" => Value::Boolean(todo.completed),
            "dueDate" => instant(todo.due_date),
            "completedAt" => instant(todo.completed_at),
            "deletedAt" => instant(todo.deleted_at),
            "createdAt" => DateTime(todo.created_at).to_value(),
            "updatedAt" => DateTime(todo.updated_at).to_value(),
            "version" => Value::from(todo.version),
            _ => return None,
        })
    }
}
