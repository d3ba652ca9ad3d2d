//! Todo mutations: thin wrappers over `service::todo`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use crate::schema::{
    context::ContextExt,
    node::{NodeType, decode_as, global_id},
    scalars::DateTime,
    todo::{Priority, Todo},
};
use crate::{
    error::{Error, Result},
    execution::response_budget::Item,
    service::{
        self,
        todo::{create::NewTodo, update::TodoChanges},
    },
};

/// A new todo. An explicit null for priority or tags means the default.
#[derive(InputObject)]
pub struct CreateTodoInput {
    /// What to do: 1 to 200 characters after trimming.
    title: String,
    /// Details, up to 10,000 characters.
    description: Option<String>,
    /// How urgent it is.
    #[graphql(default_with = "Some(Priority::Medium)")]
    priority: Option<Priority>,
    /// When it should be done.
    due_date: Option<DateTime>,
    /// Tag names (at most 20 per todo, after trimming and case-folding duplicates; more is
    /// BAD_USER_INPUT on tags; at most 100 names of at most 50 characters as sent); missing
    /// tags are created, in the same transaction.
    #[graphql(default_with = "Some(Vec::new())")]
    tags: Option<Vec<String>>,
}

impl From<CreateTodoInput> for NewTodo {
    fn from(input: CreateTodoInput) -> Self {
        Self {
            title: input.title,
            description: input.description,
            priority: input.priority.unwrap_or(Priority::Medium).into(),
            due_date: input.due_date.map(|d| d.0),
            tags: input.tags.unwrap_or_default(),
        }
    }
}

/// Absent fields keep their value; an explicit null clears description or dueDate. An
/// explicit null for title, priority or completed is BAD_USER_INPUT with extensions.field
/// naming it.
#[derive(InputObject)]
pub struct UpdateTodoInput {
    /// The todo.
    id: ID,
    /// If given and not the current version, the update fails with CONFLICT and changes
    /// nothing.
    expected_version: Option<i32>,
    /// New title: 1 to 200 characters after trimming.
    title: MaybeUndefined<String>,
    /// New description, up to 10,000 characters; null clears it.
    description: MaybeUndefined<String>,
    /// New priority.
    priority: MaybeUndefined<Priority>,
    /// New due date; null clears it.
    due_date: MaybeUndefined<DateTime>,
    /// Done or not; sets or clears completedAt.
    completed: MaybeUndefined<bool>,
}

/// A value that may be changed but not cleared.
fn required<T>(value: MaybeUndefined<T>, field: &'static str) -> Result<Option<T>> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(Error::invalid(field, format!("{field} cannot be null."))),
        MaybeUndefined::Value(v) => Ok(Some(v)),
    }
}

impl UpdateTodoInput {
    fn changes(self) -> Result<(i32, TodoChanges)> {
        let id = decode_as(&self.id, NodeType::Todo, "id")?;
        let description: Option<Option<String>> = self.description.into();
        let due_date: Option<Option<DateTime>> = self.due_date.into();
        Ok((
            id,
            TodoChanges {
                expected_version: self.expected_version,
                title: required(self.title, "title")?,
                description,
                priority: required(self.priority, "priority")?.map(Into::into),
                due_date: due_date.map(|d| d.map(|d| d.0)),
                completed: required(self.completed, "completed")?,
            },
        ))
    }
}

/// What deleteCompletedTodos did; the IDs let client caches drop the deleted edges.
#[derive(SimpleObject)]
pub struct DeleteCompletedTodosPayload {
    /// How many todos were soft-deleted.
    deleted_count: i32,
    /// Their IDs.
    deleted_ids: Vec<Item<ID>>,
}

/// Todo mutations.
#[derive(Default)]
pub struct TodoMutation;

/// Todo mutations. Only a todo's owner may change it; for anyone else it is NOT_FOUND.
#[Object]
impl TodoMutation {
    /// Creates a todo with its tags in one transaction; missing tags are created.
    async fn create_todo(
        &self,
        ctx: &Context<'_>,
        input: CreateTodoInput,
    ) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let created =
            service::todo::create::create(ctx.db()?, ctx.events()?, viewer, vec![input.into()])
                .await?;
        let todo = created
            .into_iter()
            .next()
            .ok_or(Error::Internal("no todo created".into()))?;
        Ok(Todo::from(todo))
    }

    /// All or nothing, in one transaction, written with multi-row inserts. At most 1,000.
    async fn create_todos(
        &self,
        ctx: &Context<'_>,
        input: Vec<CreateTodoInput>,
    ) -> async_graphql::Result<Vec<Item<Todo>>> {
        let viewer = ctx.require_viewer()?;
        let todos = input.into_iter().map(NewTodo::from).collect();
        let created =
            service::todo::create::create(ctx.db()?, ctx.events()?, viewer, todos).await?;
        Ok(created
            .into_iter()
            .map(|todo| Item(Todo::from(todo)))
            .collect())
    }

    /// Changes fields of a todo; with expectedVersion, only if nobody changed it meanwhile.
    async fn update_todo(
        &self,
        ctx: &Context<'_>,
        input: UpdateTodoInput,
    ) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let (id, changes) = input.changes()?;
        Ok(Todo::from(
            service::todo::update::update(ctx.db()?, ctx.events()?, viewer, id, changes).await?,
        ))
    }

    /// Flips completed, atomically.
    async fn toggle_todo(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&id, NodeType::Todo, "id")?;
        Ok(Todo::from(
            service::todo::update::toggle(ctx.db()?, ctx.events()?, viewer, id).await?,
        ))
    }

    /// Soft delete.
    async fn delete_todo(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&id, NodeType::Todo, "id")?;
        Ok(Todo::from(
            service::todo::delete::set_deleted(ctx.db()?, ctx.events()?, viewer, id, true).await?,
        ))
    }

    /// Undoes a soft delete.
    async fn restore_todo(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&id, NodeType::Todo, "id")?;
        Ok(Todo::from(
            service::todo::delete::set_deleted(ctx.db()?, ctx.events()?, viewer, id, false).await?,
        ))
    }

    /// Soft-deletes the viewer's completed todos in one statement.
    async fn delete_completed_todos(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<DeleteCompletedTodosPayload> {
        let viewer = ctx.require_viewer()?;
        let ids = service::todo::delete::delete_completed(ctx.db()?, ctx.events()?, viewer).await?;
        Ok(DeleteCompletedTodosPayload {
            deleted_count: i32::try_from(ids.len()).unwrap_or(i32::MAX),
            deleted_ids: ids
                .into_iter()
                .map(|id| Item(global_id(NodeType::Todo, id)))
                .collect(),
        })
    }

    /// Moves the todo to another user under a row lock and records it in the history.
    async fn transfer_todo(
        &self,
        ctx: &Context<'_>,
        id: ID,
        to_user_id: ID,
    ) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&id, NodeType::Todo, "id")?;
        let to = decode_as(&to_user_id, NodeType::User, "toUserId")?;
        Ok(Todo::from(
            service::todo::transfer::transfer(ctx.db()?, ctx.events()?, viewer, id, to).await?,
        ))
    }

    /// Replaces the todo's tags (at most 20, after trimming and case-folding duplicates,
    /// given as at most 100 names of at most 50 characters); missing tags are created.
    async fn set_todo_tags(
        &self,
        ctx: &Context<'_>,
        id: ID,
        tags: Vec<String>,
    ) -> async_graphql::Result<Todo> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&id, NodeType::Todo, "id")?;
        Ok(Todo::from(
            service::todo::tags::set_tags(ctx.db()?, ctx.events()?, viewer, id, &tags).await?,
        ))
    }
}
