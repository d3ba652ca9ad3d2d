//! The `api` binary, built in this crate so that tests can run it as a process
//! (`CARGO_BIN_EXE_second_instance`): a second server for the cross-instance and
//! operations tests, configured as an operator would run it (DATABASE_URL, LISTEN_ADDR,
//! ... and the flags of `api serve`), and the other commands, e.g. `export-schema`.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    api::cli::main(api::Cli::parse()).await
}
