//! `sessions.ip`: the address (IPv6: its /64) a session was started from. Log-in throttling
//! lets an account's own addresses in when guesses from elsewhere have reached the
//! account's limit, so that an attacker cannot lock the owner out.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .add_column(text_null("ip"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .drop_column("ip")
                    .to_owned(),
            )
            .await
    }
}
