//! ECS services. Deployments roll with a circuit breaker that rolls back (min healthy 100%,
//! max 200%); berth waits for the rollout to finish under its own deadline and, when it fails,
//! says why: the service's latest events and the stopped tasks' reasons, the cause users
//! otherwise dig out of the console.

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentRolloutState, DesiredStatus,
    LaunchType, LoadBalancer, NetworkConfiguration, PlacementStrategy, PlacementStrategyType,
    PropagateTags, Service as AwsService, ServiceField, ServiceRegistry,
};
use berth_engine::{
    CloudError, Field, FieldChange, Json, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved,
    Tags, Value,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Aws;
use crate::ecs_cluster::{ecs_tags, from_ecs};
use crate::error::{AllPages, AwsResultExt};
use crate::names::{self, out};
use crate::one_off;
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "ecs_service";

pub struct ServiceSpec {
    pub cluster: Value,
    pub task_definition: Value,
    pub count: u32,
    /// `ec2`, `fargate` or `fargate-spot`.
    pub launch: &'static str,
    pub capacity_provider: Option<Value>,
    pub target_group: Option<Value>,
    pub container_port: u16,
    /// Private subnets, for awsvpc (Fargate) only.
    pub subnets: Vec<Value>,
    pub security_group: Value,
    pub registry: Option<Value>,
    /// Autoscaling owns the task count after creation.
    pub autoscaled: bool,
    /// Run once as a one-off task of each new task definition before it rolls out.
    pub release: Vec<String>,
    /// The names of the alarms that roll a deployment back when they fire.
    pub alarms: Vec<Value>,
}

pub fn node(stack: &str, tags: &Tags, service: &str, spec: ServiceSpec) -> Node {
    let awsvpc = spec.launch != "ec2";
    // AWS keeps the container port only where something uses it: the load balancer, or the
    // SRV records of bridge-mode tasks. Anywhere else it reads back as nothing, so it must
    // not be desired either, or a private service would be replaced on every run.
    let port_used = spec.target_group.is_some() || (!awsvpc && spec.registry.is_some());
    let container_port = if port_used { spec.container_port } else { 0 };
    let mut node = Node::new(KIND, names::service(service), stack, tags)
        .immutable("name", service)
        .immutable("cluster", spec.cluster)
        .prop("task_definition", spec.task_definition)
        .immutable("launch", spec.launch)
        .immutable(
            "capacity_provider",
            spec.capacity_provider.unwrap_or_else(|| Value::from("")),
        )
        .immutable(
            "target_group",
            spec.target_group.unwrap_or_else(|| Value::from("")),
        )
        .immutable("container_port", container_port)
        .prop(
            "subnets",
            Value::Set(if awsvpc { spec.subnets } else { vec![] }),
        )
        .prop(
            "security_group",
            if awsvpc {
                spec.security_group
            } else {
                Value::from("")
            },
        )
        .immutable("registry", spec.registry.unwrap_or_else(|| Value::from("")))
        .prop("circuit_breaker", "rollback")
        .prop("deployment", Value::Lit(deployment_percents(100, 200)))
        .prop("alarms", Value::Set(spec.alarms))
        // A rollout that failed or ran out of time is not converged, whatever the rest says.
        .prop("rollout", ROLLOUT_COMPLETED);
    // What runs before a rollout, not something AWS keeps: never compared.
    if !spec.release.is_empty() {
        node = node.create_only("release", Value::Lit(json!(spec.release)));
    }
    // With autoscaling the count is only the starting point: the scaler owns it afterwards.
    if spec.autoscaled {
        node = node.create_only("desired_count", spec.count);
    } else {
        node = node.prop("desired_count", spec.count);
    }
    node
}

/// The `deployment` property: the rollout's bounds, in percent of the desired count.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deployment {
    minimum_healthy_percent: i32,
    maximum_percent: i32,
}

/// The rollout's bounds as the `deployment` property holds them.
fn deployment_percents(min_healthy: i32, max: i32) -> Json {
    json!(Deployment {
        minimum_healthy_percent: min_healthy,
        maximum_percent: max,
    })
}

/// A service's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    cluster: String,
    task_definition: String,
    launch: String,
    /// "" when there is none.
    capacity_provider: String,
    /// "" when there is none.
    target_group: String,
    container_port: i32,
    subnets: Vec<String>,
    security_group: String,
    /// "" when there is none.
    registry: String,
    circuit_breaker: String,
    deployment: Deployment,
    /// Deployment alarms: any of them firing rolls the deployment back.
    alarms: Vec<String>,
    rollout: String,
    /// Create-only when autoscaled: the scaler owns it afterwards.
    desired_count: i32,
    /// The release command (node only: AWS does not keep it). Empty: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    release: Vec<String>,
}

/// A string property that is "" when absent, as an option.
fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

pub struct EcsService(pub Aws);

/// The ARNs of every service in `cluster`, all pages; none when the cluster doesn't exist.
pub(crate) async fn service_arns(aws: &Aws, cluster: &str) -> Result<Vec<String>, CloudError> {
    let listed = aws
        .ecs
        .list_services()
        .cluster(cluster)
        .into_paginator()
        .items()
        .send()
        .all()
        .await;
    match listed {
        Err(e) if e.code.as_deref() == Some("ClusterNotFoundException") => Ok(vec![]),
        other => other,
    }
}

fn observe(s: &AwsService, owner: Owner, tags: Tags) -> Option<Observed> {
    let name = s.service_name()?;
    let lb = s.load_balancers().first();
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let mut subnets: Vec<String> = vpc.iter().flat_map(|v| v.subnets()).cloned().collect();
    // A set: one order, no repeats, as the node's.
    subnets.sort();
    subnets.dedup();
    let dc = s.deployment_configuration();
    let breaker = dc.and_then(|d| d.deployment_circuit_breaker());
    let breaker = match breaker {
        Some(b) if b.enable() && b.rollback() => "rollback",
        Some(b) if b.enable() => "on",
        _ => "off",
    };
    let deployment = Deployment {
        minimum_healthy_percent: dc.and_then(|d| d.minimum_healthy_percent()).unwrap_or(100),
        maximum_percent: dc.and_then(|d| d.maximum_percent()).unwrap_or(200),
    };
    let capacity = s
        .capacity_provider_strategy()
        .first()
        .map(|c| c.capacity_provider())
        .unwrap_or_default();
    let launch = match (s.launch_type(), capacity) {
        (_, "FARGATE") | (Some(LaunchType::Fargate), _) => "fargate",
        (_, "FARGATE_SPOT") => "fargate-spot",
        _ => "ec2",
    };
    let cluster = s
        .cluster_arn()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default();
    let props = Props {
        name: name.to_string(),
        cluster: cluster.to_string(),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        launch: launch.to_string(),
        capacity_provider: if launch == "ec2" { capacity } else { "" }.to_string(),
        target_group: lb
            .and_then(|l| l.target_group_arn())
            .unwrap_or_default()
            .to_string(),
        container_port: lb
            .and_then(|l| l.container_port())
            .or_else(|| {
                s.service_registries()
                    .first()
                    .and_then(|r| r.container_port())
            })
            .unwrap_or(0),
        subnets,
        security_group: vpc
            .and_then(|v| v.security_groups().first())
            .cloned()
            .unwrap_or_default(),
        registry: s
            .service_registries()
            .first()
            .and_then(|r| r.registry_arn())
            .unwrap_or_default()
            .to_string(),
        circuit_breaker: breaker.to_string(),
        deployment,
        alarms: {
            let mut names: Vec<String> = dc
                .and_then(|d| d.alarms())
                .filter(|a| a.enable() && a.rollback())
                .map(|a| a.alarm_names().to_vec())
                .unwrap_or_default();
            names.sort();
            names
        },
        rollout: rollout_state(s).label().to_string(),
        desired_count: s.desired_count(),
        release: vec![],
    };
    Some(
        Observed::new(KIND, owner, s.service_arn()?)
            .output(out::ARN, s.service_arn().unwrap_or_default())
            .output(out::NAME, name)
            .with_props(&props)
            .with_tags(tags),
    )
}

/// The circuit breaker and the deployment alarms, both rolling back: the breaker catches
/// tasks that never become healthy, the alarms a version that serves badly.
fn deployment_configuration(props: &Props) -> Result<DeploymentConfiguration, CloudError> {
    let mut config = DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(true)
                .build(),
        )
        .minimum_healthy_percent(100)
        .maximum_percent(200);
    if !props.alarms.is_empty() {
        let alarms = DeploymentAlarms::builder()
            .set_alarm_names(Some(props.alarms.clone()))
            .enable(true)
            .rollback(true)
            .build()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        config = config.alarms(alarms);
    }
    Ok(config.build())
}

/// Private subnets and the tasks' security group, for awsvpc (Fargate) tasks only.
fn network_configuration(props: &Props) -> Result<Option<NetworkConfiguration>, CloudError> {
    awsvpc(&props.launch, &props.subnets, &props.security_group)
}

/// Fargate tasks' network (the private subnets, the tasks' group, no public IP); none on
/// EC2, where tasks share their instance's (bridge mode).
pub(crate) fn awsvpc(
    launch: &str,
    subnets: &[String],
    security_group: &str,
) -> Result<Option<NetworkConfiguration>, CloudError> {
    if launch == "ec2" {
        return Ok(None);
    }
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(subnets.to_vec()))
        .security_groups(security_group)
        .assign_public_ip(AssignPublicIp::Disabled)
        .build()
        .map_err(|e| CloudError::fatal(e.to_string()))?;
    Ok(Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build(),
    ))
}

impl EcsService {
    async fn describe(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<AwsService>, CloudError> {
        let out = self
            .0
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .aws()?;
        Ok(out.services().first().cloned())
    }

    /// Why the service's tasks stop: the reasons of up to three recently stopped tasks.
    async fn stopped_reasons(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<String>, CloudError> {
        let ecs = &self.0.ecs;
        let out = ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .aws()?;
        let arns: Vec<String> = out.task_arns().iter().take(3).cloned().collect();
        if arns.is_empty() {
            return Ok(vec![]);
        }
        let tasks = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns))
            .send()
            .await
            .aws()?;
        Ok(tasks
            .tasks()
            .iter()
            .map(|t| {
                let task = t
                    .task_arn()
                    .and_then(|a| a.rsplit('/').next())
                    .unwrap_or("?");
                let containers: Vec<String> = t
                    .containers()
                    .iter()
                    .filter_map(|c| {
                        c.reason()
                            .map(|r| format!("{}: {r}", c.name().unwrap_or("?")))
                    })
                    .collect();
                format!(
                    "task {task}: {} {}",
                    t.stopped_reason().unwrap_or("no reason given"),
                    containers.join("; ")
                )
            })
            .collect())
    }

    /// The service's tasks whose last status is not yet STOPPED (running, or stopping with
    /// their network interface still attached).
    async fn tasks_not_stopped(&self, cluster: &str, service: &str) -> Result<usize, CloudError> {
        let ecs = &self.0.ecs;
        let mut arns = Vec::new();
        for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
            let listed = ecs
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .desired_status(status)
                .into_paginator()
                .items()
                .send()
                .all()
                .await;
            match listed {
                Ok(found) => arns.extend(found),
                // A service ECS has already forgotten has no tasks left to wait for.
                Err(e) if crate::error::is_not_found(&e) => return Ok(0),
                Err(e) => return Err(e),
            }
        }
        let mut up = 0;
        // DescribeTasks takes at most 100 tasks per call.
        for chunk in arns.chunks(100) {
            let out = ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .aws()?;
            up += out
                .tasks()
                .iter()
                .filter(|t| t.last_status() != Some("STOPPED"))
                .count();
        }
        Ok(up)
    }

    async fn wait_for_rollout(
        &self,
        cluster: &str,
        service: &str,
        cx: &OpCtx,
    ) -> Result<(), CloudError> {
        wait_for_rollout(self, cluster, service, cx).await
    }

    /// Run the node's release command, if it has one, as a one-off task of the revision it
    /// is about to roll out; an error unless it exits 0, so the rollout never starts.
    async fn release(&self, node: &Resolved, props: &Props, cx: &OpCtx) -> Result<(), CloudError> {
        if props.release.is_empty() {
            return Ok(());
        }
        let task = one_off::Task::of(node)?;
        one_off::release(&self.0, &task, &props.release, cx)
            .await?
            .succeeded(&props.name, &props.release)
    }

    /// Point the service at a task definition revision and wait for the rollout: `berth deploy`.
    pub async fn deploy(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        cx: &OpCtx,
    ) -> Result<(), CloudError> {
        let call = self
            .0
            .ecs
            .update_service()
            .cluster(cluster)
            .service(service);
        call.task_definition(task_definition).send().await.aws()?;
        self.wait_for_rollout(cluster, service, cx).await
    }
}

/// What a rollout looks like from one DescribeServices answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Rollout {
    Done,
    Failed(String),
    InProgress(String),
}

const ROLLOUT_COMPLETED: &str = "completed";
const ROLLOUT_FAILED: &str = "failed";

impl Rollout {
    /// The value `plan` compares: anything but `completed` is a change to make.
    pub fn label(&self) -> &'static str {
        match self {
            Rollout::Done => ROLLOUT_COMPLETED,
            Rollout::Failed(_) => ROLLOUT_FAILED,
            Rollout::InProgress(_) => "in progress",
        }
    }
}

/// Pure, so it is tested without AWS (the emulator runs no containers and never rolls out).
pub fn rollout_state(service: &AwsService) -> Rollout {
    let Some(primary) = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
    else {
        return Rollout::InProgress("no primary deployment yet".into());
    };
    let progress = format!(
        "{}/{} running, {} pending",
        primary.running_count(),
        primary.desired_count(),
        primary.pending_count()
    );
    match primary.rollout_state() {
        Some(DeploymentRolloutState::Completed) => Rollout::Done,
        Some(DeploymentRolloutState::Failed) => Rollout::Failed(
            primary
                .rollout_state_reason()
                .unwrap_or("the deployment failed")
                .to_string(),
        ),
        _ if service.deployments().len() == 1
            && primary.running_count() >= primary.desired_count()
            && primary.rollout_state().is_none() =>
        {
            Rollout::Done
        }
        _ => Rollout::InProgress(progress),
    }
}

/// Why a rollout failed, as ECS and CloudWatch tell it.
#[derive(Default)]
pub struct Failure {
    /// The deployment's rollout state reason.
    pub reason: String,
    /// The service's latest events.
    pub events: Vec<String>,
    /// The stopped tasks' reasons.
    pub stopped: Vec<String>,
    /// The deployment alarms that fired, with their recent datapoints.
    pub alarms: Vec<String>,
}

/// The error for a failed rollout: the reason, the alarms that fired, the latest events, the
/// stopped tasks' reasons.
pub fn failure_message(service: &str, failure: &Failure) -> String {
    let Failure {
        reason,
        events,
        stopped,
        alarms,
    } = failure;
    let mut out = format!("deployment of service {service} failed: {reason}");
    if !alarms.is_empty() {
        out.push_str("\n  deployment alarms that fired:");
        for a in alarms {
            out.push_str(&format!("\n    - {a}"));
        }
    }
    if !events.is_empty() {
        out.push_str("\n  latest service events:");
        for e in events {
            out.push_str(&format!("\n    - {e}"));
        }
    }
    if !stopped.is_empty() {
        out.push_str("\n  stopped tasks:");
        for s in stopped {
            out.push_str(&format!("\n    - {s}"));
        }
    }
    out.push_str(
        "\n  ECS rolled the service back to its previous task definition (circuit breaker or \
         deployment alarm).",
    );
    out
}

/// Wait until the service's primary deployment completes, or fail with its cause.
pub async fn wait_for_rollout(
    kind: &EcsService,
    cluster: &str,
    service: &str,
    cx: &OpCtx,
) -> Result<(), CloudError> {
    let failed = cx
        .wait_until(
            &format!("service {service} to finish its rollout"),
            || async {
                let Some(s) = kind.describe(cluster, service).await? else {
                    return Err(CloudError::not_ready(format!(
                        "service {service} not visible yet"
                    )));
                };
                match rollout_state(&s) {
                    Rollout::Done => Ok((Some(None), "completed".to_string())),
                    Rollout::Failed(reason) => {
                        let events: Vec<String> = s
                            .events()
                            .iter()
                            .take(5)
                            .filter_map(|e| e.message().map(str::to_string))
                            .collect();
                        let alarms = s
                            .deployment_configuration()
                            .and_then(|d| d.alarms())
                            .map(|a| a.alarm_names().to_vec())
                            .unwrap_or_default();
                        Ok((Some(Some((reason, events, alarms))), "failed".to_string()))
                    }
                    Rollout::InProgress(progress) => Ok((None, format!("rollout: {progress}"))),
                }
            },
        )
        .await?;
    match failed {
        None => Ok(()),
        Some((reason, events, alarms)) => {
            // Best effort: the failure itself is the error, whatever these calls say.
            let failure = Failure {
                reason,
                events,
                stopped: kind
                    .stopped_reasons(cluster, service)
                    .await
                    .unwrap_or_default(),
                alarms: crate::alarm::firing(&kind.0, &alarms)
                    .await
                    .unwrap_or_default(),
            };
            Err(CloudError::fatal(failure_message(service, &failure)))
        }
    }
}

#[async_trait]
impl Kind for EcsService {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[
            "ecs_cluster",
            "cluster_capacity",
            "task_definition",
            "target_group",
            "listener_rule",
            "discovery_service",
            "alarm",
            "security_group",
            "subnet",
        ]
    }

    /// The services of the stack's cluster (named after the stack): ListServices pages of 10,
    /// and DescribeServices for at most 10 names a call (the API's limits).
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let ecs = &self.0.ecs;
        let arns = service_arns(&self.0, stack).await?;
        let mut found = Vec::new();
        for chunk in arns.chunks(10) {
            let out = ecs
                .describe_services()
                .cluster(stack)
                .set_services(Some(chunk.to_vec()))
                .include(ServiceField::Tags)
                .send()
                .await
                .aws()?;
            found.extend(
                out.services()
                    .iter()
                    .filter(|s| s.status() == Some("ACTIVE"))
                    .filter_map(|s| {
                        let tags = from_ecs(s.tags());
                        let id = owned_id(&tags, stack)?;
                        observe(s, id, tags)
                    }),
            );
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let (cluster, name) = (props.cluster.as_str(), props.name.as_str());
        // Migrations before the first task serves, as before every later rollout.
        self.release(node, &props, cx).await?;
        let mut call = self
            .0
            .ecs
            .create_service()
            .cluster(cluster)
            .service_name(name)
            .task_definition(&props.task_definition)
            .desired_count(props.desired_count)
            .deployment_configuration(deployment_configuration(&props)?)
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .enable_execute_command(false)
            .set_tags(Some(ecs_tags(&node.tags)));
        let strategy = |provider: &str| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(provider)
                .weight(1)
                .build()
                .map_err(|e| CloudError::fatal(e.to_string()))
        };
        match props.launch.as_str() {
            "ec2" => {
                if let Some(provider) = non_empty(&props.capacity_provider) {
                    call = call.capacity_provider_strategy(strategy(provider)?);
                }
                // Spread across zones, then pack instances by memory.
                call = call
                    .placement_strategy(
                        PlacementStrategy::builder()
                            .r#type(PlacementStrategyType::Spread)
                            .field("attribute:ecs.availability-zone")
                            .build(),
                    )
                    .placement_strategy(
                        PlacementStrategy::builder()
                            .r#type(PlacementStrategyType::Binpack)
                            .field("memory")
                            .build(),
                    );
            }
            launch => {
                let provider = if launch == "fargate-spot" {
                    "FARGATE_SPOT"
                } else {
                    "FARGATE"
                };
                call = call
                    .capacity_provider_strategy(strategy(provider)?)
                    .set_network_configuration(network_configuration(&props)?);
            }
        }
        if let Some(tg) = non_empty(&props.target_group) {
            let lb = LoadBalancer::builder()
                .target_group_arn(tg)
                .container_name(name)
                .container_port(props.container_port)
                .build();
            call = call
                .load_balancers(lb)
                .health_check_grace_period_seconds(30);
        }
        if let Some(registry) = non_empty(&props.registry) {
            let mut r = ServiceRegistry::builder().registry_arn(registry);
            if props.launch == "ec2" {
                // Bridge tasks have dynamic host ports: SRV records carry them.
                r = r.container_name(name).container_port(props.container_port);
            }
            call = call.service_registries(r.build());
        }
        let out = call.send().await.aws()?;
        let arn = out
            .service()
            .and_then(|s| s.service_arn())
            .unwrap_or_default()
            .to_string();
        self.wait_for_rollout(cluster, name, cx).await?;
        Ok(Observed::applied(KIND, node, &arn)
            .output(out::ARN, &arn)
            .output(out::NAME, name))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let (cluster, name) = (props.cluster.as_str(), props.name.as_str());
        let settings = [
            "task_definition",
            "desired_count",
            "circuit_breaker",
            "deployment",
            "alarms",
            "subnets",
            "security_group",
        ];
        let rollout = changes
            .iter()
            .find(|c| c.field == Field::Prop("rollout".into()));
        if settings.iter().any(|f| FieldChange::touches(changes, f))
            || rollout
                .is_some_and(|c| c.old.as_ref().and_then(Json::as_str) == Some(ROLLOUT_FAILED))
        {
            if FieldChange::touches(changes, "task_definition") {
                self.release(node, &props, cx).await?;
            }
            // Every setting berth owns goes in the call, network included: UpdateService
            // leaves out whatever it is not sent.
            let mut call = self
                .0
                .ecs
                .update_service()
                .cluster(cluster)
                .service(name)
                .task_definition(&props.task_definition)
                .deployment_configuration(deployment_configuration(&props)?)
                .set_network_configuration(network_configuration(&props)?)
                // A failed rollout is tried again, not skipped because nothing else changed.
                .force_new_deployment(rollout.is_some());
            // An autoscaled service's count is the scaler's: sent at create only.
            if !node.create_only.contains(&"desired_count") {
                call = call.desired_count(props.desired_count);
            }
            call.send().await.aws()?;
            self.wait_for_rollout(cluster, name, cx).await?;
        } else if rollout.is_some() {
            // A rollout an earlier run stopped waiting for: wait for it now.
            self.wait_for_rollout(cluster, name, cx).await?;
        }
        self.0.ecs.apply_tags(&current.cloud_id, changes).await?;
        let mut o = Observed::applied(KIND, node, &current.cloud_id);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    /// Scale to zero, delete (force), and wait until ECS has drained it.
    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let props: Props = current.typed()?;
        let cluster = props.cluster.as_str();
        let ecs = &self.0.ecs;
        match ecs
            .delete_service()
            .cluster(cluster)
            .service(&current.cloud_id)
            .force(true)
            .send()
            .await
            .aws()
        {
            Err(e) if e.code.as_deref().is_some_and(|c| c.contains("NotFound")) => return Ok(()),
            other => other.map(drop)?,
        }
        cx.wait_until("the service to drain", || async {
            let s = self.describe(cluster, &current.cloud_id).await?;
            let status = s
                .as_ref()
                .and_then(|s| s.status())
                .unwrap_or("INACTIVE")
                .to_string();
            Ok(((status == "INACTIVE").then_some(()), status))
        })
        .await?;
        // INACTIVE is not the end: tasks still stopping hold their network interfaces, and
        // with them the security group and subnets the next deletes need.
        let name = props.name.as_str();
        cx.wait_until("the service's tasks to stop", || async {
            let up = self.tasks_not_stopped(cluster, name).await?;
            Ok(((up == 0).then_some(()), format!("{up} task(s) stopping")))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::Deployment;

    use super::*;

    fn service(state: Option<DeploymentRolloutState>, running: i32, desired: i32) -> AwsService {
        let mut d = Deployment::builder()
            .status("PRIMARY")
            .running_count(running)
            .desired_count(desired)
            .pending_count(desired - running);
        if let Some(s) = state {
            d = d
                .rollout_state(s)
                .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.");
        }
        AwsService::builder().deployments(d.build()).build()
    }

    // The emulator runs no containers and never fails a rollout: the state machine is tested here.
    #[test]
    fn reads_rollout_states() {
        assert_eq!(
            rollout_state(&service(Some(DeploymentRolloutState::Completed), 2, 2)),
            Rollout::Done
        );
        assert_eq!(
            rollout_state(&service(Some(DeploymentRolloutState::InProgress), 1, 2)),
            Rollout::InProgress("1/2 running, 1 pending".into())
        );
        assert!(
            matches!(rollout_state(&service(Some(DeploymentRolloutState::Failed), 0, 2)), Rollout::Failed(r) if r.contains("circuit breaker"))
        );
        assert!(matches!(
            rollout_state(&AwsService::builder().build()),
            Rollout::InProgress(_)
        ));
    }

    #[test]
    fn failure_message_quotes_events_and_stopped_reasons() {
        let msg = failure_message(
            "hello",
            &Failure {
                reason: "ECS deployment circuit breaker: tasks failed to start.".into(),
                events: vec!["(service hello) has started 2 tasks".into()],
                stopped: vec!["task 1a2b: Essential container in task exited hello: CannotPullContainerError: not found".into()],
                alarms: vec![],
            },
        );
        assert!(
            msg.starts_with("deployment of service hello failed: ECS deployment circuit breaker")
        );
        assert!(msg.contains("- (service hello) has started 2 tasks"));
        assert!(msg.contains("CannotPullContainerError"));
        assert!(msg.contains("rolled the service back"));
        assert!(!msg.contains("alarms that fired"));
    }

    #[test]
    fn failure_message_quotes_the_alarm_that_fired() {
        let msg = failure_message(
            "hello",
            &Failure {
                reason: "ECS deployment detected triggered alarms.".into(),
                alarms: vec![
                    "shop-hello-errors: Threshold Crossed: 3 out of the last 3 \
                              datapoints [12.5 (05/12/26 21:41:00)] were greater than the \
                              threshold (5.0)"
                        .into(),
                ],
                ..Failure::default()
            },
        );
        assert!(
            msg.contains(
                "deployment alarms that fired:\n    - shop-hello-errors: Threshold Crossed"
            ),
            "{msg}"
        );
        assert!(msg.contains("[12.5 (05/12/26 21:41:00)]"), "the datapoints");
    }
}
