//! Moving a todo to another user, under a row lock, with the move recorded in its history
//! and the todo's state at that moment kept for the previous owner's event.

use entity::{
    todo, todo_handover, todo_handover::HandedOver, todo_history, todo_history::TodoAction,
    todo_tag, user,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType,
    QueryFilter, QuerySelect, RelationTrait, sea_query::Expr,
};

use super::changed;
use crate::{
    error::{Error, Result},
    events::{EventKind, Events, Notice},
    service::{begin_write, now, retry::with_retry, viewer::Viewer},
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
        let txn = begin_write(db).await?;
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
        let moved = changed(now)
            .col_expr(todo::Column::UserId, Expr::val(to_user_id))
            .filter(todo::COLUMN.id.eq(todo.id))
            .filter(todo::COLUMN.user_id.eq(viewer.user_id))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound("todo"))?;
        let entry = todo_history::Entity::insert(todo_history::ActiveModel {
            todo_id: Set(id),
            action: Set(TodoAction::Transferred),
            actor_id: Set(Some(viewer.user_id)),
            from_user_id: Set(Some(viewer.user_id)),
            to_user_id: Set(Some(to_user_id)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        let tag_ids = todo_tag::Entity::find()
            .select_only()
            .column(todo_tag::Column::TagId)
            .filter(todo_tag::COLUMN.todo_id.eq(id))
            .into_tuple()
            .all(&txn)
            .await?;
        todo_handover::Entity::insert(todo_handover::ActiveModel {
            history_id: Set(entry),
            state: Set(HandedOver {
                todo: moved.clone(),
                tag_ids,
            }),
        })
        .exec_without_returning(&txn)
        .await?;
        let notices = vec![
            Notice::handed_over(id, viewer.user_id, entry),
            Notice::todo(EventKind::TransferredIn, id, to_user_id),
        ];
        events.commit(txn, notices).await?;
        Ok(moved)
    })
    .await
}

/// The todo as `viewer` handed it over in the transfer recorded as history entry `entry`,
/// with its tags' ids; `None` unless `viewer` was the one who gave it away.
pub async fn handed_over(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    entry: i32,
) -> Result<Option<(todo::Model, Vec<i32>)>> {
    let handover = todo_handover::Entity::find_by_id(entry)
        .join(JoinType::InnerJoin, todo_handover::Relation::Entry.def())
        .filter(todo_history::Column::FromUserId.eq(viewer.user_id))
        .one(db)
        .await?;
    let Some(handover) = handover else {
        return Ok(None);
    };
    let HandedOver { todo, tag_ids } = handover.state;
    Ok(Some((todo, tag_ids)))
}
