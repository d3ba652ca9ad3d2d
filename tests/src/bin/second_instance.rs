//! The `api` binary, built in this crate so that tests can run it as a process
//! (`CARGO_BIN_EXE_second_instance`): a second server for the cross-instance and
//! operations tests, configured as an operator would run it (DATABASE_URL, LISTEN_ADDR,
//! ... and the flags of `api serve`), and the other commands, e.g. `export-schema`; and the
//! server that the hostile and memory tests send their requests to.

use std::process::ExitCode;

use clap::Parser;

/// As in the `api` binary (api/src/main.rs), so that memory measured here is the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    api::cli::main(api::Cli::parse()).await
}
