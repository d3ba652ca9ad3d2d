//! `HistoryCountByTodoLoader`: the length of each todo's audit trail.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use super::LoadError;
use crate::service;

/// Loads history counts by todo id.
pub struct HistoryCountByTodoLoader(pub DatabaseConnection);

impl Loader<i32> for HistoryCountByTodoLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, todo_ids: &[i32]) -> Result<HashMap<i32, u64>, Self::Error> {
        let found = service::history::counts_by_todo(&self.0, todo_ids, None).await?;
        Ok(todo_ids
            .iter()
            .map(|id| (*id, found.get(id).copied().unwrap_or(0)))
            .collect())
    }
}
