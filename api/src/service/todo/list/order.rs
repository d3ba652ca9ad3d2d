//! The orders of todo lists, and the cursors of each.

use entity::{todo, todo::Priority};

use crate::service::page::{Cursor, Ordering, Sort, SortKey};

/// What todos can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TodoOrderField {
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Due date; todos without one come last.
    DueDate,
    /// low < medium < high.
    Priority,
    /// Title.
    Title,
}

/// A sort order; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TodoOrder {
    /// Sort key.
    pub field: TodoOrderField,
    /// Descending?
    pub descending: bool,
}

impl Default for TodoOrder {
    fn default() -> Self {
        Self {
            field: TodoOrderField::CreatedAt,
            descending: true,
        }
    }
}

impl TodoOrderField {
    /// The column the sort key and the cursor are read from.
    pub fn column(self) -> todo::Column {
        match self {
            Self::CreatedAt => todo::Column::CreatedAt,
            Self::UpdatedAt => todo::Column::UpdatedAt,
            Self::DueDate => todo::Column::DueDate,
            Self::Priority => todo::Column::Priority,
            Self::Title => todo::Column::Title,
        }
    }
}

/// Priority as a number, so that both backends sort it low < medium < high (SQLite would
/// sort the text alphabetically).
const PRIORITY_RANK: &str =
    r#"(CASE "todos"."priority" WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)"#;

impl TodoOrder {
    /// The name cursors carry, so that a cursor of one ordering is refused by another.
    pub fn cursor_name(&self) -> &'static str {
        match self.field {
            TodoOrderField::CreatedAt => Ordering::TodoCreatedAt,
            TodoOrderField::UpdatedAt => Ordering::TodoUpdatedAt,
            TodoOrderField::DueDate => Ordering::TodoDueDate,
            TodoOrderField::Priority => Ordering::TodoPriority,
            TodoOrderField::Title => Ordering::TodoTitle,
        }
        .name()
    }

    /// How the list is sorted in SQL.
    pub(super) fn sort(&self) -> Sort {
        let (key_sql, nullable) = match self.field {
            TodoOrderField::CreatedAt => (r#""todos"."created_at""#, false),
            TodoOrderField::UpdatedAt => (r#""todos"."updated_at""#, false),
            TodoOrderField::DueDate => (r#""todos"."due_date""#, true),
            TodoOrderField::Priority => (PRIORITY_RANK, false),
            TodoOrderField::Title => (r#""todos"."title""#, false),
        };
        Sort {
            key_sql,
            id_sql: r#""todos"."id""#,
            descending: self.descending,
            nullable,
        }
    }

    /// The cursor of `todo` in this ordering.
    pub fn cursor(&self, todo: &todo::Model) -> Cursor {
        let key = match self.field {
            TodoOrderField::CreatedAt => SortKey::Time(todo.created_at),
            TodoOrderField::UpdatedAt => SortKey::Time(todo.updated_at),
            TodoOrderField::DueDate => todo.due_date.map_or(SortKey::Null, SortKey::Time),
            TodoOrderField::Priority => SortKey::Int(match todo.priority {
                Priority::Low => 0,
                Priority::Medium => 1,
                Priority::High => 2,
            }),
            TodoOrderField::Title => SortKey::Text(todo.title.clone()),
        };
        Cursor {
            ordering: self.cursor_name().to_owned(),
            key,
            id: todo.id,
        }
    }
}
