//! The todo GraphQL server as a library: `main.rs` only parses the command line, so tests
//! start exactly what the binary starts.

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod execution;
pub mod http;
pub mod metrics;
pub mod rate_limit;
pub mod schema;
pub mod seed;
pub mod service;
pub mod state;
pub mod telemetry;

pub use config::{AdminCommand, Cli, Command, Config};
pub use error::{Error, Result};
pub use state::AppState;

/// Runs the server until SIGINT or SIGTERM, then lets requests finish (for at most the
/// shutdown timeout) and closes the pool.
pub async fn run(config: Config) -> Result<()> {
    if config.database_url == config::DEFAULT_DATABASE_URL {
        tracing::info!("DATABASE_URL not set: using the embedded SQLite file ./todo.db");
    }
    let state = AppState::new(&config).await?;
    let db = state.db.clone();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|err| Error::Internal(format!("cannot listen on {}: {err}", config.listen)))?;
    tracing::info!("listening on http://{} (GraphiQL at /)", config.listen);
    // Stops when dropped, after the public listener.
    let _metrics = http::metrics::start(&config.telemetry, &state).await?;
    let stopped = http::shutdown::serve(
        listener,
        state,
        http::shutdown_signal(),
        config.shutdown.timeout(),
    )
    .await?;
    // Abandoned requests still hold connections, and closing the pool would wait for them.
    if stopped == http::shutdown::Stopped::Drained {
        db.close().await?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// `api seed-demo`: migrates the database if needed, loads the sample, and returns the
/// demo login.
pub async fn seed_demo(config: &Config) -> Result<seed::demo::DemoLogin> {
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    let passwords = service::password::Passwords::new().await?;
    let login = seed::demo::seed(&db, &passwords, &config.auth).await?;
    db.close().await?;
    Ok(login)
}

/// `api seed-bench`: migrates the database if needed and loads the benchmark's data set.
pub async fn seed_bench(
    config: &Config,
    size: seed::bench::BenchSize,
) -> Result<seed::bench::BenchCounts> {
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    let passwords = service::password::Passwords::new().await?;
    let counts = seed::bench::seed(&db, &passwords, size).await;
    db.close().await?;
    counts
}

/// `api admin grant|revoke <username>`: migrates the database unless told not to, then
/// sets the user's role. An unknown username is [`Error::NotFound`].
pub async fn admin(config: &Config, command: &AdminCommand) -> Result<service::admin::RoleChange> {
    let (username, role) = match command {
        AdminCommand::Grant { username } => (username, entity::user::Role::Admin),
        AdminCommand::Revoke { username } => (username, entity::user::Role::User),
    };
    let db = db::connect(config).await?;
    if !config.no_migrate {
        db::migrate(&db).await?;
    }
    let change = service::admin::set_role(&db, username, role).await;
    db.close().await?;
    change
}
