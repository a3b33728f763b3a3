//! Target groups, one per public service: instance targets with dynamic ports on EC2, IP
//! targets on Fargate, a health check on the service's path, and a 10 s deregistration delay
//! so deploys are not floored at AWS's default five minutes.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetGroupAttribute, TargetTypeEnum};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::elb::{arn_resource, elb_tags, tags_of};
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{owned_id, read_each};

pub const KIND: &str = "target_group";
const DEREGISTRATION: &str = "deregistration_delay.timeout_seconds";

/// Target group names are at most 32 characters.
pub fn name(stack: &str, service: &str) -> String {
    let name = format!("{stack}-{service}");
    name.chars()
        .take(32)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

pub fn node(
    stack: &str,
    tags: &Tags,
    service: &str,
    vpc: Value,
    port: u16,
    target_type: &str,
    health_path: &str,
) -> Node {
    Node::new(KIND, names::target_group(service), stack, tags)
        .immutable("name", name(stack, service))
        .immutable("vpc_id", vpc)
        .immutable("port", port)
        .immutable("target_type", target_type)
        .prop("health_path", health_path)
        .prop("health_interval", 15u32)
        .prop("healthy_threshold", 2u32)
        .prop("deregistration_delay", 10u32)
}

/// A target group's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    vpc_id: String,
    port: i32,
    target_type: String,
    health_path: String,
    health_interval: i32,
    healthy_threshold: i32,
    /// Seconds.
    deregistration_delay: u32,
}

pub struct TargetGroup(pub Aws);

fn outputs(o: Observed, arn: &str, name: &str) -> Observed {
    o.output(out::ARN, arn)
        .output(out::NAME, name)
        .output(out::ARN_SUFFIX, arn_resource(arn))
}

impl TargetGroup {
    /// Seconds; AWS reports the attribute as a string.
    async fn deregistration_delay(&self, arn: &str) -> Result<u32, CloudError> {
        let out = self
            .0
            .elbv2
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .aws()?;
        out.attributes()
            .iter()
            .find(|a| a.key() == Some(DEREGISTRATION))
            .and_then(|a| a.value())
            .map_or(Ok(300), str::parse)
            .map_err(|e| CloudError::fatal(format!("{arn}: {DEREGISTRATION}: {e}")))
    }
    async fn set_deregistration_delay(&self, arn: &str, seconds: u32) -> Result<(), CloudError> {
        let attr = TargetGroupAttribute::builder()
            .key(DEREGISTRATION)
            .value(seconds.to_string())
            .build();
        self.0
            .elbv2
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .attributes(attr)
            .send()
            .await
            .aws()?;
        Ok(())
    }
}

#[async_trait]
impl Kind for TargetGroup {
    fn name(&self) -> &'static str {
        KIND
    }
    fn delete_deadline(&self) -> Option<std::time::Duration> {
        Some(crate::NETWORK_RELEASE)
    }
    fn after(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    /// Every target group named `<stack>-*`, then their tags in batches. Listed account-wide:
    /// names filter only whole names (the services are not known here), and a target group
    /// not yet used by a listener rule belongs to no load balancer to filter by.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let prefix = format!("{stack}-");
        let all = self
            .0
            .elbv2
            .describe_target_groups()
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let ours: Vec<_> = all
            .into_iter()
            .filter(|t| {
                t.target_group_name()
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .collect();
        let arns: Vec<String> = ours
            .iter()
            .filter_map(|t| t.target_group_arn().map(str::to_string))
            .collect();
        let tags = tags_of(&self.0, &arns).await?;
        let tags = &tags;
        read_each(ours, |tg| async move {
            let arn = tg.target_group_arn().unwrap_or_default();
            let t = tags.get(arn).cloned().unwrap_or_default();
            let Some(id) = owned_id(&t, stack) else {
                return Ok(None);
            };
            let name = tg.target_group_name().unwrap_or_default();
            let props = Props {
                name: name.to_string(),
                vpc_id: tg.vpc_id().unwrap_or_default().to_string(),
                port: tg.port().unwrap_or_default(),
                target_type: tg
                    .target_type()
                    .map(|t| t.as_str())
                    .unwrap_or_default()
                    .to_string(),
                health_path: tg.health_check_path().unwrap_or_default().to_string(),
                health_interval: tg.health_check_interval_seconds().unwrap_or_default(),
                healthy_threshold: tg.healthy_threshold_count().unwrap_or_default(),
                deregistration_delay: self.deregistration_delay(arn).await?,
            };
            let o = Observed::new(KIND, id, arn).with_props(&props).with_tags(t);
            Ok(Some(outputs(o, arn, name)))
        })
        .await
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .elbv2
            .create_target_group()
            .name(&props.name)
            .protocol(ProtocolEnum::Http)
            .port(props.port)
            .vpc_id(props.vpc_id)
            .target_type(TargetTypeEnum::from(props.target_type.as_str()))
            .health_check_path(props.health_path)
            .health_check_interval_seconds(props.health_interval)
            .healthy_threshold_count(props.healthy_threshold)
            .set_tags(Some(elb_tags(&node.tags)))
            .send()
            .await
            .aws()?;
        let arn = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .unwrap_or_default()
            .to_string();
        self.set_deregistration_delay(&arn, props.deregistration_delay)
            .await?;
        Ok(outputs(
            Observed::applied(KIND, node, &arn),
            &arn,
            &props.name,
        ))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let arn = &current.cloud_id;
        if ["health_path", "health_interval", "healthy_threshold"]
            .iter()
            .any(|f| FieldChange::touches(changes, f))
        {
            self.0
                .elbv2
                .modify_target_group()
                .target_group_arn(arn)
                .health_check_path(&props.health_path)
                .health_check_interval_seconds(props.health_interval)
                .healthy_threshold_count(props.healthy_threshold)
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "deregistration_delay") {
            self.set_deregistration_delay(arn, props.deregistration_delay)
                .await?;
        }
        self.0.elbv2.apply_tags(arn, changes).await?;
        Ok(outputs(
            Observed::applied(KIND, node, arn),
            arn,
            &props.name,
        ))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        // Still used by a listener rule: ResourceInUse, retried until the rule is gone.
        ignore_not_found(
            self.0
                .elbv2
                .delete_target_group()
                .target_group_arn(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
