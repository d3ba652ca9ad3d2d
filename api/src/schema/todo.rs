//! The `Todo` type, its filter and order inputs, and `Query.todos`.

pub mod mutations;

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::todo;

use super::{
    connection::{TotalCount, connection_type, window, with_total},
    context::ContextExt,
    history::{TodoHistoryConnection, TodoHistoryEntry},
    loaders::{Loaders, TodoCountKey, TodoPageKey},
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
    service::{
        self,
        page::PageArgs,
        todo::list::{
            Parent, TodoFilter as Filter, TodoListQuery, TodoOrder as Order,
            TodoOrderField as Field,
        },
    },
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

/// Sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    #[default]
    Desc,
}

/// What todos can be sorted by; ties are broken by id.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TodoOrderField {
    /// Creation time.
    #[default]
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Due date; todos without one come last in both directions.
    DueDate,
    /// LOW < MEDIUM < HIGH.
    Priority,
    /// Title.
    Title,
}

/// A sort order.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct TodoOrder {
    /// Sort key.
    #[graphql(default)]
    field: TodoOrderField,
    /// Direction.
    #[graphql(default)]
    direction: OrderDirection,
}

/// All given conditions must hold.
#[derive(InputObject, Debug, Clone, Default)]
pub struct TodoFilter {
    /// Done or not.
    completed: Option<bool>,
    /// Any of these priorities (at most 3).
    priority: Option<Vec<Priority>>,
    /// Case-insensitive substring of title or description, at most 200 characters; % and _
    /// match themselves.
    search: Option<String>,
    /// dueDate is in the past and the todo is not completed.
    overdue: Option<bool>,
    /// Due strictly before this instant.
    due_before: Option<DateTime>,
    /// Due strictly after this instant.
    due_after: Option<DateTime>,
    /// Has at least one of these tag names (at most 50 names of at most 50 characters).
    tags: Option<Vec<String>>,
    /// true: only soft-deleted todos; false or absent: only live ones.
    deleted: Option<bool>,
}

impl From<TodoFilter> for Filter {
    fn from(f: TodoFilter) -> Self {
        Self {
            completed: f.completed,
            priorities: f
                .priority
                .map(|ps| ps.into_iter().map(Into::into).collect()),
            search: f.search.filter(|s| !s.is_empty()),
            overdue: f.overdue,
            due_before: f.due_before.map(|d| d.0),
            due_after: f.due_after.map(|d| d.0),
            tags: f.tags,
            deleted: f.deleted,
        }
    }
}

impl From<TodoOrder> for Order {
    fn from(o: TodoOrder) -> Self {
        Self {
            field: match o.field {
                TodoOrderField::CreatedAt => Field::CreatedAt,
                TodoOrderField::UpdatedAt => Field::UpdatedAt,
                TodoOrderField::DueDate => Field::DueDate,
                TodoOrderField::Priority => Field::Priority,
                TodoOrderField::Title => Field::Title,
            },
            descending: o.direction == OrderDirection::Desc,
        }
    }
}

/// The arguments of every todo connection field, validated.
pub fn list_query(
    ctx: &Context<'_>,
    args: PageArgs,
    filter: Option<TodoFilter>,
    order: Option<TodoOrder>,
) -> crate::error::Result<TodoListQuery> {
    let order: Order = order.map(Into::into).unwrap_or_default();
    Ok(TodoListQuery {
        window: window(ctx, args, order.cursor_name())?,
        filter: filter.map(Into::into).unwrap_or_default(),
        order,
        with_description: selects_of_nodes(ctx, "description"),
    })
}

/// Whether the connection field being resolved selects `field` of its todos. Fragments and
/// aliases included: the look-ahead matches field names wherever they sit.
fn selects_of_nodes(ctx: &Context<'_>, field: &str) -> bool {
    let selection = ctx.look_ahead();
    selection.field("nodes").field(field).exists()
        || selection.field("edges").field("node").field(field).exists()
}

connection_type!(TodoConnection, TodoEdge, Plain<Todo>, "todos");

/// `User.todos` and `Tag.todos`: one page of `parent`'s todos, batched across parents.
pub async fn todos_of_parent(
    ctx: &Context<'_>,
    parent: Parent,
    id: i32,
    args: PageArgs,
    filter: Option<TodoFilter>,
    order: Option<TodoOrder>,
) -> async_graphql::Result<TodoConnection> {
    let query = list_query(ctx, args, filter, order)?;
    let total = TotalCount::TodosOfParent(TodoCountKey {
        parent,
        id,
        filter: query.filter.clone(),
    });
    let key = TodoPageKey {
        parent,
        id,
        query: query.clone(),
    };
    let loaders = ctx.app_data::<Loaders>()?;
    let page = async { Ok(loaders.todo_page_by_parent.load_one(key).await?) };
    let (page, total) = with_total(ctx, page, total).await?;
    let connection = TodoConnection::of(
        page.unwrap_or_else(service::page::Page::empty),
        &query,
        total,
    );
    connection.with_tags(ctx).await
}

impl TodoConnection {
    /// The connection with each todo's tags loaded, in one request to the loader for the
    /// whole page, when the selection asks for them. Lists of todos are where tags are read
    /// by the hundred, and one key at a time the loader's bookkeeping costs more than the
    /// rows. (Pages of several parents still share one statement: the loader batches.)
    pub async fn with_tags(mut self, ctx: &Context<'_>) -> async_graphql::Result<Self> {
        if !selects_of_nodes(ctx, "tags") || self.edges.is_empty() {
            return Ok(self);
        }
        let ids: Vec<i32> = self.edges.iter().map(|edge| edge.node.0.model.id).collect();
        let mut tags = ctx
            .app_data::<Loaders>()?
            .tags_by_todo_id
            .load_many(ids)
            .await?;
        for edge in &mut self.edges {
            let todo = &mut edge.node.0;
            let of_todo = tags.remove(&todo.model.id).unwrap_or_default();
            todo.tags = Some(of_todo.into_iter().map(|tag| Plain(Tag(tag))).collect());
        }
        Ok(self)
    }

    /// A connection over `page`, with cursors of `query`'s order.
    pub fn of(
        page: service::page::Page<todo::Model>,
        query: &TodoListQuery,
        total: TotalCount,
    ) -> Self {
        let order = query.order;
        let description_read = query.with_description;
        Self::new(
            page,
            |t| order.cursor(t).encode(),
            |model| {
                Plain(Todo {
                    model,
                    description_read,
                    tags: None,
                    history_until: None,
                })
            },
            total,
        )
    }
}

/// Something to do, owned by one user.
pub struct Todo {
    /// The row. Lists leave out the description when no field asks for it, so read that
    /// through the `description` field only.
    pub model: todo::Model,
    /// Whether `model.description` was read.
    description_read: bool,
    /// Its tags, when they came with it: loaded for its whole list
    /// (`TodoConnection::with_tags`), or those it had when handed over.
    tags: Option<Arc<[Plain<Tag>]>>,
    /// For the todo as it was handed over in a transfer: the transfer's history entry,
    /// where the history it shows ends.
    history_until: Option<i32>,
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
        let row = ctx
            .app_data::<Loaders>()?
            .todo_by_id
            .load_one(self.model.id)
            .await?;
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
            .app_data::<Loaders>()?
            .user_by_id
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
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
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
            let loaders = ctx.app_data::<Loaders>()?;
            Ok(loaders
                .history_page_by_todo
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
        let loaders = ctx.app_data::<Loaders>()?;
        let tags = loaders.tags_by_todo_id.load_one(self.model.id).await?;
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

/// Todo queries.
#[derive(Default)]
pub struct TodoQuery;

/// Todo queries.
#[Object]
impl TodoQuery {
    /// The viewer's todos (admins: everyone's). Anonymous viewers see none.
    #[allow(clippy::too_many_arguments)]
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
        let query = list_query(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            filter,
            order_by,
        )?;
        let page = service::todo::list::page(ctx.db()?, ctx.viewer(), &query).await?;
        let connection = TodoConnection::of(page, &query, TotalCount::Todos(query.filter.clone()));
        connection.with_tags(ctx).await
    }
}
