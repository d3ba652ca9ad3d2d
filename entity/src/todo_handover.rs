//! `todo_handovers`: a todo as it was when its owner transferred it away, one row per
//! `transferred` history entry. The previous owner's TRANSFERRED_OUT event shows this state
//! (the contract: "the todo as it was handed over"), not the row as the new owner has
//! changed it since. Kept apart from `todo_history` so that history lists never read it.

use sea_orm::{FromJsonQueryResult, entity::prelude::*};
use serde::{Deserialize, Serialize};

/// The todo's fields and tags at the moment of the transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct HandedOver {
    /// The row, as the transfer left it (already the new owner's).
    pub todo: TodoState,
    /// Ids of its tags.
    pub tag_ids: Vec<i32>,
}

/// Every column of a `todos` row; see [`super::todo::Model`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(
    missing_docs,
    reason = "the columns of super::todo::Model, documented there"
)]
pub struct TodoState {
    pub id: i32,
    pub user_id: i32,
    pub title: String,
    pub description: Option<String>,
    pub priority: String,
    pub completed: bool,
    pub due_date: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub deleted_at: Option<DateTimeUtc>,
}

impl From<super::todo::Model> for TodoState {
    fn from(t: super::todo::Model) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            title: t.title,
            description: t.description,
            priority: t.priority.to_value(),
            completed: t.completed,
            due_date: t.due_date,
            completed_at: t.completed_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
            deleted_at: t.deleted_at,
        }
    }
}

impl TryFrom<TodoState> for super::todo::Model {
    type Error = DbErr;

    fn try_from(t: TodoState) -> Result<Self, DbErr> {
        Ok(Self {
            id: t.id,
            user_id: t.user_id,
            title: t.title,
            description: t.description,
            priority: super::todo::Priority::try_from_value(&t.priority)?,
            completed: t.completed,
            due_date: t.due_date,
            completed_at: t.completed_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
            deleted_at: t.deleted_at,
        })
    }
}

/// The state of one transfer's todo.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "todo_handovers")]
pub struct Model {
    /// The `transferred` history entry this state belongs to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub history_id: i32,
    /// The todo as it was handed over.
    #[sea_orm(column_type = "JsonBinary")]
    pub state: HandedOver,
    /// The history entry.
    #[sea_orm(
        belongs_to,
        relation_enum = "Entry",
        from = "history_id",
        to = "id",
        on_delete = "Cascade"
    )]
    pub entry: BelongsTo<super::todo_history::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
