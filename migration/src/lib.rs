//! Schema migrations of the todo server, in order. A migration is never edited once it has
//! been released: change the schema with a new one, and give every one a working `down()`.

pub use sea_orm_migration::prelude::*;

/// The database of a fresh checkout: the embedded SQLite file `todo.db` in the working
/// directory (`mode=rwc` creates it). Defined here, where both the server and this crate's
/// CLI can use it, so that both open the same database out of the box.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://todo.db?mode=rwc";

mod m20261125_000001_create_tables;
mod m20261125_000002_index_live_todos;
mod m20261125_000003_unique_tag_names_ignoring_case;
mod m20261125_000004_create_login_failures;
mod m20261201_000005_index_todo_orders;
mod m20261206_000006_create_todo_handovers;
mod m20261207_000007_add_session_addresses;
mod m20261207_000008_index_tag_todos_by_age;

/// The ordered list of migrations; `api` runs the pending ones at start.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_tables::Migration),
            Box::new(m20261125_000002_index_live_todos::Migration),
            Box::new(m20261125_000003_unique_tag_names_ignoring_case::Migration),
            Box::new(m20261125_000004_create_login_failures::Migration),
            Box::new(m20261201_000005_index_todo_orders::Migration),
            Box::new(m20261206_000006_create_todo_handovers::Migration),
            Box::new(m20261207_000007_add_session_addresses::Migration),
            Box::new(m20261207_000008_index_tag_todos_by_age::Migration),
        ]
    }
}
