//! What `berth status` shows per service: tasks, rollout, target health, and where to reach it.

use aws_sdk_ecs::types::Service;
use serde::Serialize;

use crate::Aws;
use crate::error::AwsResultExt;

#[derive(Clone, Debug, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The primary deployment's rollout state (COMPLETED, IN_PROGRESS, FAILED).
    pub rollout: String,
    pub task_definition: String,
    /// Healthy / total registered targets, for public services.
    pub targets: Option<(usize, usize)>,
    /// `https://<domain><path>` (or `http://<alb dns><path>` without TLS) for public services.
    pub url: Option<String>,
    /// `<service>.<zone>` inside the VPC.
    pub private_name: Option<String>,
}

/// DescribeServices for the stack's cluster (10 names a call, the API's limit), one
/// DescribeTargetHealth per public service.
pub async fn service_status(
    aws: &Aws,
    stack: &str,
    services: &[(String, Option<String>)],
    zone: Option<&str>,
    base_url: Option<&str>,
) -> Result<Vec<ServiceStatus>, berth_engine::CloudError> {
    if services.is_empty() {
        return Ok(vec![]);
    }
    let names: Vec<String> = services.iter().map(|(n, _)| n.clone()).collect();
    let mut described = Vec::new();
    for chunk in names.chunks(10) {
        match aws
            .ecs
            .describe_services()
            .cluster(stack)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .aws()
        {
            Ok(out) => described.extend(out.services().iter().cloned()),
            Err(e) if e.code.as_deref() == Some("ClusterNotFoundException") => return Ok(vec![]),
            Err(e) => return Err(e),
        }
    }
    let mut rows = Vec::new();
    for s in described.iter().filter(|s| s.status() == Some("ACTIVE")) {
        let name = s.service_name().unwrap_or_default().to_string();
        let path = services
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, p)| p.clone());
        rows.push(ServiceStatus {
            targets: target_health(aws, s).await?,
            url: path
                .as_ref()
                .zip(base_url)
                .map(|(p, base)| format!("{base}{p}")),
            private_name: zone.map(|z| format!("{name}.{z}")),
            desired: s.desired_count(),
            running: s.running_count(),
            pending: s.pending_count(),
            rollout: rollout(s),
            task_definition: s
                .task_definition()
                .and_then(|t| t.rsplit('/').next())
                .unwrap_or_default()
                .to_string(),
            name,
        });
    }
    Ok(rows)
}

fn rollout(s: &Service) -> String {
    let primary = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    primary
        .and_then(|d| d.rollout_state())
        .map(|r| r.as_str().to_string())
        .unwrap_or_else(|| "-".into())
}

async fn target_health(
    aws: &Aws,
    s: &Service,
) -> Result<Option<(usize, usize)>, berth_engine::CloudError> {
    let Some(tg) = s
        .load_balancers()
        .first()
        .and_then(|l| l.target_group_arn())
    else {
        return Ok(None);
    };
    let out = aws
        .elbv2
        .describe_target_health()
        .target_group_arn(tg)
        .send()
        .await
        .aws()?;
    let all = out.target_health_descriptions();
    let healthy = all
        .iter()
        .filter(|t| {
            t.target_health()
                .and_then(|h| h.state())
                .map(|s| s.as_str())
                == Some("healthy")
        })
        .count();
    Ok(Some((healthy, all.len())))
}
