//! What a todo list keeps: the conditions of `TodoFilter`, as SQL.

use chrono::{DateTime, Utc};
use entity::{tag, todo, todo::Priority, todo_tag};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, ExprTrait,
    sea_query::{Expr, Query},
};

use crate::service::{now, search};

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

/// Open and due in the past: the one definition of overdue, for `filter.overdue` and for
/// the statistics' count. A todo without a due date is never overdue; the explicit IS NOT
/// NULL keeps `overdue: false` from dropping it through SQL's three-valued NOT.
pub(in crate::service::todo) fn is_overdue() -> Condition {
    Condition::all()
        .add(todo::COLUMN.due_date.is_not_null())
        .add(todo::COLUMN.due_date.lt(now()))
        .add(todo::COLUMN.completed.eq(false))
}

/// The SQL condition of `filter`.
pub(super) fn filter_condition(filter: &TodoFilter, backend: DbBackend) -> Condition {
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
        all = all.add(if overdue {
            is_overdue()
        } else {
            is_overdue().not()
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
