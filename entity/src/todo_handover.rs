//! `todo_handovers`: a todo as it was when its owner transferred it away, one row per
//! `transferred` history entry. The previous owner's TRANSFERRED_OUT event shows this state
//! (the contract: "the todo as it was handed over"), not the row as the new owner has
//! changed it since. Kept apart from `todo_history` so that history lists never read it.

use sea_orm::{FromJsonQueryResult, entity::prelude::*};
use serde::{Deserialize, Serialize};

/// The todo's columns and tags at the moment of the transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct HandedOver {
    /// The row, as the transfer left it (already the new owner's).
    pub todo: super::todo::Model,
    /// Ids of its tags.
    pub tag_ids: Vec<i32>,
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
