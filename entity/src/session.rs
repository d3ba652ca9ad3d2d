//! `sessions`: bearer tokens. Only the SHA-256 of a token is stored, so a leaked table does
//! not leak usable tokens.

use sea_orm::entity::prelude::*;

/// One signed-in session.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The signed-in user.
    pub user_id: i32,
    /// Hex SHA-256 of the bearer token; unique.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// When the session began.
    pub created_at: DateTimeUtc,
    /// After this the token no longer works.
    pub expires_at: DateTimeUtc,
    /// When the token was last seen (updated at most once a minute).
    pub last_used_at: DateTimeUtc,
    /// The address (IPv6: its /64) the session was started from; none for sessions older
    /// than the column.
    #[sea_orm(column_type = "Text", nullable)]
    pub ip: Option<String>,
    /// The signed-in user.
    #[sea_orm(belongs_to, from = "user_id", to = "id", on_delete = "Cascade")]
    pub user: BelongsTo<super::user::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
