//! Statistics over todos: how many the viewer may see under a filter, how many of them are
//! completed, open and overdue, per priority, and the most used tags.
//!
//! The rows are those of the lists ([`list::matching`]: the same visibility and the same
//! filter), and everything is counted by the database: one grouped statement for the counts
//! (a row per owner and priority) and one for the top tags (a row per owner and tag, ranked
//! by a window over the groups). Statistics for many owners share those two statements.

use std::collections::HashMap;

use entity::{tag, todo, todo::Priority, todo_tag};
use sea_orm::{
    ConnectionTrait, DbBackend, ExprTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    QueryTrait, RelationTrait, Select, Statement,
    sea_query::{Alias, Asterisk, Expr, Func, Order, Query},
};

use super::list::{self, TodoFilter, is_overdue};
use crate::{
    error::{Error, Result},
    service::viewer::Viewer,
};

/// How many top tags a statistic lists when not told.
pub const TOP_TAGS_DEFAULT: i32 = 10;

/// The most top tags a statistic lists.
pub const TOP_TAGS_MAX: i32 = 100;

/// Every priority, in the order statistics list them.
const PRIORITIES: [Priority; 3] = [Priority::Low, Priority::Medium, Priority::High];

/// The counts of one set of todos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoCounts {
    /// All of them.
    pub total: u64,
    /// The completed ones.
    pub completed: u64,
    /// The open ones that are due in the past.
    pub overdue: u64,
    /// Per priority, every priority from LOW to HIGH, zeros included.
    pub by_priority: [(Priority, u64); 3],
}

impl Default for TodoCounts {
    fn default() -> Self {
        Self {
            total: 0,
            completed: 0,
            overdue: 0,
            by_priority: PRIORITIES.map(|priority| (priority, 0)),
        }
    }
}

impl TodoCounts {
    /// The ones not completed.
    pub fn open(&self) -> u64 {
        self.total.saturating_sub(self.completed)
    }

    /// Adds one priority's group.
    fn add(&mut self, priority: Priority, total: u64, completed: u64, overdue: u64) {
        self.total += total;
        self.completed += completed;
        self.overdue += overdue;
        for (p, count) in &mut self.by_priority {
            if *p == priority {
                *count += total;
            }
        }
    }
}

/// A tag and how many of the counted todos carry it.
pub type TagCount = (tag::Model, u64);

/// Whose todos are counted: every one the viewer may see, or each owner's.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// `Query.todoStats`.
    All,
    /// `User.todoStats`, for these users.
    Owners(&'a [i32]),
}

impl Scope<'_> {
    /// The key each row is counted under: the owner, or 0 for all.
    fn key_sql(self) -> &'static str {
        match self {
            Self::All => "0",
            Self::Owners(_) => r#""todos"."user_id""#,
        }
    }

    /// `select` narrowed to the owners and grouped by them. (`All` is not grouped by its
    /// constant key: `GROUP BY 0` would name a column by position.)
    fn group(self, select: Select<todo::Entity>) -> Select<todo::Entity> {
        match self {
            Self::All => select,
            Self::Owners(ids) => select
                .filter(todo::COLUMN.user_id.is_in(ids.iter().copied()))
                .group_by(todo::Column::UserId),
        }
    }
}

/// Checks `first` of `topTags`: 0 to [`TOP_TAGS_MAX`].
pub fn top_tags_first(first: i32) -> Result<u64> {
    if !(0..=TOP_TAGS_MAX).contains(&first) {
        return Err(Error::invalid(
            "first",
            format!("first must be between 0 and {TOP_TAGS_MAX}."),
        ));
    }
    Ok(u64::try_from(first).unwrap_or_default())
}

/// The counts of every todo `viewer` may see that matches `filter`.
pub async fn counts(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    filter: &TodoFilter,
) -> Result<TodoCounts> {
    let mut counts = counts_in(db, viewer, Scope::All, filter).await?;
    Ok(counts.remove(&0).unwrap_or_default())
}

/// The counts of each of `owner_ids`' todos that `viewer` may see and that match
/// `filter`, in one statement; owners without such todos are missing.
pub async fn counts_by_owner(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    owner_ids: &[i32],
    filter: &TodoFilter,
) -> Result<HashMap<i32, TodoCounts>> {
    counts_in(db, viewer, Scope::Owners(owner_ids), filter).await
}

/// One statement: a row per key and priority, with the completed and overdue todos
/// counted by `COUNT(CASE WHEN … THEN 1 END)`, which both databases accept.
async fn counts_in(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    scope: Scope<'_>,
    filter: &TodoFilter,
) -> Result<HashMap<i32, TodoCounts>> {
    let Some(select) = list::matching(db.get_database_backend(), viewer, filter) else {
        return Ok(HashMap::new());
    };
    let completed = Expr::case(todo::COLUMN.completed.eq(true), 1);
    let select = select
        .select_only()
        .column_as(Expr::cust(scope.key_sql()), "parent_id")
        .column(todo::Column::Priority)
        .column_as(Expr::cust("COUNT(*)"), "total")
        .column_as(Expr::from(Func::count(completed)), "completed")
        .column_as(
            Expr::from(Func::count(Expr::case(is_overdue(), 1))),
            "overdue",
        )
        .group_by(todo::Column::Priority);
    let rows: Vec<(i32, Priority, i64, i64, i64)> =
        scope.group(select).into_tuple().all(db).await?;
    let mut counts: HashMap<i32, TodoCounts> = HashMap::new();
    for (key, priority, total, completed, overdue) in rows {
        let n = |count: i64| u64::try_from(count).unwrap_or_default();
        counts
            .entry(key)
            .or_default()
            .add(priority, n(total), n(completed), n(overdue));
    }
    Ok(counts)
}

/// The `first` most used tags among every todo `viewer` may see that matches `filter`.
pub async fn top_tags(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    filter: &TodoFilter,
    first: u64,
) -> Result<Vec<TagCount>> {
    let mut tags = top_tags_in(db, viewer, Scope::All, filter, first).await?;
    Ok(tags.remove(&0).unwrap_or_default())
}

/// The `first` most used tags of each of `owner_ids`' todos that `viewer` may see and
/// that match `filter`, in one statement; owners without tagged todos are missing.
pub async fn top_tags_by_owner(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    owner_ids: &[i32],
    filter: &TodoFilter,
    first: u64,
) -> Result<HashMap<i32, Vec<TagCount>>> {
    top_tags_in(db, viewer, Scope::Owners(owner_ids), filter, first).await
}

/// The statement behind [`top_tags_in`]: the todos' tags grouped per key and tag, ranked
/// within each key by `ROW_NUMBER()` over the groups (most used first, ties by name), the
/// first `first` of each joined to their tag rows.
fn top_tags_statement(
    backend: DbBackend,
    select: Select<todo::Entity>,
    scope: Scope<'_>,
    first: u64,
) -> Statement {
    let key = scope.key_sql();
    let partition = match scope {
        Scope::All => String::new(),
        Scope::Owners(_) => format!("PARTITION BY {key} "),
    };
    let inner = select
        .select_only()
        .join_rev(JoinType::InnerJoin, todo_tag::Relation::Todo.def())
        .join(JoinType::InnerJoin, todo_tag::Relation::Tag.def())
        .column_as(Expr::cust(key), "parent_id")
        .column_as(Expr::col((tag::Entity, tag::Column::Id)), "tag_id")
        .column_as(Expr::cust("COUNT(*)"), "count")
        .column_as(
            Expr::cust(format!(
                r#"ROW_NUMBER() OVER ({partition}ORDER BY COUNT(*) DESC, "tags"."name" ASC)"#
            )),
            "tag_rank",
        )
        .group_by(tag::Column::Id)
        .group_by(tag::Column::Name);
    let ranked = Alias::new("ranked");
    let outer = Query::select()
        .column((tag::Entity, Asterisk))
        .column((ranked.clone(), Alias::new("parent_id")))
        .column((ranked.clone(), Alias::new("count")))
        .from_subquery(scope.group(inner).into_query(), ranked.clone())
        .inner_join(
            tag::Entity,
            Expr::col((tag::Entity, tag::Column::Id))
                .equals((ranked.clone(), Alias::new("tag_id"))),
        )
        .and_where(
            Expr::col((ranked.clone(), Alias::new("tag_rank")))
                .lte(i64::try_from(first).unwrap_or(i64::MAX)),
        )
        .order_by((ranked.clone(), Alias::new("parent_id")), Order::Asc)
        .order_by((ranked, Alias::new("tag_rank")), Order::Asc)
        .to_owned();
    backend.build(&outer)
}

async fn top_tags_in(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    scope: Scope<'_>,
    filter: &TodoFilter,
    first: u64,
) -> Result<HashMap<i32, Vec<TagCount>>> {
    let backend = db.get_database_backend();
    let Some(select) = list::matching(backend, viewer, filter) else {
        return Ok(HashMap::new());
    };
    if first == 0 {
        return Ok(HashMap::new());
    }
    let statement = top_tags_statement(backend, select, scope, first);
    let mut tags: HashMap<i32, Vec<TagCount>> = HashMap::new();
    for row in db.query_all_raw(statement).await? {
        let key: i32 = row.try_get("", "parent_id")?;
        let count: i64 = row.try_get("", "count")?;
        let tag = tag::Model::from_query_result(&row, "")?;
        tags.entry(key)
            .or_default()
            .push((tag, u64::try_from(count).unwrap_or_default()));
    }
    Ok(tags)
}
