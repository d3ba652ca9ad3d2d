//! Relay Cursor Connections: `PageInfo`, the connection and edge types, page arguments, and
//! `totalCount`, which costs a statement and is therefore computed only when selected.

use async_graphql::{Context, SimpleObject};

use super::{context::ContextExt, loaders::TodoCountKey};
use crate::{
    error::Result,
    service::{
        self,
        page::{Page, PageArgs, PageLimits, Window},
        todo::list::TodoFilter,
    },
};

/// Relay Cursor Connections. Cursors are opaque keyset cursors, never offsets.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// More items follow the last edge.
    pub has_next_page: bool,
    /// More items precede the first edge.
    pub has_previous_page: bool,
    /// Cursor of the first edge.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge.
    pub end_cursor: Option<String>,
}

/// Where a connection's `totalCount` comes from, resolved only when asked for.
#[derive(Debug, Clone)]
pub enum TotalCount {
    /// Known without asking (e.g. an anonymous viewer sees no todos).
    Known(u64),
    /// Todos of one user or tag: batched across parents.
    TodosOfParent(TodoCountKey),
    /// Every todo the viewer may see.
    Todos(TodoFilter),
    /// Users matching a search.
    Users(Option<String>),
    /// Tags matching a search.
    Tags(Option<String>),
    /// A todo's history entries, up to and including entry `until` if given.
    History {
        /// Whose history.
        todo_id: i32,
        /// The last entry counted.
        until: Option<i32>,
    },
}

impl TotalCount {
    /// Counts.
    pub async fn resolve(&self, ctx: &Context<'_>) -> Result<u64> {
        let db = ctx.db()?;
        match self {
            Self::Known(n) => Ok(*n),
            Self::TodosOfParent(key) => Ok(ctx
                .loaders()?
                .todo_count_by_parent()
                .load_one(key.clone())
                .await
                .map_err(|err| crate::error::Error::Internal(err.to_string()))?
                .unwrap_or(0)),
            Self::Todos(filter) => service::todo::list::count(db, ctx.viewer(), filter).await,
            Self::Users(search) => service::user::count(db, search.as_deref()).await,
            Self::Tags(search) => service::tag::count(db, search.as_deref()).await,
            Self::History {
                todo_id,
                until: Some(until),
            } => Ok(
                service::history::counts_by_todo(db, &[*todo_id], Some(*until))
                    .await?
                    .remove(todo_id)
                    .unwrap_or(0),
            ),
            Self::History {
                todo_id,
                until: None,
            } => Ok(ctx
                .loaders()?
                .history_count_by_todo()
                .load_one(*todo_id)
                .await
                .map_err(|err| crate::error::Error::Internal(err.to_string()))?
                .unwrap_or(0)),
        }
    }
}

/// Loads a connection's page and, when the selection asks for `totalCount`, its count in
/// the same round. Objects resolve their fields in order, so a count left to its own field
/// would be requested once the page's nested fields are done, and parents finishing at
/// different times (an empty page finishes at once) would split one batched COUNT in two.
pub async fn with_total<P>(
    ctx: &Context<'_>,
    page: impl std::future::Future<Output = async_graphql::Result<P>>,
    total: TotalCount,
) -> async_graphql::Result<(P, TotalCount)> {
    if !ctx.look_ahead().field("totalCount").exists() {
        return Ok((page.await?, total));
    }
    let count = async { total.resolve(ctx).await.map_err(async_graphql::Error::from) };
    let (page, count) = tokio::try_join!(page, count)?;
    Ok((page, TotalCount::Known(count)))
}

/// The Relay arguments of a connection field, which its resolver takes one by one (an
/// argument struct would be an input type in the schema, not four arguments).
pub fn page_args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
    }
}

/// The validated window of a connection field's arguments.
pub fn window(ctx: &Context<'_>, args: PageArgs, ordering: &str) -> Result<Window> {
    Window::new(&args, *ctx.app_data::<PageLimits>()?, ordering)
}

/// Builds `PageInfo` and the edges of `page`, with `cursor` giving each node's cursor.
pub fn edges<M, N>(
    page: Page<M>,
    cursor: impl Fn(&M) -> String,
    node: impl Fn(M) -> N,
) -> (PageInfo, Vec<(String, N)>) {
    let edges: Vec<(String, N)> = page
        .items
        .into_iter()
        .map(|m| (cursor(&m), node(m)))
        .collect();
    let info = PageInfo {
        has_next_page: page.has_next,
        has_previous_page: page.has_previous,
        start_cursor: edges.first().map(|(c, _)| c.clone()),
        end_cursor: edges.last().map(|(c, _)| c.clone()),
    };
    (info, edges)
}

/// Declares `$connection` and `$edge` for node type `$node`.
macro_rules! connection_type {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ".")]
        pub struct $connection {
            /// Edges in order.
            pub edges: Vec<$edge>,
            /// Paging state.
            pub page_info: $crate::schema::connection::PageInfo,
            /// Where the total comes from.
            pub total: $crate::schema::connection::TotalCount,
        }

        impl $connection {
            /// From a page, a cursor function and a node constructor.
            pub fn new<M>(
                page: $crate::service::page::Page<M>,
                cursor: impl Fn(&M) -> String,
                node: impl Fn(M) -> $node,
                total: $crate::schema::connection::TotalCount,
            ) -> Self {
                let (page_info, edges) = $crate::schema::connection::edges(page, cursor, node);
                Self {
                    edges: edges
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    page_info,
                    total,
                }
            }
        }

        #[doc = concat!("A page of ", $what, ".")]
        // Serial, like the node types (see User).
        #[async_graphql::Object(serial)]
        impl $connection {
            /// The items with their cursors.
            async fn edges(&self) -> Vec<$crate::execution::response_budget::Item<&$edge>> {
                self.edges
                    .iter()
                    .map($crate::execution::response_budget::Item)
                    .collect()
            }

            /// The items alone.
            async fn nodes(&self) -> Vec<$crate::execution::response_budget::Item<&$node>> {
                self.edges
                    .iter()
                    .map(|edge| $crate::execution::response_budget::Item(&edge.node))
                    .collect()
            }

            /// Paging state.
            async fn page_info(&self) -> &$crate::schema::connection::PageInfo {
                &self.page_info
            }

            /// How many items the whole list holds (all pages); computed only when asked.
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<i32> {
                Ok(i32::try_from(self.total.resolve(ctx).await?).unwrap_or(i32::MAX))
            }
        }

        #[doc = concat!("One of ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque cursor: pass it as `after` or `before` (at most 4,096 characters).
            pub cursor: String,
            /// The item.
            pub node: $node,
        }
    };
}

pub(crate) use connection_type;
