//! `login_failures`: failed log-ins of the last window, so that password guessing can be
//! throttled per login name and per address. In the database rather than in memory, so
//! that every instance behind a load balancer counts the same failures.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, columns) of the indexes the throttle's two counts use.
const INDEXES: &[(&str, &[&str])] = &[
    ("login_failures_login_idx", &["login", "created_at"]),
    ("login_failures_ip_idx", &["ip", "created_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("login_failures")
                    .col(pk_auto("id"))
                    .col(text("login"))
                    .col(text("ip"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table("login_failures");
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("login_failures").to_owned())
            .await
    }
}
