//! `tags`: labels shared by all users, attached to todos through `todo_tags`.

use sea_orm::entity::prelude::*;

/// A tag. Names are unique.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tags")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The tag's name; unique.
    #[sea_orm(column_type = "Text", unique)]
    pub name: String,
    /// Display colour as `#rrggbb`.
    #[sea_orm(column_type = "Text", default_value = "#3b82f6")]
    pub color: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// Todos with this tag, through `todo_tags`.
    #[sea_orm(has_many, via = "todo_tag")]
    pub todos: HasMany<super::todo::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
