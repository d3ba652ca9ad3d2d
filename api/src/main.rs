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
        Some(Command::SeedDemo) => {
            api::telemetry::init();
            match api::seed_demo(&cli.config).await {
                Ok(login) => {
                    #[expect(clippy::print_stdout, reason = "the login is the command's output")]
                    {
                        println!(
                            "Demo data loaded. Log in as {:?} with password {:?}:\n  mutation {{ logIn(input: {{ login: \"{}\", password: \"{}\" }}) {{ token }} }}\nthen send the token as the header  Authorization: Bearer <token>",
                            login.username, login.password, login.username, login.password
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    tracing::error!(error = ?err, "seeding failed");
                    ExitCode::FAILURE
                }
            }
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
