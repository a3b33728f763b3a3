//! `berth`: deploy a containerised web service to AWS ECS from one small manifest.
//! Results go to stdout, progress and diagnostics to stderr.

mod args;
mod commands;
mod docker;
mod price_cache;
mod progress;
mod render;
mod session;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

/// Exit codes: 0 success, 1 failure, 2 invalid input (or pending changes with
/// --detailed-exitcode), 3 `up` did everything it could and waits on the user (DNS records
/// to create at their provider; run it again once they are).
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_INVALID: u8 = 2;
pub const EXIT_AWAITING_USER: u8 = 3;

#[tokio::main]
async fn main() -> ExitCode {
    // `berth status | head`: end quietly when the reader goes away, as Unix tools do, rather
    // than panic on the next write (Rust ignores SIGPIPE by default).
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition, before any thread writes.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::from_env("BERTH_LOG")
                // It complains about every response the fault injector makes up.
                .add_directive(
                    "aws_smithy_runtime::client::http::connection_poisoning=off"
                        .parse()
                        .expect("a valid directive"),
                ),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    match commands::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            let code = match err.downcast_ref::<session::InvalidInput>() {
                Some(_) => EXIT_INVALID,
                None => EXIT_FAILURE,
            };
            eprintln!("{}", progress::error_line(&format!("{err:#}")));
            ExitCode::from(code)
        }
    }
}
