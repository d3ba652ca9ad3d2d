//! `todos`: the items users keep, with optimistic-locking `version` and soft-delete `deleted_at`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How urgent a todo is. A PostgreSQL enum type `priority`; text with a CHECK on SQLite.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "priority")]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Can wait.
    #[sea_orm(string_value = "low")]
    Low,
    /// The default.
    #[sea_orm(string_value = "medium")]
    Medium,
    /// Do it first.
    #[sea_orm(string_value = "high")]
    High,
}

/// A todo, owned by one user. Serializable for `todo_handovers`, which keeps a row as it was.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "todos", model_attrs(derive(Serialize, Deserialize)))]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The owner.
    pub user_id: i32,
    /// What to do.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Details, if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// How urgent it is.
    pub priority: Priority,
    /// Whether it is done.
    #[sea_orm(default_value = false)]
    pub completed: bool,
    /// When it should be done.
    pub due_date: Option<DateTimeUtc>,
    /// When it was last completed; cleared when reopened.
    pub completed_at: Option<DateTimeUtc>,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
    /// Optimistic-locking counter: 1 at creation, +1 on every change.
    #[sea_orm(default_value = 1)]
    pub version: i32,
    /// Set when soft-deleted.
    pub deleted_at: Option<DateTimeUtc>,
    /// The owner.
    #[sea_orm(belongs_to, from = "user_id", to = "id", on_delete = "Cascade")]
    pub user: BelongsTo<super::user::Entity>,
    /// The todo's tags, through `todo_tags`.
    #[sea_orm(has_many, via = "todo_tag")]
    pub tags: HasMany<super::tag::Entity>,
    /// The todo's audit trail.
    #[sea_orm(has_many)]
    pub history: HasMany<super::todo_history::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
