//! The initial schema: the seed's tables (users, todos, tags, todo_tags, user_preferences,
//! todo_history) with every constraint and index of the seed, plus optimistic locking
//! (`todos.version`), soft deletes (`todos.deleted_at`) and `sessions`.
//!
//! Written against the SeaQuery builder so that one definition serves PostgreSQL and SQLite;
//! where the two differ (the priority enum type, partial indexes) the backend is asked.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend},
    sea_query::extension::postgres::Type,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PRIORITIES: [&str; 3] = ["low", "medium", "high"];

/// Secondary indexes: (name, table, columns, partial-index predicate). Unique constraints are
/// declared on their columns instead.
const INDEXES: &[(&str, &str, &[&str], Option<&str>)] = &[
    ("users_created_at_idx", "users", &["created_at"], None),
    ("users_role_idx", "users", &["role"], None),
    ("todos_user_id_idx", "todos", &["user_id"], None),
    ("todos_completed_idx", "todos", &["completed"], None),
    ("todos_priority_idx", "todos", &["priority"], None),
    ("todos_created_at_idx", "todos", &["created_at"], None),
    (
        "todos_user_completed_created_idx",
        "todos",
        &["user_id", "completed", "created_at"],
        None,
    ),
    (
        "todos_incomplete_idx",
        "todos",
        &["user_id", "created_at"],
        Some("completed = false AND deleted_at IS NULL"),
    ),
    ("todo_tags_tag_id_idx", "todo_tags", &["tag_id"], None),
    (
        "todo_history_todo_id_idx",
        "todo_history",
        &["todo_id", "id"],
        None,
    ),
    (
        "todo_history_actor_id_idx",
        "todo_history",
        &["actor_id"],
        None,
    ),
    (
        "todo_history_from_user_id_idx",
        "todo_history",
        &["from_user_id"],
        None,
    ),
    (
        "todo_history_to_user_id_idx",
        "todo_history",
        &["to_user_id"],
        None,
    ),
    ("sessions_user_id_idx", "sessions", &["user_id"], None),
    ("sessions_expires_at_idx", "sessions", &["expires_at"], None),
];

/// Tables in creation order (referenced tables first); dropped in reverse.
const TABLES: [&str; 7] = [
    "users",
    "todos",
    "tags",
    "todo_tags",
    "user_preferences",
    "todo_history",
    "sessions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if backend == DbBackend::Postgres {
            manager
                .create_type(
                    Type::create()
                        .as_enum("priority")
                        .values(PRIORITIES)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            users(),
            todos(backend),
            tags(),
            todo_tags(),
            user_preferences(),
            todo_history(),
            sessions(),
        ] {
            manager.create_table(table).await?;
        }
        for (name, table, columns, predicate) in INDEXES {
            create_index(manager, name, table, columns, *predicate).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .drop_type(Type::drop().name("priority").to_owned())
                .await?;
        }
        Ok(())
    }
}

/// SeaQuery's index builder has no partial indexes, so indexes are written as SQL that both
/// PostgreSQL and SQLite accept.
async fn create_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    columns: &[&str],
    predicate: Option<&str>,
) -> Result<(), DbErr> {
    let columns = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let predicate = predicate.map(|p| format!(" WHERE {p}")).unwrap_or_default();
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "CREATE INDEX \"{name}\" ON \"{table}\" ({columns}){predicate}"
        ))
        .await
        .map(|_| ())
}

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
        .default(Expr::current_timestamp())
        .take()
}

fn updated_at() -> ColumnDef {
    timestamp_with_time_zone("updated_at")
        .default(Expr::current_timestamp())
        .take()
}

/// A foreign key from `table.column` to `target.id`.
fn references(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .to_owned()
}

fn users() -> TableCreateStatement {
    Table::create()
        .table("users")
        .col(pk_auto("id"))
        .col(text_uniq("email"))
        .col(text_uniq("username"))
        .col(text("password_hash"))
        .col(text_null("avatar_url"))
        .col(text("bio").default(""))
        .col(boolean("is_active").default(true))
        .col(text("role").default("user"))
        .col(timestamp_with_time_zone_null("last_login_at"))
        .col(created_at())
        .col(updated_at())
        .check(("username_length", Expr::cust("length(username) >= 3")))
        .check(("users_role_check", Expr::cust("role IN ('user', 'admin')")))
        .to_owned()
}

fn todos(backend: DbBackend) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table("todos")
        .col(pk_auto("id"))
        .col(integer("user_id"))
        .col(text("title"))
        .col(text_null("description"))
        .col(enumeration("priority", "priority", PRIORITIES).default("medium"))
        .col(boolean("completed").default(false))
        .col(timestamp_with_time_zone_null("due_date"))
        .col(timestamp_with_time_zone_null("completed_at"))
        .col(created_at())
        .col(updated_at())
        .col(integer("version").default(1))
        .col(timestamp_with_time_zone_null("deleted_at"))
        .foreign_key(&mut references(
            "todos",
            "user_id",
            "users",
            ForeignKeyAction::Cascade,
        ));
    if backend == DbBackend::Sqlite {
        // PostgreSQL enforces the values through the enum type; SQLite needs a CHECK.
        table.check((
            "todos_priority_check",
            Expr::cust("priority IN ('low', 'medium', 'high')"),
        ));
    }
    table.to_owned()
}

fn tags() -> TableCreateStatement {
    Table::create()
        .table("tags")
        .col(pk_auto("id"))
        .col(text_uniq("name"))
        .col(text("color").default("#3b82f6"))
        .col(created_at())
        .to_owned()
}

fn todo_tags() -> TableCreateStatement {
    Table::create()
        .table("todo_tags")
        .col(integer("todo_id"))
        .col(integer("tag_id"))
        // The seed's unique (todo_id, tag_id) is the primary key: one index serves both.
        .primary_key(
            Index::create()
                .name("todo_tags_unique_idx")
                .col("todo_id")
                .col("tag_id"),
        )
        .foreign_key(&mut references(
            "todo_tags",
            "todo_id",
            "todos",
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut references(
            "todo_tags",
            "tag_id",
            "tags",
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn user_preferences() -> TableCreateStatement {
    Table::create()
        .table("user_preferences")
        .col(pk_auto("id"))
        // Unique: one row per user; its index also serves the foreign key.
        .col(integer_uniq("user_id"))
        .col(text("theme").default("system"))
        .col(json_binary("notifications").default(Expr::cust(
            r#"'{"email":true,"push":true,"frequency":"instant"}'"#,
        )))
        .col(json_binary("layout").default(Expr::cust(r#"'{"sidebar":true,"compact":false}'"#)))
        .foreign_key(&mut references(
            "user_preferences",
            "user_id",
            "users",
            ForeignKeyAction::Cascade,
        ))
        .check((
            "user_preferences_theme_check",
            Expr::cust("theme IN ('system', 'light', 'dark')"),
        ))
        .to_owned()
}

fn todo_history() -> TableCreateStatement {
    Table::create()
        .table("todo_history")
        .col(pk_auto("id"))
        .col(integer("todo_id"))
        .col(text("action"))
        .col(integer_null("actor_id"))
        .col(integer_null("from_user_id"))
        .col(integer_null("to_user_id"))
        .col(created_at())
        .foreign_key(&mut references(
            "todo_history",
            "todo_id",
            "todos",
            ForeignKeyAction::Cascade,
        ))
        // A deleted user's name disappears from other users' audit trails; the entries stay.
        .foreign_key(&mut references(
            "todo_history",
            "actor_id",
            "users",
            ForeignKeyAction::SetNull,
        ))
        .foreign_key(&mut references(
            "todo_history",
            "from_user_id",
            "users",
            ForeignKeyAction::SetNull,
        ))
        .foreign_key(&mut references(
            "todo_history",
            "to_user_id",
            "users",
            ForeignKeyAction::SetNull,
        ))
        .to_owned()
}

fn sessions() -> TableCreateStatement {
    Table::create()
        .table("sessions")
        .col(pk_auto("id"))
        .col(integer("user_id"))
        .col(text_uniq("token_hash"))
        .col(created_at())
        .col(timestamp_with_time_zone("expires_at"))
        .col(timestamp_with_time_zone("last_used_at").default(Expr::current_timestamp()))
        .foreign_key(&mut references(
            "sessions",
            "user_id",
            "users",
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}
