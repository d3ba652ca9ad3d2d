//! `TodoPageByParentLoader`: one page of todos per user or tag, all parents that share the
//! same arguments in one statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::todo;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{
    self,
    page::Page,
    todo::list::{Parent, TodoListQuery},
    viewer::Viewer,
};

/// One parent's page request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TodoPageKey {
    /// User or tag.
    pub parent: Parent,
    /// The parent's id.
    pub id: i32,
    /// Filter, order and window.
    pub query: TodoListQuery,
}

/// Loads pages of todos.
pub struct TodoPageByParentLoader {
    /// The pool.
    pub db: DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<Viewer>,
}

impl Loader<TodoPageKey> for TodoPageByParentLoader {
    type Value = Page<todo::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[TodoPageKey],
    ) -> Result<HashMap<TodoPageKey, Self::Value>, Self::Error> {
        // Parents asking the same question share a statement.
        let mut groups: HashMap<(Parent, &TodoListQuery), Vec<i32>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.parent, &key.query))
                .or_default()
                .push(key.id);
        }
        let mut pages = HashMap::new();
        for ((parent, query), ids) in groups {
            let mut by_parent = service::todo::list::pages_by_parent(
                &self.db,
                self.viewer.as_ref(),
                parent,
                &ids,
                query,
            )
            .await?;
            for id in ids {
                let page = by_parent
                    .remove(&id)
                    .unwrap_or_else(|| query.window.finish(Vec::new()));
                pages.insert(
                    TodoPageKey {
                        parent,
                        id,
                        query: query.clone(),
                    },
                    page,
                );
            }
        }
        Ok(pages)
    }
}
