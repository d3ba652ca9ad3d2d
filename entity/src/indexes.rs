//! The secondary indexes the schema declares, beyond primary keys and the `unique` columns
//! of the entities: what SeaORM's entity attributes cannot say (composite and partial
//! indexes). The schema check test compares these with the migrated database.

/// One secondary index.
#[derive(Debug, Clone, Copy)]
pub struct IndexDef {
    /// Index name.
    pub name: &'static str,
    /// Table it belongs to.
    pub table: &'static str,
    /// Indexed columns, in order; an entry with parentheses is an expression.
    pub columns: &'static [&'static str],
    /// Whether it is unique.
    pub unique: bool,
    /// Predicate of a partial index, as SQL valid on PostgreSQL and SQLite.
    pub predicate: Option<&'static str>,
    /// A trigram (GIN, `gin_trgm_ops`) index: PostgreSQL only, and only where the pg_trgm
    /// extension could be created.
    pub trigram: bool,
}

const fn index(
    name: &'static str,
    table: &'static str,
    columns: &'static [&'static str],
) -> IndexDef {
    IndexDef {
        name,
        table,
        columns,
        unique: false,
        predicate: None,
        trigram: false,
    }
}

/// An index of live todos (the lists' partial indexes).
const fn live_todos(name: &'static str, columns: &'static [&'static str]) -> IndexDef {
    IndexDef {
        name,
        table: "todos",
        columns,
        unique: false,
        predicate: Some("deleted_at IS NULL"),
        trigram: false,
    }
}

/// A trigram index behind a substring search.
const fn trigram(
    name: &'static str,
    table: &'static str,
    columns: &'static [&'static str],
) -> IndexDef {
    IndexDef {
        name,
        table,
        columns,
        unique: false,
        predicate: None,
        trigram: true,
    }
}

/// Every secondary index: the seed's, one per foreign key not led by a unique or primary
/// key, and those the list queries need.
pub const INDEXES: &[IndexDef] = &[
    index("users_created_at_idx", "users", &["created_at"]),
    index("users_role_idx", "users", &["role"]),
    index("todos_user_id_idx", "todos", &["user_id"]),
    index("todos_completed_idx", "todos", &["completed"]),
    index("todos_priority_idx", "todos", &["priority"]),
    index("todos_created_at_idx", "todos", &["created_at"]),
    index(
        "todos_user_completed_created_idx",
        "todos",
        &["user_id", "completed", "created_at"],
    ),
    IndexDef {
        name: "todos_incomplete_idx",
        table: "todos",
        columns: &["user_id", "created_at"],
        unique: false,
        predicate: Some("completed = false AND deleted_at IS NULL"),
        trigram: false,
    },
    live_todos(
        "todos_user_live_created_idx",
        &["user_id", "created_at", "id"],
    ),
    // Every user's todos (an admin's list) in each order the API offers, keyed exactly as
    // the ORDER BY is written; due dates twice, as NULLs sort last in both directions
    // (behind `due_date IS NULL` ascending, `IS NOT NULL` descending).
    live_todos("todos_live_updated_idx", &["updated_at", "id"]),
    live_todos("todos_live_title_idx", &["title", "id"]),
    live_todos(
        "todos_live_priority_idx",
        &[
            "(CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)",
            "id",
        ],
    ),
    live_todos(
        "todos_live_due_idx",
        &["(due_date IS NULL)", "due_date", "id"],
    ),
    live_todos(
        "todos_live_due_desc_idx",
        &["(due_date IS NOT NULL)", "due_date", "id"],
    ),
    IndexDef {
        name: "todos_deleted_created_idx",
        table: "todos",
        columns: &["created_at", "id"],
        unique: false,
        predicate: Some("deleted_at IS NOT NULL"),
        trigram: false,
    },
    trigram("todos_title_trgm_idx", "todos", &["title"]),
    trigram("todos_description_trgm_idx", "todos", &["description"]),
    trigram("users_username_trgm_idx", "users", &["lower(username)"]),
    trigram("tags_name_trgm_idx", "tags", &["name"]),
    IndexDef {
        name: "tags_name_lower_idx",
        table: "tags",
        columns: &["lower(name)"],
        unique: true,
        predicate: None,
        trigram: false,
    },
    // A tag's todos newest first, read in index order (Q3 of BENCHMARKS.md); also every
    // lookup by tag_id alone.
    index(
        "todo_tags_tag_created_idx",
        "todo_tags",
        &["tag_id", "todo_created_at", "todo_id"],
    ),
    index(
        "todo_history_todo_id_idx",
        "todo_history",
        &["todo_id", "id"],
    ),
    index("todo_history_actor_id_idx", "todo_history", &["actor_id"]),
    index(
        "todo_history_from_user_id_idx",
        "todo_history",
        &["from_user_id"],
    ),
    index(
        "todo_history_to_user_id_idx",
        "todo_history",
        &["to_user_id"],
    ),
    index("sessions_user_id_idx", "sessions", &["user_id"]),
    index("sessions_expires_at_idx", "sessions", &["expires_at"]),
    index(
        "login_failures_login_idx",
        "login_failures",
        &["login", "created_at"],
    ),
    index(
        "login_failures_ip_idx",
        "login_failures",
        &["ip", "created_at"],
    ),
];
