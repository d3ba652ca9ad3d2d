//! `TagsByTodoIdLoader`: each todo's tags, sorted by name.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::tag;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service;

/// Loads the tags of todos.
pub struct TagsByTodoIdLoader(pub DatabaseConnection);

impl Loader<i32> for TagsByTodoIdLoader {
    type Value = Vec<tag::Model>;
    type Error = LoadError;

    async fn load(&self, todo_ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(service::tag::by_todo(&self.0, todo_ids).await?)
    }
}
