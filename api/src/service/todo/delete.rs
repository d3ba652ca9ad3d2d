//! Soft-deleting and restoring todos.

use chrono::{DateTime, Utc};
use entity::{todo, todo_history, todo_history::TodoAction};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::{changed, history, insert_history, owned_by};
use crate::{
    error::{Error, Result},
    events::{EventKind, Events, Notice},
    service::{begin_write, now, retry::with_retry, viewer::Viewer},
};

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
        let txn = begin_write(db).await?;
        let (value, pending) = if deleted {
            (Expr::val(Some(now)), todo::COLUMN.deleted_at.is_null())
        } else {
            (
                Expr::val(None::<DateTime<Utc>>),
                todo::COLUMN.deleted_at.is_not_null(),
            )
        };
        let flipped = changed(now)
            .col_expr(todo::Column::DeletedAt, value)
            .filter(owned_by(viewer, id).add(pending))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next();
        let mut notices = Vec::new();
        let todo = match flipped {
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
        let txn = begin_write(db).await?;
        let deleted = changed(now)
            .col_expr(todo::Column::DeletedAt, Expr::val(Some(now)))
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
        insert_history(&txn, entries).await?;
        let notices = ids
            .iter()
            .map(|id| Notice::todo(EventKind::Deleted, *id, viewer.user_id))
            .collect();
        events.commit(txn, notices).await?;
        Ok(ids)
    })
    .await
}
