//! VPC endpoints: S3 as a gateway endpoint on the private route tables, ECR and CloudWatch Logs
//! as interface endpoints in the private subnets, so tasks pull images and ship logs without
//! NAT traffic (or without NAT at all).

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, VpcEndpoint as AwsEndpoint, VpcEndpointType};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt};
use crate::names;
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "vpc_endpoint";

fn base(stack: &str, tags: &Tags, service: &str, region: &str, kind: &str, vpc: Value) -> Node {
    Node::new(KIND, names::endpoint(service), stack, tags)
        .immutable("service_name", format!("com.amazonaws.{region}.{service}"))
        .immutable("type", kind)
        .immutable("vpc_id", vpc)
}

pub fn node_gateway(
    stack: &str,
    tags: &Tags,
    service: &str,
    region: &str,
    vpc: Value,
    route_tables: Vec<Value>,
) -> Node {
    base(stack, tags, service, region, "Gateway", vpc)
        .prop("route_table_ids", Value::Set(route_tables))
}

pub fn node_interface(
    stack: &str,
    tags: &Tags,
    service: &str,
    region: &str,
    vpc: Value,
    subnets: Vec<Value>,
    security_group: Value,
) -> Node {
    base(stack, tags, service, region, "Interface", vpc)
        .prop("subnet_ids", Value::Set(subnets))
        .prop("security_group_ids", Value::Set(vec![security_group]))
        .immutable("private_dns", true)
}

/// A VPC endpoint's properties, as create and update read them and discover writes them. A
/// gateway endpoint has `route_table_ids` only, an interface endpoint the other three only.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    service_name: String,
    /// `Gateway` or `Interface`.
    #[serde(rename = "type")]
    endpoint_type: String,
    vpc_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    route_table_ids: Option<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subnet_ids: Option<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    security_group_ids: Option<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_dns: Option<bool>,
}

pub struct VpcEndpoint(pub Aws);

fn observe(e: &AwsEndpoint, owner: Owner, tags: Tags) -> Option<Observed> {
    let interface = e.vpc_endpoint_type() == Some(&VpcEndpointType::Interface);
    let groups = e.groups().iter().filter_map(|g| g.group_id());
    let props = Props {
        service_name: e.service_name().unwrap_or_default().to_string(),
        endpoint_type: e
            .vpc_endpoint_type()
            .map(|t| t.as_str())
            .unwrap_or_default()
            .to_string(),
        vpc_id: e.vpc_id().unwrap_or_default().to_string(),
        route_table_ids: (!interface).then(|| e.route_table_ids().iter().cloned().collect()),
        subnet_ids: interface.then(|| e.subnet_ids().iter().cloned().collect()),
        security_group_ids: interface.then(|| groups.map(str::to_string).collect()),
        private_dns: interface.then(|| e.private_dns_enabled().unwrap_or(false)),
    };
    Some(
        Observed::new(KIND, owner, e.vpc_endpoint_id()?)
            .with_props(&props)
            .with_tags(tags),
    )
}

impl VpcEndpoint {
    /// The endpoint's state in lower case, `None` once it is gone. (EC2 reports these states in
    /// lower case, which the SDK's `State` enum, spelled in upper camel case, doesn't parse.)
    async fn state(&self, endpoint_id: &str) -> Result<Option<String>, CloudError> {
        match self
            .0
            .ec2
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(endpoint_id)
            .into_paginator()
            .items()
            .send()
            .try_next()
            .await
            .aws()
        {
            Ok(found) => Ok(found.as_ref().map(state_of).filter(|s| s != "deleted")),
            Err(e) if crate::error::is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn state_of(e: &AwsEndpoint) -> String {
    e.state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

/// What to add to and remove from a set property to go from `have` (current) to `want`
/// (the node's); absent as empty.
type Delta = (Option<Vec<String>>, Option<Vec<String>>);
fn delta(want: Option<&BTreeSet<String>>, have: Option<&BTreeSet<String>>) -> Delta {
    let empty = BTreeSet::new();
    let (want, have) = (want.unwrap_or(&empty), have.unwrap_or(&empty));
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        let out: Vec<String> = a.difference(b).cloned().collect();
        Some(out).filter(|v| !v.is_empty())
    };
    (only(want, have), only(have, want))
}

#[async_trait]
impl Kind for VpcEndpoint {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["vpc", "subnet", "route_table", "security_group"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let endpoints = self
            .0
            .ec2
            .describe_vpc_endpoints()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(endpoints
            .iter()
            .filter(|e| !matches!(state_of(e).as_str(), "deleted" | "deleting"))
            .filter_map(|e| {
                let tags = from_ec2(e.tags());
                let id = owned_id(&tags, stack)?;
                observe(e, id, tags)
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let interface = props.endpoint_type == "Interface";
        let ids =
            |set: Option<BTreeSet<String>>| Some(set.unwrap_or_default().into_iter().collect());
        let mut call = self
            .0
            .ec2
            .create_vpc_endpoint()
            .vpc_id(props.vpc_id)
            .service_name(props.service_name)
            .vpc_endpoint_type(VpcEndpointType::from(props.endpoint_type.as_str()))
            .tag_specifications(ec2_tag_spec(ResourceType::VpcEndpoint, &node.tags));
        if interface {
            call = call
                .set_subnet_ids(ids(props.subnet_ids))
                .set_security_group_ids(ids(props.security_group_ids))
                .set_private_dns_enabled(props.private_dns);
        } else {
            call = call.set_route_table_ids(ids(props.route_table_ids));
        }
        let out = call.send().await.aws()?;
        let endpoint_id = out
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .unwrap_or_default()
            .to_string();
        cx.wait_until("the VPC endpoint to be available", || async {
            let state = self
                .state(&endpoint_id)
                .await?
                .unwrap_or_else(|| "not visible yet".into());
            match state.as_str() {
                "available" => Ok((Some(()), state)),
                "failed" | "rejected" | "expired" => Err(CloudError::fatal(format!(
                    "VPC endpoint {endpoint_id} is {state}"
                ))),
                _ => Ok((None, state)),
            }
        })
        .await?;
        Ok(Observed::applied(KIND, node, endpoint_id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let touched = ["route_table_ids", "subnet_ids", "security_group_ids"]
            .iter()
            .any(|k| FieldChange::touches(changes, k));
        if touched {
            let (want, have): (Props, Props) = (node.typed()?, current.typed()?);
            let (add_rt, remove_rt) =
                delta(want.route_table_ids.as_ref(), have.route_table_ids.as_ref());
            let (add_subnet, remove_subnet) =
                delta(want.subnet_ids.as_ref(), have.subnet_ids.as_ref());
            let (add_sg, remove_sg) = delta(
                want.security_group_ids.as_ref(),
                have.security_group_ids.as_ref(),
            );
            self.0
                .ec2
                .modify_vpc_endpoint()
                .vpc_endpoint_id(&current.cloud_id)
                .set_add_route_table_ids(add_rt)
                .set_remove_route_table_ids(remove_rt)
                .set_add_subnet_ids(add_subnet)
                .set_remove_subnet_ids(remove_subnet)
                .set_add_security_group_ids(add_sg)
                .set_remove_security_group_ids(remove_sg)
                .send()
                .await
                .aws()?;
        }
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
        Ok(Observed::applied(KIND, node, &current.cloud_id))
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        if self.state(&current.cloud_id).await?.is_none() {
            return Ok(());
        }
        self.0
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(&current.cloud_id)
            .send()
            .await
            .aws()?;
        cx.wait_until("the VPC endpoint to be deleted", || async {
            let state = self.state(&current.cloud_id).await?;
            Ok((
                state.is_none().then_some(()),
                state.unwrap_or_else(|| "gone".into()),
            ))
        })
        .await
    }
}
