//! Keyset pagination shared by every connection: page arguments, opaque cursors, and the
//! SQL conditions that continue an ordering after a cursor. Cursors hold the sort key and
//! the id of a row, never an offset, so page 1,000 costs what page 1 costs.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sea_orm::{
    Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Statement,
    sea_query::{Alias, Asterisk, Expr, Order, Query, SimpleExpr},
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Page sizes, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Size when neither `first` nor `last` is given.
    pub default: u64,
    /// Largest `first` or `last` accepted.
    pub max: u64,
}

/// The Relay arguments of a connection field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PageArgs {
    /// Forward page size.
    pub first: Option<i32>,
    /// Continue after this cursor.
    pub after: Option<String>,
    /// Backward page size.
    pub last: Option<i32>,
    /// Continue before this cursor.
    pub before: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    /// How many rows the page holds.
    pub size: u64,
    /// Paging backwards (`last`/`before`): the query runs in reverse order.
    pub backward: bool,
    /// Where to continue from.
    pub cursor: Option<Cursor>,
}

impl Window {
    /// Checks `args` against `limits` and decodes the cursor for `ordering`.
    pub fn new(args: &PageArgs, limits: PageLimits, ordering: &str) -> Result<Self> {
        let count = |value: Option<i32>, field: &'static str| -> Result<Option<u64>> {
            match value {
                None => Ok(None),
                Some(n) if n < 0 => Err(Error::invalid(
                    field,
                    format!("{field} must not be negative."),
                )),
                Some(n) if n as u64 > limits.max => Err(Error::invalid(
                    field,
                    format!("{field} must be at most {}.", limits.max),
                )),
                Some(n) => Ok(Some(n as u64)),
            }
        };
        let first = count(args.first, "first")?;
        let last = count(args.last, "last")?;
        let backward = last.is_some() || args.before.is_some();
        if backward && (first.is_some() || args.after.is_some()) {
            return Err(Error::invalid(
                "last",
                "Page forwards with first/after or backwards with last/before, not both.",
            ));
        }
        let (size, cursor, field) = if backward {
            (last, args.before.as_deref(), "before")
        } else {
            (first, args.after.as_deref(), "after")
        };
        let cursor = cursor
            .map(|c| Cursor::decode(c, ordering, field))
            .transpose()?;
        Ok(Self {
            size: size.unwrap_or(limits.default),
            backward,
            cursor,
        })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> u64 {
        self.size + 1
    }

    /// Turns the fetched rows (in query order) into the page, in display order.
    pub fn finish<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let more = rows.len() as u64 > self.size;
        rows.truncate(self.size as usize);
        if self.backward {
            rows.reverse();
        }
        // Whether rows exist on the cursor's other side is not known without another
        // statement; Relay allows answering with whether a cursor was given.
        let (has_next, has_previous) = if self.backward {
            (self.cursor.is_some(), more)
        } else {
            (more, self.cursor.is_some())
        };
        Page {
            items: rows,
            has_next,
            has_previous,
        }
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in display order.
    pub items: Vec<T>,
    /// Rows follow the last one.
    pub has_next: bool,
    /// Rows precede the first one.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// A page with nothing on it.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
        }
    }
}

/// The value a row is sorted by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    /// A timestamp.
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    /// A string.
    #[serde(rename = "s")]
    Text(String),
    /// A number.
    #[serde(rename = "n")]
    Int(i64),
    /// SQL NULL (sorted last).
    #[serde(rename = "z")]
    Null,
}

impl SortKey {
    fn value(&self) -> SimpleExpr {
        match self {
            Self::Time(t) => Expr::val(*t),
            Self::Text(s) => Expr::val(s.clone()),
            Self::Int(n) => Expr::val(*n),
            Self::Null => Expr::cust("NULL"),
        }
    }
}

/// A position in an ordering: the row's sort key and id, and which ordering it belongs to,
/// so that a cursor from another list or ordering is rejected instead of misread.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The ordering, e.g. `todo:created_at`.
    #[serde(rename = "o")]
    pub ordering: String,
    /// The row's sort key.
    #[serde(rename = "k")]
    pub key: SortKey,
    /// The row's id, the tiebreak.
    #[serde(rename = "i")]
    pub id: i32,
}

impl Cursor {
    /// The opaque form clients see.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The cursor that `text` (from a client, so possibly forged) encodes, if it is one of
    /// `ordering`'s with a key of the type that ordering sorts by; BAD_USER_INPUT on
    /// `field` otherwise. Never panics, whatever the text.
    pub fn decode(text: &str, ordering: &str, field: &'static str) -> Result<Self> {
        let invalid = || Error::invalid(field, format!("{text:?} is not a cursor of this list."));
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        // A key of another type would reach the SQL as a comparison PostgreSQL refuses
        // (text > bigint), and text with NUL as a parameter it cannot take.
        if cursor.ordering == ordering && cursor.key.fits(ordering) {
            Ok(cursor)
        } else {
            Err(invalid())
        }
    }
}

impl SortKey {
    /// Whether this key has the type of `ordering`'s sort key. Every ordering a list uses
    /// is an [`Ordering`]; a cursor of any other is refused, which its paging tests show.
    fn fits(&self, ordering: &str) -> bool {
        Ordering::ALL
            .iter()
            .any(|known| known.name() == ordering && known.takes(self))
    }
}

/// The orderings lists sort by. A cursor carries its ordering's name, so that a cursor of
/// one list or ordering is refused by another, and a key of the type that ordering sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ordering {
    /// Todos by creation time.
    TodoCreatedAt,
    /// Todos by last change.
    TodoUpdatedAt,
    /// Todos by due date, those without one last.
    TodoDueDate,
    /// Todos by priority.
    TodoPriority,
    /// Todos by title.
    TodoTitle,
    /// Tags by name.
    TagName,
    /// Users by username.
    UserUsername,
    /// A todo's history entries, by id.
    HistoryId,
}

impl Ordering {
    /// Every ordering: what the decoders' fuzz targets and tests forge cursors for.
    pub const ALL: [Self; 8] = [
        Self::TodoCreatedAt,
        Self::TodoUpdatedAt,
        Self::TodoDueDate,
        Self::TodoPriority,
        Self::TodoTitle,
        Self::TagName,
        Self::UserUsername,
        Self::HistoryId,
    ];

    /// The name of every ordering, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 8] = {
        let mut names = [""; 8];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The name its cursors carry, e.g. `todo:created_at`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TodoCreatedAt => "todo:created_at",
            Self::TodoUpdatedAt => "todo:updated_at",
            Self::TodoDueDate => "todo:due_date",
            Self::TodoPriority => "todo:priority",
            Self::TodoTitle => "todo:title",
            Self::TagName => "tag:name",
            Self::UserUsername => "user:username",
            Self::HistoryId => "history:id",
        }
    }

    /// Whether `key` has the type this ordering sorts by.
    pub fn takes(self, key: &SortKey) -> bool {
        match key {
            SortKey::Time(_) => matches!(
                self,
                Self::TodoCreatedAt | Self::TodoUpdatedAt | Self::TodoDueDate
            ),
            SortKey::Null => self == Self::TodoDueDate,
            SortKey::Int(_) => matches!(self, Self::TodoPriority | Self::HistoryId),
            SortKey::Text(text) => {
                !text.contains('\0')
                    && matches!(self, Self::TodoTitle | Self::TagName | Self::UserUsername)
            }
        }
    }
}

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
