//! The SQL of keyset pagination: the order a list is sorted in, the condition that
//! continues it after a cursor, and one page per parent in one statement.

use std::collections::HashMap;

use sea_orm::{
    Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Statement,
    sea_query::{Alias, Asterisk, Expr, Order, Query, SimpleExpr},
};

use super::{Cursor, Page, SortKey, Window};
use crate::error::Result;

/// How a list is sorted: a key expression (static SQL), its direction, whether it can be
/// NULL (NULLs always sort last, whatever the direction), then the row id in the same
/// direction.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    /// SQL of the sort key, e.g. `"todos"."created_at"`.
    pub key_sql: &'static str,
    /// SQL of the id column.
    pub id_sql: &'static str,
    /// Descending?
    pub descending: bool,
    /// Whether the key can be NULL.
    pub nullable: bool,
}

impl Sort {
    /// The sort as the query runs it: reversed when paging backwards.
    pub fn for_window(self, window: &Window) -> QuerySort {
        QuerySort {
            sort: self,
            descending: self.descending != window.backward,
            nulls_last: !window.backward,
        }
    }
}

/// A sort in the direction the query runs.
#[derive(Debug, Clone, Copy)]
pub struct QuerySort {
    sort: Sort,
    descending: bool,
    nulls_last: bool,
}

impl QuerySort {
    /// For a nullable key, the flag that puts NULLs last, sorted in the same direction as
    /// the key: `(key IS NULL)` ascending, `(key IS NOT NULL)` descending. Every term then
    /// runs one way, so one index on (flag, key, id) serves the order forwards and
    /// backwards, and a row comparison over the three can seek in it (see [`Self::after`]).
    fn null_flag(&self) -> Option<String> {
        let key = self.sort.key_sql;
        self.sort.nullable.then(|| {
            if self.sort.descending {
                format!("({key} IS NOT NULL)")
            } else {
                format!("({key} IS NULL)")
            }
        })
    }

    /// ORDER BY terms, as SQL (for window functions) and as expressions.
    pub fn order_sql(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        self.terms()
            .iter()
            .map(|term| format!("{term} {dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// ORDER BY terms for a plain query.
    pub fn order_by(&self) -> Vec<(SimpleExpr, Order)> {
        let dir = if self.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        self.terms()
            .into_iter()
            .map(|term| (Expr::cust(term), dir.clone()))
            .collect()
    }

    fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = self.null_flag().into_iter().collect();
        terms.push(self.sort.key_sql.to_owned());
        terms.push(self.sort.id_sql.to_owned());
        terms
    }

    /// Rows strictly after `cursor` in this order.
    pub fn after(&self, cursor: &Cursor) -> Condition {
        let key = || Expr::cust(self.sort.key_sql);
        let id = || Expr::cust(self.sort.id_sql);
        let beyond = |a: SimpleExpr, b: SimpleExpr| if self.descending { a.lt(b) } else { a.gt(b) };
        let id_beyond = beyond(id(), Expr::val(cursor.id));
        match &cursor.key {
            SortKey::Null => {
                let same = Condition::all().add(key().is_null()).add(id_beyond);
                if self.nulls_last {
                    same
                } else {
                    Condition::any().add(same).add(key().is_not_null())
                }
            }
            value => {
                if let Some(flag) = self.null_flag() {
                    // (flag, key, id) beyond (flag of a non-NULL key, value, id): a row with a
                    // NULL key is decided by its flag alone, so it comes after the cursor
                    // exactly when NULLs come later in the query's order; and the database
                    // can seek to the cursor in the (flag, key, id) index.
                    let non_null = Expr::cust(if self.sort.descending {
                        "TRUE"
                    } else {
                        "FALSE"
                    });
                    let row = Expr::tuple([Expr::cust(flag), key(), id()]);
                    let at = Expr::tuple([non_null, value.value(), Expr::val(cursor.id)]);
                    return Condition::all().add(beyond(row, at));
                }
                let any = Condition::any()
                    .add(beyond(key(), value.value()))
                    .add(Condition::all().add(key().eq(value.value())).add(id_beyond));
                // The same rows, plus a plain bound on the key that an index can seek to: an
                // OR alone makes the database read the index from its start and discard
                // everything before the cursor, so deep pages would cost their depth.
                let bound = if self.descending {
                    key().lte(value.value())
                } else {
                    key().gte(value.value())
                };
                Condition::all().add(bound).add(any)
            }
        }
    }
}

/// `select` narrowed to one page of `window` in `sort` order: after the cursor, ordered,
/// and one row more than the page (see [`Window::finish`]).
pub fn keyset<E: EntityTrait>(select: Select<E>, sort: Sort, window: &Window) -> Select<E> {
    let sort = sort.for_window(window);
    let mut select = select;
    if let Some(cursor) = &window.cursor {
        select = select.filter(sort.after(cursor));
    }
    for (expr, order) in sort.order_by() {
        select = select.order_by(expr, order);
    }
    select.limit(window.fetch())
}

/// The statement behind [`pages_by_parent`]: every parent's page in one statement.
/// `select` carries the filters; `parent_sql` names the parent column.
///
/// On PostgreSQL each parent's page is a `LATERAL` subquery with its own ORDER BY and
/// LIMIT, which an index on (parent, sort key) or on the sort key alone serves by reading
/// little more than the page, however many rows the parent has. Elsewhere `ROW_NUMBER()
/// OVER (PARTITION BY <parent> ORDER BY <sort>)` numbers each parent's rows and the outer
/// query keeps `window.fetch()` of each, which reads all of each parent's rows. Either
/// way the rows come back with `parent_id` and `row_number`, ordered by both.
pub fn pages_statement<E: EntityTrait>(
    backend: DbBackend,
    select: Select<E>,
    parent_sql: &'static str,
    parent_ids: &[i32],
    sort: Sort,
    window: &Window,
) -> Statement {
    let sort = sort.for_window(window);
    let mut inner = select;
    if let Some(cursor) = &window.cursor {
        inner = inner.filter(sort.after(cursor));
    }
    let inner = inner.expr_as(Expr::cust(parent_sql), "parent_id");
    if backend == DbBackend::Postgres {
        return lateral_pages(inner, parent_sql, parent_ids, &sort, window);
    }
    let inner = inner
        .filter(Expr::cust(parent_sql).is_in(parent_ids.iter().copied()))
        .expr_as(
            Expr::cust(format!(
                "ROW_NUMBER() OVER (PARTITION BY {parent_sql} ORDER BY {})",
                sort.order_sql()
            )),
            "row_number",
        )
        .into_query();
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col("row_number").lte(window.fetch() as i64))
        .order_by("parent_id", Order::Asc)
        .order_by("row_number", Order::Asc)
        .to_owned();
    backend.build(&outer)
}

/// PostgreSQL's form of [`pages_statement`]: `unnest` of the parent ids (integers of our
/// own, written into the SQL), each joined to its page.
fn lateral_pages<E: EntityTrait>(
    inner: Select<E>,
    parent_sql: &'static str,
    parent_ids: &[i32],
    sort: &QuerySort,
    window: &Window,
) -> Statement {
    let mut inner = inner
        .filter(Expr::cust(format!(
            r#"{parent_sql} = "parents"."parent_id""#
        )))
        .expr_as(
            Expr::cust(format!("ROW_NUMBER() OVER (ORDER BY {})", sort.order_sql())),
            "row_number",
        );
    for (expr, order) in sort.order_by() {
        inner = inner.order_by(expr, order);
    }
    let inner = DbBackend::Postgres.build(&inner.limit(window.fetch()).into_query());
    let ids = parent_ids
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        r#"SELECT "paged".* FROM unnest(ARRAY[{ids}]::integer[]) AS "parents"("parent_id") CROSS JOIN LATERAL ({}) AS "paged" ORDER BY "paged"."parent_id" ASC, "paged"."row_number" ASC"#,
        inner.sql
    );
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        inner.values.map(|values| values.0).unwrap_or_default(),
    )
}

/// One page per parent, in one statement (see [`pages_statement`]).
pub async fn pages_by_parent<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    parent_sql: &'static str,
    parent_ids: &[i32],
    sort: Sort,
    window: &Window,
) -> Result<HashMap<i32, Page<E::Model>>> {
    let statement = pages_statement(
        db.get_database_backend(),
        select,
        parent_sql,
        parent_ids,
        sort,
        window,
    );
    let mut rows: HashMap<i32, Vec<E::Model>> = HashMap::new();
    for row in db.query_all_raw(statement).await? {
        let parent_id: i32 = row.try_get("", "parent_id")?;
        rows.entry(parent_id)
            .or_default()
            .push(E::Model::from_query_result(&row, "")?);
    }
    Ok(rows
        .into_iter()
        .map(|(id, rows)| (id, window.finish(rows)))
        .collect())
}
