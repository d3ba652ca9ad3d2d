//! The `api` binary: parse the command line, set up logging, run the chosen command.

use std::process::ExitCode;

use api::{Cli, Command};
use clap::Parser;

/// See api/Cargo.toml: glibc's allocator was the largest item of the server's profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            api::telemetry::init(cli.config.telemetry.log_format);
            match api::seed_demo(&cli.config).await {
                Ok(login) => {
                    #[expect(clippy::print_stdout, reason = "the login is the command's output")]
                    {
                        println!(
                            "Demo data loaded. Log in as {:?} with password {:?}:\n  mutation {{ logIn(input: {{ login: \"{}\", password: \"{}\" }}) {{ token }} }}\nthen send the token as the header  Authorization: Bearer <token>",
                            login.username, login.password, login.username, login.password
                        );
                        println!(
                            "The admin {:?} (same password) sees every user's todos.",
                            login.admin_username
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
        Some(Command::SeedBench {
            users,
            todos_per_user,
            tags,
        }) => {
            api::telemetry::init(cli.config.telemetry.log_format);
            let size = api::bench_data::BenchSize {
                users,
                todos_per_user,
                tags,
            };
            match api::seed_bench(&cli.config, size).await {
                Ok(counts) => {
                    #[expect(clippy::print_stdout, reason = "the counts are the command's output")]
                    {
                        println!(
                            "Benchmark data loaded: {} users, {} todos, {} tags, {} todo-tag links. Every user's password is {:?}; {:?} is the admin.",
                            counts.users,
                            counts.todos,
                            counts.tags,
                            counts.links,
                            api::bench_data::BENCH_PASSWORD,
                            api::bench_data::BENCH_ADMIN
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
        Some(Command::Admin { action }) => {
            api::telemetry::init(cli.config.telemetry.log_format);
            admin(&cli.config, &action).await
        }
        Some(Command::Serve) | None => {
            api::telemetry::init(cli.config.telemetry.log_format);
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

/// `api admin grant|revoke <username>`: says what changed on stdout; an unknown user or a
/// failure is a message on stderr and exit status 1.
async fn admin(config: &api::Config, action: &api::AdminCommand) -> ExitCode {
    let (username, role) = match action {
        api::AdminCommand::Grant { username } => (username, "an admin"),
        api::AdminCommand::Revoke { username } => (username, "a plain user"),
    };
    match api::admin(config, action).await {
        Ok(change) => {
            let done = match change {
                api::service::admin::RoleChange::Changed => "is now",
                api::service::admin::RoleChange::Unchanged => "was already",
            };
            #[expect(clippy::print_stdout, reason = "the outcome is the command's output")]
            {
                println!("{username:?} {done} {role}.");
            }
            ExitCode::SUCCESS
        }
        Err(api::Error::NotFound(_)) => {
            eprintln!("There is no user named {username:?}; nothing changed.");
            ExitCode::FAILURE
        }
        Err(err) => {
            tracing::error!(error = ?err, "changing the role failed");
            ExitCode::FAILURE
        }
    }
}
