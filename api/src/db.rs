//! Opening the database: the connection pool, SQLite's settings, and migrations at start.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::{config::Config, error::Result};

pub mod health;

/// How long a SQLite writer waits for another's lock before giving up with "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    // leave its query running (and holding locks) on the server.
    let statement_timeout_ms = config.http.request_timeout().as_millis();
    options.map_sqlx_postgres_opts(move |opts| {
        opts.options([("statement_timeout", statement_timeout_ms.to_string())])
    });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(|info| {
        crate::statements::record();
        // With its values inlined, the statement runs as it is in psql or pgbench: the
        // benchmark takes the server's own SQL from here (RUST_LOG=api::sql=trace).
        tracing::trace!(target: "api::sql", statement = %info.statement);
    });
    Ok(db)
}

/// Applies the migrations that have not run yet.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Ok(Migrator::up(db, None).await?)
}
