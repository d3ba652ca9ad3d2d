//! Rows written straight into a test's database, for arranging read tests without going
//! through mutations. Timestamps are spaced one minute apart from a fixed base so that
//! orderings are deterministic.

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::{tag, todo, todo::Priority, todo_tag, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

/// 2026-01-01T00:00:00Z plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid instant")
        + Duration::minutes(minutes)
}

/// A user who cannot log in (no usable password), with a preferences row.
pub async fn user(db: &DatabaseConnection, username: &str) -> user::Model {
    let user = user::ActiveModel {
        email: Set(format!("{username}@example.com")),
        username: Set(username.to_owned()),
        password_hash: Set("not-a-hash".to_owned()),
        bio: Set(String::new()),
        is_active: Set(true),
        role: Set(user::Role::User),
        created_at: Set(at(0)),
        updated_at: Set(at(0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert user");
    api::service::preferences::default_preferences(user.id)
        .insert(db)
        .await
        .expect("insert preferences");
    user
}

/// The fields of a todo a test cares about; the rest take defaults.
#[derive(Debug, Clone)]
pub struct NewTodo {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Priority.
    pub priority: Priority,
    /// Done?
    pub completed: bool,
    /// Due date.
    pub due_date: Option<DateTime<Utc>>,
    /// Creation time, in minutes after the base instant.
    pub created_minute: i64,
    /// Soft-deleted?
    pub deleted: bool,
}

impl NewTodo {
    /// An open, medium-priority todo created at minute `created_minute`.
    pub fn new(title: &str, created_minute: i64) -> Self {
        Self {
            title: title.to_owned(),
            description: None,
            priority: Priority::Medium,
            completed: false,
            due_date: None,
            created_minute,
            deleted: false,
        }
    }
}

/// Inserts `new` for `owner`.
pub async fn todo(db: &DatabaseConnection, owner: &user::Model, new: NewTodo) -> todo::Model {
    let created = at(new.created_minute);
    todo::ActiveModel {
        user_id: Set(owner.id),
        title: Set(new.title),
        description: Set(new.description),
        priority: Set(new.priority),
        completed: Set(new.completed),
        due_date: Set(new.due_date),
        completed_at: Set(new.completed.then_some(created)),
        created_at: Set(created),
        updated_at: Set(created),
        version: Set(1),
        deleted_at: Set(new.deleted.then_some(created)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert todo")
}

/// A tag.
pub async fn tag(db: &DatabaseConnection, name: &str) -> tag::Model {
    tag::ActiveModel {
        name: Set(name.to_owned()),
        color: Set("#3b82f6".to_owned()),
        created_at: Set(at(0)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert tag")
}

/// Puts `tag` on `todo`.
pub async fn tag_todo(db: &DatabaseConnection, todo: &todo::Model, tag: &tag::Model) {
    todo_tag::ActiveModel {
        todo_id: Set(todo.id),
        tag_id: Set(tag.id),
        todo_created_at: Set(todo.created_at),
    }
    .insert(db)
    .await
    .expect("insert todo_tag");
}

/// Makes `username` an admin.
pub async fn make_admin(db: &DatabaseConnection, user_id: i32) {
    user::ActiveModel {
        id: Set(user_id),
        role: Set(user::Role::Admin),
        ..Default::default()
    }
    .update(db)
    .await
    .expect("promote to admin");
}

/// Records `action` by `actor` on `todo`, at minute `minute`.
pub async fn history(
    db: &DatabaseConnection,
    todo: &todo::Model,
    action: entity::todo_history::TodoAction,
    actor: &user::Model,
    minute: i64,
) -> entity::todo_history::Model {
    entity::todo_history::ActiveModel {
        todo_id: Set(todo.id),
        action: Set(action),
        actor_id: Set(Some(actor.id)),
        from_user_id: Set(None),
        to_user_id: Set(None),
        created_at: Set(at(minute)),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert history")
}
