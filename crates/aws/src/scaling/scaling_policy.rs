//! Target-tracking policies on a service's task count: average CPU, and/or load balancer
//! requests per task. Untagged, like their target (see scaling_target.rs).

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::scaling_target::{service_of, stack_resource_ids};
use crate::tags::read_each;

pub const KIND: &str = "scaling_policy";

/// `metric`: `cpu` or `requests` (then `label` names the ALB and target group).
pub fn node(stack: &str, service: &str, metric: &str, target: u32, label: Option<Value>) -> Node {
    Node::new(
        KIND,
        names::scaling_policy(service, metric),
        stack,
        &Tags::new(),
    )
    .immutable(
        "resource_id",
        Value::refer(names::scaling_target(service), out::RESOURCE_ID),
    )
    .immutable("name", format!("{stack}-{service}-{metric}"))
    .prop(
        "metric",
        if metric == "cpu" {
            "ECSServiceAverageCPUUtilization"
        } else {
            "ALBRequestCountPerTarget"
        },
    )
    .prop("target", target)
    .prop("label", label.unwrap_or_else(|| Value::from("")))
}

/// A scaling policy's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    resource_id: String,
    name: String,
    metric: String,
    target: u32,
    /// The ALB and target group for `requests`; empty for `cpu`.
    label: String,
}

pub struct ScalingPolicy(pub Aws);

#[async_trait]
impl Kind for ScalingPolicy {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["scaling_target"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        // DescribeScalingPolicies filters by one resource id: one listing per service.
        let appscaling = &self.0.appscaling;
        let per_service = read_each(stack_resource_ids(&self.0, stack).await?, |id| async move {
            appscaling
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(id)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(Some)
        })
        .await?;
        Ok(per_service
            .iter()
            .flatten()
            .filter_map(|p| {
                let service = service_of(p.resource_id(), stack)?;
                let metric_suffix = p.policy_name().rsplit('-').next()?;
                let config = p.target_tracking_scaling_policy_configuration();
                let spec = config.and_then(|c| c.predefined_metric_specification());
                let props = Props {
                    resource_id: p.resource_id().to_string(),
                    name: p.policy_name().to_string(),
                    metric: spec
                        .map(|s| s.predefined_metric_type().as_str())
                        .unwrap_or_default()
                        .to_string(),
                    target: config.map(|c| c.target_value() as u32).unwrap_or_default(),
                    label: spec
                        .and_then(|s| s.resource_label())
                        .unwrap_or_default()
                        .to_string(),
                };
                Some(
                    Observed::new(
                        KIND,
                        format!("scaling/{service}-{metric_suffix}"),
                        p.policy_arn(),
                    )
                    .with_props(&props)
                    .output(out::ARN, p.policy_arn()),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let mut spec = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(props.metric.as_str()));
        if !props.label.is_empty() {
            spec = spec.resource_label(props.label);
        }
        let config = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(f64::from(props.target))
            .predefined_metric_specification(
                spec.build().map_err(|e| CloudError::fatal(e.to_string()))?,
            )
            .scale_in_cooldown(60)
            .scale_out_cooldown(30)
            .build()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let out = self
            .0
            .appscaling
            .put_scaling_policy()
            .policy_name(props.name)
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(props.resource_id)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(config)
            .send()
            .await
            .aws()?;
        let arn = out.policy_arn();
        Ok(Observed::applied(KIND, node, arn).output(out::ARN, arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        _current: &Observed,
        _changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.create(node, cx).await
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let props: Props = current.typed()?;
        let out = self
            .0
            .appscaling
            .delete_scaling_policy()
            .policy_name(props.name)
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(props.resource_id)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}
