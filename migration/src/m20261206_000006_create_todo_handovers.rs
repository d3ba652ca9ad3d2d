//! `todo_handovers`: the state of a todo at each transfer, so that the previous owner's
//! TRANSFERRED_OUT event shows the todo as it was handed over even when the new owner has
//! changed it before the event is read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("todo_handovers")
                    // The history entry's id: one state per transfer, found by its key.
                    .col(integer("history_id").primary_key())
                    .col(json_binary("state"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_todo_handovers_history_id")
                            .from("todo_handovers", "history_id")
                            .to("todo_history", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("todo_handovers").to_owned())
            .await
    }
}
