//! `todo_history`: the audit trail of every change to a todo, written in the same
//! transaction as the change.

use sea_orm::entity::prelude::*;

/// What happened to a todo. Stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TodoAction {
    /// The todo was created.
    #[sea_orm(string_value = "created")]
    Created,
    /// Its fields changed.
    #[sea_orm(string_value = "updated")]
    Updated,
    /// It was marked done.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// It was marked not done.
    #[sea_orm(string_value = "reopened")]
    Reopened,
    /// It was soft-deleted.
    #[sea_orm(string_value = "deleted")]
    Deleted,
    /// It was restored from a soft delete.
    #[sea_orm(string_value = "restored")]
    Restored,
    /// It moved to another owner.
    #[sea_orm(string_value = "transferred")]
    Transferred,
    /// Tags were added.
    #[sea_orm(string_value = "tagged")]
    Tagged,
    /// Tags were removed.
    #[sea_orm(string_value = "untagged")]
    Untagged,
}

/// One entry of a todo's audit trail. The user references are nullable and set to NULL when
/// that user is deleted, so that the trail of other users' todos survives.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "todo_history")]
pub struct Model {
    /// Primary key; grows with time, so it orders entries newest first.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The todo this entry is about.
    pub todo_id: i32,
    /// What happened.
    pub action: TodoAction,
    /// Who did it.
    pub actor_id: Option<i32>,
    /// For transfers: the previous owner.
    pub from_user_id: Option<i32>,
    /// For transfers: the new owner.
    pub to_user_id: Option<i32>,
    /// When it happened.
    pub created_at: DateTimeUtc,
    /// The todo.
    #[sea_orm(belongs_to, from = "todo_id", to = "id", on_delete = "Cascade")]
    pub todo: BelongsTo<super::todo::Entity>,
    /// Who did it.
    #[sea_orm(
        belongs_to,
        relation_enum = "Actor",
        from = "actor_id",
        to = "id",
        on_delete = "SetNull"
    )]
    pub actor: BelongsTo<Option<super::user::Entity>>,
    /// The previous owner, for transfers.
    #[sea_orm(
        belongs_to,
        relation_enum = "FromUser",
        from = "from_user_id",
        to = "id",
        on_delete = "SetNull"
    )]
    pub from_user: BelongsTo<Option<super::user::Entity>>,
    /// The new owner, for transfers.
    #[sea_orm(
        belongs_to,
        relation_enum = "ToUser",
        from = "to_user_id",
        to = "id",
        on_delete = "SetNull"
    )]
    pub to_user: BelongsTo<Option<super::user::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
