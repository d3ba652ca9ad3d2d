//! `users`: accounts that own todos.

use sea_orm::entity::prelude::*;

/// What a user may do beyond their own data. Stored as text (`user`, `admin`), as in the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Role {
    /// Sees and changes their own data only.
    #[sea_orm(string_value = "user")]
    User,
    /// Sees everyone's todos and emails, and manages tags.
    #[sea_orm(string_value = "admin")]
    Admin,
}

/// A user account. `email` and `username` are unique; `username` has at least 3 characters.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Login and contact address, stored lowercased.
    #[sea_orm(column_type = "Text", unique)]
    pub email: String,
    /// Public handle; unique, 3 characters or more.
    #[sea_orm(column_type = "Text", unique)]
    pub username: String,
    /// argon2id PHC string; never leaves the server.
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    /// Link to a picture of the user.
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_url: Option<String>,
    /// Free text about the user; empty by default.
    #[sea_orm(column_type = "Text", default_value = "")]
    pub bio: String,
    /// Inactive users cannot log in and cannot receive todos.
    #[sea_orm(default_value = true)]
    pub is_active: bool,
    /// `user` or `admin`.
    #[sea_orm(default_value = "user")]
    pub role: Role,
    /// Set on every successful log-in.
    pub last_login_at: Option<DateTimeUtc>,
    /// When the account was created.
    pub created_at: DateTimeUtc,
    /// When the account last changed.
    pub updated_at: DateTimeUtc,
    /// The user's todos.
    #[sea_orm(has_many)]
    pub todos: HasMany<super::todo::Entity>,
    /// The user's settings; created with the account.
    #[sea_orm(has_one)]
    pub preferences: HasOne<super::user_preferences::Entity>,
    /// The user's log-in sessions.
    #[sea_orm(has_many)]
    pub sessions: HasMany<super::session::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
