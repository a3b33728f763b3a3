//! What every AWS-facing command does first: read and validate the manifest, connect, learn the
//! facts the graph needs (zones, AMI), draw the graph, and find what already exists.

use std::path::Path;

use anyhow::{Context, Result};
use berth_aws::graph::{self, Inputs};
use berth_aws::{Aws, ConnectOptions};
use berth_engine::{Inventory, Node, Registry, discover};
use berth_spec::Manifest;

use crate::args::Global;

/// The manifest is wrong: exit code 2, and nothing was sent to AWS.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// The manifest's file name (for messages) and text.
pub fn read_manifest(path: &Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "Run `berth init` to write one, or pass -f PATH"
        } else {
            "Check the path and its permissions"
        };
        InvalidInput(format!("cannot read {}: {e}. {hint}.", path.display()))
    })?;
    Ok((path.display().to_string(), text))
}

/// A manifest that failed validation, as miette's report: the file, every problem with its
/// position, and that nothing was sent to AWS.
pub fn invalid(err: berth_spec::SpecError) -> anyhow::Error {
    InvalidInput(format!("{:?}", miette::Report::new(err))).into()
}

/// Read and validate the manifest of the environment `--env` names. Every problem is
/// reported, with file, line and column.
pub fn load_manifest(global: &Global) -> Result<Manifest> {
    let (name, text) = read_manifest(&global.file)?;
    let declared = berth_spec::environments(&text);
    if global.env.is_none() && !declared.is_empty() {
        // Never guess which stack a command is for.
        return Err(InvalidInput(format!(
            "{name} declares environments ({}): choose one with --env NAME (or BERTH_ENV=NAME). \
             Each is its own stack, named <name>-<env>.",
            declared.join(", ")
        ))
        .into());
    }
    let manifest = berth_spec::parse_env(&name, &text, global.env.as_deref()).map_err(invalid)?;
    if let Some(env) = &manifest.environment {
        // On stderr, so which stack a command acts on is never in doubt, even with -o json.
        eprintln!("Environment `{env}`: stack `{}`", manifest.name);
    }
    Ok(manifest)
}

/// A connected, planned-for stack.
pub struct Session {
    pub manifest: Manifest,
    pub aws: Aws,
    pub nodes: Vec<Node>,
    pub registry: Registry,
}

impl Session {
    /// `refresh_ami`: plan the newest ECS-optimised AMI rather than the one running.
    pub async fn open(global: &Global, refresh_ami: bool) -> Result<Session> {
        let manifest = load_manifest(global)?;
        let aws = connect(global, &manifest).await?;
        let inputs = graph::inputs(&aws, &manifest, refresh_ami)
            .await
            .with_context(|| {
                format!(
                    "reading facts about {} for stack {}",
                    aws.region, manifest.name
                )
            })?;
        let nodes = graph::nodes(&manifest, &inputs);
        let registry = berth_aws::registry(&aws);
        Ok(Session {
            manifest,
            aws,
            nodes,
            registry,
        })
    }

    /// Everything tagged with this stack, one call per resource kind.
    pub async fn discover(&self, parallelism: usize) -> Result<Inventory> {
        Ok(discover(&self.registry, &self.manifest.name, parallelism).await?)
    }
}

/// Connect with flags over the manifest over the environment, and prove the credentials work.
pub async fn connect(global: &Global, manifest: &Manifest) -> Result<Aws> {
    let options = ConnectOptions {
        region: global.region.clone().or_else(|| manifest.region.clone()),
        profile: global.profile.clone(),
    };
    let mut aws = Aws::connect(&options).await?;
    if let Some(why) = berth_spec::unsupported_region(&aws.region) {
        return Err(InvalidInput(format!("region {}: {why}", aws.region)).into());
    }
    aws.account().await?;
    Ok(aws)
}

/// The graph without AWS: zones named from the region (or placeholders), no AMI lookup.
pub fn offline_nodes(manifest: &Manifest) -> Vec<Node> {
    let region = manifest.region.clone().unwrap_or_else(|| "region-1".into());
    let azs = match &manifest.network.azs {
        berth_spec::Azs::Names(names) => names.clone(),
        berth_spec::Azs::Count(n) => (0..*n)
            .map(|i| format!("{region}{}", (b'a' + i) as char))
            .collect(),
    };
    graph::nodes(
        manifest,
        &Inputs {
            public_zone: None,
            oidc_provider_elsewhere: false,
            region,
            account: "(account)".into(),
            azs,
            ami: Some("(ecs-optimised AMI)".into()),
        },
    )
}
