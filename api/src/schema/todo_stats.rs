//! `TodoStats`: counts over the todos the viewer may see (`Query.todoStats`,
//! `User.todoStats`), computed by the database (`service::todo::stats`).

use async_graphql::{Context, Object, SimpleObject};

use super::{context::ContextExt, tag::Tag, todo::Priority, todo_list::TodoFilter};
use crate::service::{
    self,
    todo::{
        list::TodoFilter as Filter,
        stats::{TOP_TAGS_DEFAULT, TodoCounts, top_tags_first},
    },
};

/// Whose todos a statistic counts.
#[derive(Debug, Clone, Copy)]
enum Counted {
    /// Every todo the viewer may see.
    Visible,
    /// This user's todos that the viewer may see.
    Owner(i32),
}

/// Counts over the todos the viewer may see under a filter; the same visibility and
/// soft-delete rules as the lists.
pub struct TodoStats {
    counted: Counted,
    filter: Filter,
    counts: TodoCounts,
}

/// How many todos have a priority.
#[derive(SimpleObject)]
pub struct PriorityCount {
    /// The priority.
    priority: Priority,
    /// How many of the counted todos have it.
    count: i32,
}

/// How many todos carry a tag.
#[derive(SimpleObject)]
pub struct TagCount {
    /// The tag.
    tag: Tag,
    /// How many of the counted todos carry it.
    count: i32,
}

/// A count as GraphQL's `Int`: no set of todos comes near its maximum, which it keeps if
/// one did.
fn int(count: u64) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// Counts over the todos the viewer may see under a filter; the same visibility and
/// soft-delete rules as the lists.
#[Object]
impl TodoStats {
    /// How many todos.
    async fn total(&self) -> i32 {
        int(self.counts.total)
    }

    /// How many of them are completed.
    async fn completed(&self) -> i32 {
        int(self.counts.completed)
    }

    /// How many of them are not completed.
    async fn open(&self) -> i32 {
        int(self.counts.open())
    }

    /// Open todos whose dueDate has passed.
    async fn overdue(&self) -> i32 {
        int(self.counts.overdue)
    }

    /// Every priority, including those with a count of 0, from LOW to HIGH.
    async fn by_priority(&self) -> Vec<PriorityCount> {
        self.counts
            .by_priority
            .iter()
            .map(|&(priority, count)| PriorityCount {
                priority: priority.into(),
                count: int(count),
            })
            .collect()
    }

    /// The most used tags among these todos, most used first (ties by name); at most 100.
    async fn top_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(TOP_TAGS_DEFAULT)")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<TagCount>> {
        // An explicit null means the default, as the argument's default says.
        let first = top_tags_first(first.unwrap_or(TOP_TAGS_DEFAULT))?;
        let tags = match self.counted {
            Counted::Visible => {
                service::todo::stats::top_tags(ctx.db()?, ctx.viewer(), &self.filter, first).await?
            }
            Counted::Owner(owner) => {
                let key = super::loaders::TopTagsKey {
                    owner,
                    filter: self.filter.clone(),
                    first,
                };
                ctx.loaders()?
                    .top_tags_by_owner()
                    .load_one(key)
                    .await?
                    .unwrap_or_default()
            }
        };
        Ok(tags
            .into_iter()
            .map(|(tag, count)| TagCount {
                tag: Tag(tag),
                count: int(count),
            })
            .collect())
    }
}

/// Whether the selection of the statistics being resolved reads any count (anything but
/// `topTags`, which has a statement of its own): if not, the counts' statement is skipped.
fn reads_counts(ctx: &Context<'_>) -> bool {
    let selection = ctx.look_ahead();
    ["total", "completed", "open", "overdue", "byPriority"]
        .iter()
        .any(|field| selection.field(field).exists())
}

/// The statistics of `user_id`'s todos that the viewer may see (`User.todoStats`); the
/// counts of every user on a page come from one statement.
pub async fn todo_stats_of_owner(
    ctx: &Context<'_>,
    user_id: i32,
    filter: Option<TodoFilter>,
) -> async_graphql::Result<TodoStats> {
    let filter: Filter = filter.map(Into::into).unwrap_or_default();
    let counts = if reads_counts(ctx) {
        let key = super::loaders::TodoStatsKey {
            owner: user_id,
            filter: filter.clone(),
        };
        ctx.loaders()?
            .todo_stats_by_owner()
            .load_one(key)
            .await?
            .unwrap_or_default()
    } else {
        TodoCounts::default()
    };
    Ok(TodoStats {
        counted: Counted::Owner(user_id),
        filter,
        counts,
    })
}

/// The statistics query.
#[derive(Default)]
pub struct TodoStatsQuery;

/// The statistics query.
#[Object]
impl TodoStatsQuery {
    /// Counts over the viewer's todos (admins: everyone's), under the same filter as todos.
    async fn todo_stats(
        &self,
        ctx: &Context<'_>,
        filter: Option<TodoFilter>,
    ) -> async_graphql::Result<TodoStats> {
        let filter: Filter = filter.map(Into::into).unwrap_or_default();
        let counts = if reads_counts(ctx) {
            service::todo::stats::counts(ctx.db()?, ctx.viewer(), &filter).await?
        } else {
            TodoCounts::default()
        };
        Ok(TodoStats {
            counted: Counted::Visible,
            filter,
            counts,
        })
    }
}
