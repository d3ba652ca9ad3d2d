//! `HistoryEntryByIdLoader`: visible history entries by id (for `node` / `nodes`).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::todo_history;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{self, viewer::Viewer};

/// Loads history entries whose todo the viewer may see.
pub struct HistoryEntryByIdLoader {
    /// The pool.
    pub db: DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<Viewer>,
}

impl Loader<i32> for HistoryEntryByIdLoader {
    type Value = todo_history::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(service::history::by_ids(&self.db, self.viewer.as_ref(), ids).await?)
    }
}
