//! `user_preferences`: one row per user, with nested settings stored as JSON (jsonb on
//! PostgreSQL).

use sea_orm::{FromJsonQueryResult, entity::prelude::*};
use serde::{Deserialize, Serialize};

/// The colour scheme of the user's clients. Stored as text, as in the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Theme {
    /// Follow the operating system.
    #[sea_orm(string_value = "system")]
    System,
    /// Always light.
    #[sea_orm(string_value = "light")]
    Light,
    /// Always dark.
    #[sea_orm(string_value = "dark")]
    Dark,
}

/// How often notifications are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationFrequency {
    /// As things happen.
    Instant,
    /// One digest a day.
    Daily,
    /// One digest a week.
    Weekly,
}

/// Notification settings; the seed's default is email and push, instantly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct NotificationSettings {
    /// Send email notifications.
    pub email: bool,
    /// Send push notifications.
    pub push: bool,
    /// How often.
    pub frequency: NotificationFrequency,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            email: true,
            push: true,
            frequency: NotificationFrequency::Instant,
        }
    }
}

/// Layout settings; the seed's default shows the sidebar, not compact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct LayoutSettings {
    /// Show the sidebar.
    pub sidebar: bool,
    /// Dense lists.
    pub compact: bool,
}

impl Default for LayoutSettings {
    fn default() -> Self {
        Self {
            sidebar: true,
            compact: false,
        }
    }
}

/// A user's preferences. `user_id` is unique: one row per user.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_preferences")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The user these preferences belong to.
    #[sea_orm(unique)]
    pub user_id: i32,
    /// Colour scheme.
    #[sea_orm(default_value = "system")]
    pub theme: Theme,
    /// Notification settings.
    #[sea_orm(column_type = "JsonBinary")]
    pub notifications: NotificationSettings,
    /// Layout settings.
    #[sea_orm(column_type = "JsonBinary")]
    pub layout: LayoutSettings,
    /// The user.
    #[sea_orm(belongs_to, from = "user_id", to = "id", on_delete = "Cascade")]
    pub user: BelongsTo<super::user::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
