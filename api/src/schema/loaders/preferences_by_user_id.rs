//! `PreferencesByUserIdLoader`: each user's preferences row.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::user_preferences;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service;

/// Loads preferences by user id.
pub struct PreferencesByUserIdLoader(pub DatabaseConnection);

impl Loader<i32> for PreferencesByUserIdLoader {
    type Value = user_preferences::Model;
    type Error = LoadError;

    async fn load(&self, user_ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(service::preferences::by_user_ids(&self.0, user_ids).await?)
    }
}
