//! `todo_tags.todo_created_at`: the tagged todo's creation time, copied onto its links, and
//! the index `todo_tags (tag_id, todo_created_at, todo_id)` that replaces the one on
//! `tag_id` alone.
//!
//! A tag's todos are listed newest first (`Tag.todos`). With the sort key only on `todos`,
//! PostgreSQL either walks every todo newest first probing `todo_tags`, or joins all of the
//! tag's links; both grow with the table. With the key on the link, a page is the first
//! `first + 1` entries of this index, each joined to its todo by primary key, at any size.
//! A todo's creation time never changes, so only the writes that add links set the copy
//! (`service::todo::create` and `service::todo::tags`).

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "todo_tags_tag_created_idx";
const OLD_INDEX: &str = "todo_tags_tag_id_idx";
/// SQLite's old table while the new one is filled.
const OLD_TABLE: &str = "todo_tags_before_age";

/// `todo_tags` as it is from this migration on (SQLite's rebuild).
fn links_table() -> TableCreateStatement {
    let name = "todo_tags";
    let link = |column: &'static str, target: &'static str| {
        ForeignKey::create()
            .name(format!("fk_todo_tags_{column}"))
            .from(name, column)
            .to(target, "id")
            .on_delete(ForeignKeyAction::Cascade)
            .to_owned()
    };
    Table::create()
        .table(name)
        .col(integer("todo_id"))
        .col(integer("tag_id"))
        .col(timestamp_with_time_zone("todo_created_at"))
        .primary_key(
            Index::create()
                .name("todo_tags_unique_idx")
                .col("todo_id")
                .col("tag_id"),
        )
        .foreign_key(&mut link("todo_id", "todos"))
        .foreign_key(&mut link("tag_id", "tags"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // NOT NULL and no default: an insert that forgets the copy fails rather than
        // misplacing the todo. PostgreSQL adds the column, fills it, then forbids NULL;
        // SQLite cannot add a NOT NULL column without a default, so the table is rebuilt:
        // the old one set aside (no table references it, so the rename rewrites nothing
        // else), the new one created and filled, the old one (and its index) dropped.
        if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared(&format!(
                r#"ALTER TABLE "todo_tags" RENAME TO "{OLD_TABLE}""#
            ))
            .await?;
            manager.create_table(links_table()).await?;
            db.execute_unprepared(&format!(
                r#"INSERT INTO "todo_tags" ("todo_id", "tag_id", "todo_created_at")
                   SELECT "old"."todo_id", "old"."tag_id", "todos"."created_at"
                   FROM "{OLD_TABLE}" AS "old" JOIN "todos" ON "todos"."id" = "old"."todo_id""#
            ))
            .await?;
            db.execute_unprepared(&format!(r#"DROP TABLE "{OLD_TABLE}""#))
                .await?;
        } else {
            manager
                .alter_table(
                    Table::alter()
                        .table("todo_tags")
                        .add_column(timestamp_with_time_zone_null("todo_created_at"))
                        .to_owned(),
                )
                .await?;
            db.execute_unprepared(
                r#"UPDATE "todo_tags" SET "todo_created_at" = "todos"."created_at" FROM "todos" WHERE "todos"."id" = "todo_tags"."todo_id""#,
            )
            .await?;
            db.execute_unprepared(
                r#"ALTER TABLE "todo_tags" ALTER COLUMN "todo_created_at" SET NOT NULL"#,
            )
            .await?;
            // The new index starts with tag_id: it serves every lookup the old one did (the
            // foreign key's cascade among them). SQLite's went with the old table.
            db.execute_unprepared(&format!(r#"DROP INDEX "{OLD_INDEX}""#))
                .await?;
        }
        db.execute_unprepared(&format!(
            r#"CREATE INDEX "{INDEX}" ON "todo_tags" ("tag_id", "todo_created_at", "todo_id")"#
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            r#"CREATE INDEX "{OLD_INDEX}" ON "todo_tags" ("tag_id")"#
        ))
        .await?;
        db.execute_unprepared(&format!(r#"DROP INDEX "{INDEX}""#))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("todo_tags")
                    .drop_column("todo_created_at")
                    .to_owned(),
            )
            .await
    }
}
