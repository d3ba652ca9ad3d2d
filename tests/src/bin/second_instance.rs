//! A second server process for the cross-instance tests: the real server, configured from
//! the environment alone (DATABASE_URL, LISTEN_ADDR, ...), as an operator would run it.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    api::telemetry::init();
    match api::run(api::Config::defaults()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = ?err, "the second instance failed");
            ExitCode::FAILURE
        }
    }
}
