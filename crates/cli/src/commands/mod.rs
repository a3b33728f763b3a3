//! One module per subcommand.

mod apply;
mod deploy;
mod graph;
mod init;
mod logs;
mod prices;
mod rollback;
mod run;
mod status;
mod unlock;
mod validate;

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{Cli, Command};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Init { force } => init::run(global, force),
        Command::Validate => validate::run(global),
        Command::Prices { refresh } => prices::run(global, refresh).await,
        Command::Plan {
            detailed_exitcode,
            run,
        } => apply::plan(global, &run, detailed_exitcode).await,
        Command::Up { yes, run } => apply::up(global, &run, yes).await,
        Command::Down { yes, run } => apply::down(global, &run, yes).await,
        Command::Status { watch, run } => status::run(global, &run, watch).await,
        Command::Deploy {
            service,
            image,
            build,
            timeout,
        } => {
            let source = match (&image, &build) {
                (Some(image), _) => deploy::ImageSource::Reference(image),
                (None, build) => deploy::ImageSource::Build(build.clone().flatten()),
            };
            deploy::run(global, &service, source, timeout).await
        }
        Command::Run {
            service,
            timeout,
            command,
        } => run::run(global, &service, &command, timeout).await,
        Command::Rollback {
            service,
            to,
            yes,
            timeout,
        } => rollback::run(global, &service, to, yes, timeout).await,
        Command::Logs {
            service,
            since,
            follow,
            json,
            trace,
        } => logs::run(global, &service, since, follow, json, trace.as_deref()).await,
        Command::Unlock { force } => unlock::run(global, force).await,
        Command::Graph { format } => graph::run(global, format),
    }
}
