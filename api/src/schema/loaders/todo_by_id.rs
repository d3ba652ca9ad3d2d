//! `TodoByIdLoader`: the todos the viewer may see, by id (for `node` / `nodes`).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::todo;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{self, viewer::Viewer};

/// Loads visible todos by id; invisible ones are simply absent.
pub struct TodoByIdLoader {
    /// The pool.
    pub db: DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<Viewer>,
}

impl Loader<i32> for TodoByIdLoader {
    type Value = todo::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(service::todo::list::by_ids(&self.db, self.viewer.as_ref(), ids).await?)
    }
}
