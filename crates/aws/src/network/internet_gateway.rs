//! The internet gateway and its attachment to the VPC (an attachment has no tags of its own,
//! so it is a property of the gateway).

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found, is_not_found};
use crate::names;
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "internet_gateway";

pub fn node(stack: &str, tags: &Tags, vpc: Value) -> Node {
    Node::new(KIND, names::internet_gateway(), stack, tags).prop("vpc_id", vpc)
}

/// An internet gateway's properties, as create and update read them and discover writes them.
/// `vpc_id` is empty while the gateway is attached to no VPC.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    vpc_id: String,
}

pub struct InternetGateway(pub Aws);

impl InternetGateway {
    async fn attach(&self, igw: &str, vpc: &str) -> Result<(), CloudError> {
        self.0
            .ec2
            .attach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc)
            .send()
            .await
            .aws()?;
        Ok(())
    }
    /// Detaching what is not attached (any more) is fine.
    async fn detach(&self, igw: &str, vpc: &str) -> Result<(), CloudError> {
        match self
            .0
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc)
            .send()
            .await
            .aws()
        {
            Err(e) if is_not_found(&e) || e.code.as_deref() == Some("Gateway.NotAttached") => {
                Ok(())
            }
            other => other.map(drop),
        }
    }
}

#[async_trait]
impl Kind for InternetGateway {
    fn name(&self) -> &'static str {
        KIND
    }
    fn delete_deadline(&self) -> Option<std::time::Duration> {
        Some(crate::NETWORK_RELEASE)
    }
    fn after(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let gateways = self
            .0
            .ec2
            .describe_internet_gateways()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(gateways
            .iter()
            .filter_map(|g| {
                let tags = from_ec2(g.tags());
                let id = owned_id(&tags, stack)?;
                let props = Props {
                    vpc_id: g
                        .attachments()
                        .iter()
                        .find_map(|a| a.vpc_id())
                        .unwrap_or_default()
                        .to_string(),
                };
                Some(
                    Observed::new(KIND, id, g.internet_gateway_id()?)
                        .with_props(&props)
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .ec2
            .create_internet_gateway()
            .tag_specifications(ec2_tag_spec(ResourceType::InternetGateway, &node.tags))
            .send()
            .await
            .aws()?;
        let igw = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        cx.on_fresh(|| self.attach(&igw, &props.vpc_id)).await?;
        Ok(Observed::applied(KIND, node, igw))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        if FieldChange::touches(changes, "vpc_id") {
            let old: Props = current.typed()?;
            if !old.vpc_id.is_empty() {
                self.detach(&current.cloud_id, &old.vpc_id).await?;
            }
            self.attach(&current.cloud_id, &props.vpc_id).await?;
        }
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
        Ok(Observed::applied(KIND, node, &current.cloud_id))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let props: Props = current.typed()?;
        if !props.vpc_id.is_empty() {
            self.detach(&current.cloud_id, &props.vpc_id).await?;
        }
        ignore_not_found(
            self.0
                .ec2
                .delete_internet_gateway()
                .internet_gateway_id(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
