//! Opening the database: the connection pool, SQLite's settings, and migrations at start.

use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::{
        self,
        sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous},
    },
};

use crate::{config::Config, error::Result};

pub mod health;
pub mod statements;

/// How long a SQLite writer waits for another's lock before giving up with "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite virtual-machine steps between two looks at the clock while a statement runs. A
/// step is usually a fraction of a microsecond, but one call of a function is one step:
/// `LIKE` on a 10,000-character description is a millisecond or more, so 1,000 steps let a
/// search run up to a second past its deadline on a slow machine (and hold its connection).
/// A look costs one read of the clock, a small price per hundred steps.
const SQLITE_STEPS_PER_CHECK: i32 = 100;

/// Opens the pool described by `config`.
pub async fn connect(config: &Config) -> Result<DatabaseConnection> {
    let pool = &config.pool;
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(pool.max_connections)
        .min_connections(pool.min_connections)
        .acquire_timeout(pool.acquire_timeout())
        .idle_timeout(pool.idle_timeout())
        .test_before_acquire(pool.test_before_acquire)
        // sqlx logs each statement at info under the `sqlx` target, which the default filter
        // hides; RUST_LOG=sqlx=info shows them.
        .sqlx_logging(true)
        // WAL lets readers work while one writer writes; foreign keys are off by default in
        // SQLite and the schema relies on them for cascades.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    // The request timeout ends the database's work too: a request stopped by it must not
    // leave its query running (and holding locks, and its connection) on the server. SQLite
    // lets a statement run on when its future is dropped, so each connection it hands to a
    // request gets the request's deadline.
    options.map_sqlx_sqlite_pool_opts(|opts| {
        opts.after_connect(|connection, _| Box::pin(bound_sqlite_statements(connection)))
            .before_acquire(|connection, _| {
                Box::pin(async move {
                    bound_sqlite_statements(connection).await?;
                    Ok(true)
                })
            })
    });
    let statement_timeout_ms = config.http.request_timeout().as_millis();
    options.map_sqlx_postgres_opts(move |opts| {
        opts.options([("statement_timeout", statement_timeout_ms.to_string())])
    });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(|info| {
        crate::db::statements::record();
        // With its values inlined, the statement runs as it is in psql or pgbench: the
        // benchmark takes the server's own SQL from here (RUST_LOG=api::sql=trace).
        tracing::trace!(target: "api::sql", statement = %info.statement);
    });
    Ok(db)
}

/// Interrupts the statements of `connection` once the deadline of the request acquiring it
/// has passed (`statements::deadline`); outside a request, statements run to the end.
async fn bound_sqlite_statements(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let deadline = crate::db::statements::deadline();
    let mut handle = connection.lock_handle().await?;
    match deadline {
        Some(deadline) => {
            handle.set_progress_handler(SQLITE_STEPS_PER_CHECK, move || Instant::now() < deadline)
        }
        None => handle.remove_progress_handler(),
    }
    Ok(())
}

/// Applies the migrations that have not run yet.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Ok(Migrator::up(db, None).await?)
}
