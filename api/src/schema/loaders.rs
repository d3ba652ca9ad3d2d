//! The DataLoaders of one request. Built per request in the HTTP handler, never on the
//! schema: a loader's cache must not outlive the request, or one user would see another's
//! data and a mutation could be answered from a stale cache.

mod history_count_by_todo;
mod history_entry_by_id;
mod history_page_by_todo;
mod preferences_by_user_id;
mod tag_by_id;
mod tags_by_todo_id;
mod todo_by_id;
mod todo_count_by_parent;
mod todo_page_by_parent;
mod todo_stats_by_owner;
mod top_tags_by_owner;
mod user_by_id;

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

pub use self::{
    history_count_by_todo::HistoryCountByTodoLoader,
    history_entry_by_id::HistoryEntryByIdLoader,
    history_page_by_todo::HistoryPageByTodoLoader,
    preferences_by_user_id::PreferencesByUserIdLoader,
    tag_by_id::TagByIdLoader,
    tags_by_todo_id::TagsByTodoIdLoader,
    todo_by_id::TodoByIdLoader,
    todo_count_by_parent::{TodoCountByParentLoader, TodoCountKey},
    todo_page_by_parent::{TodoPageByParentLoader, TodoPageKey},
    todo_stats_by_owner::{TodoStatsByOwnerLoader, TodoStatsKey},
    top_tags_by_owner::{TopTagsByOwnerLoader, TopTagsKey},
    user_by_id::UserByIdLoader,
};
use crate::{
    db::statements::StatementCounter,
    error::Error,
    execution::quiescence::{self, RequestActivity},
    service::viewer::Viewer,
};

/// What a loader fails with: shared by every field that awaited the batch.
pub type LoadError = Arc<Error>;

/// Every loader of one request.
pub struct Loaders {
    /// Users by id.
    pub user_by_id: DataLoader<Delivered<UserByIdLoader>>,
    /// Preferences by user id.
    pub preferences_by_user_id: DataLoader<Delivered<PreferencesByUserIdLoader>>,
    /// Tags (sorted by name) by todo id.
    pub tags_by_todo_id: DataLoader<Delivered<TagsByTodoIdLoader>>,
    /// Tags by id.
    pub tag_by_id: DataLoader<Delivered<TagByIdLoader>>,
    /// Visible todos by id.
    pub todo_by_id: DataLoader<Delivered<TodoByIdLoader>>,
    /// A page of todos per owner or tag.
    pub todo_page_by_parent: DataLoader<Delivered<TodoPageByParentLoader>>,
    /// The todo count per owner or tag.
    pub todo_count_by_parent: DataLoader<Delivered<TodoCountByParentLoader>>,
    /// The todo statistics' counts per owner.
    pub todo_stats_by_owner: DataLoader<Delivered<TodoStatsByOwnerLoader>>,
    /// The todo statistics' top tags per owner.
    pub top_tags_by_owner: DataLoader<Delivered<TopTagsByOwnerLoader>>,
    /// A page of history per todo.
    pub history_page_by_todo: DataLoader<Delivered<HistoryPageByTodoLoader>>,
    /// The history length per todo.
    pub history_count_by_todo: DataLoader<Delivered<HistoryCountByTodoLoader>>,
    /// Visible history entries by id.
    pub history_entry_by_id: DataLoader<Delivered<HistoryEntryByIdLoader>>,
}

impl Loaders {
    /// The loaders for one request of `viewer`; their statements count towards `counter`,
    /// and each gathers keys for `delay` before running its batch.
    pub fn new(
        db: &DatabaseConnection,
        viewer: Option<&Viewer>,
        counter: &StatementCounter,
        activity: &Arc<RequestActivity>,
        delay: Duration,
    ) -> Self {
        let viewer = viewer.cloned();
        let batch = Batch {
            counter: counter.clone(),
            activity: activity.clone(),
            delay,
        };
        Self {
            user_by_id: new(UserByIdLoader(db.clone()), &batch),
            preferences_by_user_id: new(PreferencesByUserIdLoader(db.clone()), &batch),
            tags_by_todo_id: new(TagsByTodoIdLoader(db.clone()), &batch),
            tag_by_id: new(TagByIdLoader(db.clone()), &batch),
            todo_by_id: new(
                TodoByIdLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                &batch,
            ),
            todo_page_by_parent: new(
                TodoPageByParentLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                &batch,
            ),
            todo_count_by_parent: new(
                TodoCountByParentLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                &batch,
            ),
            todo_stats_by_owner: new(
                TodoStatsByOwnerLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                &batch,
            ),
            top_tags_by_owner: new(
                TopTagsByOwnerLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                &batch,
            ),
            history_page_by_todo: new(HistoryPageByTodoLoader(db.clone()), &batch),
            history_count_by_todo: new(HistoryCountByTodoLoader(db.clone()), &batch),
            history_entry_by_id: new(
                HistoryEntryByIdLoader {
                    db: db.clone(),
                    viewer,
                },
                &batch,
            ),
        }
    }
}

/// How the batches of one request run.
struct Batch {
    counter: StatementCounter,
    activity: Arc<RequestActivity>,
    delay: Duration,
}

fn new<L: Send + Sync + 'static>(loader: L, batch: &Batch) -> DataLoader<Delivered<L>> {
    DataLoader::new(
        Delivered(loader),
        spawner(batch.counter.clone(), batch.activity.clone()),
    )
    .delay(batch.delay)
}

/// A loader that tells [`quiescence`] when its rows are back (see [`quiescence::rows_loaded`]).
pub struct Delivered<L>(L);

impl<K, L> Loader<K> for Delivered<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    type Value = L::Value;
    type Error = L::Error;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, Self::Value>, Self::Error> {
        let rows = self.0.load(keys).await;
        quiescence::rows_loaded();
        rows
    }
}

/// Batches run in tasks of their own: inside the statement count (and deadline) of the
/// operation that asked for them, else of the loaders' owner, and only once the request has
/// registered every key it is going to (see [`quiescence`]). A socket's loaders outlive its
/// operations, each of which has a deadline of its own.
fn spawner(
    counter: StatementCounter,
    activity: Arc<RequestActivity>,
) -> impl Fn(Pin<Box<dyn Future<Output = ()> + Send>>) -> tokio::task::JoinHandle<()>
+ Send
+ Sync
+ 'static {
    move |batch| {
        let activity = activity.clone();
        let counter = crate::db::statements::current().unwrap_or_else(|| counter.clone());
        tokio::spawn(counter.scope(quiescence::run_batch(activity, batch)))
    }
}
