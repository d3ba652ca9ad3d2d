//! Moving a todo to another user, under a row lock, with the move recorded in its history.

use entity::{todo, todo_history, todo_history::TodoAction, user};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};

use super::{now, retry::with_retry, viewer::Viewer};
use crate::{
    error::{Error, Result},
    events::{EventKind, Events, Notice},
};

/// Gives the viewer's todo `id` to `to_user_id`. The row is locked (SELECT ... FOR UPDATE on
/// PostgreSQL; SQLite has a single writer) so that concurrent transfers serialize; a lost
/// race (serialization failure, deadlock, SQLite busy) is retried up to three times.
pub async fn transfer(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
    to_user_id: i32,
) -> Result<todo::Model> {
    with_retry(|| async {
        let txn = super::begin_write(db).await?;
        let locked = todo::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let Some(todo) = locked.filter(|t| t.user_id == viewer.user_id) else {
            return Err(Error::NotFound("todo"));
        };
        if to_user_id == viewer.user_id {
            return Err(Error::invalid("toUserId", "The todo is already yours."));
        }
        let recipient = user::Entity::find_by_id(to_user_id).one(&txn).await?;
        if !recipient.is_some_and(|u| u.is_active) {
            return Err(Error::invalid("toUserId", "No active user has this ID."));
        }
        let now = now();
        let moved = todo::Entity::update_many()
            .col_expr(todo::Column::UserId, Expr::val(to_user_id))
            .col_expr(
                todo::Column::Version,
                Expr::col(todo::Column::Version).add(1),
            )
            .col_expr(todo::Column::UpdatedAt, Expr::val(now))
            .filter(todo::COLUMN.id.eq(todo.id))
            .filter(todo::COLUMN.user_id.eq(viewer.user_id))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound("todo"))?;
        todo_history::Entity::insert(todo_history::ActiveModel {
            todo_id: Set(id),
            action: Set(TodoAction::Transferred),
            actor_id: Set(Some(viewer.user_id)),
            from_user_id: Set(Some(viewer.user_id)),
            to_user_id: Set(Some(to_user_id)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        let notices = vec![
            Notice::todo(EventKind::TransferredOut, id, viewer.user_id),
            Notice::todo(EventKind::TransferredIn, id, to_user_id),
        ];
        events.commit(txn, notices).await?;
        Ok(moved)
    })
    .await
}
