//! NAT gateways: outbound internet for the private subnets. AWS takes a minute or two to make
//! one available and as long to delete it; both are waited for here, with progress.

use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGateway as AwsNat, NatGatewayState, ResourceType};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt};
use crate::names;
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, filter, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "nat_gateway";

pub fn node(stack: &str, tags: &Tags, name: &str, subnet: Value, eip: Value) -> Node {
    Node::new(KIND, names::nat_gateway(name), stack, tags)
        .immutable("subnet_id", subnet)
        .immutable("allocation_id", eip)
}

/// A NAT gateway's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    subnet_id: String,
    allocation_id: String,
}

pub struct NatGateway(pub Aws);

impl NatGateway {
    async fn describe(&self, nat_id: &str) -> Result<Option<AwsNat>, CloudError> {
        // Filtered pages may come back empty: read on to the first match.
        self.0
            .ec2
            .describe_nat_gateways()
            .filter(filter("nat-gateway-id", nat_id))
            .into_paginator()
            .items()
            .send()
            .try_next()
            .await
            .aws()
    }
    fn state(nat: &Option<AwsNat>) -> String {
        nat.as_ref()
            .and_then(|n| n.state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "not visible yet".into())
    }
}

fn allocation(nat: &AwsNat) -> &str {
    nat.nat_gateway_addresses()
        .iter()
        .find_map(|a| a.allocation_id())
        .unwrap_or_default()
}

#[async_trait]
impl Kind for NatGateway {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["subnet", "eip", "internet_gateway"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let gateways = self
            .0
            .ec2
            .describe_nat_gateways()
            .filter(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(gateways
            .iter()
            .filter(|n| {
                !matches!(
                    n.state(),
                    Some(
                        NatGatewayState::Deleted
                            | NatGatewayState::Deleting
                            | NatGatewayState::Failed
                    )
                )
            })
            .filter_map(|n| {
                let tags = from_ec2(n.tags());
                let id = owned_id(&tags, stack)?;
                let props = Props {
                    subnet_id: n.subnet_id().unwrap_or_default().to_string(),
                    allocation_id: allocation(n).to_string(),
                };
                Some(
                    Observed::new(KIND, id, n.nat_gateway_id()?)
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
            .create_nat_gateway()
            .subnet_id(props.subnet_id)
            .allocation_id(props.allocation_id)
            .tag_specifications(ec2_tag_spec(ResourceType::Natgateway, &node.tags))
            .send()
            .await
            .aws()?;
        let nat_id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .unwrap_or_default()
            .to_string();
        cx.wait_until("the NAT gateway to be available", || async {
            let nat = self.describe(&nat_id).await?;
            let state = Self::state(&nat);
            match nat.as_ref().and_then(|n| n.state()) {
                Some(NatGatewayState::Available) => Ok((Some(()), state)),
                Some(NatGatewayState::Failed) => {
                    let why = nat
                        .as_ref()
                        .and_then(|n| n.failure_message())
                        .unwrap_or("no reason given");
                    Err(CloudError::fatal(format!(
                        "NAT gateway {nat_id} failed: {why}"
                    )))
                }
                _ => Ok((None, state)),
            }
        })
        .await?;
        Ok(Observed::applied(KIND, node, nat_id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
        Ok(Observed::applied(KIND, node, &current.cloud_id))
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        match self
            .0
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(&current.cloud_id)
            .send()
            .await
            .aws()
        {
            Err(e) if crate::error::is_not_found(&e) => return Ok(()),
            other => other.map(drop)?,
        }
        // Its Elastic IP and subnet stay in use until the gateway is really gone.
        cx.wait_until("the NAT gateway to be deleted", || async {
            let nat = self.describe(&current.cloud_id).await?;
            let gone = matches!(
                nat.as_ref().and_then(|n| n.state()),
                None | Some(NatGatewayState::Deleted)
            );
            Ok((gone.then_some(()), Self::state(&nat)))
        })
        .await
    }
}
