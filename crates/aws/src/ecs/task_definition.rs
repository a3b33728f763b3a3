//! Task definitions: one family per service, a new revision for every change (revisions are
//! immutable). Containers run as a non-root user on a read-only root filesystem and log to the
//! stack's log group. On EC2, bridge networking with host port 0 lets many tasks share an
//! instance; Fargate uses awsvpc.
//!
//! The image is owned by `berth deploy`: when the manifest names none, the node carries no
//! image and an update keeps the one the service runs, so `up` never reverts a CI deploy.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, KeyValuePair, LogConfiguration, LogDriver, MountPoint,
    NetworkMode, PortMapping, Secret, TaskDefinition as AwsTaskDefinition,
    TaskDefinitionFamilyStatus, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
    Volume,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Aws;
use crate::ecs_cluster::{ecs_tags, from_ecs};
use crate::error::{AllPages, AwsResultExt, is_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{owned_id, read_each};

pub const KIND: &str = "task_definition";
/// The prefix of the scratch volumes' names.
const SCRATCH: &str = "scratch";

/// The volume behind a scratch path: `/var/cache/app` -> `scratch-var-cache-app`. A volume
/// with no host path is a fresh empty directory for each task, on EC2 (a Docker volume) and
/// on Fargate (in the task's ephemeral storage) alike (ECS developer guide, "Bind mounts").
fn scratch_volume(path: &str) -> String {
    let tail: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{SCRATCH}{tail}")
}
/// hello's image runs as this user; berth runs every container as non-root.
const USER: &str = "10001:10001";

/// The tracing sidecar: the AWS Distro for OpenTelemetry collector, pinned (a tag that moves
/// would change every task without a plan saying so).
pub const COLLECTOR: &str = "otel-collector";
const COLLECTOR_IMAGE: &str = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0";
/// Memory the collector reserves (MiB); a Fargate task's container gets that much less.
pub const COLLECTOR_MEMORY: u32 = 64;
/// Its whole configuration, traces only: OTLP in (gRPC 4317, HTTP 4318), X-Ray out. No
/// metrics or logs pipelines, so the task role needs X-Ray's write calls and nothing else.
const COLLECTOR_CONFIG: &str = "receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
        endpoint: 0.0.0.0:4318
processors:
  batch: {}
exporters:
  awsxray: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [awsxray]
";

/// Where a traced service's container finds the collector: the same network namespace on
/// awsvpc (Fargate); a link on EC2's bridge network. OTLP over HTTP, port 4318, which is what
/// the OpenTelemetry spec makes SDKs default to (`http/protobuf`); the endpoint goes with
/// OTEL_EXPORTER_OTLP_PROTOCOL so an SDK that defaults to gRPC uses HTTP too. An address,
/// not `localhost`: a static binary in a scratch image has no resolver to ask.
pub fn collector_endpoint(launch: &str) -> String {
    let host = if launch == "ec2" {
        COLLECTOR
    } else {
        "127.0.0.1"
    };
    format!("http://{host}:4318")
}

/// What a service's task needs, with references to the stack's roles and log group.
pub struct TaskSpec {
    pub image: Option<Value>,
    pub port: u16,
    pub cpu: u32,
    pub memory: u32,
    pub env: BTreeMap<String, String>,
    /// Variable name -> ARN of an SSM parameter or Secrets Manager secret.
    pub secrets: BTreeMap<String, String>,
    pub health_path: String,
    /// Writable directories on the read-only root filesystem.
    pub scratch: Vec<String>,
    pub launch: &'static str,
    /// With the tracing sidecar ([`COLLECTOR`]).
    pub tracing: bool,
    pub execution_role: Value,
    pub task_role: Value,
    pub log_group: Value,
    pub region: String,
}

pub fn family(stack: &str, service: &str) -> String {
    format!("{stack}-{service}")
}

/// One registered revision of a service's task definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub number: i32,
    pub arn: String,
    pub image: String,
    /// When it was registered (seconds since the epoch): when a deploy or `up` made it.
    pub registered_at: Option<i64>,
}

/// The service's ACTIVE revisions, newest first, as (number, ARN): one ListTaskDefinitions
/// call (a page holds 100). berth keeps every revision ACTIVE until `down`, so any of them
/// can be rolled back to.
pub async fn revision_arns(
    aws: &Aws,
    stack: &str,
    service: &str,
) -> Result<Vec<(i32, String)>, CloudError> {
    let listed = aws
        .ecs
        .list_task_definitions()
        .family_prefix(family(stack, service))
        .status(TaskDefinitionStatus::Active)
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .send()
        .await
        .aws()?;
    let mut found: Vec<(i32, String)> = listed
        .task_definition_arns()
        .iter()
        .filter_map(|arn| Some((revision_of(arn)?, arn.clone())))
        .collect();
    // Sorted here too: the emulator ignores `sort`.
    found.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    Ok(found)
}

/// `...:task-definition/family:7` -> 7.
pub fn revision_of(arn: &str) -> Option<i32> {
    arn.rsplit(':').next()?.parse().ok()
}

/// One revision's image and registration time.
pub async fn describe_revision(aws: &Aws, arn: &str) -> Result<Revision, CloudError> {
    let out = aws
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .aws()?;
    let td = out
        .task_definition()
        .ok_or_else(|| CloudError::fatal(format!("task definition {arn} not found")))?;
    Ok(Revision {
        number: td.revision(),
        arn: arn.to_string(),
        image: td
            .container_definitions()
            .first()
            .and_then(|c| c.image())
            .unwrap_or_default()
            .to_string(),
        registered_at: td.registered_at().map(|t| t.secs()),
    })
}

/// The newest `limit` revisions, described.
pub async fn revisions(
    aws: &Aws,
    stack: &str,
    service: &str,
    limit: usize,
) -> Result<Vec<Revision>, CloudError> {
    let mut found = Vec::new();
    for (_, arn) in revision_arns(aws, stack, service).await?.iter().take(limit) {
        found.push(describe_revision(aws, arn).await?);
    }
    Ok(found)
}

pub fn node(stack: &str, tags: &Tags, service: &str, spec: TaskSpec) -> Node {
    let fargate = spec.launch != "ec2";
    let mut env = spec.env.clone();
    env.insert("PORT".into(), spec.port.to_string());
    let mut node = Node::new(KIND, names::task_definition(service), stack, tags)
        .immutable("family", family(stack, service))
        .prop("container", service)
        .prop("network_mode", if fargate { "awsvpc" } else { "bridge" })
        .prop("compatibility", if fargate { "FARGATE" } else { "EC2" })
        // Task-level sizes are Fargate's; on EC2 the container's sizes are enough.
        .prop("task_cpu", Value::Lit(json!(fargate.then_some(spec.cpu))))
        .prop(
            "task_memory",
            Value::Lit(json!(fargate.then_some(spec.memory))),
        )
        .prop("port", spec.port)
        .prop("host_port", if fargate { spec.port } else { 0 })
        .prop("container_cpu", spec.cpu)
        // The collector's reservation comes out of a Fargate task's fixed size.
        .prop(
            "container_memory",
            if spec.tracing && fargate {
                spec.memory - COLLECTOR_MEMORY
            } else {
                spec.memory
            },
        )
        .prop("env", Value::Lit(json!(env)))
        .prop("secrets", Value::Lit(json!(spec.secrets)))
        .prop("user", USER)
        .prop("readonly_root", true)
        .prop(
            "scratch",
            Value::Set(
                spec.scratch
                    .iter()
                    .map(|p| Value::from(p.as_str()))
                    .collect(),
            ),
        )
        .prop("log_group", spec.log_group)
        .prop("region", spec.region.as_str())
        .prop("tracing", spec.tracing)
        .prop("execution_role", spec.execution_role)
        .prop("task_role", spec.task_role);
    if let Some(image) = spec.image {
        node = node.prop("image", image);
    }
    node
}

/// A task definition's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    family: String,
    container: String,
    network_mode: String,
    compatibility: String,
    task_cpu: Option<u32>,
    task_memory: Option<u32>,
    port: i32,
    host_port: i32,
    container_cpu: i32,
    container_memory: i32,
    env: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
    user: String,
    readonly_root: bool,
    /// Container paths, each its own task-scoped volume (see [`scratch_volume`]).
    scratch: Vec<String>,
    log_group: String,
    region: String,
    execution_role: String,
    task_role: String,
    /// Absent from a node when the manifest names no image: `berth deploy` owns it.
    #[serde(default)]
    image: String,
    /// With the tracing sidecar.
    tracing: bool,
}

/// A container's logs, to the stack's group: streams `<prefix>/<container>/<task id>`.
fn awslogs(props: &Props, prefix: &str) -> Result<LogConfiguration, CloudError> {
    LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &props.log_group)
        .options("awslogs-region", &props.region)
        .options("awslogs-stream-prefix", prefix)
        .build()
        .map_err(|e| CloudError::fatal(e.to_string()))
}

/// The tracing sidecar's container: not essential (the service runs on without it), non-root
/// on a read-only root filesystem like the service's own, logging beside it under `otel/`.
fn collector(props: &Props) -> Result<ContainerDefinition, CloudError> {
    let log = awslogs(props, "otel")?;
    Ok(ContainerDefinition::builder()
        .name(COLLECTOR)
        .image(COLLECTOR_IMAGE)
        .essential(false)
        .memory_reservation(COLLECTOR_MEMORY as i32)
        .environment(
            KeyValuePair::builder()
                .name("AOT_CONFIG_CONTENT")
                .value(COLLECTOR_CONFIG)
                .build(),
        )
        .user(USER)
        .readonly_root_filesystem(true)
        .log_configuration(log)
        .build())
}

pub struct TaskDefinition(pub Aws);

fn observe(td: &AwsTaskDefinition, owner: Owner, tags: Tags) -> Option<Observed> {
    let containers = td.container_definitions();
    let c = containers.iter().find(|c| c.name() != Some(COLLECTOR))?;
    let port = c.port_mappings().first();
    let env: BTreeMap<String, String> = c
        .environment()
        .iter()
        .filter_map(|kv| {
            Some((
                kv.name()?.to_string(),
                kv.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let secrets: BTreeMap<String, String> = c
        .secrets()
        .iter()
        .map(|s| (s.name().to_string(), s.value_from().to_string()))
        .collect();
    let log = c
        .log_configuration()
        .map(|l| l.options().cloned().unwrap_or_default())
        .unwrap_or_default();
    let arn = td.task_definition_arn()?;
    let props = Props {
        family: td.family().unwrap_or_default().to_string(),
        container: c.name().unwrap_or_default().to_string(),
        network_mode: td
            .network_mode()
            .map(|m| m.as_str())
            .unwrap_or_default()
            .to_string(),
        compatibility: td
            .requires_compatibilities()
            .first()
            .map(|c| c.as_str())
            .unwrap_or("EC2")
            .to_string(),
        // Strings in the API ("256"); numbers here, as in the node.
        task_cpu: td.cpu().and_then(|c| c.parse::<u32>().ok()),
        task_memory: td.memory().and_then(|m| m.parse::<u32>().ok()),
        port: port.and_then(|p| p.container_port()).unwrap_or_default(),
        host_port: port.and_then(|p| p.host_port()).unwrap_or_default(),
        container_cpu: c.cpu(),
        container_memory: c.memory().unwrap_or_default(),
        env,
        secrets,
        user: c.user().unwrap_or_default().to_string(),
        readonly_root: c.readonly_root_filesystem().unwrap_or(false),
        scratch: {
            let mut paths: Vec<String> = c
                .mount_points()
                .iter()
                .filter(|m| m.source_volume().is_some_and(|v| v.starts_with(SCRATCH)))
                .filter_map(|m| m.container_path().map(str::to_string))
                .collect();
            paths.sort();
            paths
        },
        log_group: log.get("awslogs-group").cloned().unwrap_or_default(),
        region: log.get("awslogs-region").cloned().unwrap_or_default(),
        execution_role: td.execution_role_arn().unwrap_or_default().to_string(),
        task_role: td.task_role_arn().unwrap_or_default().to_string(),
        image: c.image().unwrap_or_default().to_string(),
        tracing: containers.iter().any(|c| c.name() == Some(COLLECTOR)),
    };
    Some(
        Observed::new(KIND, owner, arn)
            .output(out::ARN, arn)
            .output(out::FAMILY, td.family().unwrap_or_default())
            .output(out::REVISION, td.revision())
            .with_props(&props)
            .with_tags(tags),
    )
}

impl TaskDefinition {
    /// Register a revision from the node's properties; the image defaults to `keep_image`.
    async fn register(
        &self,
        node: &Resolved,
        keep_image: Option<&str>,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let service = &props.container;
        let image = Some(props.image.as_str())
            .filter(|i| !i.is_empty())
            .or(keep_image)
            .ok_or_else(|| {
            CloudError::fatal(format!(
                "service {service} has no image yet: set `image` in [service.{service}] or run `berth deploy {service} --image REF`"
            ))
        })?;
        let secrets = props
            .secrets
            .iter()
            .map(|(name, arn)| Secret::builder().name(name).value_from(arn).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let log = awslogs(&props, &props.container)?;
        let container = ContainerDefinition::builder()
            .name(&props.container)
            .image(image)
            .essential(true)
            .cpu(props.container_cpu)
            .memory(props.container_memory)
            .port_mappings(
                PortMapping::builder()
                    .container_port(props.port)
                    .host_port(props.host_port)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            )
            .set_environment(Some(
                props
                    .env
                    .iter()
                    .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                    .collect(),
            ))
            .set_secrets(Some(secrets))
            .user(&props.user)
            .readonly_root_filesystem(props.readonly_root)
            .set_mount_points(Some(
                props
                    .scratch
                    .iter()
                    .map(|path| {
                        MountPoint::builder()
                            .source_volume(scratch_volume(path))
                            .container_path(path)
                            .read_only(false)
                            .build()
                    })
                    .collect(),
            ))
            .log_configuration(log)
            .set_links(
                (props.tracing && props.network_mode == "bridge")
                    .then(|| vec![COLLECTOR.to_string()]),
            )
            .build();
        let mut containers = vec![container];
        if props.tracing {
            containers.push(collector(&props)?);
        }
        let mut call = self
            .0
            .ecs
            .register_task_definition()
            .family(&props.family)
            .network_mode(NetworkMode::from(props.network_mode.as_str()))
            .requires_compatibilities(Compatibility::from(props.compatibility.as_str()))
            .execution_role_arn(&props.execution_role)
            .task_role_arn(&props.task_role)
            .set_container_definitions(Some(containers))
            .set_volumes(Some(
                props
                    .scratch
                    .iter()
                    .map(|path| Volume::builder().name(scratch_volume(path)).build())
                    .collect(),
            ))
            .set_tags(Some(ecs_tags(&node.tags)));
        call = call
            .set_cpu(props.task_cpu.map(|c| c.to_string()))
            .set_memory(props.task_memory.map(|m| m.to_string()));
        let out = call.send().await.aws()?;
        let td = out
            .task_definition()
            .ok_or_else(|| CloudError::fatal("RegisterTaskDefinition returned nothing"))?;
        observe(td, Owner::from(&node.id), node.tags.clone())
            .ok_or_else(|| CloudError::fatal("registered task definition has no container"))
    }

    /// A revision identical to `current` but for the image: `berth deploy`.
    pub async fn register_with_image(
        &self,
        current: &Observed,
        image: &str,
    ) -> Result<Observed, CloudError> {
        let mut props = current.props.clone();
        props.insert("image".into(), image.into());
        let node = Resolved {
            id: current.id.clone(),
            props,
            create_only: vec![],
            tags: current.tags.clone(),
        };
        self.register(&node, None).await
    }
}

#[async_trait]
impl Kind for TaskDefinition {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["iam_role", "log_group", "ecr_repository"]
    }
    fn volatile_outputs(&self) -> &'static [&'static str] {
        &["arn", "revision"]
    }

    /// The families named `<stack>-*`, and the latest active revision of each with its tags.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let ecs = &self.0.ecs;
        let families = ecs
            .list_task_definition_families()
            .family_prefix(format!("{stack}-"))
            .status(TaskDefinitionFamilyStatus::Active)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        read_each(families, |family| async move {
            let out = ecs
                .describe_task_definition()
                .task_definition(family)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .aws()?;
            let tags = from_ecs(out.tags());
            let Some(id) = owned_id(&tags, stack) else {
                return Ok(None);
            };
            Ok(out
                .task_definition()
                .filter(|td| td.status() == Some(&TaskDefinitionStatus::Active))
                .and_then(|td| observe(td, id, tags)))
        })
        .await
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        self.register(node, None).await
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        if changes.iter().all(FieldChange::is_tag) {
            self.0.ecs.apply_tags(&current.cloud_id, changes).await?;
            let mut o = Observed::applied(KIND, node, &current.cloud_id);
            o.outputs = current.outputs.clone();
            return Ok(o);
        }
        let current_props: Props = current.typed()?;
        let image = Some(current_props.image.as_str()).filter(|i| !i.is_empty());
        self.register(node, image).await
    }

    /// Deregister every active revision of the family.
    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let ecs = &self.0.ecs;
        let props: Props = current.typed()?;
        let arns = ecs
            .list_task_definitions()
            .family_prefix(props.family)
            .status(TaskDefinitionStatus::Active)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        for arn in &arns {
            match ecs
                .deregister_task_definition()
                .task_definition(arn)
                .send()
                .await
                .aws()
            {
                Err(e) if !is_not_found(&e) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}
