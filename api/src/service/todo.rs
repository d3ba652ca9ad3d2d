//! Todos: listing them ([`list`]) and changing them, one file per operation. Every change
//! is one transaction that also writes its history row; every change bumps `version` and
//! `updated_at` in the same UPDATE that makes it (see [`changed`]), so concurrent writers
//! never lose each other's changes (no read-modify-write). Only a todo's owner may change
//! it; for anyone else it does not exist (NOT_FOUND).

pub mod create;
pub mod delete;
pub mod list;
pub mod stats;
pub mod tags;
pub mod transfer;
pub mod update;

use chrono::{DateTime, Utc};
use entity::{todo, todo_history, todo_history::TodoAction};
use sea_orm::{
    ActiveValue::Set, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait,
    UpdateMany, sea_query::Expr,
};

use super::viewer::Viewer;
use crate::{
    error::Result,
    events::{EventKind, Events, Notice},
};

/// Rows per multi-row INSERT (the seed's bulkInsertTodos chunk).
const CHUNK: usize = 100;

/// An UPDATE of todos that records a change: `version` + 1 and `updated_at` = `now`. Every
/// change to a todo starts from it, so no change can forget either.
pub(crate) fn changed(now: DateTime<Utc>) -> UpdateMany<todo::Entity> {
    todo::Entity::update_many()
        .col_expr(
            todo::Column::Version,
            Expr::col(todo::Column::Version).add(1),
        )
        .col_expr(todo::Column::UpdatedAt, Expr::val(now))
}

/// The history entry of `action` on todo `todo_id` by `actor`.
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

/// Writes history entries in multi-row INSERTs.
async fn insert_history(
    txn: &impl ConnectionTrait,
    entries: Vec<todo_history::ActiveModel>,
) -> Result<()> {
    for chunk in entries.chunks(CHUNK * 5) {
        todo_history::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Commits a change to `todo` that `action` by `viewer` describes: its history entry, and
/// the notice to its owner.
async fn commit_update(
    txn: DatabaseTransaction,
    events: &Events,
    viewer: &Viewer,
    todo: todo::Model,
    action: TodoAction,
    now: DateTime<Utc>,
) -> Result<todo::Model> {
    todo_history::Entity::insert(history(todo.id, action, viewer.user_id, now))
        .exec_without_returning(&txn)
        .await?;
    let notice = Notice::todo(EventKind::Updated, todo.id, todo.user_id);
    events.commit(txn, vec![notice]).await?;
    Ok(todo)
}

/// Todo `id`, if `viewer` owns it.
fn owned_by(viewer: &Viewer, id: i32) -> Condition {
    Condition::all()
        .add(todo::COLUMN.id.eq(id))
        .add(todo::COLUMN.user_id.eq(viewer.user_id))
}
