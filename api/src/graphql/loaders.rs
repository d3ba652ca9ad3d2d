//! The DataLoaders of one request. Built per request in the HTTP handler, never on the
//! schema: a loader's cache must not outlive the request, or one user would see another's
//! data and a mutation could be answered from a stale cache.

mod preferences_by_user_id;
mod tag_by_id;
mod tags_by_todo_id;
mod todo_by_id;
mod todo_count_by_parent;
mod todo_page_by_parent;
mod user_by_id;

use std::{future::Future, pin::Pin, sync::Arc};

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

pub use self::{
    preferences_by_user_id::PreferencesByUserIdLoader,
    tag_by_id::TagByIdLoader,
    tags_by_todo_id::TagsByTodoIdLoader,
    todo_by_id::TodoByIdLoader,
    todo_count_by_parent::{TodoCountByParentLoader, TodoCountKey},
    todo_page_by_parent::{TodoPageByParentLoader, TodoPageKey},
    user_by_id::UserByIdLoader,
};
use crate::{error::Error, service::viewer::Viewer, statements::StatementCounter};

/// What a loader fails with: shared by every field that awaited the batch.
pub type LoadError = Arc<Error>;

/// Every loader of one request.
pub struct Loaders {
    /// Users by id.
    pub user_by_id: DataLoader<UserByIdLoader>,
    /// Preferences by user id.
    pub preferences_by_user_id: DataLoader<PreferencesByUserIdLoader>,
    /// Tags (sorted by name) by todo id.
    pub tags_by_todo_id: DataLoader<TagsByTodoIdLoader>,
    /// Tags by id.
    pub tag_by_id: DataLoader<TagByIdLoader>,
    /// Visible todos by id.
    pub todo_by_id: DataLoader<TodoByIdLoader>,
    /// A page of todos per owner or tag.
    pub todo_page_by_parent: DataLoader<TodoPageByParentLoader>,
    /// The todo count per owner or tag.
    pub todo_count_by_parent: DataLoader<TodoCountByParentLoader>,
}

impl Loaders {
    /// The loaders for one request of `viewer`; their statements count towards `counter`.
    pub fn new(
        db: &DatabaseConnection,
        viewer: Option<&Viewer>,
        counter: &StatementCounter,
    ) -> Self {
        let viewer = viewer.cloned();
        Self {
            user_by_id: DataLoader::new(UserByIdLoader(db.clone()), spawner(counter.clone())),
            preferences_by_user_id: DataLoader::new(
                PreferencesByUserIdLoader(db.clone()),
                spawner(counter.clone()),
            ),
            tags_by_todo_id: DataLoader::new(
                TagsByTodoIdLoader(db.clone()),
                spawner(counter.clone()),
            ),
            tag_by_id: DataLoader::new(TagByIdLoader(db.clone()), spawner(counter.clone())),
            todo_by_id: DataLoader::new(
                TodoByIdLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                spawner(counter.clone()),
            ),
            todo_page_by_parent: DataLoader::new(
                TodoPageByParentLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                },
                spawner(counter.clone()),
            ),
            todo_count_by_parent: DataLoader::new(
                TodoCountByParentLoader {
                    db: db.clone(),
                    viewer,
                },
                spawner(counter.clone()),
            ),
        }
    }
}

/// Batches run in tasks of their own; this keeps them inside the request's statement count.
fn spawner(
    counter: StatementCounter,
) -> impl Fn(Pin<Box<dyn Future<Output = ()> + Send>>) -> tokio::task::JoinHandle<()>
+ Send
+ Sync
+ 'static {
    move |batch| tokio::spawn(counter.scope(batch))
}
