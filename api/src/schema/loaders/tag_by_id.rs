//! `TagByIdLoader`: tags by id (for `node` / `nodes`).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::tag;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service;

/// Loads tags by id.
pub struct TagByIdLoader(pub DatabaseConnection);

impl Loader<i32> for TagByIdLoader {
    type Value = tag::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(service::tag::by_ids(&self.0, ids).await?)
    }
}
