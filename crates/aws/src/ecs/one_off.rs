//! One-off tasks: a service's task definition run once with another command, in the
//! service's network with its roles and secrets; its logs followed until it stops, its exit
//! code reported. `berth run` starts them on demand; a service's `release` command runs as
//! one before every rollout, which goes ahead only if it exits 0. Not a resource kind:
//! nothing of it outlives the run.

use std::collections::VecDeque;
use std::time::Duration;

use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ContainerOverride, LaunchType, TaskOverride,
};
use berth_engine::{CloudError, OpCtx, PropsExt};
use serde::Deserialize;

use crate::Aws;
use crate::ecs_service::awsvpc;
use crate::error::AwsResultExt;

/// What a one-off task needs of its service: the properties of an `ecs_service`, as its node
/// desires them or `discover` found them. `task_definition` is the revision to run.
#[derive(Deserialize, Clone)]
pub struct Task {
    pub name: String,
    pub cluster: String,
    pub task_definition: String,
    launch: String,
    capacity_provider: String,
    subnets: Vec<String>,
    security_group: String,
}

impl Task {
    pub fn of(service: &impl PropsExt) -> Result<Task, CloudError> {
        service.typed()
    }
}

/// How many of a task's last log lines an error quotes.
const LAST_LINES: usize = 10;

/// How a one-off task ended.
pub struct Ended {
    pub task_arn: String,
    /// The container's exit code; `None` when it never ran (see `reason`).
    pub exit_code: Option<i32>,
    pub reason: String,
    /// Its last few log lines, oldest first.
    pub last_lines: Vec<String>,
}

impl Ended {
    /// Ok when the command exited 0; otherwise what went wrong, its last lines, and that the
    /// service was left as it was.
    pub fn succeeded(&self, service: &str, command: &[String]) -> Result<(), CloudError> {
        let how = match self.exit_code {
            Some(0) => return Ok(()),
            Some(code) => format!("exited {code}"),
            None => "never ran".to_string(),
        };
        let mut message = format!(
            "the release command `{}` {how} ({}), so {service} was not rolled out: it keeps \
             its current version",
            command.join(" "),
            self.reason
        );
        if !self.last_lines.is_empty() {
            message.push_str(". Its last lines:");
            for line in &self.last_lines {
                message.push_str("\n    ");
                message.push_str(line);
            }
        }
        message.push_str(&format!(
            "\n  Fix it and deploy again; the whole output: `berth logs {service}` (task {})",
            self.task_arn
        ));
        Err(CloudError::fatal(message))
    }
}

/// Start `command` as a one-off `task`; its ARN. `started_by` shows in the console.
pub async fn start(
    aws: &Aws,
    s: &Task,
    command: &[String],
    started_by: &str,
) -> Result<String, CloudError> {
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
        .started_by(started_by)
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
    s: &Task,
    task_arn: &str,
    every: Duration,
    mut line: impl FnMut(&str),
) -> Result<Ended, CloudError> {
    let mut last_lines = VecDeque::with_capacity(LAST_LINES);
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
                    let text = e.message().unwrap_or_default();
                    line(text);
                    if last_lines.len() == LAST_LINES {
                        last_lines.pop_front();
                    }
                    last_lines.push_back(text.to_string());
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
                last_lines: last_lines.into(),
            });
        }
        tokio::time::sleep(every).await;
    }
}

/// Run a service's release `command` once as `task` (its new revision), streaming its log
/// lines as progress, until it stops or `cx`'s deadline passes. The caller decides what a
/// non-zero exit means ([`Ended::succeeded`]).
pub async fn release(
    aws: &Aws,
    task: &Task,
    command: &[String],
    cx: &OpCtx,
) -> Result<Ended, CloudError> {
    let shown = command.join(" ");
    let arn = start(aws, task, command, "berth release").await?;
    cx.progress(format!("release `{shown}`: started {arn}"));
    let every = berth_engine::retry::scaled(Duration::from_secs(2));
    let followed = follow(aws, task, &arn, every, |line| {
        cx.progress(format!("release: {line}"))
    });
    let started = tokio::time::Instant::now();
    match tokio::time::timeout_at(cx.deadline.into(), followed).await {
        Ok(ended) => ended,
        Err(_) => Err(CloudError::timed_out(
            &format!("the release command `{shown}` (task {arn}; the service was not rolled out)"),
            started.elapsed(),
            "RUNNING",
        )),
    }
}
