//! `cargo run -p migration -- up | down | status | fresh | refresh | reset`.
//!
//! Reads DATABASE_URL; without it, the embedded SQLite file `todo.db` that `api` uses by
//! default, so that both commands work on the same database out of the box.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectOptions, Database},
};

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| migration::DEFAULT_DATABASE_URL.to_owned());
    cli::run_cli_with_custom_connection(migration::Migrator, async move || {
        Database::connect(ConnectOptions::new(url)).await
    })
    .await;
}
