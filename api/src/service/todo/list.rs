//! Listing todos: who may see what, and pages for many parents at once; the filters and
//! orders are in `list/filter.rs` and `list/order.rs`.
//!
//! A nested connection (`users { todos(first: 10) }`) asks for one page per parent. All of
//! them come from one statement: `ROW_NUMBER() OVER (PARTITION BY <parent> ORDER BY ...)`
//! numbers each parent's rows and the outer query keeps the first `size + 1` of each. Counts
//! for all parents come from one grouped statement.

mod filter;
mod order;

pub use filter::TodoFilter;
pub use order::{TodoOrder, TodoOrderField};

use std::collections::HashMap;

use entity::{todo, todo_tag};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, Iterable, JoinType, QueryFilter,
    QuerySelect, QueryTrait, RelationTrait, Select, Statement, sea_query::Expr,
};

use self::filter::filter_condition;
pub(super) use self::filter::is_overdue;
use crate::{
    error::Result,
    service::{
        page::{self, Page, Sort, Window},
        viewer::Viewer,
    },
};

/// One page request of a todo list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TodoListQuery {
    /// Conditions.
    pub filter: TodoFilter,
    /// Order.
    pub order: TodoOrder,
    /// Page size, direction and cursor.
    pub window: Window,
    /// Whether the rows need their description (up to 10,000 characters each); without it
    /// the column is not read and the models carry none.
    pub with_description: bool,
}

/// Reads every column but `description` unless `with_description`; the rows still decode
/// into models (with no description), so everything downstream stays the same.
fn project(select: Select<todo::Entity>, with_description: bool) -> Select<todo::Entity> {
    if with_description {
        return select;
    }
    select
        .select_only()
        .columns(todo::Column::iter().filter(|c| !matches!(c, todo::Column::Description)))
        .expr_as(Expr::cust("NULL"), "description")
}

/// The todos `viewer` may see: their own, or everyone's for admins; none when anonymous.
fn visible_to(viewer: Option<&Viewer>) -> Option<Condition> {
    match viewer {
        None => None,
        Some(v) if v.is_admin() => Some(Condition::all()),
        Some(v) => Some(Condition::all().add(todo::COLUMN.user_id.eq(v.user_id))),
    }
}

/// The parent a nested todo list hangs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parent {
    /// `User.todos`: the owner.
    Owner,
    /// `Tag.todos`: the tag, through todo_tags.
    Tag,
}

impl Parent {
    fn key_sql(self) -> &'static str {
        match self {
            Self::Owner => r#""todos"."user_id""#,
            Self::Tag => r#""todo_tags"."tag_id""#,
        }
    }

    /// How a page under this parent is sorted: as `order` says, except that a tag's todos by
    /// creation time are sorted by the links' copy of it (the same values), which the index
    /// `todo_tags (tag_id, todo_created_at, todo_id)` holds in that order, so that a page is
    /// read from that many index entries however many todos the tag has.
    fn sort(self, order: &TodoOrder) -> Sort {
        let sort = order.sort();
        match (self, order.field) {
            (Self::Tag, TodoOrderField::CreatedAt) => Sort {
                key_sql: r#""todo_tags"."todo_created_at""#,
                id_sql: r#""todo_tags"."todo_id""#,
                ..sort
            },
            _ => sort,
        }
    }

    fn select(self) -> sea_orm::Select<todo::Entity> {
        match self {
            Self::Owner => todo::Entity::find(),
            Self::Tag => {
                todo::Entity::find().join_rev(JoinType::InnerJoin, todo_tag::Relation::Todo.def())
            }
        }
    }
}

/// The rows `viewer` may see under `parent` that match `query`, before paging; `None` when
/// the viewer sees no todos.
fn parent_select(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    parent: Parent,
    query: &TodoListQuery,
) -> Option<Select<todo::Entity>> {
    Some(project(
        visible_under(backend, viewer, parent, query)?,
        query.with_description,
    ))
}

/// [`parent_select`] before its columns are chosen.
fn visible_under(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    parent: Parent,
    query: &TodoListQuery,
) -> Option<Select<todo::Entity>> {
    Some(
        parent
            .select()
            .filter(visible_to(viewer)?)
            .filter(filter_condition(&query.filter, backend)),
    )
}

/// [`pages_statement`] reading only `columns`, in that order (then `parent_id` and
/// `row_number`), for rows decoded by position.
pub fn pages_statement_of_columns(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    parent: Parent,
    parent_ids: &[i32],
    query: &TodoListQuery,
    columns: &[todo::Column],
) -> Option<Statement> {
    let select = visible_under(backend, viewer, parent, query)?
        .select_only()
        .columns(columns.iter().copied());
    Some(page::pages_statement(
        backend,
        select,
        parent.key_sql(),
        parent_ids,
        parent.sort(&query.order),
        &query.window,
    ))
}

/// [`page_statement`] reading only `columns`, in that order, for rows decoded by position.
pub fn page_statement_of_columns(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    query: &TodoListQuery,
    columns: &[todo::Column],
) -> Option<Statement> {
    let select = todo::Entity::find()
        .filter(visible_to(viewer)?)
        .filter(filter_condition(&query.filter, backend))
        .select_only()
        .columns(columns.iter().copied());
    Some(page::keyset(select, query.order.sort(), &query.window).build(backend))
}

/// The statement behind [`pages_by_parent`]; `None` when the viewer sees no todos.
pub fn pages_statement(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    parent: Parent,
    parent_ids: &[i32],
    query: &TodoListQuery,
) -> Option<Statement> {
    Some(page::pages_statement(
        backend,
        parent_select(backend, viewer, parent, query)?,
        parent.key_sql(),
        parent_ids,
        parent.sort(&query.order),
        &query.window,
    ))
}

/// One page of todos for each of `parent_ids`, in one statement.
pub async fn pages_by_parent(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    parent: Parent,
    parent_ids: &[i32],
    query: &TodoListQuery,
) -> Result<HashMap<i32, Page<todo::Model>>> {
    let Some(select) = parent_select(db.get_database_backend(), viewer, parent, query) else {
        return Ok(HashMap::new());
    };
    page::pages_by_parent(
        db,
        select,
        parent.key_sql(),
        parent_ids,
        parent.sort(&query.order),
        &query.window,
    )
    .await
}

/// How many todos match `filter` for each of `parent_ids`, in one grouped statement.
pub async fn counts_by_parent(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    parent: Parent,
    parent_ids: &[i32],
    filter: &TodoFilter,
) -> Result<HashMap<i32, u64>> {
    let Some(visible) = visible_to(viewer) else {
        return Ok(HashMap::new());
    };
    let counts: Vec<(i32, i64)> = parent
        .select()
        .select_only()
        .column_as(Expr::cust(parent.key_sql()), "parent_id")
        .column_as(Expr::cust("COUNT(*)"), "count")
        .filter(visible)
        .filter(filter_condition(filter, db.get_database_backend()))
        .filter(Expr::cust(parent.key_sql()).is_in(parent_ids.iter().copied()))
        .group_by(Expr::cust(parent.key_sql()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(id, count)| (id, u64::try_from(count).unwrap_or_default()))
        .collect())
}

fn page_select(
    backend: DbBackend,
    visible: Condition,
    query: &TodoListQuery,
) -> Select<todo::Entity> {
    let select = project(
        todo::Entity::find()
            .filter(visible)
            .filter(filter_condition(&query.filter, backend)),
        query.with_description,
    );
    page::keyset(select, query.order.sort(), &query.window)
}

/// The statement behind [`page`]; `None` when the viewer sees no todos.
pub fn page_statement(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    query: &TodoListQuery,
) -> Option<Statement> {
    Some(page_select(backend, visible_to(viewer)?, query).build(backend))
}

/// A page of every todo `viewer` may see (`Query.todos`).
pub async fn page(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    query: &TodoListQuery,
) -> Result<Page<todo::Model>> {
    let Some(visible) = visible_to(viewer) else {
        return Ok(Page::empty());
    };
    let rows = page_select(db.get_database_backend(), visible, query)
        .all(db)
        .await?;
    Ok(query.window.finish(rows))
}

/// The todos `viewer` may see that match `filter`, as `Query.todos` lists them (the
/// statistics count over the same rows); `None` when the viewer sees no todos.
pub(super) fn matching(
    backend: DbBackend,
    viewer: Option<&Viewer>,
    filter: &TodoFilter,
) -> Option<Select<todo::Entity>> {
    Some(
        todo::Entity::find()
            .filter(visible_to(viewer)?)
            .filter(filter_condition(filter, backend)),
    )
}

/// How many todos `viewer` may see that match `filter`.
pub async fn count(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    filter: &TodoFilter,
) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    let Some(select) = matching(db.get_database_backend(), viewer, filter) else {
        return Ok(0);
    };
    Ok(select.count(db).await?)
}

/// The todos with these ids that `viewer` may see, soft-deleted ones included (they can be
/// restored, so they stay reachable by id).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    ids: &[i32],
) -> Result<HashMap<i32, todo::Model>> {
    let Some(visible) = visible_to(viewer) else {
        return Ok(HashMap::new());
    };
    let todos = todo::Entity::find()
        .filter(visible)
        .filter(todo::COLUMN.id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(todos.into_iter().map(|t| (t.id, t)).collect())
}
