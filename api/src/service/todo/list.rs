//! Listing todos: filters, orders, who may see what, and pages for many parents at once.
//!
//! A nested connection (`users { todos(first: 10) }`) asks for one page per parent. All of
//! them come from one statement: `ROW_NUMBER() OVER (PARTITION BY <parent> ORDER BY ...)`
//! numbers each parent's rows and the outer query keeps the first `size + 1` of each. Counts
//! for all parents come from one grouped statement.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{tag, todo, todo::Priority, todo_tag};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, Iterable, JoinType,
    QueryFilter, QuerySelect, QueryTrait, RelationTrait, Select, Statement,
    sea_query::{Expr, Query},
};

use crate::service::{
    now,
    page::{self, Cursor, Page, Sort, SortKey, Window},
    search,
    viewer::Viewer,
};
use crate::error::Result;

/// Conditions on todos; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TodoFilter {
    /// Done or not.
    pub completed: Option<bool>,
    /// Any of these priorities.
    pub priorities: Option<Vec<Priority>>,
    /// Case-insensitive substring of title or description; `%` and `_` match themselves.
    pub search: Option<String>,
    /// Due in the past and not completed (or, with false, the opposite).
    pub overdue: Option<bool>,
    /// Due strictly before.
    pub due_before: Option<DateTime<Utc>>,
    /// Due strictly after.
    pub due_after: Option<DateTime<Utc>>,
    /// Has at least one of these tag names.
    pub tags: Option<Vec<String>>,
    /// true: only soft-deleted todos; otherwise only live ones.
    pub deleted: Option<bool>,
}

/// What todos can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TodoOrderField {
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Due date; todos without one come last.
    DueDate,
    /// low < medium < high.
    Priority,
    /// Title.
    Title,
}

/// A sort order; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TodoOrder {
    /// Sort key.
    pub field: TodoOrderField,
    /// Descending?
    pub descending: bool,
}

impl Default for TodoOrder {
    fn default() -> Self {
        Self {
            field: TodoOrderField::CreatedAt,
            descending: true,
        }
    }
}

/// Priority as a number, so that both backends sort it low < medium < high (SQLite would
/// sort the text alphabetically).
const PRIORITY_RANK: &str =
    r#"(CASE "todos"."priority" WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)"#;

impl TodoOrder {
    /// The name cursors carry, so that a cursor of one ordering is refused by another.
    pub fn cursor_name(&self) -> &'static str {
        match self.field {
            TodoOrderField::CreatedAt => "todo:created_at",
            TodoOrderField::UpdatedAt => "todo:updated_at",
            TodoOrderField::DueDate => "todo:due_date",
            TodoOrderField::Priority => "todo:priority",
            TodoOrderField::Title => "todo:title",
        }
    }

    fn sort(&self) -> Sort {
        let (key_sql, nullable) = match self.field {
            TodoOrderField::CreatedAt => (r#""todos"."created_at""#, false),
            TodoOrderField::UpdatedAt => (r#""todos"."updated_at""#, false),
            TodoOrderField::DueDate => (r#""todos"."due_date""#, true),
            TodoOrderField::Priority => (PRIORITY_RANK, false),
            TodoOrderField::Title => (r#""todos"."title""#, false),
        };
        Sort {
            key_sql,
            id_sql: r#""todos"."id""#,
            descending: self.descending,
            nullable,
        }
    }

    /// The cursor of `todo` in this ordering.
    pub fn cursor(&self, todo: &todo::Model) -> Cursor {
        let key = match self.field {
            TodoOrderField::CreatedAt => SortKey::Time(todo.created_at),
            TodoOrderField::UpdatedAt => SortKey::Time(todo.updated_at),
            TodoOrderField::DueDate => todo.due_date.map_or(SortKey::Null, SortKey::Time),
            TodoOrderField::Priority => SortKey::Int(match todo.priority {
                Priority::Low => 0,
                Priority::Medium => 1,
                Priority::High => 2,
            }),
            TodoOrderField::Title => SortKey::Text(todo.title.clone()),
        };
        Cursor {
            ordering: self.cursor_name().to_owned(),
            key,
            id: todo.id,
        }
    }
}

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

fn filter_condition(filter: &TodoFilter, backend: DbBackend) -> Condition {
    let mut all = Condition::all();
    all = if filter.deleted == Some(true) {
        all.add(todo::COLUMN.deleted_at.is_not_null())
    } else {
        all.add(todo::COLUMN.deleted_at.is_null())
    };
    if let Some(completed) = filter.completed {
        all = all.add(todo::COLUMN.completed.eq(completed));
    }
    if let Some(priorities) = &filter.priorities {
        all = all.add(todo::Column::Priority.is_in(priorities.iter().copied()));
    }
    if let Some(search) = &filter.search {
        all = all.add(
            Condition::any()
                .add(search::contains(r#""todos"."title""#, search, backend))
                .add(search::contains(
                    r#""todos"."description""#,
                    search,
                    backend,
                )),
        );
    }
    if let Some(overdue) = filter.overdue {
        // A todo without a due date is never overdue; the explicit IS NOT NULL keeps
        // `overdue: false` from dropping it through SQL's three-valued NOT.
        let is_overdue = Condition::all()
            .add(todo::COLUMN.due_date.is_not_null())
            .add(todo::COLUMN.due_date.lt(now()))
            .add(todo::COLUMN.completed.eq(false));
        all = all.add(if overdue {
            is_overdue
        } else {
            is_overdue.not()
        });
    }
    if let Some(before) = filter.due_before {
        all = all.add(todo::COLUMN.due_date.lt(before));
    }
    if let Some(after) = filter.due_after {
        all = all.add(todo::COLUMN.due_date.gt(after));
    }
    if let Some(names) = &filter.tags {
        let tagged = Query::select()
            .expr(Expr::val(1))
            .from(todo_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id))
                    .equals((todo_tag::Entity, todo_tag::Column::TagId)),
            )
            .and_where(
                Expr::col((todo_tag::Entity, todo_tag::Column::TodoId))
                    .equals((todo::Entity, todo::Column::Id)),
            )
            .and_where(
                Expr::cust(r#"LOWER("tags"."name")"#)
                    .is_in(names.iter().map(|n| n.trim().to_lowercase())),
            )
            .to_owned();
        all = all.add(Expr::exists(tagged));
    }
    all
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
    let select = parent
        .select()
        .filter(visible_to(viewer)?)
        .filter(filter_condition(&query.filter, backend));
    Some(project(select, query.with_description))
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
        query.order.sort(),
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
        query.order.sort(),
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

/// How many todos `viewer` may see that match `filter`.
pub async fn count(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    filter: &TodoFilter,
) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    let Some(visible) = visible_to(viewer) else {
        return Ok(0);
    };
    Ok(todo::Entity::find()
        .filter(visible)
        .filter(filter_condition(filter, db.get_database_backend()))
        .count(db)
        .await?)
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
