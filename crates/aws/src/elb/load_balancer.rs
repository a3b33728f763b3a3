//! The internet-facing application load balancer over the public subnets, named after the
//! stack. Invalid headers are dropped.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::elb::{arn_resource, elb_tags, stack_load_balancer, tags_of};
use crate::error::{AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "load_balancer";

pub fn node(stack: &str, tags: &Tags, subnets: Vec<Value>, security_group: Value) -> Node {
    Node::new(KIND, names::load_balancer(), stack, tags)
        .immutable("name", stack)
        .immutable("scheme", "internet-facing")
        .prop("subnets", Value::Set(subnets))
        .prop("security_groups", Value::Set(vec![security_group]))
        .prop("drop_invalid_headers", true)
}

/// A load balancer's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    scheme: String,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    drop_invalid_headers: bool,
}

pub struct LoadBalancer(pub Aws);

/// Members sorted and each once, as a set property holds them.
fn set_of<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut set: Vec<String> = items.map(str::to_string).collect();
    set.sort();
    set.dedup();
    set
}

fn outputs(o: Observed, arn: &str, dns: &str, zone: &str) -> Observed {
    o.output(out::ARN, arn)
        .output(out::DNS_NAME, dns)
        .output(out::ZONE_ID, zone)
        .output(
            out::ARN_SUFFIX,
            arn_resource(arn).trim_start_matches("loadbalancer/"),
        )
}

impl LoadBalancer {
    async fn drop_invalid_headers(&self, arn: &str) -> Result<bool, CloudError> {
        let out = self
            .0
            .elbv2
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .aws()?;
        Ok(out.attributes().iter().any(|a| {
            a.key() == Some("routing.http.drop_invalid_header_fields.enabled")
                && a.value() == Some("true")
        }))
    }
    async fn set_attributes(&self, arn: &str, props: &Props) -> Result<(), CloudError> {
        let attr = LoadBalancerAttribute::builder()
            .key("routing.http.drop_invalid_header_fields.enabled")
            .value(props.drop_invalid_headers.to_string())
            .build();
        self.0
            .elbv2
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .attributes(attr)
            .send()
            .await
            .aws()?;
        Ok(())
    }
}

#[async_trait]
impl Kind for LoadBalancer {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["subnet", "security_group", "internet_gateway"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let Some(lb) = stack_load_balancer(&self.0, stack).await? else {
            return Ok(vec![]);
        };
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        let tags = tags_of(&self.0, std::slice::from_ref(&arn))
            .await?
            .remove(&arn)
            .unwrap_or_default();
        let Some(id) = owned_id(&tags, stack) else {
            return Ok(vec![]);
        };
        let props = Props {
            name: lb.load_balancer_name().unwrap_or_default().to_string(),
            scheme: lb
                .scheme()
                .map(|s| s.as_str())
                .unwrap_or_default()
                .to_string(),
            subnets: set_of(lb.availability_zones().iter().filter_map(|z| z.subnet_id())),
            security_groups: set_of(lb.security_groups().iter().map(String::as_str)),
            drop_invalid_headers: self.drop_invalid_headers(&arn).await?,
        };
        let o = Observed::new(KIND, id, &arn)
            .with_props(&props)
            .with_tags(tags);
        Ok(vec![outputs(
            o,
            &arn,
            lb.dns_name().unwrap_or_default(),
            lb.canonical_hosted_zone_id().unwrap_or_default(),
        )])
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .elbv2
            .create_load_balancer()
            .name(&props.name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(LoadBalancerSchemeEnum::InternetFacing)
            .set_subnets(Some(props.subnets.clone()))
            .set_security_groups(Some(props.security_groups.clone()))
            .set_tags(Some(elb_tags(&node.tags)))
            .send()
            .await
            .aws()?;
        let lb = out
            .load_balancers()
            .first()
            .ok_or_else(|| CloudError::fatal("CreateLoadBalancer returned nothing"))?;
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        self.set_attributes(&arn, &props).await?;
        cx.wait_until("the load balancer to be active", || async {
            let lb = self
                .0
                .elbv2
                .describe_load_balancers()
                .load_balancer_arns(&arn)
                .into_paginator()
                .items()
                .send()
                .try_next()
                .await
                .aws()?;
            let state = lb
                .as_ref()
                .and_then(|l| l.state())
                .and_then(|s| s.code())
                .cloned();
            let name = state
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match state {
                Some(LoadBalancerStateEnum::Active) => Ok((Some(()), name)),
                Some(LoadBalancerStateEnum::Failed) => {
                    Err(CloudError::fatal(format!("load balancer {arn} failed")))
                }
                _ => Ok((None, name)),
            }
        })
        .await?;
        let o = Observed::applied(KIND, node, &arn);
        Ok(outputs(
            o,
            &arn,
            lb.dns_name().unwrap_or_default(),
            lb.canonical_hosted_zone_id().unwrap_or_default(),
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
        let elb = &self.0.elbv2;
        if FieldChange::touches(changes, "subnets") {
            elb.set_subnets()
                .load_balancer_arn(arn)
                .set_subnets(Some(props.subnets.clone()))
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "security_groups") {
            elb.set_security_groups()
                .load_balancer_arn(arn)
                .set_security_groups(Some(props.security_groups.clone()))
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "drop_invalid_headers") {
            self.set_attributes(arn, &props).await?;
        }
        self.0.elbv2.apply_tags(arn, changes).await?;
        let mut o = Observed::applied(KIND, node, arn);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let arn = &current.cloud_id;
        ignore_not_found(
            self.0
                .elbv2
                .delete_load_balancer()
                .load_balancer_arn(arn)
                .send()
                .await
                .aws()
                .map(drop),
        )?;
        cx.wait_until("the load balancer to be deleted", || async {
            match self
                .0
                .elbv2
                .describe_load_balancers()
                .load_balancer_arns(arn)
                .into_paginator()
                .items()
                .send()
                .try_next()
                .await
                .aws()
            {
                Ok(Some(_)) => Ok((None, "deleting".to_string())),
                Ok(None) => Ok((Some(()), "gone".to_string())),
                Err(e) if e.code.as_deref().is_some_and(|c| c.contains("NotFound")) => {
                    Ok((Some(()), "gone".to_string()))
                }
                Err(e) => Err(e),
            }
        })
        .await
    }
}
