//! The migrated database matches what the entities declare (our `drizzle-kit check`), the
//! migrations round-trip, and the constraints the entities cannot express are in place.

use entity::{indexes::INDEXES, prelude::*};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Schema, Statement};
use tests::{
    Backend, TestDb,
    schema_snapshot::{introspect, table_names},
};

/// Builds the schema from the entities alone, the way the entity-first workflow would.
async fn create_from_entities(db: &DatabaseConnection) {
    let backend = db.get_database_backend();
    let schema = Schema::new(backend);
    for statement in schema.create_enum_from_entity(Todo) {
        db.execute(&statement).await.expect("create enum");
    }
    // Referenced tables first.
    macro_rules! create {
        ($($entity:expr),*) => {$(
            db.execute(&schema.create_table_from_entity($entity)).await.expect("create table");
            for index in schema.create_index_from_entity($entity) {
                db.execute(&index).await.expect("create entity index");
            }
        )*};
    }
    create!(
        User,
        Todo,
        Tag,
        TodoTag,
        UserPreferences,
        TodoHistory,
        TodoHandover,
        Session,
        LoginFailure
    );
    let postgres = backend == DbBackend::Postgres;
    if postgres {
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await
            .expect("pg_trgm");
    }
    for index in INDEXES.iter().filter(|index| postgres || !index.trigram) {
        let columns = index
            .columns
            .iter()
            .map(|c| {
                // Expressions and sort directions go in as written; plain columns quoted.
                let plain = c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                let column = if plain {
                    format!("\"{c}\"")
                } else {
                    (*c).to_owned()
                };
                if index.trigram {
                    format!("{column} gin_trgm_ops")
                } else {
                    column
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let predicate = index
            .predicate
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default();
        db.execute_unprepared(&format!(
            "CREATE {}INDEX \"{}\" ON \"{}\" {}({columns}){predicate}",
            if index.unique { "UNIQUE " } else { "" },
            index.name,
            index.table,
            if index.trigram { "USING gin " } else { "" },
        ))
        .await
        .expect("create declared index");
    }
}

async fn migrated_schema_matches_entities(backend: Backend) {
    let Some(migrated_db) = TestDb::create(backend).await else {
        return;
    };
    let Some(declared_db) = TestDb::create(backend).await else {
        return;
    };
    let migrated = migrated_db.connect().await;
    Migrator::up(&migrated, None).await.expect("migrate");
    let declared = declared_db.connect().await;
    create_from_entities(&declared).await;

    let (actual, names) = introspect(&migrated).await;
    let (expected, _) = introspect(&declared).await;
    assert_eq!(actual.tables.len(), 9, "{actual:#?}");
    for (table, shape) in &expected.tables {
        assert_eq!(
            actual.tables.get(table),
            Some(shape),
            "table {table}: the migrated database (left) differs from the entities (right)"
        );
    }
    assert_eq!(
        actual, expected,
        "the migrated database has tables the entities lack"
    );
    for index in INDEXES
        .iter()
        .filter(|index| backend == Backend::Postgres || !index.trigram)
    {
        assert!(
            names.contains(index.name),
            "index {} missing; have {names:?}",
            index.name
        );
    }
}
tests::both_backends!(backend migrated_schema_matches_entities);

async fn migrations_round_trip(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let db = test_db.connect().await;
    Migrator::up(&db, None).await.expect("up");
    let (first, _) = introspect(&db).await;
    Migrator::reset(&db).await.expect("reset");
    let left: Vec<_> = table_names(&db)
        .await
        .into_iter()
        .filter(|t| t != "seaql_migrations" && t != "sqlite_sequence")
        .collect();
    assert!(left.is_empty(), "tables left after reset: {left:?}");
    if backend == Backend::Postgres {
        assert!(
            enum_labels(&db).await.is_empty(),
            "the priority type survived reset"
        );
    }
    Migrator::up(&db, None).await.expect("up again");
    let (second, _) = introspect(&db).await;
    assert_eq!(first, second);
}
tests::both_backends!(backend migrations_round_trip);

async fn enum_labels(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT e.enumlabel AS label FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
               WHERE t.typname = 'priority' ORDER BY e.enumsortorder";
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("pg_enum")
        .iter()
        .map(|row| row.try_get::<String>("", "label").expect("label"))
        .collect()
}

async fn constraints_reject_bad_rows_and_cascade(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let db = test_db.connect().await;
    Migrator::up(&db, None).await.expect("up");
    let insert_user = |name: &str| {
        format!(
            "INSERT INTO users (email, username, password_hash, created_at, updated_at) \
             VALUES ('{name}@example.com', '{name}', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    };
    assert!(
        db.execute_unprepared(&insert_user("ab")).await.is_err(),
        "username_length"
    );
    db.execute_unprepared(&insert_user("ann"))
        .await
        .expect("a valid user");
    assert!(
        db.execute_unprepared(&insert_user("ann")).await.is_err(),
        "unique username"
    );

    let insert_todo = |priority: &str| {
        format!(
            "INSERT INTO todos (user_id, title, priority, created_at, updated_at) \
             SELECT id, 'x', '{priority}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users"
        )
    };
    assert!(
        db.execute_unprepared(&insert_todo("urgent")).await.is_err(),
        "priority values"
    );
    db.execute_unprepared(&insert_todo("high"))
        .await
        .expect("a valid todo");
    if backend == Backend::Postgres {
        assert_eq!(enum_labels(&db).await, ["low", "medium", "high"]);
    }
    let todo = Todo::find()
        .one(&db)
        .await
        .expect("query")
        .expect("the todo");
    assert_eq!(
        (todo.version, todo.completed, todo.deleted_at),
        (1, false, None)
    );

    db.execute_unprepared("DELETE FROM users")
        .await
        .expect("delete the user");
    assert_eq!(
        Todo::find().all(&db).await.expect("query").len(),
        0,
        "todos cascade"
    );
}
tests::both_backends!(backend constraints_reject_bad_rows_and_cascade);

/// Upgrading a database that already has tagged todos copies each todo's creation time onto
/// its links (the sort key of a tag's todos), and the copy is then required: a link without
/// it is refused rather than listed out of place.
async fn upgrading_copies_creation_times_onto_links(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let db = test_db.connect().await;
    // Every migration before the one that adds the copy.
    let before = Migrator::migrations().len() - 1;
    Migrator::up(&db, Some(before as u32)).await.expect("up");
    for statement in [
        "INSERT INTO users (email, username, password_hash, created_at, updated_at) \
         VALUES ('ann@example.com', 'ann', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO todos (user_id, title, created_at, updated_at) \
         SELECT id, 'old', '2026-01-02 03:04:05+00:00', CURRENT_TIMESTAMP FROM users",
        "INSERT INTO todos (user_id, title, created_at, updated_at) \
         SELECT id, 'new', '2026-11-12 13:14:15+00:00', CURRENT_TIMESTAMP FROM users",
        "INSERT INTO tags (name, created_at) VALUES ('work', CURRENT_TIMESTAMP)",
        "INSERT INTO todo_tags (todo_id, tag_id) SELECT todos.id, tags.id FROM todos, tags",
    ] {
        db.execute_unprepared(statement).await.expect(statement);
    }
    Migrator::up(&db, None).await.expect("the last migration");

    let links = TodoTag::find().all(&db).await.expect("read links");
    assert_eq!(links.len(), 2);
    for link in links {
        let todo = Todo::find_by_id(link.todo_id)
            .one(&db)
            .await
            .expect("read todo")
            .expect("the todo");
        assert_eq!(link.todo_created_at, todo.created_at, "{}", todo.title);
    }
    db.execute_unprepared("DELETE FROM todo_tags")
        .await
        .expect("delete links");
    assert!(
        db.execute_unprepared(
            "INSERT INTO todo_tags (todo_id, tag_id) SELECT todos.id, tags.id FROM todos, tags"
        )
        .await
        .is_err(),
        "a link without its todo's creation time"
    );
}
tests::both_backends!(backend upgrading_copies_creation_times_onto_links);
