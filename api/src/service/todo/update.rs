//! Changing a todo's fields: `update` (compare-and-set on the version) and `toggle`.

use chrono::{DateTime, Utc};
use entity::{todo, todo::Priority, todo_history::TodoAction};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    sea_query::{Expr, SimpleExpr},
};

use super::{changed, commit_update, owned_by};
use crate::{
    error::{Error, Result},
    events::Events,
    service::{begin_write, now, retry::with_retry, validate, viewer::Viewer},
};

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
    let txn = begin_write(db).await?;
    let mut condition = owned_by(viewer, id);
    if let Some(expected) = changes.expected_version {
        condition = condition.add(todo::COLUMN.version.eq(expected));
    }
    let mut update = changed(now).filter(condition);
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
    commit_update(txn, events, viewer, todo, action, now).await
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
        let txn = begin_write(db).await?;
        let todo = changed(now)
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
        commit_update(txn, events, viewer, todo, action, now).await
    })
    .await
}
