//! One-off tasks (`berth run`): the service's current task definition, run once with another
//! command, in the service's network with its roles and secrets; its logs followed until it
//! stops, its exit code reported. Not a resource kind: nothing of it outlives the run.

use std::time::Duration;

use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ContainerOverride, LaunchType, TaskOverride,
};
use berth_engine::{CloudError, Observed, PropsExt};
use serde::Deserialize;

use crate::Aws;
use crate::ecs_service::awsvpc;
use crate::error::AwsResultExt;

/// What a one-off task needs of its service, as `discover` found it.
#[derive(Deserialize)]
struct Service {
    name: String,
    cluster: String,
    task_definition: String,
    launch: String,
    capacity_provider: String,
    subnets: Vec<String>,
    security_group: String,
}

/// How a one-off task ended.
pub struct Ended {
    pub task_arn: String,
    /// The container's exit code; `None` when it never ran (see `reason`).
    pub exit_code: Option<i32>,
    pub reason: String,
}

/// Start `command` as a task of `service` (an [`Observed`] of `ecs_service`); its ARN.
pub async fn start(
    aws: &Aws,
    service: &Observed,
    command: &[String],
) -> Result<String, CloudError> {
    let s: Service = service.typed()?;
    let container = ContainerOverride::builder()
        .name(&s.name)
        .set_command(Some(command.to_vec()))
        .build();
    let mut run = aws
        .ecs
        .run_task()
        .cluster(&s.cluster)
        .task_definition(&s.task_definition)
        .count(1)
        .started_by("berth run")
        .overrides(
            TaskOverride::builder()
                .container_overrides(container)
                .build(),
        )
        .set_network_configuration(awsvpc(&s.launch, &s.subnets, &s.security_group)?);
    // On demand, not Spot: a migration should not be interrupted halfway.
    run = if s.launch == "ec2" {
        let provider = CapacityProviderStrategyItem::builder()
            .capacity_provider(&s.capacity_provider)
            .weight(1)
            .build()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        run.capacity_provider_strategy(provider)
    } else {
        run.launch_type(LaunchType::Fargate)
    };
    let out = run.send().await.aws()?;
    if let Some(failure) = out.failures().first() {
        return Err(CloudError::fatal(format!(
            "ECS could not start the task: {} {}",
            failure.reason().unwrap_or_default(),
            failure.detail().unwrap_or_default()
        )));
    }
    out.tasks()
        .first()
        .and_then(|t| t.task_arn())
        .map(str::to_string)
        .ok_or_else(|| CloudError::fatal("RunTask started no task"))
}

/// Follow the task until it stops, handing each new log line to `line`; poll every `every`.
pub async fn follow(
    aws: &Aws,
    service: &Observed,
    task_arn: &str,
    every: Duration,
    mut line: impl FnMut(&str),
) -> Result<Ended, CloudError> {
    let s: Service = service.typed()?;
    let task_id = task_arn.rsplit('/').next().unwrap_or_default();
    // Where awslogs writes: `<prefix>/<container>/<task id>` in the task definition's group.
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(&s.task_definition)
        .send()
        .await
        .aws()?;
    let options = td
        .task_definition()
        .and_then(|t| {
            t.container_definitions()
                .iter()
                .find(|c| c.name() == Some(&s.name))
        })
        .and_then(|c| c.log_configuration())
        .and_then(|l| l.options().cloned())
        .unwrap_or_default();
    let log_group = options.get("awslogs-group").cloned().unwrap_or_default();
    let prefix = options
        .get("awslogs-stream-prefix")
        .cloned()
        .unwrap_or_default();
    let stream = format!("{prefix}/{}/{task_id}", s.name);
    let mut token: Option<String> = None;
    loop {
        let described = aws
            .ecs
            .describe_tasks()
            .cluster(&s.cluster)
            .tasks(task_arn)
            .send()
            .await
            .aws()?;
        let task = described.tasks().first().cloned();
        let stopped = task
            .as_ref()
            .is_some_and(|t| t.last_status() == Some("STOPPED"));
        // Logs after the status, so the last lines are read once it has stopped.
        let events = aws
            .logs
            .get_log_events()
            .log_group_name(&log_group)
            .log_stream_name(&stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await
            .aws();
        match events {
            Ok(out) => {
                for e in out.events() {
                    line(e.message().unwrap_or_default());
                }
                token = out.next_forward_token().map(str::to_string).or(token);
            }
            // The stream appears when the container first writes.
            Err(e) if crate::error::is_not_found(&e) => {}
            Err(e) => return Err(e),
        }
        if stopped {
            let task = task.expect("stopped implies a task");
            let container = task.containers().iter().find(|c| c.name() == Some(&s.name));
            return Ok(Ended {
                task_arn: task_arn.to_string(),
                exit_code: container.and_then(|c| c.exit_code()),
                reason: container
                    .and_then(|c| c.reason())
                    .or(task.stopped_reason())
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        tokio::time::sleep(every).await;
    }
}
