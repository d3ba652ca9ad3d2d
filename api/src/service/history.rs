//! Reading todos' audit trails, newest first. Entries are only reachable through a todo the
//! viewer may see.

use std::collections::HashMap;

use entity::{todo, todo_history};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait, sea_query::Expr,
};

use super::{
    page::{self, Cursor, Page, Sort, SortKey, Window},
    viewer::Viewer,
};
use crate::error::Result;

/// The ordering of history lists: newest (highest id) first.
pub const ORDERING: &str = page::Ordering::HistoryId.name();

const SORT: Sort = Sort {
    key_sql: r#""todo_history"."id""#,
    id_sql: r#""todo_history"."id""#,
    descending: true,
    nullable: false,
};

/// The cursor of `entry` in history lists.
pub fn cursor(entry: &todo_history::Model) -> Cursor {
    Cursor {
        ordering: ORDERING.to_owned(),
        key: SortKey::Int(i64::from(entry.id)),
        id: entry.id,
    }
}

/// One page of history for each of `todo_ids`, in one statement, of the entries up to and
/// including entry `until` if given. The todos' visibility is checked by the
/// caller, which reached them through the visibility rules.
pub async fn pages_by_todo(
    db: &impl ConnectionTrait,
    todo_ids: &[i32],
    window: &Window,
    until: Option<i32>,
) -> Result<HashMap<i32, Page<todo_history::Model>>> {
    page::pages_by_parent(
        db,
        todo_history::Entity::find().filter(until_entry(until)),
        r#""todo_history"."todo_id""#,
        todo_ids,
        SORT,
        window,
    )
    .await
}

/// Entries up to and including `until`, if given.
fn until_entry(until: Option<i32>) -> Condition {
    Condition::all().add_option(until.map(|until| todo_history::COLUMN.id.lte(until)))
}

/// How many entries (up to and including entry `until`, if given) each of `todo_ids`
/// has, in one grouped statement.
pub async fn counts_by_todo(
    db: &impl ConnectionTrait,
    todo_ids: &[i32],
    until: Option<i32>,
) -> Result<HashMap<i32, u64>> {
    let counts: Vec<(i32, i64)> = todo_history::Entity::find()
        .select_only()
        .column(todo_history::Column::TodoId)
        .column_as(Expr::cust("COUNT(*)"), "count")
        .filter(todo_history::COLUMN.todo_id.is_in(todo_ids.iter().copied()))
        .filter(until_entry(until))
        .group_by(todo_history::Column::TodoId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or_default()))
        .collect())
}

/// The entries with these ids whose todo `viewer` may see.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    ids: &[i32],
) -> Result<HashMap<i32, todo_history::Model>> {
    let visible = match viewer {
        None => return Ok(HashMap::new()),
        Some(v) if v.is_admin() => Condition::all(),
        Some(v) => Condition::all().add(todo::Column::UserId.eq(v.user_id)),
    };
    let entries = todo_history::Entity::find()
        .join(JoinType::InnerJoin, todo_history::Relation::Todo.def())
        .filter(visible)
        .filter(todo_history::COLUMN.id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(entries.into_iter().map(|e| (e.id, e)).collect())
}
