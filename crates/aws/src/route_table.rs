//! Route tables with their default route and subnet associations. Neither a route nor an
//! association can carry tags, so both are properties of the table that owns them.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteTable as AwsRouteTable};
use berth_engine::{CloudError, FieldChange, Kind, Node, Observed, OpCtx, Resolved, Tags, Value};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::tags::{ec2_tag_spec, filter, from_ec2, owned_id, stack_filter, update_ec2_tags};

pub const KIND: &str = "route_table";
const ANYWHERE: &str = "0.0.0.0/0";

/// `default_route`: the internet gateway or NAT gateway id for 0.0.0.0/0, or none.
pub fn node(
    stack: &str,
    tags: &Tags,
    name: &str,
    vpc: Value,
    default_route: Option<Value>,
    subnets: Vec<Value>,
) -> Node {
    Node::new(KIND, format!("rt/{name}"), stack, tags)
        .prop("vpc_id", vpc)
        .prop(
            "default_route",
            default_route.unwrap_or_else(|| Value::from("")),
        )
        .prop("subnets", Value::Set(subnets))
}

pub struct RouteTable(pub Aws);

fn default_route(rt: &AwsRouteTable) -> &str {
    rt.routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some(ANYWHERE))
        .and_then(|r| r.nat_gateway_id().or(r.gateway_id()))
        .unwrap_or_default()
}

fn associated_subnets(rt: &AwsRouteTable) -> BTreeSet<String> {
    rt.associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
        .collect()
}

fn set_of(value: &str) -> BTreeSet<String> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl RouteTable {
    async fn describe(&self, rt_id: &str) -> Result<AwsRouteTable, CloudError> {
        // Filtered pages may come back empty: read on to the first match.
        self.0
            .ec2
            .describe_route_tables()
            .filters(filter("route-table-id", rt_id))
            .into_paginator()
            .items()
            .send()
            .try_next()
            .await
            .aws()?
            .ok_or_else(|| CloudError::not_ready(format!("route table {rt_id} not visible yet")))
    }

    async fn set_default_route(&self, rt_id: &str, old: &str, new: &str) -> Result<(), CloudError> {
        let ec2 = &self.0.ec2;
        if new.is_empty() {
            let deleted = ec2
                .delete_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANYWHERE)
                .send()
                .await
                .aws();
            return ignore_not_found(deleted.map(drop));
        }
        let nat = new.starts_with("nat-");
        if old.is_empty() {
            let call = ec2
                .create_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANYWHERE);
            let call = if nat {
                call.nat_gateway_id(new)
            } else {
                call.gateway_id(new)
            };
            call.send().await.aws()?;
        } else {
            let call = ec2
                .replace_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANYWHERE);
            let call = if nat {
                call.nat_gateway_id(new)
            } else {
                call.gateway_id(new)
            };
            call.send().await.aws()?;
        }
        Ok(())
    }

    /// Associate and disassociate subnets until the table holds exactly `wanted`.
    async fn set_subnets(&self, rt_id: &str, wanted: &BTreeSet<String>) -> Result<(), CloudError> {
        let rt = self.describe(rt_id).await?;
        for assoc in rt.associations() {
            let (Some(subnet), Some(assoc_id)) =
                (assoc.subnet_id(), assoc.route_table_association_id())
            else {
                continue;
            };
            if !wanted.contains(subnet) {
                let out = self
                    .0
                    .ec2
                    .disassociate_route_table()
                    .association_id(assoc_id)
                    .send()
                    .await
                    .aws();
                ignore_not_found(out.map(drop))?;
            }
        }
        let have = associated_subnets(&rt);
        for subnet in wanted.difference(&have) {
            self.0
                .ec2
                .associate_route_table()
                .route_table_id(rt_id)
                .subnet_id(subnet)
                .send()
                .await
                .aws()?;
        }
        Ok(())
    }
}

#[async_trait]
impl Kind for RouteTable {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["vpc", "subnet", "internet_gateway", "nat_gateway"]
    }
    fn immutable(&self) -> &'static [&'static str] {
        &["vpc_id"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let tables = self
            .0
            .ec2
            .describe_route_tables()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(tables
            .iter()
            .filter_map(|rt| {
                let tags = from_ec2(rt.tags());
                let id = owned_id(&tags, stack)?.to_string();
                let subnets: Vec<String> = associated_subnets(rt).into_iter().collect();
                Some(
                    Observed::new(KIND, id, rt.route_table_id()?)
                        .prop("vpc_id", rt.vpc_id().unwrap_or_default())
                        .prop("default_route", default_route(rt))
                        .prop("subnets", subnets.join(","))
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let out = self
            .0
            .ec2
            .create_route_table()
            .vpc_id(node.get("vpc_id"))
            .tag_specifications(ec2_tag_spec(ResourceType::RouteTable, &node.tags))
            .send()
            .await
            .aws()?;
        let rt_id = out
            .route_table()
            .and_then(|r| r.route_table_id())
            .unwrap_or_default()
            .to_string();
        cx.on_fresh(|| self.set_default_route(&rt_id, "", node.get("default_route")))
            .await?;
        let subnets = set_of(node.get("subnets"));
        cx.on_fresh(|| self.set_subnets(&rt_id, &subnets)).await?;
        Ok(Observed::applied(KIND, node, rt_id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let id = &current.cloud_id;
        if FieldChange::touches(changes, "default_route") {
            let old = current
                .props
                .get("default_route")
                .map(String::as_str)
                .unwrap_or_default();
            self.set_default_route(id, old, node.get("default_route"))
                .await?;
        }
        if FieldChange::touches(changes, "subnets") {
            self.set_subnets(id, &set_of(node.get("subnets"))).await?;
        }
        update_ec2_tags(&self.0.ec2, id, changes).await?;
        Ok(Observed::applied(KIND, node, id))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        match self.set_subnets(&current.cloud_id, &BTreeSet::new()).await {
            Err(e)
                if crate::error::is_not_found(&e)
                    || e.class == berth_engine::ErrorClass::NotReady =>
            {
                return Ok(());
            }
            other => other?,
        }
        ignore_not_found(
            self.0
                .ec2
                .delete_route_table()
                .route_table_id(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
