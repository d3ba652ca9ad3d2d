//! Transactions that lose a race they cannot wait out are retried: real transient errors of
//! each database (PostgreSQL's serialization failure and deadlock, SQLite's "database is
//! locked") get at most three attempts, then a clear CONFLICT; other errors none.

use std::sync::atomic::{AtomicU32, Ordering};

use api::{
    Error,
    service::retry::{ATTEMPTS, with_retry},
};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use tests::{Backend, TestDb};

/// One connection, so that statements run in order on the same session.
async fn single(test_db: &TestDb) -> DatabaseConnection {
    let mut options = ConnectOptions::new(test_db.url().to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await.expect("connect")
}

async fn run(db: &DatabaseConnection, sql: &str) -> api::Result<()> {
    db.execute_unprepared(sql)
        .await
        .map(|_| ())
        .map_err(Error::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serialization_failures_and_deadlocks_are_retried() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let db = single(&test_db).await;
    let fail = |code: &str| format!("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '{code}'; END $$");

    // Two lost races, then a win: the caller sees only the win.
    for code in ["40001", "40P01"] {
        let attempts = AtomicU32::new(0);
        let outcome = with_retry(|| async {
            let n = attempts.fetch_add(1, Ordering::SeqCst) + 1;
            if n < ATTEMPTS {
                run(&db, &fail(code)).await
            } else {
                run(&db, "SELECT 1").await
            }
        })
        .await;
        assert!(outcome.is_ok(), "{code}: {outcome:?}");
        assert_eq!(attempts.load(Ordering::SeqCst), ATTEMPTS, "{code}");
    }

    // Always losing: three attempts, then CONFLICT.
    let attempts = AtomicU32::new(0);
    let outcome = with_retry(|| async {
        attempts.fetch_add(1, Ordering::SeqCst);
        run(&db, &fail("40001")).await
    })
    .await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), ATTEMPTS);

    // A unique violation is no race: it is returned at once.
    let attempts = AtomicU32::new(0);
    let outcome = with_retry(|| async {
        attempts.fetch_add(1, Ordering::SeqCst);
        run(&db, &fail("23505")).await
    })
    .await;
    assert!(matches!(outcome, Err(Error::Database(_))), "{outcome:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_busy_is_retried() {
    let Some(test_db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let holder = single(&test_db).await;
    let writer = single(&test_db).await;
    run(&holder, "CREATE TABLE t (n INTEGER)")
        .await
        .expect("create");
    // The writer does not wait for the lock, so a held lock is an immediate SQLITE_BUSY.
    run(&writer, "PRAGMA busy_timeout = 0")
        .await
        .expect("pragma");
    let write = || async {
        run(&writer, "BEGIN IMMEDIATE").await?;
        run(&writer, "INSERT INTO t VALUES (1)").await?;
        run(&writer, "COMMIT").await
    };

    // Locked for good: three attempts, then CONFLICT, and nothing written.
    run(&holder, "BEGIN IMMEDIATE").await.expect("lock");
    let attempts = AtomicU32::new(0);
    let outcome = with_retry(|| async {
        attempts.fetch_add(1, Ordering::SeqCst);
        write().await
    })
    .await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), ATTEMPTS);

    // The lock goes away before the second attempt, which then succeeds.
    let attempts = AtomicU32::new(0);
    let outcome = with_retry(|| async {
        if attempts.fetch_add(1, Ordering::SeqCst) + 1 == 2 {
            run(&holder, "COMMIT").await?;
        }
        write().await
    })
    .await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    let rows = writer
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT COUNT(*) AS n FROM t",
        ))
        .await
        .expect("count")
        .expect("a row");
    assert_eq!(rows.try_get::<i64>("", "n").expect("n"), 1);
}
