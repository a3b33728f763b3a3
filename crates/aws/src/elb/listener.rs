//! The load balancer's listeners. Without TLS, one on port 80 that serves the services.
//! With TLS, one on 443 that serves them with the certificate, and port 80 answering every
//! request with a permanent redirect to HTTPS. Anything no service claims gets a plain 404.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum,
};
use berth_engine::{
    CloudError, FieldChange, Kind, LogicalId, Node, Observed, OpCtx, PropsExt, Resolved, Tags,
    Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::elb::{elb_tags, stack_load_balancer, tags_of};
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::out;
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "listener";
const NOT_FOUND: &str = "fixed-response:404";
const TO_HTTPS: &str = "redirect:HTTPS:443:HTTP_301";

/// TLS 1.3, falling back to 1.2 only, with forward-secret ciphers: AWS's recommended policy
/// for ALBs (Elastic Load Balancing guide, "Security policies for your Application Load
/// Balancer").
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// What a listener is for.
pub enum Role {
    /// Plain HTTP on port 80, serving the services (no TLS configured).
    Http,
    /// Port 80 redirecting everything to HTTPS.
    RedirectToHttps,
    /// HTTPS on port 443 with this certificate (an ARN), serving the services.
    Https { certificate: Value },
}

pub fn node(stack: &str, tags: &Tags, id: LogicalId, load_balancer: Value, role: Role) -> Node {
    let node = Node::new(KIND, id, stack, tags).immutable("load_balancer", load_balancer);
    let null = || Value::from(serde_json::Value::Null);
    match role {
        Role::Http | Role::RedirectToHttps => node
            .prop("port", 80u32)
            .prop("protocol", "HTTP")
            .prop("certificate", null())
            .prop("ssl_policy", null())
            .prop(
                "default_action",
                if matches!(role, Role::Http) {
                    NOT_FOUND
                } else {
                    TO_HTTPS
                },
            ),
        Role::Https { certificate } => node
            .prop("port", 443u32)
            .prop("protocol", "HTTPS")
            .prop("certificate", certificate)
            .prop("ssl_policy", TLS_POLICY)
            .prop("default_action", NOT_FOUND),
    }
}

/// A listener's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    load_balancer: String,
    port: i32,
    protocol: String,
    /// The certificate's ARN (HTTPS only).
    certificate: Option<String>,
    ssl_policy: Option<String>,
    default_action: String,
}

impl Props {
    fn default_action(&self) -> Action {
        if self.default_action == TO_HTTPS {
            to_https()
        } else {
            not_found()
        }
    }
    fn certificates(&self) -> Option<Vec<Certificate>> {
        self.certificate
            .as_ref()
            .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
    }
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

/// The same host, path and query, over HTTPS: `#{host}` etc. are the defaults.
fn to_https() -> Action {
    let redirect = RedirectActionConfig::builder()
        .protocol("HTTPS")
        .port("443")
        .status_code(RedirectActionStatusCodeEnum::Http301)
        .build();
    Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(redirect)
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
        Some(a) if a.r#type() == Some(&ActionTypeEnum::Redirect) => {
            let c = a.redirect_config();
            format!(
                "redirect:{}:{}:{}",
                c.and_then(|c| c.protocol()).unwrap_or_default(),
                c.and_then(|c| c.port()).unwrap_or_default(),
                c.and_then(|c| c.status_code())
                    .map(|s| s.as_str())
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
        &["load_balancer", "certificate_validation"]
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
                let props = Props {
                    load_balancer: l.load_balancer_arn().unwrap_or_default().to_string(),
                    port: l.port().unwrap_or_default(),
                    protocol: l
                        .protocol()
                        .map(|p| p.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    certificate: l
                        .certificates()
                        .first()
                        .and_then(|c| c.certificate_arn())
                        .map(str::to_string),
                    // Only HTTPS listeners have one (moto reports a default on HTTP too).
                    ssl_policy: l
                        .ssl_policy()
                        .filter(|_| l.protocol() == Some(&ProtocolEnum::Https))
                        .map(str::to_string),
                    default_action: describe_action(l.default_actions()),
                };
                Some(
                    Observed::new(KIND, id, arn)
                        .with_props(&props)
                        .output(out::ARN, arn)
                        .with_tags(t),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .elbv2
            .create_listener()
            .load_balancer_arn(&props.load_balancer)
            .port(props.port)
            .protocol(ProtocolEnum::from(props.protocol.as_str()))
            .set_certificates(props.certificates())
            .set_ssl_policy(props.ssl_policy.clone())
            .default_actions(props.default_action())
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
        let props: Props = node.typed()?;
        let arn = &current.cloud_id;
        if [
            "port",
            "protocol",
            "certificate",
            "ssl_policy",
            "default_action",
        ]
        .iter()
        .any(|f| FieldChange::touches(changes, f))
        {
            self.0
                .elbv2
                .modify_listener()
                .listener_arn(arn)
                .port(props.port)
                .protocol(ProtocolEnum::from(props.protocol.as_str()))
                .set_certificates(props.certificates())
                .set_ssl_policy(props.ssl_policy.clone())
                .default_actions(props.default_action())
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
