//! Lists of todos: `Query.todos`, the filter and order inputs, the connection, and how
//! `User.todos` and `Tag.todos` read their arguments.

use async_graphql::{Context, Enum, InputObject, Object};
use entity::todo;

use super::todo::{Priority, Todo};
use crate::{
    execution::plain_fields::Plain,
    schema::{
        connection::{TotalCount, connection_type, page_args, with_total},
        context::ContextExt,
        loaders::{TodoCountKey, TodoPageKey},
        scalars::DateTime,
        tag::Tag,
    },
    service::{
        self,
        page::{PageArgs, PageLimits},
        todo::list::{Parent, TodoFilter as Filter, TodoListQuery, TodoOrder as Order},
    },
};

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
#[graphql(remote = "crate::service::todo::list::TodoOrderField")]
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
            field: o.field.into(),
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
    todo_list_query(
        *ctx.app_data::<PageLimits>()?,
        args,
        filter,
        order,
        selects_of_nodes(ctx, "description"),
    )
}

/// [`list_query`] apart from a request: the page sizes and whether descriptions are read
/// given.
pub fn todo_list_query(
    limits: PageLimits,
    args: PageArgs,
    filter: Option<TodoFilter>,
    order: Option<TodoOrder>,
    with_description: bool,
) -> crate::error::Result<TodoListQuery> {
    let order: Order = order.map(Into::into).unwrap_or_default();
    Ok(TodoListQuery {
        window: service::page::Window::new(&args, limits, order.cursor_name())?,
        filter: filter.map(Into::into).unwrap_or_default(),
        order,
        with_description,
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
    let loaders = ctx.loaders()?;
    let page = async { Ok(loaders.todo_page_by_parent().load_one(key).await?) };
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
        let mut tags = ctx.loaders()?.tags_by_todo_id().load_many(ids).await?;
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

/// Todo queries.
#[derive(Default)]
pub struct TodoQuery;

/// Todo queries.
#[Object]
impl TodoQuery {
    /// The viewer's todos (admins: everyone's). Anonymous viewers see none.
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
        let query = list_query(ctx, page_args(first, after, last, before), filter, order_by)?;
        let page = service::todo::list::page(ctx.db()?, ctx.viewer(), &query).await?;
        let connection = TodoConnection::of(page, &query, TotalCount::Todos(query.filter.clone()));
        connection.with_tags(ctx).await
    }
}
