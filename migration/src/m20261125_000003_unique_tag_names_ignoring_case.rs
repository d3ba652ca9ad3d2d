//! Tag names are unique regardless of case ("Work" and "work" are one tag). The index on
//! LOWER(name) also serves the case-insensitive lookups by name and the tag filter.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"CREATE UNIQUE INDEX "tags_name_lower_idx" ON "tags" (lower(name))"#,
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("tags_name_lower_idx")
                    .table("tags")
                    .to_owned(),
            )
            .await
    }
}
