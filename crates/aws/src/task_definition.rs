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
    Compatibility, ContainerDefinition, KeyValuePair, LogConfiguration, LogDriver, NetworkMode,
    PortMapping, Secret, TaskDefinition as AwsTaskDefinition, TaskDefinitionFamilyStatus,
    TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
};
use berth_engine::{CloudError, FieldChange, Kind, Node, Observed, OpCtx, Resolved, Tags, Value};

use crate::Aws;
use crate::ecs_cluster::{ecs_tags, from_ecs, update_ecs_tags};
use crate::error::{AllPages, AwsResultExt, is_not_found};
use crate::tags::owned_id;

pub const KIND: &str = "task_definition";
/// hello's image runs as this user; berth runs every container as non-root.
const USER: &str = "10001:10001";

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
    pub launch: &'static str,
    pub execution_role: Value,
    pub task_role: Value,
    pub log_group: Value,
    pub region: String,
}

pub fn family(stack: &str, service: &str) -> String {
    format!("{stack}-{service}")
}

pub fn node(stack: &str, tags: &Tags, service: &str, spec: TaskSpec) -> Node {
    let fargate = spec.launch != "ec2";
    let mut env = spec.env.clone();
    env.insert("PORT".into(), spec.port.to_string());
    let mut node = Node::new(KIND, format!("task/{service}"), stack, tags)
        .prop("family", family(stack, service))
        .prop("container", service)
        .prop("network_mode", if fargate { "awsvpc" } else { "bridge" })
        .prop("compatibility", if fargate { "FARGATE" } else { "EC2" })
        .prop(
            "task_cpu",
            if fargate {
                spec.cpu.to_string()
            } else {
                String::new()
            },
        )
        .prop(
            "task_memory",
            if fargate {
                spec.memory.to_string()
            } else {
                String::new()
            },
        )
        .prop("port", spec.port as u32)
        .prop("host_port", if fargate { spec.port as u32 } else { 0 })
        .prop("container_cpu", spec.cpu)
        .prop("container_memory", spec.memory)
        .prop("env", serde_json::to_string(&env).unwrap_or_default())
        .prop(
            "secrets",
            serde_json::to_string(&spec.secrets).unwrap_or_default(),
        )
        .prop("user", USER)
        .prop("readonly_root", true)
        .prop("log_group", spec.log_group)
        .prop("region", spec.region.as_str())
        .prop("execution_role", spec.execution_role)
        .prop("task_role", spec.task_role);
    if let Some(image) = spec.image {
        node = node.prop("image", image);
    }
    node
}

pub struct TaskDefinition(pub Aws);

fn observe(td: &AwsTaskDefinition, id: &str, tags: Tags) -> Option<Observed> {
    let c = td.container_definitions().first()?;
    let port = c.port_mappings().first();
    let env: BTreeMap<&str, &str> = c
        .environment()
        .iter()
        .filter_map(|kv| Some((kv.name()?, kv.value().unwrap_or_default())))
        .collect();
    let secrets: BTreeMap<&str, &str> = c
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    let log = c
        .log_configuration()
        .map(|l| l.options().cloned().unwrap_or_default())
        .unwrap_or_default();
    let arn = td.task_definition_arn()?;
    Some(
        Observed::new(KIND, id, arn)
            .prop("family", td.family().unwrap_or_default())
            .prop("container", c.name().unwrap_or_default())
            .prop(
                "network_mode",
                td.network_mode().map(|m| m.as_str()).unwrap_or_default(),
            )
            .prop(
                "compatibility",
                td.requires_compatibilities()
                    .first()
                    .map(|c| c.as_str())
                    .unwrap_or("EC2"),
            )
            .prop("task_cpu", td.cpu().unwrap_or_default())
            .prop("task_memory", td.memory().unwrap_or_default())
            .prop(
                "port",
                port.and_then(|p| p.container_port()).unwrap_or_default(),
            )
            .prop(
                "host_port",
                port.and_then(|p| p.host_port()).unwrap_or_default(),
            )
            .prop("container_cpu", c.cpu())
            .prop("container_memory", c.memory().unwrap_or_default())
            .prop("env", serde_json::to_string(&env).unwrap_or_default())
            .prop(
                "secrets",
                serde_json::to_string(&secrets).unwrap_or_default(),
            )
            .prop("user", c.user().unwrap_or_default())
            .prop(
                "readonly_root",
                c.readonly_root_filesystem().unwrap_or(false),
            )
            .prop(
                "log_group",
                log.get("awslogs-group")
                    .map(String::as_str)
                    .unwrap_or_default(),
            )
            .prop(
                "region",
                log.get("awslogs-region")
                    .map(String::as_str)
                    .unwrap_or_default(),
            )
            .prop(
                "execution_role",
                td.execution_role_arn().unwrap_or_default(),
            )
            .prop("task_role", td.task_role_arn().unwrap_or_default())
            .prop("image", c.image().unwrap_or_default())
            .output("arn", arn)
            .output("family", td.family().unwrap_or_default())
            .output("revision", td.revision())
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
        let image = node.opt("image").or(keep_image).ok_or_else(|| {
            let service = node.get("container");
            CloudError::fatal(format!(
                "service {service} has no image yet: set `image` in [service.{service}] or run `berth deploy {service} --image REF`"
            ))
        })?;
        let fargate = node.get("compatibility") == "FARGATE";
        let num = |k: &str| node.get(k).parse::<i32>().unwrap_or_default();
        let env: BTreeMap<String, String> =
            serde_json::from_str(node.get("env")).unwrap_or_default();
        // Older revisions (and `deploy` from them) may predate the property.
        let secrets: BTreeMap<String, String> = node
            .opt("secrets")
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let secrets = secrets
            .iter()
            .map(|(name, arn)| Secret::builder().name(name).value_from(arn).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let log = LogConfiguration::builder()
            .log_driver(LogDriver::Awslogs)
            .options("awslogs-group", node.get("log_group"))
            .options("awslogs-region", node.get("region"))
            .options("awslogs-stream-prefix", node.get("container"))
            .build()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let container = ContainerDefinition::builder()
            .name(node.get("container"))
            .image(image)
            .essential(true)
            .cpu(num("container_cpu"))
            .memory(num("container_memory"))
            .port_mappings(
                PortMapping::builder()
                    .container_port(num("port"))
                    .host_port(num("host_port"))
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            )
            .set_environment(Some(
                env.iter()
                    .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                    .collect(),
            ))
            .set_secrets(Some(secrets))
            .user(node.get("user"))
            .readonly_root_filesystem(node.get("readonly_root") == "true")
            .log_configuration(log)
            .build();
        let mut call = self
            .0
            .ecs
            .register_task_definition()
            .family(node.get("family"))
            .network_mode(NetworkMode::from(node.get("network_mode")))
            .requires_compatibilities(Compatibility::from(node.get("compatibility")))
            .execution_role_arn(node.get("execution_role"))
            .task_role_arn(node.get("task_role"))
            .container_definitions(container)
            .set_tags(Some(ecs_tags(&node.tags)));
        if fargate {
            call = call
                .cpu(node.get("task_cpu"))
                .memory(node.get("task_memory"));
        }
        let out = call.send().await.aws()?;
        let td = out
            .task_definition()
            .ok_or_else(|| CloudError::fatal("RegisterTaskDefinition returned nothing"))?;
        observe(td, node.id.as_str(), node.tags.clone())
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
    fn immutable(&self) -> &'static [&'static str] {
        &["family"]
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
        let mut found = Vec::new();
        for family in &families {
            let out = ecs
                .describe_task_definition()
                .task_definition(family)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .aws()?;
            let tags = from_ecs(out.tags());
            let Some(id) = owned_id(&tags, stack).map(str::to_string) else {
                continue;
            };
            if let Some(td) = out
                .task_definition()
                .filter(|td| td.status() == Some(&TaskDefinitionStatus::Active))
            {
                found.extend(observe(td, &id, tags));
            }
        }
        Ok(found)
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
        if changes.iter().all(|c| c.field.starts_with("tags.")) {
            update_ecs_tags(&self.0, &current.cloud_id, changes).await?;
            let mut o = Observed::applied(KIND, node, &current.cloud_id);
            o.outputs = current.outputs.clone();
            return Ok(o);
        }
        self.register(node, current.props.get("image").map(String::as_str))
            .await
    }

    /// Deregister every active revision of the family.
    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let ecs = &self.0.ecs;
        let family = current.props.get("family").cloned().unwrap_or_default();
        let arns = ecs
            .list_task_definitions()
            .family_prefix(&family)
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
