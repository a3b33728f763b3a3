//! `berth deploy SERVICE --image REF`: a new image for one service, and nothing else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_aws::ecs_service::EcsService;
use berth_aws::names;
use berth_aws::one_off;
use berth_aws::task_definition::TaskDefinition;
use berth_engine::{Json, Kind, LogicalId, OpCtx, PropsExt, Value};

use crate::args::Global;
use crate::session::{connect, load_manifest};

/// Where the deployed image comes from.
pub enum ImageSource<'a> {
    /// `--image REF`.
    Reference(&'a str),
    /// `--build [DIR]`: the folder, when given on the command line.
    Build(Option<PathBuf>),
}

pub async fn run(
    global: &Global,
    service: &str,
    source: ImageSource<'_>,
    timeout: Duration,
) -> Result<ExitCode> {
    let started = Instant::now();
    let manifest = load_manifest(global)?;
    known_service(global, &manifest, service)?;
    let aws = connect(global, &manifest).await?;
    let stack = manifest.name.as_str();
    let image = match source {
        ImageSource::Reference(image) => resolve_image(&aws, stack, image).await?,
        ImageSource::Build(dir) => {
            // The manifest's `build` is relative to the manifest, as every path in it is.
            let folder = dir.unwrap_or_else(|| {
                let manifest_dir = global.file.parent().unwrap_or(Path::new(""));
                let build = manifest.services[service].build.as_deref().unwrap_or(".");
                manifest_dir.join(build)
            });
            crate::docker::build_and_push(&aws, stack, &folder, platform(&manifest)).await?
        }
    };

    let find =
        |found: Vec<berth_engine::Observed>, id: LogicalId| found.into_iter().find(|o| o.id == id);
    let tasks = TaskDefinition(aws.clone());
    let current = find(
        tasks.discover(stack).await?,
        names::task_definition(service),
    )
    .with_context(|| {
        format!("service {service} has no task definition yet: run `berth up` first")
    })?;
    let services = EcsService(aws.clone());
    let running = find(services.discover(stack).await?, names::service(service))
        .with_context(|| format!("service {service} does not exist yet: run `berth up` first"))?;

    eprintln!(
        "Deploying {image} to {service} (was {})",
        current.opt_str("image")?.unwrap_or("?")
    );
    let revision = tasks.register_with_image(&current, &image).await?;
    let arn = revision.outputs.get("arn").cloned().unwrap_or_default();
    eprintln!("  registered {arn}");
    let progress = Arc::new(|_: &LogicalId, message: String| eprintln!("  {message}"));
    let cx = OpCtx::new(names::service(service), timeout, progress);
    let release = &manifest.services[service].release;
    if !release.is_empty() {
        let mut task = one_off::Task::of(&running)?;
        task.task_definition = arn.clone();
        let ended = one_off::release(&aws, &task, release, &cx).await?;
        if let Err(failed) = ended.succeeded(service, release) {
            eprintln!("Error: {}", failed.message);
            // berth's exit code is the release task's (1 when it never ran).
            let code = ended.exit_code.and_then(|c| u8::try_from(c).ok());
            return Ok(ExitCode::from(code.filter(|c| *c != 0).unwrap_or(1)));
        }
    }
    services.deploy(stack, service, &arn, &cx).await?;
    eprintln!(
        "Deployed {service} in {:.1}s, {} AWS API calls.",
        started.elapsed().as_secs_f64(),
        aws.stats.total()
    );
    println!("{arn}");
    Ok(ExitCode::SUCCESS)
}

/// What the tasks run on: Fargate tasks are x86 (berth sets no runtime platform), EC2 tasks
/// the instances' architecture. Built for it, an image from an ARM laptop runs there too.
fn platform(manifest: &berth_spec::Manifest) -> &'static str {
    let cluster = &manifest.cluster;
    match cluster.capacity {
        berth_spec::Capacity::Ec2 if berth_spec::is_arm64_instance_type(&cluster.instance_type) => {
            "linux/arm64"
        }
        _ => "linux/amd64",
    }
}

/// `service` is one of the manifest's, or an error listing them.
pub(super) fn known_service(
    global: &Global,
    manifest: &berth_spec::Manifest,
    service: &str,
) -> Result<()> {
    if !manifest.services.contains_key(service) {
        let known: Vec<&str> = manifest.services.keys().map(String::as_str).collect();
        bail!(
            "no service `{service}` in {}; it has: {}",
            global.file.display(),
            known.join(", ")
        );
    }
    Ok(())
}

/// A bare `name:tag` lives in the stack's own repository.
async fn resolve_image(aws: &berth_aws::Aws, stack: &str, image: &str) -> Result<String> {
    match berth_aws::graph::image_ref(image) {
        Value::Lit(Json::String(full)) => Ok(full),
        _ => {
            let url = crate::docker::repository_uri(aws, stack).await?;
            let tag = image
                .split_once(['@', ':'])
                .map(|(_, t)| t)
                .unwrap_or("latest");
            let sep = if image.contains('@') { "@" } else { ":" };
            Ok(format!("{url}{sep}{tag}"))
        }
    }
}
