//! `todo_tags`: the junction between todos and tags. Its primary key (todo_id, tag_id) is the
//! seed's unique index `todo_tags_unique_idx`.

use sea_orm::entity::prelude::*;

/// One tag on one todo.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "todo_tags")]
pub struct Model {
    /// The tagged todo.
    #[sea_orm(primary_key, auto_increment = false)]
    pub todo_id: i32,
    /// The tag.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_id: i32,
    /// The tagged todo's creation time, copied here so that a tag's todos are read newest
    /// first from the index `todo_tags (tag_id, todo_created_at, todo_id)`; set by every
    /// insert (a todo's creation time never changes).
    pub todo_created_at: DateTimeUtc,
    /// The tagged todo.
    #[sea_orm(belongs_to, from = "todo_id", to = "id", on_delete = "Cascade")]
    pub todo: BelongsTo<super::todo::Entity>,
    /// The tag.
    #[sea_orm(belongs_to, from = "tag_id", to = "id", on_delete = "Cascade")]
    pub tag: BelongsTo<super::tag::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
