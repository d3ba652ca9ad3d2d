//! The commands of the `api` binary (serve, export-schema, seed-demo, seed-bench, admin):
//! here in the library, so that the tests crate's copy of the binary runs the same code.

use std::process::ExitCode;

use crate::{Cli, Command};

/// Runs the command `cli` names (`serve` when none).
pub async fn main(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::ExportSchema { output }) => {
            let sdl = crate::schema::sdl();
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
            crate::telemetry::init(cli.config.telemetry.log_format);
            match crate::seed_demo(&cli.config).await {
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
            crate::telemetry::init(cli.config.telemetry.log_format);
            let size = crate::seed::bench::BenchSize {
                users,
                todos_per_user,
                tags,
            };
            match crate::seed_bench(&cli.config, size).await {
                Ok(counts) => {
                    #[expect(clippy::print_stdout, reason = "the counts are the command's output")]
                    {
                        println!(
                            "Benchmark data loaded: {} users, {} todos, {} tags, {} todo-tag links. Every user's password is {:?}; {:?} is the admin.",
                            counts.users,
                            counts.todos,
                            counts.tags,
                            counts.links,
                            crate::seed::bench::BENCH_PASSWORD,
                            crate::seed::bench::BENCH_ADMIN
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
            crate::telemetry::init(cli.config.telemetry.log_format);
            admin(&cli.config, &action).await
        }
        Some(Command::Serve) | None => {
            let traces = match crate::telemetry::init_with_traces(&cli.config.telemetry) {
                Ok(traces) => traces,
                Err(err) => {
                    eprintln!("cannot start: {err:?}");
                    return ExitCode::FAILURE;
                }
            };
            let ran = crate::run(cli.config).await;
            // After the last request, so that its spans are in the last batch.
            traces.shutdown().await;
            match ran {
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
async fn admin(config: &crate::Config, action: &crate::AdminCommand) -> ExitCode {
    let (username, role) = match action {
        crate::AdminCommand::Grant { username } => (username, "an admin"),
        crate::AdminCommand::Revoke { username } => (username, "a plain user"),
    };
    match crate::admin(config, action).await {
        Ok(change) => {
            let done = match change {
                crate::service::admin::RoleChange::Changed => "is now",
                crate::service::admin::RoleChange::Unchanged => "was already",
            };
            #[expect(clippy::print_stdout, reason = "the outcome is the command's output")]
            {
                println!("{username:?} {done} {role}.");
            }
            ExitCode::SUCCESS
        }
        Err(crate::Error::NotFound(_)) => {
            eprintln!("There is no user named {username:?}; nothing changed.");
            ExitCode::FAILURE
        }
        Err(err) => {
            tracing::error!(error = ?err, "changing the role failed");
            ExitCode::FAILURE
        }
    }
}
