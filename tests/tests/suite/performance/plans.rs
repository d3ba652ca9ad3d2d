//! Every list query is served by an index: the PostgreSQL plans of the statements the server
//! builds, on tens of thousands of rows, use no sequential scan of the big tables.

use api::service::{
    page::{Cursor, PageArgs, PageLimits, SortKey, Window},
    todo::list::{self as todo_list, Parent, TodoFilter, TodoListQuery, TodoOrder, TodoOrderField},
    viewer::Viewer,
};
use entity::user::Role;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryTrait, Statement};
use tests::{Backend, TestDb};

const LIMITS: PageLimits = PageLimits {
    default: 20,
    max: 100,
};

/// 2,000 users × 25 todos (40 % completed, a few soft-deleted, a third with a description,
/// four users with a todo that says "needle"), 100 tags, ~2 tags per todo.
async fn seed(db: &DatabaseConnection) {
    for sql in [
        "INSERT INTO users (email, username, password_hash, created_at, updated_at)
         SELECT 'u' || n || '@example.com', 'user' || n, 'x', now(), now() FROM generate_series(1, 2000) n",
        "INSERT INTO todos (user_id, title, description, priority, completed, due_date, deleted_at, created_at, updated_at)
         SELECT u, 'todo ' || i || CASE WHEN u % 500 = 0 THEN ' needle' ELSE '' END,
                CASE WHEN i % 3 = 0 THEN 'some notes about task ' || u || '-' || i END,
                (ARRAY['low','medium','high'])[1 + i % 3]::priority, i % 5 < 2,
                CASE WHEN i % 4 = 0 THEN now() + (i - 12) * interval '1 day' END,
                CASE WHEN i = 25 THEN now() END,
                now() - (u * 25 + i) * interval '1 minute', now() - ((u * 37 + i * 11) % 5000) * interval '1 minute'
         FROM generate_series(1, 2000) u, generate_series(1, 25) i",
        "INSERT INTO tags (name, created_at) SELECT 'tag' || n, now() FROM generate_series(1, 100) n",
        // Users and tags enough that their searches need an index (no todos of their own).
        "INSERT INTO users (email, username, password_hash, created_at, updated_at)
         SELECT 'v' || n || '@example.com', 'visitor' || n, 'x', now(), now() FROM generate_series(1, 30000) n",
        "INSERT INTO tags (name, created_at) SELECT 'label' || n, now() FROM generate_series(1, 30000) n",
        "INSERT INTO todo_tags (todo_id, tag_id, todo_created_at) SELECT id, 1 + id % 100, created_at FROM todos",
        "INSERT INTO todo_tags (todo_id, tag_id, todo_created_at) SELECT id, 1 + (id * 7) % 100, created_at FROM todos WHERE (id * 7) % 100 <> id % 100",
        // As autovacuum would: statistics, and the trigram indexes' pending lists flushed
        // (a GIN index built before its rows holds them in a list the planner rightly shuns).
        "VACUUM ANALYZE",
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

fn query(filter: TodoFilter, order: TodoOrder, backward: bool) -> TodoListQuery {
    let args = if backward {
        PageArgs {
            last: Some(10),
            ..Default::default()
        }
    } else {
        PageArgs {
            first: Some(10),
            ..Default::default()
        }
    };
    TodoListQuery {
        window: Window::new(&args, LIMITS, order.cursor_name()).expect("a window"),
        filter,
        order,
        with_description: false,
    }
}

fn newest_first(filter: TodoFilter) -> TodoListQuery {
    query(filter, TodoOrder::default(), false)
}

/// Every ordering the API offers, both directions, paged forwards and backwards.
fn every_order() -> Vec<(String, TodoOrder, bool)> {
    let fields = [
        TodoOrderField::CreatedAt,
        TodoOrderField::UpdatedAt,
        TodoOrderField::DueDate,
        TodoOrderField::Priority,
        TodoOrderField::Title,
    ];
    let mut orders = Vec::new();
    for field in fields {
        for descending in [false, true] {
            for backward in [false, true] {
                orders.push((
                    format!(
                        "{field:?} {} {}",
                        if descending { "desc" } else { "asc" },
                        if backward { "last" } else { "first" }
                    ),
                    TodoOrder { field, descending },
                    backward,
                ));
            }
        }
    }
    orders
}

fn assert_no_scan(name: &str, plan: &str, big_tables: &[&str]) {
    for table in big_tables {
        assert!(
            !plan.contains(&format!("Seq Scan on {table}")),
            "{name} scans {table}:\n{plan}"
        );
    }
    assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
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
    let search = |word: &str| TodoFilter {
        search: Some(word.to_owned()),
        ..Default::default()
    };

    let mut cases = vec![
        (
            "users → todos(completed: false)".to_owned(),
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Owner,
                &owners,
                &newest_first(open.clone()),
            ),
        ),
        (
            "users → todos".to_owned(),
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Owner,
                &owners,
                &newest_first(TodoFilter::default()),
            ),
        ),
        (
            "tags → todos".to_owned(),
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Tag,
                &[3, 4],
                &newest_first(TodoFilter::default()),
            ),
        ),
        (
            "tags → todos, oldest first".to_owned(),
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Tag,
                &[3, 4],
                &query(
                    TodoFilter::default(),
                    TodoOrder {
                        field: TodoOrderField::CreatedAt,
                        descending: false,
                    },
                    false,
                ),
            ),
        ),
        (
            "viewer's open todos".to_owned(),
            todo_list::page_statement(DbBackend::Postgres, Some(&user), &newest_first(open)),
        ),
        (
            "viewer's search".to_owned(),
            todo_list::page_statement(
                DbBackend::Postgres,
                Some(&user),
                &newest_first(search("todo 1")),
            ),
        ),
        (
            "admin's search for a common word".to_owned(),
            todo_list::page_statement(
                DbBackend::Postgres,
                Some(&admin),
                &newest_first(search("todo")),
            ),
        ),
    ];
    for (order_name, order, backward) in every_order() {
        for (who, viewer) in [("viewer's", &user), ("admin's", &admin)] {
            cases.push((
                format!("{who} todos by {order_name}"),
                todo_list::page_statement(
                    DbBackend::Postgres,
                    Some(viewer),
                    &query(TodoFilter::default(), order, backward),
                ),
            ));
        }
        cases.push((
            format!("admin's deleted todos by {order_name}"),
            todo_list::page_statement(
                DbBackend::Postgres,
                Some(&admin),
                &query(
                    TodoFilter {
                        deleted: Some(true),
                        ..Default::default()
                    },
                    order,
                    backward,
                ),
            ),
        ));
        cases.push((
            format!("users → todos by {order_name}"),
            todo_list::pages_statement(
                DbBackend::Postgres,
                Some(&admin),
                Parent::Owner,
                &owners,
                &query(TodoFilter::default(), order, backward),
            ),
        ));
    }
    for (name, statement) in cases {
        let plan = plan(&db, statement.expect("a statement")).await;
        assert_no_scan(&name, &plan, &["todos", "todo_tags"]);
        // A tag's newest todos come from the index that holds the links by tag and the
        // todo's creation time: a page is its first entries, each joined to its todo by
        // primary key, however many todos the tag has (Q3 of BENCHMARKS.md).
        if name.starts_with("tags") {
            assert!(
                plan.contains("todo_tags_tag_created_idx") && plan.contains("todos_pkey"),
                "{name}: not read from todo_tags (tag_id, todo_created_at, todo_id):\n{plan}"
            );
        }
    }

    // Deep pages seek: with a cursor far down the list, the index is entered at the cursor
    // (an Index Cond on the sort key), not read from its start and filtered.
    let deep = |field: TodoOrderField, key: SortKey, descending: bool| {
        let order = TodoOrder { field, descending };
        let cursor = Cursor {
            ordering: order.cursor_name().to_owned(),
            key,
            id: 40_000,
        };
        let args = PageArgs {
            first: Some(10),
            after: Some(cursor.encode()),
            ..Default::default()
        };
        TodoListQuery {
            window: Window::new(&args, LIMITS, order.cursor_name()).expect("a window"),
            filter: TodoFilter::default(),
            order,
            with_description: false,
        }
    };
    let long_ago = chrono::Utc::now() - chrono::Duration::days(30);
    for (name, query, key) in [
        (
            "newest first",
            deep(TodoOrderField::CreatedAt, SortKey::Time(long_ago), true),
            "created_at",
        ),
        (
            "by title",
            deep(TodoOrderField::Title, SortKey::Text("todo 5".into()), false),
            "title",
        ),
        (
            "by priority",
            deep(TodoOrderField::Priority, SortKey::Int(1), true),
            "CASE",
        ),
        (
            "by due date",
            deep(TodoOrderField::DueDate, SortKey::Time(long_ago), false),
            "due_date",
        ),
        (
            "by due date, latest first",
            deep(TodoOrderField::DueDate, SortKey::Time(long_ago), true),
            "due_date",
        ),
    ] {
        let statement = todo_list::page_statement(DbBackend::Postgres, Some(&admin), &query);
        let plan = plan(&db, statement.expect("a statement")).await;
        let seeks = plan
            .lines()
            .any(|line| line.contains("Index Cond") && line.contains(key));
        assert!(seeks, "a deep page {name} does not seek:\n{plan}");
    }

    // Searching users and tags for a rare word: their trigram indexes, not a scan.
    let window = Window::new(
        &PageArgs {
            first: Some(10),
            ..Default::default()
        },
        LIMITS,
        "user:username",
    )
    .expect("a window");
    let users = api::service::user::page_select(Some("visitor4321"), &window);
    let plan_users = plan(&db, users.build(DbBackend::Postgres)).await;
    assert!(
        plan_users.contains("users_username_trgm_idx"),
        "users(search:) does not use its trigram index:\n{plan_users}"
    );
    let tags = api::service::tag::page_select(DbBackend::Postgres, Some("label1234"), &window);
    let plan_tags = plan(&db, tags.build(DbBackend::Postgres)).await;
    assert!(
        plan_tags.contains("tags_name_trgm_idx"),
        "tags(search:) does not use its trigram index:\n{plan_tags}"
    );

    // Tags looked up by name (creating a todo's tags, tag(name:)) take the unique B-tree,
    // never a trigram index, which answers `=` too but slowly.
    let lookup = Statement::from_string(
        DbBackend::Postgres,
        r#"SELECT * FROM "tags" WHERE LOWER("tags"."name") IN (LOWER('label1'), LOWER('label2'))"#,
    );
    let plan_lookup = plan(&db, lookup).await;
    assert!(
        plan_lookup.contains("tags_name_lower_idx") && !plan_lookup.contains("trgm"),
        "{plan_lookup}"
    );

    // A rare word: the trigram indexes find its few rows instead of the whole table being
    // read, in whatever order the page wants.
    let rare = todo_list::page_statement(
        DbBackend::Postgres,
        Some(&admin),
        &newest_first(search("needle")),
    );
    let plan = plan(&db, rare.expect("a statement")).await;
    assert_no_scan("admin's search for a rare word", &plan, &["todos"]);
    for index in ["todos_title_trgm_idx", "todos_description_trgm_idx"] {
        assert!(
            plan.contains(index),
            "admin's search for a rare word does not use {index}:\n{plan}"
        );
    }
}

/// Lists leave the description (up to 10,000 characters a row) unread unless asked for.
#[test]
fn lists_read_descriptions_only_when_asked() {
    let admin = Viewer {
        user_id: 1,
        role: Role::Admin,
        session_id: 0,
        session_expires_at: chrono::Utc::now(),
    };
    for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
        for with_description in [false, true] {
            let query = TodoListQuery {
                with_description,
                ..newest_first(TodoFilter::default())
            };
            let statements = [
                todo_list::page_statement(backend, Some(&admin), &query),
                todo_list::pages_statement(backend, Some(&admin), Parent::Owner, &[1, 2], &query),
                todo_list::pages_statement(backend, Some(&admin), Parent::Tag, &[1, 2], &query),
            ];
            for statement in statements {
                let sql = statement.expect("a statement").sql;
                assert_eq!(
                    sql.contains(r#""todos"."description""#),
                    with_description,
                    "{backend:?}, with_description {with_description}: {sql}"
                );
                assert!(sql.contains(r#""todos"."title""#), "{sql}");
            }
        }
    }
}
