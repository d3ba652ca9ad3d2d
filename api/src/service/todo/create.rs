//! Creating todos, one or a batch, with their tags.

use chrono::{DateTime, Utc};
use entity::{todo, todo::Priority, todo_history::TodoAction, todo_tag};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::{CHUNK, history, insert_history};
use crate::{
    error::{Error, Result},
    events::{EventKind, Events, Notice},
    service::{begin_write, now, retry::with_retry, tag, validate, viewer::Viewer},
};

/// Most todos one `createTodos` call may create.
pub const MAX_BATCH: usize = validate::TODOS_PER_CALL_MAX;

/// A todo to create.
#[derive(Debug, Clone)]
pub struct NewTodo {
    /// Title (validated here).
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Priority.
    pub priority: Priority,
    /// Due date.
    pub due_date: Option<DateTime<Utc>>,
    /// Tag names; missing tags are created.
    pub tags: Vec<String>,
}

/// Validates one new todo; errors name the field.
fn validated(new: NewTodo) -> Result<NewTodo> {
    Ok(NewTodo {
        title: validate::title(&new.title)?,
        description: new
            .description
            .as_deref()
            .map(validate::description)
            .transpose()?
            .flatten(),
        tags: tag::normalize_names(&new.tags, "tags")?,
        ..new
    })
}

/// Creates todos with their tags, all or nothing, in one transaction: multi-row INSERTs in
/// chunks, missing tags created in one statement, links and history rows in bulk.
pub async fn create(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    todos: Vec<NewTodo>,
) -> Result<Vec<todo::Model>> {
    if todos.len() > MAX_BATCH {
        return Err(Error::invalid(
            "input",
            format!("At most {MAX_BATCH} todos per call."),
        ));
    }
    let todos = todos
        .into_iter()
        .map(validated)
        .collect::<Result<Vec<_>>>()?;
    if todos.is_empty() {
        return Ok(Vec::new());
    }
    with_retry(|| create_once(db, events, viewer, &todos)).await
}

async fn create_once(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    todos: &[NewTodo],
) -> Result<Vec<todo::Model>> {
    let now = now();
    let txn = begin_write(db).await?;
    let mut created = Vec::with_capacity(todos.len());
    for chunk in todos.chunks(CHUNK) {
        let rows = chunk.iter().map(|new| todo::ActiveModel {
            user_id: Set(viewer.user_id),
            title: Set(new.title.clone()),
            description: Set(new.description.clone()),
            priority: Set(new.priority),
            completed: Set(false),
            due_date: Set(new.due_date),
            completed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            deleted_at: Set(None),
            ..Default::default()
        });
        let mut inserted = todo::Entity::insert_many(rows)
            .exec_with_returning(&txn)
            .await?;
        // RETURNING order follows VALUES order on both backends, but ids make it certain.
        inserted.sort_by_key(|t| t.id);
        created.extend(inserted);
    }

    let mut names: Vec<String> = todos.iter().flat_map(|t| t.tags.iter().cloned()).collect();
    names.sort_by_key(|n| n.to_lowercase());
    names.dedup_by_key(|n| n.to_lowercase());
    let tags = tag::ensure(&txn, &names).await?;
    let by_name: std::collections::HashMap<String, i32> =
        tags.iter().map(|t| (t.name.to_lowercase(), t.id)).collect();
    let tag_id = |name: &str| by_name.get(&name.to_lowercase()).copied();
    let mut links = Vec::new();
    let mut entries = Vec::new();
    for (todo, new) in created.iter().zip(todos) {
        entries.push(history(todo.id, TodoAction::Created, viewer.user_id, now));
        for name in &new.tags {
            // Where Rust's case folding and the database's disagree (beyond ASCII), the
            // database says which tag the name is.
            let id = match tag_id(name) {
                Some(id) => Some(id),
                None => tag::by_name(&txn, name).await?.map(|t| t.id),
            }
            .ok_or_else(|| Error::Internal(format!("tag {name:?} vanished")))?;
            links.push(todo_tag::ActiveModel {
                todo_id: Set(todo.id),
                tag_id: Set(id),
                todo_created_at: Set(todo.created_at),
            });
        }
    }
    for chunk in links.chunks(CHUNK * 5) {
        todo_tag::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    insert_history(&txn, entries).await?;
    let notices = created
        .iter()
        .map(|t| Notice::todo(EventKind::Created, t.id, t.user_id))
        .collect();
    events.commit(txn, notices).await?;
    Ok(created)
}
