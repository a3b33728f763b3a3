//! The HTTP listener on port 80. Anything no service claims gets a plain 404.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ProtocolEnum,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};

use crate::Aws;
use crate::elb::{elb_tags, stack_load_balancer, tags_of};
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "listener";
const NOT_FOUND: &str = "fixed-response:404";

pub fn node(stack: &str, tags: &Tags, load_balancer: Value) -> Node {
    Node::new(KIND, names::listener(), stack, tags)
        .immutable("load_balancer", load_balancer)
        .prop("port", 80u32)
        .prop("protocol", "HTTP")
        .prop("default_action", NOT_FOUND)
}

pub struct Listener(pub Aws);

fn not_found() -> Action {
    let response = FixedResponseActionConfig::builder()
        .status_code("404")
        .content_type("text/plain")
        .message_body("not found")
        .build();
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(response)
        .build()
}

fn describe_action(actions: &[Action]) -> String {
    match actions.first() {
        Some(a) if a.r#type() == Some(&ActionTypeEnum::FixedResponse) => {
            format!(
                "fixed-response:{}",
                a.fixed_response_config()
                    .and_then(|c| c.status_code())
                    .unwrap_or_default()
            )
        }
        Some(a) => a
            .r#type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// The listeners of the stack's load balancer, for this kind and for the rules.
pub(crate) async fn stack_listeners(
    aws: &Aws,
    stack: &str,
) -> Result<Vec<aws_sdk_elasticloadbalancingv2::types::Listener>, CloudError> {
    let Some(lb) = stack_load_balancer(aws, stack).await? else {
        return Ok(vec![]);
    };
    aws.elbv2
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
        .into_paginator()
        .items()
        .send()
        .all()
        .await
}

#[async_trait]
impl Kind for Listener {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["load_balancer"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let listeners = stack_listeners(&self.0, stack).await?;
        let arns: Vec<String> = listeners
            .iter()
            .filter_map(|l| l.listener_arn().map(str::to_string))
            .collect();
        let mut tags = tags_of(&self.0, &arns).await?;
        Ok(listeners
            .iter()
            .filter_map(|l| {
                let arn = l.listener_arn()?;
                let t = tags.remove(arn).unwrap_or_default();
                let id = owned_id(&t, stack)?;
                Some(
                    Observed::new(KIND, id, arn)
                        .prop("load_balancer", l.load_balancer_arn().unwrap_or_default())
                        .prop("port", l.port().unwrap_or_default())
                        .prop(
                            "protocol",
                            l.protocol().map(|p| p.as_str()).unwrap_or_default(),
                        )
                        .prop("default_action", describe_action(l.default_actions()))
                        .output(out::ARN, arn)
                        .with_tags(t),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let out = self
            .0
            .elbv2
            .create_listener()
            .load_balancer_arn(node.str("load_balancer")?)
            .port(node.int("port")?)
            .protocol(ProtocolEnum::from(node.str("protocol")?))
            .default_actions(not_found())
            .set_tags(Some(elb_tags(&node.tags)))
            .send()
            .await
            .aws()?;
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .unwrap_or_default()
            .to_string();
        Ok(Observed::applied(KIND, node, &arn).output(out::ARN, &arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let arn = &current.cloud_id;
        if ["port", "protocol", "default_action"]
            .iter()
            .any(|f| FieldChange::touches(changes, f))
        {
            self.0
                .elbv2
                .modify_listener()
                .listener_arn(arn)
                .port(node.int("port")?)
                .protocol(ProtocolEnum::from(node.str("protocol")?))
                .default_actions(not_found())
                .send()
                .await
                .aws()?;
        }
        self.0.elbv2.apply_tags(arn, changes).await?;
        Ok(Observed::applied(KIND, node, arn).output(out::ARN, arn))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        ignore_not_found(
            self.0
                .elbv2
                .delete_listener()
                .listener_arn(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
