//! `login_failures`: one row per failed log-in within the throttling window, counted per
//! login name and per client address. Rows older than the window are deleted as new ones
//! arrive.

use sea_orm::entity::prelude::*;

/// One failed log-in.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The login name tried, trimmed and lowercased (it need not exist).
    #[sea_orm(column_type = "Text")]
    pub login: String,
    /// The client's IP address.
    #[sea_orm(column_type = "Text")]
    pub ip: String,
    /// When it failed.
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
