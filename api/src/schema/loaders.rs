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

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
    time::Duration,
};

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use tracing::Instrument;

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

/// Declares [`Loaders`]: one lazily built loader per entry, and the accessor that builds
/// it the first time a field of the request asks for it (most operations need two or three
/// of the dozen, and building all of them was a fixed cost of every request).
macro_rules! loaders {
    ($($(#[doc = $doc:literal])* $name:ident: $loader:ty = |$source:ident| $make:expr;)*) => {
        /// Every loader of one request, each built on first use.
        pub struct Loaders {
            source: Source,
            $($name: OnceLock<DataLoader<Delivered<$loader>>>,)*
        }

        impl Loaders {
            /// The loaders for one request of `viewer`; their statements count towards
            /// `counter`, and each gathers keys for `delay` before running its batch.
            pub fn new(
                db: &DatabaseConnection,
                viewer: Option<&Viewer>,
                counter: &StatementCounter,
                activity: &Arc<RequestActivity>,
                delay: Duration,
            ) -> Self {
                Self {
                    source: Source {
                        db: db.clone(),
                        viewer: viewer.cloned(),
                        counter: counter.clone(),
                        activity: activity.clone(),
                        delay,
                    },
                    $($name: OnceLock::new(),)*
                }
            }

            $(
                $(#[doc = $doc])*
                pub fn $name(&self) -> &DataLoader<Delivered<$loader>> {
                    self.$name.get_or_init(|| {
                        let $source = &self.source;
                        self.source.loader($make)
                    })
                }
            )*
        }
    };
}

loaders! {
    /// Users by id.
    user_by_id: UserByIdLoader = |source| UserByIdLoader(source.db.clone());
    /// Preferences by user id.
    preferences_by_user_id: PreferencesByUserIdLoader =
        |source| PreferencesByUserIdLoader(source.db.clone());
    /// Tags (sorted by name) by todo id.
    tags_by_todo_id: TagsByTodoIdLoader = |source| TagsByTodoIdLoader(source.db.clone());
    /// Tags by id.
    tag_by_id: TagByIdLoader = |source| TagByIdLoader(source.db.clone());
    /// Visible todos by id.
    todo_by_id: TodoByIdLoader = |source| TodoByIdLoader {
        db: source.db.clone(),
        viewer: source.viewer.clone(),
    };
    /// A page of todos per owner or tag.
    todo_page_by_parent: TodoPageByParentLoader = |source| TodoPageByParentLoader {
        db: source.db.clone(),
        viewer: source.viewer.clone(),
    };
    /// The todo count per owner or tag.
    todo_count_by_parent: TodoCountByParentLoader = |source| TodoCountByParentLoader {
        db: source.db.clone(),
        viewer: source.viewer.clone(),
    };
    /// The todo statistics' counts per owner.
    todo_stats_by_owner: TodoStatsByOwnerLoader = |source| TodoStatsByOwnerLoader {
        db: source.db.clone(),
        viewer: source.viewer.clone(),
    };
    /// The todo statistics' top tags per owner.
    top_tags_by_owner: TopTagsByOwnerLoader = |source| TopTagsByOwnerLoader {
        db: source.db.clone(),
        viewer: source.viewer.clone(),
    };
    /// A page of history per todo.
    history_page_by_todo: HistoryPageByTodoLoader =
        |source| HistoryPageByTodoLoader(source.db.clone());
    /// The history length per todo.
    history_count_by_todo: HistoryCountByTodoLoader =
        |source| HistoryCountByTodoLoader(source.db.clone());
    /// Visible history entries by id.
    history_entry_by_id: HistoryEntryByIdLoader = |source| HistoryEntryByIdLoader {
        db: source.db.clone(),
        viewer: source.viewer.clone(),
    };
}

/// What the loaders of one request are built from, and how their batches run.
struct Source {
    db: DatabaseConnection,
    viewer: Option<Viewer>,
    counter: StatementCounter,
    activity: Arc<RequestActivity>,
    delay: Duration,
}

impl Source {
    fn loader<L: Send + Sync + 'static>(&self, loader: L) -> DataLoader<Delivered<L>> {
        DataLoader::new(
            Delivered(loader),
            spawner(self.counter.clone(), self.activity.clone()),
        )
        .delay(self.delay)
    }
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
        // In the span of the operation that asked, whose statements these are.
        tokio::spawn(
            counter
                .scope(quiescence::run_batch(activity, batch))
                .in_current_span(),
        )
    }
}
