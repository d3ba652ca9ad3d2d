//! An index for the most common list: one user's live todos, newest first, whatever their
//! completion (the seed's partial index only covers incomplete ones). `id` is included so
//! that keyset pagination's tiebreak is served by the index too.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"CREATE INDEX "todos_user_live_created_idx" ON "todos" ("user_id", "created_at", "id") WHERE deleted_at IS NULL"#,
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("todos_user_live_created_idx")
                    .table("todos")
                    .to_owned(),
            )
            .await
    }
}
