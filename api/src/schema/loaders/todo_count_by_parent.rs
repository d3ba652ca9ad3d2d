//! `TodoCountByParentLoader`: `totalCount` of todo connections per user or tag, all parents
//! with the same filter in one grouped statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{
    self,
    todo::list::{Parent, TodoFilter},
    viewer::Viewer,
};

/// One parent's count request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TodoCountKey {
    /// User or tag.
    pub parent: Parent,
    /// The parent's id.
    pub id: i32,
    /// Which todos count.
    pub filter: TodoFilter,
}

/// Loads todo counts.
pub struct TodoCountByParentLoader {
    /// The pool.
    pub db: DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<Viewer>,
}

impl Loader<TodoCountKey> for TodoCountByParentLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[TodoCountKey]) -> Result<HashMap<TodoCountKey, u64>, Self::Error> {
        let mut groups: HashMap<(Parent, &TodoFilter), Vec<i32>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.parent, &key.filter))
                .or_default()
                .push(key.id);
        }
        let mut counts = HashMap::new();
        for ((parent, filter), ids) in groups {
            let found = service::todo::list::counts_by_parent(
                &self.db,
                self.viewer.as_ref(),
                parent,
                &ids,
                filter,
            )
            .await?;
            for id in ids {
                let count = found.get(&id).copied().unwrap_or(0);
                counts.insert(
                    TodoCountKey {
                        parent,
                        id,
                        filter: filter.clone(),
                    },
                    count,
                );
            }
        }
        Ok(counts)
    }
}
