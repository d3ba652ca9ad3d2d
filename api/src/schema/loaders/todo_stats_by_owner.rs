//! `TodoStatsByOwnerLoader`: the counts of `User.todoStats`, all users with the same filter
//! in one grouped statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{
    self,
    todo::{list::TodoFilter, stats::TodoCounts},
    viewer::Viewer,
};

/// One user's statistics request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TodoStatsKey {
    /// The owner's id.
    pub owner: i32,
    /// Which todos count.
    pub filter: TodoFilter,
}

/// Loads the counts of users' todos.
pub struct TodoStatsByOwnerLoader {
    /// The pool.
    pub db: DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<Viewer>,
}

impl Loader<TodoStatsKey> for TodoStatsByOwnerLoader {
    type Value = TodoCounts;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[TodoStatsKey],
    ) -> Result<HashMap<TodoStatsKey, TodoCounts>, Self::Error> {
        let mut groups: HashMap<&TodoFilter, Vec<i32>> = HashMap::new();
        for key in keys {
            groups.entry(&key.filter).or_default().push(key.owner);
        }
        let mut counts = HashMap::new();
        for (filter, owners) in groups {
            let mut found = service::todo::stats::counts_by_owner(
                &self.db,
                self.viewer.as_ref(),
                &owners,
                filter,
            )
            .await?;
            for owner in owners {
                let key = TodoStatsKey {
                    owner,
                    filter: filter.clone(),
                };
                counts.insert(key, found.remove(&owner).unwrap_or_default());
            }
        }
        Ok(counts)
    }
}
