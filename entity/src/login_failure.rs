//! `login_failures`: one row per failed log-in within the throttling window, counted per
//! (account, address), per account and per address. Rows older than the window are
//! deleted as new ones arrive.

use sea_orm::entity::prelude::*;

/// One failed log-in.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The account tried: `user:<id>` for an existing user, whichever of its name or email
    /// was typed, else `name:<the name typed, trimmed and lowercased>`.
    #[sea_orm(column_type = "Text")]
    pub login: String,
    /// The client's address; IPv6 by its /64 (`2001:db8::/64`).
    #[sea_orm(column_type = "Text")]
    pub ip: String,
    /// When it failed.
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
