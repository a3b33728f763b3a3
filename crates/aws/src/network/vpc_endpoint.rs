//! VPC endpoints: S3 as a gateway endpoint on the private route tables, ECR and CloudWatch Logs
//! as interface endpoints in the private subnets, so tasks pull images and ship logs without
//! NAT traffic (or without NAT at all).

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, VpcEndpoint as AwsEndpoint, VpcEndpointType};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags, Value,
    json_set,
};

use crate::error::{AllPages, AwsResultExt};
use crate::names;
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter};
use crate::{Aws, owned};

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

pub struct VpcEndpoint(pub Aws);

fn observe(e: &AwsEndpoint, owner: Owner, tags: Tags) -> Option<Observed> {
    let interface = e.vpc_endpoint_type() == Some(&VpcEndpointType::Interface);
    let mut o = Observed::new(KIND, owner, e.vpc_endpoint_id()?)
        .prop("service_name", e.service_name().unwrap_or_default())
        .prop(
            "type",
            e.vpc_endpoint_type()
                .map(|t| t.as_str())
                .unwrap_or_default(),
        )
        .prop("vpc_id", e.vpc_id().unwrap_or_default())
        .with_tags(tags);
    if interface {
        let groups = e.groups().iter().filter_map(|g| g.group_id());
        o = o
            .prop(
                "subnet_ids",
                json_set(e.subnet_ids().iter().map(String::as_str)),
            )
            .prop("security_group_ids", json_set(groups))
            .prop("private_dns", e.private_dns_enabled().unwrap_or(false));
    } else {
        o = o.prop(
            "route_table_ids",
            json_set(e.route_table_ids().iter().map(String::as_str)),
        );
    }
    Some(o)
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

/// What to add to and remove from a set property to go from `current` to `node`.
type Delta = (Option<Vec<String>>, Option<Vec<String>>);
fn delta(node: &Resolved, current: &Observed, key: &str) -> Result<Delta, CloudError> {
    let (want, have) = (node.strs(key)?, current.strs(key)?);
    let only = |a: &[&str], b: &[&str]| {
        let out: Vec<String> = a
            .iter()
            .filter(|x| !b.contains(x))
            .map(|x| x.to_string())
            .collect();
        Some(out).filter(|v| !v.is_empty())
    };
    Ok((only(&want, &have), only(&have, &want)))
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
        let interface = node.str("type")? == "Interface";
        let mut call = self
            .0
            .ec2
            .create_vpc_endpoint()
            .vpc_id(node.str("vpc_id")?)
            .service_name(node.str("service_name")?)
            .vpc_endpoint_type(VpcEndpointType::from(node.str("type")?))
            .tag_specifications(ec2_tag_spec(ResourceType::VpcEndpoint, &node.tags));
        if interface {
            call = call
                .set_subnet_ids(Some(owned(node.strs("subnet_ids")?)))
                .set_security_group_ids(Some(owned(node.strs("security_group_ids")?)))
                .private_dns_enabled(node.bool("private_dns")?);
        } else {
            call = call.set_route_table_ids(Some(owned(node.strs("route_table_ids")?)));
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
            let (add_rt, remove_rt) = delta(node, current, "route_table_ids")?;
            let (add_subnet, remove_subnet) = delta(node, current, "subnet_ids")?;
            let (add_sg, remove_sg) = delta(node, current, "security_group_ids")?;
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
