//! The `api` binary: parse the command line, set up logging, run the chosen command.

use std::process::ExitCode;

use api::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::ExportSchema { output }) => {
            let sdl = api::graphql::sdl();
            match output {
                Some(path) => {
                    if let Err(err) = std::fs::write(&path, sdl) {
                        eprintln!("cannot write {}: {err}", path.display());
                        return ExitCode::FAILURE;
                    }
                }
                None => {
                    #[expect(
                        clippy::print_stdout,
                        reason = "printing the SDL is the command's job"
                    )]
                    {
                        print!("{sdl}");
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Some(Command::Serve) | None => {
            api::telemetry::init();
            match api::run(cli.config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    tracing::error!(error = ?err, "server stopped with an error");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
