//! `TopTagsByOwnerLoader`: `User.todoStats.topTags`, all users with the same filter and
//! size in one ranked statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{
    self,
    todo::{list::TodoFilter, stats::TagCount},
    viewer::Viewer,
};

/// One user's top-tags request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopTagsKey {
    /// The owner's id.
    pub owner: i32,
    /// Which todos count.
    pub filter: TodoFilter,
    /// How many tags, at most (already checked).
    pub first: u64,
}

/// Loads the most used tags of users' todos.
pub struct TopTagsByOwnerLoader {
    /// The pool.
    pub db: DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<Viewer>,
}

impl Loader<TopTagsKey> for TopTagsByOwnerLoader {
    type Value = Vec<TagCount>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[TopTagsKey],
    ) -> Result<HashMap<TopTagsKey, Vec<TagCount>>, Self::Error> {
        let mut groups: HashMap<(&TodoFilter, u64), Vec<i32>> = HashMap::new();
        for key in keys {
            groups
                .entry((&key.filter, key.first))
                .or_default()
                .push(key.owner);
        }
        let mut tags = HashMap::new();
        for ((filter, first), owners) in groups {
            let mut found = service::todo::stats::top_tags_by_owner(
                &self.db,
                self.viewer.as_ref(),
                &owners,
                filter,
                first,
            )
            .await?;
            for owner in owners {
                let key = TopTagsKey {
                    owner,
                    filter: filter.clone(),
                    first,
                };
                tags.insert(key, found.remove(&owner).unwrap_or_default());
            }
        }
        Ok(tags)
    }
}
