//! The `api` command line: its subcommands, and the server settings every one of them takes.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::Config;

/// The `api` command line.
#[derive(Debug, Parser)]
#[command(name = "api", version, about = "GraphQL server for todo applications")]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings (also accepted before the subcommand).
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands of `api`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (the default).
    Serve,
    /// Load a sample (two users, a few hundred todos with tags, due dates and history) and
    /// print the demo user's login. Replaces an earlier sample.
    SeedDemo,
    /// Load the benchmark's data set (`tests/bench/`) into an empty database: N users with
    /// their todos, tags shared by all, and the admin `bench_admin`. The same data on every
    /// run for the same sizes.
    SeedBench {
        /// Users to create (besides the admin).
        #[arg(long, default_value_t = 2_000)]
        users: u32,
        /// Todos per user.
        #[arg(long, default_value_t = 25)]
        todos_per_user: u32,
        /// Tags shared by all todos.
        #[arg(long, default_value_t = 100)]
        tags: u32,
    },
    /// Print the GraphQL schema (SDL) to stdout; `schema.graphql` at the repository root is
    /// its output. Needs no database.
    ExportSchema {
        /// Write to this file instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Manage the admin role: `api admin grant <username>`, `api admin revoke <username>`.
    Admin {
        /// What to change.
        #[command(subcommand)]
        action: AdminCommand,
    },
}

/// The subcommands of `api admin`. Both are idempotent; an unknown username is an error
/// (exit status 1).
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Make the user an admin: they see everyone's todos and manage tags.
    Grant {
        /// The user's username.
        username: String,
    },
    /// Make the admin a plain user again.
    Revoke {
        /// The user's username.
        username: String,
    },
}
