//! Changing todos. Every change is one transaction that also writes its history row; every
//! change bumps `version` and `updated_at` in the same UPDATE that makes it, so concurrent
//! writers never lose each other's changes (no read-modify-write). Only a todo's owner may
//! change it; for anyone else it does not exist (NOT_FOUND).

use chrono::{DateTime, Utc};
use entity::{todo, todo::Priority, todo_history, todo_history::TodoAction, todo_tag};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, ExprTrait,
    QueryFilter,
    sea_query::{Expr, Query, SimpleExpr},
};

use crate::service::{now, retry::with_retry, tag, validate, viewer::Viewer};
use crate::{
    error::{Error, Result},
    events::{EventKind, Events, Notice},
};

/// Most todos one `createTodos` call may create.
pub const MAX_BATCH: usize = validate::TODOS_PER_CALL_MAX;
/// Rows per multi-row INSERT (the seed's bulkInsertTodos chunk).
const CHUNK: usize = 100;

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

/// A change to a todo. `None` keeps a field; for nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TodoChanges {
    /// If set, the update applies only at this version (else CONFLICT).
    pub expected_version: Option<i32>,
    /// New title.
    pub title: Option<String>,
    /// New description, or clear it.
    pub description: Option<Option<String>>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New due date, or clear it.
    pub due_date: Option<Option<DateTime<Utc>>>,
    /// Done or not; sets or clears completed_at.
    pub completed: Option<bool>,
}

fn history(
    todo_id: i32,
    action: TodoAction,
    actor: i32,
    at: DateTime<Utc>,
) -> todo_history::ActiveModel {
    todo_history::ActiveModel {
        todo_id: Set(todo_id),
        action: Set(action),
        actor_id: Set(Some(actor)),
        created_at: Set(at),
        ..Default::default()
    }
}

fn owned_by(viewer: &Viewer, id: i32) -> Condition {
    Condition::all()
        .add(todo::COLUMN.id.eq(id))
        .add(todo::COLUMN.user_id.eq(viewer.user_id))
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
    let txn = crate::service::begin_write(db).await?;
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
            });
        }
    }
    for chunk in links.chunks(CHUNK * 5) {
        todo_tag::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in entries.chunks(CHUNK * 5) {
        todo_history::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let notices = created
        .iter()
        .map(|t| Notice::todo(EventKind::Created, t.id, t.user_id))
        .collect();
    events.commit(txn, notices).await?;
    Ok(created)
}

/// Applies `changes` in one compare-and-set UPDATE: with `expected_version`, the WHERE
/// clause requires it, so of concurrent updates from the same version exactly one wins.
pub async fn update(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    changes: TodoChanges,
) -> Result<todo::Model> {
    let now = now();
    let mut sets: Vec<(todo::Column, SimpleExpr)> = Vec::new();
    if let Some(title) = &changes.title {
        sets.push((todo::Column::Title, Expr::val(validate::title(title)?)));
    }
    if let Some(description) = &changes.description {
        let value = description
            .as_deref()
            .map(validate::description)
            .transpose()?
            .flatten();
        sets.push((todo::Column::Description, Expr::val(value)));
    }
    if let Some(priority) = changes.priority {
        sets.push((
            todo::Column::Priority,
            todo::Column::Priority.save_as(Expr::val(priority_text(priority))),
        ));
    }
    if let Some(due_date) = changes.due_date {
        sets.push((todo::Column::DueDate, Expr::val(due_date)));
    }
    if let Some(completed) = changes.completed {
        sets.push((todo::Column::Completed, Expr::val(completed)));
        // Completing an already completed todo keeps its original completion time.
        let completed_at = if completed {
            Expr::case(
                Expr::col((todo::Entity, todo::Column::Completed)).eq(true),
                Expr::col((todo::Entity, todo::Column::CompletedAt)),
            )
            .finally(Expr::val(now))
            .into()
        } else {
            Expr::cust("NULL")
        };
        sets.push((todo::Column::CompletedAt, completed_at));
    }
    if sets.is_empty() {
        // Nothing to change: no new version, no history; still honour expectedVersion.
        let current = todo::Entity::find()
            .filter(owned_by(viewer, id))
            .one(db)
            .await?
            .ok_or(Error::NotFound("todo"))?;
        return match changes.expected_version {
            Some(expected) if expected != current.version => Err(stale(current.version, expected)),
            _ => Ok(current),
        };
    }
    let txn = crate::service::begin_write(db).await?;
    let mut condition = owned_by(viewer, id);
    if let Some(expected) = changes.expected_version {
        condition = condition.add(todo::COLUMN.version.eq(expected));
    }
    let mut update = todo::Entity::update_many()
        .col_expr(
            todo::Column::Version,
            Expr::col(todo::Column::Version).add(1),
        )
        .col_expr(todo::Column::UpdatedAt, Expr::val(now))
        .filter(condition);
    for (column, value) in sets {
        update = update.col_expr(column, value);
    }
    let Some(todo) = update.exec_with_returning(&txn).await?.into_iter().next() else {
        // Nothing matched: the todo is missing or not the viewer's, or its version moved on.
        let exists = todo::Entity::find()
            .filter(owned_by(viewer, id))
            .one(&txn)
            .await?;
        return Err(match (exists, changes.expected_version) {
            (Some(current), Some(expected)) => stale(current.version, expected),
            _ => Error::NotFound("todo"),
        });
    };
    // COMPLETED and REOPENED say all that happened; anything more is an UPDATED.
    let completion_only = changes.title.is_none()
        && changes.description.is_none()
        && changes.priority.is_none()
        && changes.due_date.is_none();
    let action = match changes.completed {
        Some(true) if completion_only => TodoAction::Completed,
        Some(false) if completion_only => TodoAction::Reopened,
        _ => TodoAction::Updated,
    };
    todo_history::Entity::insert(history(todo.id, action, viewer.user_id, now))
        .exec_without_returning(&txn)
        .await?;
    let notice = Notice::todo(EventKind::Updated, todo.id, todo.user_id);
    events.commit(txn, vec![notice]).await?;
    Ok(todo)
}

fn stale(current: i32, expected: i32) -> Error {
    Error::Conflict(format!(
        "The todo is at version {current}, not {expected}: reload it and try again."
    ))
}

fn priority_text(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
    }
}

/// Flips `completed` in one UPDATE that reads and writes the row atomically.
pub async fn toggle(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
) -> Result<todo::Model> {
    with_retry(|| async {
        let now = now();
        let txn = crate::service::begin_write(db).await?;
        let todo = todo::Entity::update_many()
            .col_expr(
                todo::Column::Completed,
                Expr::cust(r#"NOT "todos"."completed""#),
            )
            .col_expr(
                todo::Column::CompletedAt,
                Expr::case(
                    Expr::col((todo::Entity, todo::Column::Completed)).eq(true),
                    Expr::cust("NULL"),
                )
                .finally(Expr::val(now))
                .into(),
            )
            .col_expr(
                todo::Column::Version,
                Expr::col(todo::Column::Version).add(1),
            )
            .col_expr(todo::Column::UpdatedAt, Expr::val(now))
            .filter(owned_by(viewer, id))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound("todo"))?;
        let action = if todo.completed {
            TodoAction::Completed
        } else {
            TodoAction::Reopened
        };
        todo_history::Entity::insert(history(todo.id, action, viewer.user_id, now))
            .exec_without_returning(&txn)
            .await?;
        let notice = Notice::todo(EventKind::Updated, todo.id, todo.user_id);
        events.commit(txn, vec![notice]).await?;
        Ok(todo)
    })
    .await
}

/// Soft-deletes (`deleted = true`) or restores a todo. Doing what is already done changes
/// nothing and writes no history.
pub async fn set_deleted(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    deleted: bool,
) -> Result<todo::Model> {
    with_retry(|| async {
        let now = now();
        let txn = crate::service::begin_write(db).await?;
        let (value, pending) = if deleted {
            (Expr::val(Some(now)), todo::COLUMN.deleted_at.is_null())
        } else {
            (
                Expr::val(None::<DateTime<Utc>>),
                todo::COLUMN.deleted_at.is_not_null(),
            )
        };
        let changed = todo::Entity::update_many()
            .col_expr(todo::Column::DeletedAt, value)
            .col_expr(
                todo::Column::Version,
                Expr::col(todo::Column::Version).add(1),
            )
            .col_expr(todo::Column::UpdatedAt, Expr::val(now))
            .filter(owned_by(viewer, id).add(pending))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next();
        let mut notices = Vec::new();
        let todo = match changed {
            Some(todo) => {
                let (action, kind) = if deleted {
                    (TodoAction::Deleted, EventKind::Deleted)
                } else {
                    (TodoAction::Restored, EventKind::Restored)
                };
                todo_history::Entity::insert(history(todo.id, action, viewer.user_id, now))
                    .exec_without_returning(&txn)
                    .await?;
                notices.push(Notice::todo(kind, todo.id, todo.user_id));
                todo
            }
            None => todo::Entity::find()
                .filter(owned_by(viewer, id))
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("todo"))?,
        };
        events.commit(txn, notices).await?;
        Ok(todo)
    })
    .await
}

/// Soft-deletes all the viewer's completed live todos in one statement; returns their ids.
pub async fn delete_completed(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
) -> Result<Vec<i32>> {
    with_retry(|| async {
        let now = now();
        let txn = crate::service::begin_write(db).await?;
        let deleted = todo::Entity::update_many()
            .col_expr(todo::Column::DeletedAt, Expr::val(Some(now)))
            .col_expr(
                todo::Column::Version,
                Expr::col(todo::Column::Version).add(1),
            )
            .col_expr(todo::Column::UpdatedAt, Expr::val(now))
            .filter(todo::COLUMN.user_id.eq(viewer.user_id))
            .filter(todo::COLUMN.completed.eq(true))
            .filter(todo::COLUMN.deleted_at.is_null())
            .exec_with_returning(&txn)
            .await?;
        let mut ids: Vec<i32> = deleted.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        let entries: Vec<_> = ids
            .iter()
            .map(|id| history(*id, TodoAction::Deleted, viewer.user_id, now))
            .collect();
        for chunk in entries.chunks(CHUNK * 5) {
            todo_history::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        let notices = ids
            .iter()
            .map(|id| Notice::todo(EventKind::Deleted, *id, viewer.user_id))
            .collect();
        events.commit(txn, notices).await?;
        Ok(ids)
    })
    .await
}

/// Replaces the todo's tags, creating missing ones; records TAGGED and/or UNTAGGED. The
/// same tags again change nothing (no version bump, history or event).
pub async fn set_tags(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    names: &[String],
) -> Result<todo::Model> {
    let names = tag::normalize_names(names, "tags")?;
    with_retry(|| async {
        let now = now();
        let txn = crate::service::begin_write(db).await?;
        // Bumping the version first locks the row, so concurrent tag changes serialize.
        let todo = todo::Entity::update_many()
            .col_expr(
                todo::Column::Version,
                Expr::col(todo::Column::Version).add(1),
            )
            .col_expr(todo::Column::UpdatedAt, Expr::val(now))
            .filter(owned_by(viewer, id))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound("todo"))?;
        let wanted: Vec<i32> = tag::ensure(&txn, &names)
            .await?
            .iter()
            .map(|t| t.id)
            .collect();
        let current: Vec<i32> = todo_tag::Entity::find()
            .filter(todo_tag::COLUMN.todo_id.eq(id))
            .all(&txn)
            .await?
            .iter()
            .map(|l| l.tag_id)
            .collect();
        let removed: Vec<i32> = current
            .iter()
            .copied()
            .filter(|t| !wanted.contains(t))
            .collect();
        let added: Vec<i32> = wanted
            .iter()
            .copied()
            .filter(|t| !current.contains(t))
            .collect();
        if removed.is_empty() && added.is_empty() {
            // Nothing changes: the version bump was only the lock, so it is rolled back, and
            // no history or event records a change that did not happen.
            txn.rollback().await?;
            return todo::Entity::find()
                .filter(owned_by(viewer, id))
                .one(db)
                .await?
                .ok_or(Error::NotFound("todo"));
        }
        if !removed.is_empty() {
            todo_tag::Entity::delete_many()
                .filter(todo_tag::COLUMN.todo_id.eq(id))
                .filter(todo_tag::COLUMN.tag_id.is_in(removed.iter().copied()))
                .exec(&txn)
                .await?;
            todo_history::Entity::insert(history(id, TodoAction::Untagged, viewer.user_id, now))
                .exec_without_returning(&txn)
                .await?;
        }
        if !added.is_empty() {
            let links = added.iter().map(|tag_id| todo_tag::ActiveModel {
                todo_id: Set(id),
                tag_id: Set(*tag_id),
            });
            todo_tag::Entity::insert_many(links)
                .exec_without_returning(&txn)
                .await?;
            todo_history::Entity::insert(history(id, TodoAction::Tagged, viewer.user_id, now))
                .exec_without_returning(&txn)
                .await?;
        }
        let notice = Notice::todo(EventKind::Updated, todo.id, todo.user_id);
        events.commit(txn, vec![notice]).await?;
        Ok(todo)
    })
    .await
}

/// Takes tag `tag_id` off every todo that carries it, as a change to each of them: version
/// and updated_at bumped, an UNTAGGED entry by `viewer`, and the notices to send at commit.
/// The links themselves go with the tag (ON DELETE CASCADE), in the caller's transaction.
pub(crate) async fn untag_everywhere(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    tag_id: i32,
) -> Result<Vec<Notice>> {
    let now = now();
    let tagged = Query::select()
        .column(todo_tag::Column::TodoId)
        .from(todo_tag::Entity)
        .and_where(todo_tag::COLUMN.tag_id.eq(tag_id))
        .to_owned();
    let touched: Vec<(i32, i32)> = todo::Entity::update_many()
        .col_expr(
            todo::Column::Version,
            Expr::col(todo::Column::Version).add(1),
        )
        .col_expr(todo::Column::UpdatedAt, Expr::val(now))
        .filter(todo::COLUMN.id.in_subquery(tagged))
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.user_id))
        .collect();
    let entries: Vec<_> = touched
        .iter()
        .map(|(id, _)| history(*id, TodoAction::Untagged, viewer.user_id, now))
        .collect();
    for chunk in entries.chunks(CHUNK * 5) {
        todo_history::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(touched
        .into_iter()
        .map(|(id, owner)| Notice::todo(EventKind::Updated, id, owner))
        .collect())
}
