//! The tags of todos: setting a todo's tags, and deleting a tag, which changes every todo
//! that carries it.

use entity::{todo, todo_history, todo_history::TodoAction, todo_tag};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    sea_query::Query,
};

use super::{changed, history, insert_history, owned_by};
use crate::{
    error::{Error, Result},
    events::{EventKind, Events, Notice},
    service::{begin_write, now, retry::with_retry, tag, viewer::Viewer},
};

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
        let txn = begin_write(db).await?;
        // Bumping the version first locks the row, so concurrent tag changes serialize.
        let todo = changed(now)
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
                todo_created_at: Set(todo.created_at),
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
async fn untag_everywhere(
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
    let touched: Vec<(i32, i32)> = changed(now)
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
    insert_history(txn, entries).await?;
    Ok(touched
        .into_iter()
        .map(|(id, owner)| Notice::todo(EventKind::Updated, id, owner))
        .collect())
}

/// Deletes a tag; admins only. Returns the deleted tag. Each todo that carried it changes
/// (see [`untag_everywhere`]) in the same transaction, and its owner hears of it.
pub async fn delete_tag(
    db: &DatabaseConnection,
    events: &Events,
    viewer: &Viewer,
    id: i32,
) -> Result<entity::tag::Model> {
    tag::require_admin(viewer)?;
    with_retry(|| async {
        let txn = begin_write(db).await?;
        let notices = untag_everywhere(&txn, viewer, id).await?;
        let deleted = entity::tag::Entity::delete_many()
            .filter(entity::tag::COLUMN.id.eq(id))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound("tag"))?;
        events.commit(txn, notices).await?;
        Ok(deleted)
    })
    .await
}
