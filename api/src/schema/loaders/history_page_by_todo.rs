//! `HistoryPageByTodoLoader`: one page of audit trail per todo, in one statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::todo_history;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service::{self, page::Page, page::Window};

/// Loads history pages, keyed by (todo id, window).
pub struct HistoryPageByTodoLoader(pub DatabaseConnection);

impl Loader<(i32, Window)> for HistoryPageByTodoLoader {
    type Value = Page<todo_history::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(i32, Window)],
    ) -> Result<HashMap<(i32, Window), Self::Value>, Self::Error> {
        let mut groups: HashMap<&Window, Vec<i32>> = HashMap::new();
        for (id, window) in keys {
            groups.entry(window).or_default().push(*id);
        }
        let mut pages = HashMap::new();
        for (window, ids) in groups {
            let mut found = service::history::pages_by_todo(&self.0, &ids, window, None).await?;
            for id in ids {
                let page = found
                    .remove(&id)
                    .unwrap_or_else(|| window.finish(Vec::new()));
                pages.insert((id, window.clone()), page);
            }
        }
        Ok(pages)
    }
}
