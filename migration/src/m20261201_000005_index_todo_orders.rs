//! Indexes for the lists that span every user's todos (an admin's `Query.todos`): one per
//! ordering the API offers, so that a page in any order is read from an index instead of
//! sorting the whole table; and on PostgreSQL trigram indexes for the substring searches
//! (todos' `search`, `users(search:)`, `tags(search:)`).
//!
//! Each index holds the sort key exactly as the server's ORDER BY writes it, then `id` (the
//! keyset tiebreak), and only live rows. Due dates sort with NULLs last in both directions,
//! behind a flag (`due_date IS NULL` ascending, `IS NOT NULL` descending), hence two
//! due-date indexes.
//! One user's lists need none of these: `todos_user_id_idx` narrows them to that user's rows.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, DbBackend},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, key expressions); every index is partial on live rows.
const ORDER_INDEXES: &[(&str, &str)] = &[
    ("todos_live_updated_idx", "updated_at, id"),
    ("todos_live_title_idx", "title, id"),
    (
        "todos_live_priority_idx",
        "(CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END), id",
    ),
    ("todos_live_due_idx", "(due_date IS NULL), due_date, id"),
    (
        "todos_live_due_desc_idx",
        "(due_date IS NOT NULL), due_date, id",
    ),
];

/// Soft-deleted todos, newest first.
const DELETED_INDEX: &str = "todos_deleted_created_idx";

/// Trigram indexes behind the searches' `ILIKE '%word%'` and `LOWER(...) LIKE '%word%'`:
/// (name, table, indexed expression, written as the search writes it). Usernames are also
/// looked up by equality, and a GIN index answers `=` too (slowly, and never better than
/// the unique B-tree): theirs is on LOWER(username), which no equality lookup uses. Tags
/// are looked up by LOWER(name), so theirs is on the bare name.
const SEARCH_INDEXES: &[(&str, &str, &str)] = &[
    ("todos_title_trgm_idx", "todos", r#""title""#),
    ("todos_description_trgm_idx", "todos", r#""description""#),
    ("users_username_trgm_idx", "users", r#"lower("username")"#),
    ("tags_name_trgm_idx", "tags", r#""name""#),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, keys) in ORDER_INDEXES {
            db.execute_unprepared(&format!(
                r#"CREATE INDEX "{name}" ON "todos" ({keys}) WHERE deleted_at IS NULL"#
            ))
            .await?;
        }
        // The soft-deleted (`filter: {deleted: true}`): few, so one index finds them all and
        // any order sorts that few.
        db.execute_unprepared(&format!(
            r#"CREATE INDEX "{DELETED_INDEX}" ON "todos" (created_at, id) WHERE deleted_at IS NOT NULL"#
        ))
        .await?;
        // The trigram index needs the pg_trgm extension, which ships with PostgreSQL's
        // contrib and is trusted (a database owner may create it). Where it cannot be
        // created, search still works, by scanning; the schema is otherwise the same.
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
                 EXCEPTION WHEN insufficient_privilege OR undefined_file THEN \
                 RAISE NOTICE 'pg_trgm is not available: search will scan'; END $$",
            )
            .await?;
            for (name, table, expression) in SEARCH_INDEXES {
                db.execute_unprepared(&format!(
                    r#"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                       CREATE INDEX "{name}" ON "{table}" USING gin ({expression} gin_trgm_ops);
                       END IF; END $$"#
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The extension stays: other schemas in the database may use it.
        let names = ORDER_INDEXES
            .iter()
            .map(|(name, _)| name)
            .chain([&DELETED_INDEX])
            .chain(SEARCH_INDEXES.iter().map(|(name, _, _)| name));
        for name in names {
            db.execute_unprepared(&format!(r#"DROP INDEX IF EXISTS "{name}""#))
                .await?;
        }
        Ok(())
    }
}
