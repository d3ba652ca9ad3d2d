//! The `api` binary: parse the command line and run the chosen command (`api::cli`).

use std::process::ExitCode;

use clap::Parser;

/// See api/Cargo.toml: glibc's allocator was the largest item of the server's profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    api::cli::main(api::Cli::parse()).await
}
