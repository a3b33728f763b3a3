//! `berth run SERVICE -- CMD ARGS...`: the service's task once with another command (a
//! migration, a one-off job), its logs streamed; berth exits with the task's exit code.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_aws::ecs_service::EcsService;
use berth_aws::names;
use berth_aws::one_off;
use berth_engine::Kind;

use super::deploy::known_service;
use crate::args::Global;
use crate::session::{connect, load_manifest};

pub async fn run(
    global: &Global,
    service: &str,
    command: &[String],
    timeout: Duration,
) -> Result<ExitCode> {
    let started = Instant::now();
    let manifest = load_manifest(global)?;
    known_service(global, &manifest, service)?;
    let aws = connect(global, &manifest).await?;
    let stack = manifest.name.as_str();
    let current = EcsService(aws.clone())
        .discover(stack)
        .await?
        .into_iter()
        .find(|o| o.id == names::service(service))
        .with_context(|| format!("service {service} does not exist yet: run `berth up` first"))?;

    let target = one_off::Task::of(&current)?;
    let task = one_off::start(&aws, &target, command, "berth run").await?;
    eprintln!("Started {task}: {}", command.join(" "));
    let followed = one_off::follow(&aws, &target, &task, Duration::from_secs(2), |line| {
        println!("{line}")
    });
    let ended = match tokio::time::timeout(timeout, followed).await {
        Ok(ended) => ended?,
        Err(_) => bail!(
            "task {task} still running after {}s; it goes on: stop it with `aws ecs stop-task \
             --cluster {stack} --task {task}`, or follow it with `berth logs {service}`",
            timeout.as_secs()
        ),
    };
    let took = started.elapsed().as_secs_f64();
    match ended.exit_code {
        Some(0) => {
            eprintln!(
                "Task exited 0 in {took:.1}s, {} AWS API calls.",
                aws.stats.total()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(code) => {
            eprintln!("Task exited {code} in {took:.1}s ({}).", ended.reason);
            // berth's exit code is the task's (clamped to what a process can return).
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
        }
        None => bail!(
            "task {} stopped without running its command: {}",
            ended.task_arn,
            ended.reason
        ),
    }
}
