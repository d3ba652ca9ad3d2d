//! Every list query is served by an index: the PostgreSQL plans of the statements the server
//! builds, on tens of thousands of rows, use no sequential scan of the big tables.

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use api::service::{
    page::{PageArgs, PageLimits, Window},
    todo_list::{self, Parent, TodoFilter, TodoListQuery, TodoOrder},
    viewer::Viewer,
};
use entity::user::Role;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tests::{Backend, TestDb};

const LIMITS: PageLimits = PageLimits {
    default: 20,
    max: 100,
};

/// 2,000 users × 25 todos (40 % completed, a few soft-deleted), 100 tags, ~2 tags per todo.
async fn seed(db: &DatabaseConnection) {
    for sql in [
        "INSERT INTO users (email, username, password_hash, created_at, updated_at)
         SELECT 'u' || n || '@example.com', 'user' || n, 'x', now(), now() FROM generate_series(1, 2000) n",
        "INSERT INTO todos (user_id, title, priority, completed, due_date, deleted_at, created_at, updated_at)
         SELECT u, 'todo ' || i, (ARRAY['low','medium','high'])[1 + i % 3]::priority, i % 5 < 2,
                CASE WHEN i % 4 = 0 THEN now() + (i - 12) * interval '1 day' END,
                CASE WHEN i = 25 THEN now() END,
                now() - (u * 25 + i) * interval '1 minute', now()
         FROM generate_series(1, 2000) u, generate_series(1, 25) i",
        "INSERT INTO tags (name, created_at) SELECT 'tag' || n, now() FROM generate_series(1, 100) n",
        "INSERT INTO todo_tags (todo_id, tag_id) SELECT id, 1 + id % 100 FROM todos",
        "INSERT INTO todo_tags (todo_id, tag_id) SELECT id, 1 + (id * 7) % 100 FROM todos WHERE (id * 7) % 100 <> id % 100",
        "ANALYZE",
    ] {
        db.execute_unprepared(sql).await.expect(sql);
    }
}

async fn plan(db: &DatabaseConnection, statement: Statement) -> String {
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN {}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    db.query_all_raw(explain)
        .await
        .expect("explain")
        .iter()
        .map(|row| {
            row.try_get::<String>("", "QUERY PLAN")
                .expect("a plan line")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn query(filter: TodoFilter) -> TodoListQuery {
    let order = TodoOrder::default();
    TodoListQuery {
        window: Window::new(
            &PageArgs {
                first: Some(10),
                ..Default::default()
            },
            LIMITS,
            order.cursor_name(),
        )
        .expect("a window"),
        filter,
        order,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_queries_use_indexes_postgres() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let db = test_db.connect().await;
    Migrator::up(&db, None).await.expect("migrate");
    seed(&db).await;
    let admin = Viewer {
        user_id: 1,
        role: Role::Admin,
        session_id: 0,
        session_expires_at: chrono::Utc::now(),
    };
    let user = Viewer {
        user_id: 7,
        role: Role::User,
        session_id: 0,
        session_expires_at: chrono::Utc::now(),
    };
    let owners: Vec<i32> = (100..150).collect();
    let open = TodoFilter {
        completed: Some(false),
        ..Default::default()
    };

    let cases = [
        (
            "users → todos(completed: false)",
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Owner,
                &owners,
                &query(open.clone()),
            ),
        ),
        (
            "users → todos",
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Owner,
                &owners,
                &query(TodoFilter::default()),
            ),
        ),
        (
            "tags → todos",
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Tag,
                &[3, 4],
                &query(TodoFilter::default()),
            ),
        ),
        (
            "viewer's todos",
            todo_list::page_statement(
                DbBackend::Postgres,
                Some(&user),
                &query(TodoFilter::default()),
            ),
        ),
        (
            "viewer's open todos",
            todo_list::page_statement(DbBackend::Postgres, Some(&user), &query(open)),
        ),
        (
            "admin's todos",
            todo_list::page_statement(
                DbBackend::Postgres,
                Some(&admin),
                &query(TodoFilter::default()),
            ),
        ),
    ];
    for (name, statement) in cases {
        let plan = plan(&db, statement.expect("a statement")).await;
        // A popular tag's todos are all read to be sorted by the todos' own columns; joining
        // ~2,000 of 50,000 rows, the planner may rightly prefer a hash join over a scan of
        // todos, so for tags only the junction table must be reached through its index.
        let big_tables: &[&str] = if name.starts_with("tags") {
            &["todo_tags"]
        } else {
            &["todos", "todo_tags"]
        };
        for table in big_tables {
            assert!(
                !plan.contains(&format!("Seq Scan on {table}")),
                "{name} scans {table}:\n{plan}"
            );
        }
        assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
    }
}
