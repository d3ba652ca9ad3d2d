//! `UserByIdLoader`: users by id (owners, history actors, preferences' user).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::user;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service;

/// Loads users by id.
pub struct UserByIdLoader(pub DatabaseConnection);

impl Loader<i32> for UserByIdLoader {
    type Value = user::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(service::user::by_ids(&self.0, ids).await?)
    }
}
