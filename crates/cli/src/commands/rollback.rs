//! `berth rollback SERVICE [--to REVISION]`: one service back to an earlier task definition
//! revision, shown and asked first, the rollout waited for like `deploy`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use berth_aws::ecs_service::EcsService;
use berth_aws::names;
use berth_aws::task_definition::{describe_revision, revision_arns, revision_of};
use berth_engine::{Kind, LogicalId, OpCtx, PropsExt};

use super::apply::confirm;
use super::deploy::known_service;
use crate::args::Global;
use crate::session::{connect, load_manifest};

pub async fn run(
    global: &Global,
    service: &str,
    to: Option<i32>,
    yes: bool,
    timeout: Duration,
) -> Result<ExitCode> {
    let started = Instant::now();
    let manifest = load_manifest(global)?;
    known_service(global, &manifest, service)?;
    let aws = connect(global, &manifest).await?;
    let stack = manifest.name.as_str();

    let services = EcsService(aws.clone());
    let running = services
        .discover(stack)
        .await?
        .into_iter()
        .find(|o| o.id == names::service(service))
        .with_context(|| format!("service {service} does not exist yet: run `berth up` first"))?;
    let current_arn = running.str("task_definition")?.to_string();
    let current =
        revision_of(&current_arn).context("the service's task definition has no revision")?;
    let all = revision_arns(&aws, stack, service).await?;
    let numbers: Vec<String> = all.iter().map(|(n, _)| n.to_string()).collect();
    let target = match to {
        Some(wanted) => all.iter().find(|(n, _)| *n == wanted).with_context(|| {
            format!(
                "{service} has no revision {wanted}; it has {} (newest first; see `berth status`)",
                numbers.join(", ")
            )
        })?,
        // Newest first: the first one older than what runs.
        None => all.iter().find(|(n, _)| *n < current).with_context(|| {
            format!("{service} runs revision {current}, and there is none before it to go back to")
        })?,
    };
    if target.0 == current {
        eprintln!("{service} already runs revision {current}: nothing to do.");
        return Ok(ExitCode::SUCCESS);
    }
    let (from, into) = (
        describe_revision(&aws, &current_arn).await?,
        describe_revision(&aws, &target.1).await?,
    );
    println!("~ service/{service}");
    println!(
        "    task definition  revision {} -> {}",
        from.number, into.number
    );
    println!("    image            {} -> {}", from.image, into.image);
    if !confirm(
        yes,
        &format!("Roll {service} back to revision {}?", into.number),
    )? {
        eprintln!("Cancelled. Nothing was changed.");
        return Ok(ExitCode::from(crate::EXIT_FAILURE));
    }
    let progress = Arc::new(|_: &LogicalId, message: String| eprintln!("  {message}"));
    let cx = OpCtx::new(names::service(service), timeout, progress);
    services.deploy(stack, service, &into.arn, &cx).await?;
    eprintln!(
        "Rolled {service} back to revision {} in {:.1}s, {} AWS API calls.",
        into.number,
        started.elapsed().as_secs_f64(),
        aws.stats.total()
    );
    if manifest.services[service].image.is_some() {
        eprintln!(
            "Note: the manifest names an image for {service}; `berth up` will deploy that one again. \
             Leave `image` out to keep this revision's."
        );
    }
    Ok(ExitCode::SUCCESS)
}
