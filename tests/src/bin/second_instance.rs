//! A second server process for the cross-instance and operations tests: the real server,
//! configured as an operator would run it, from the environment (DATABASE_URL,
//! LISTEN_ADDR, ...) and the same flags as `api serve`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = <api::Cli as clap::Parser>::parse().config;
    api::telemetry::init(config.telemetry.log_format);
    match api::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = ?err, "the second instance failed");
            ExitCode::FAILURE
        }
    }
}
