//! Subnets: one public and one private per zone. Only public subnets give instances public
//! IPs; nothing berth launches goes there but the load balancer and NAT gateways.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "subnet";

pub fn node(
    stack: &str,
    tags: &Tags,
    zone_letter: &str,
    vpc: Value,
    cidr: &str,
    az: &str,
    public: bool,
) -> Node {
    let tier = if public { "public" } else { "private" };
    Node::new(KIND, names::subnet(tier, zone_letter), stack, tags)
        .immutable("vpc_id", vpc)
        .immutable("cidr", cidr)
        .immutable("az", az)
        .prop("map_public_ip", public)
}

/// A subnet's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    vpc_id: String,
    cidr: String,
    az: String,
    map_public_ip: bool,
}

pub struct Subnet(pub Aws);

impl Subnet {
    async fn set_public_ip(&self, subnet_id: &str, on: bool) -> Result<(), CloudError> {
        let value = AttributeBooleanValue::builder().value(on).build();
        self.0
            .ec2
            .modify_subnet_attribute()
            .subnet_id(subnet_id)
            .map_public_ip_on_launch(value)
            .send()
            .await
            .aws()?;
        Ok(())
    }
}

#[async_trait]
impl Kind for Subnet {
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
        let subnets = self
            .0
            .ec2
            .describe_subnets()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(subnets
            .iter()
            .filter_map(|s| {
                let tags = from_ec2(s.tags());
                let id = owned_id(&tags, stack)?;
                let props = Props {
                    vpc_id: s.vpc_id().unwrap_or_default().to_string(),
                    cidr: s.cidr_block().unwrap_or_default().to_string(),
                    az: s.availability_zone().unwrap_or_default().to_string(),
                    map_public_ip: s.map_public_ip_on_launch().unwrap_or(false),
                };
                Some(
                    Observed::new(KIND, id, s.subnet_id()?)
                        .output(out::AZ, &props.az)
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
            .create_subnet()
            .vpc_id(props.vpc_id)
            .cidr_block(props.cidr)
            .availability_zone(&props.az)
            .tag_specifications(ec2_tag_spec(ResourceType::Subnet, &node.tags))
            .send()
            .await
            .aws()?;
        let subnet_id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap_or_default()
            .to_string();
        if props.map_public_ip {
            cx.on_fresh(|| self.set_public_ip(&subnet_id, true)).await?;
        }
        Ok(Observed::applied(KIND, node, &subnet_id).output(out::AZ, props.az))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        if FieldChange::touches(changes, "map_public_ip") {
            self.set_public_ip(&current.cloud_id, props.map_public_ip)
                .await?;
        }
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
        Ok(Observed::applied(KIND, node, &current.cloud_id).output(out::AZ, props.az))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        ignore_not_found(
            self.0
                .ec2
                .delete_subnet()
                .subnet_id(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
