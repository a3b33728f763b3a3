//! Route tables with their default route and subnet associations. Neither a route nor an
//! association can carry tags, so both are properties of the table that owns them.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteTable as AwsRouteTable};
use berth_engine::{
    CloudError, FieldChange, Json, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names;
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, filter, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "route_table";
const ANYWHERE: &str = "0.0.0.0/0";

/// Where a table's default route (0.0.0.0/0) goes.
pub enum Target {
    InternetGateway(Value),
    NatGateway(Value),
}

/// The `default_route` property, desired or found: which kind of gateway, and its id. The
/// kind is stated, not guessed from the id's prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Route {
    InternetGateway(String),
    NatGateway(String),
}

pub fn node(
    stack: &str,
    tags: &Tags,
    name: &str,
    vpc: Value,
    default_route: Option<Target>,
    subnets: Vec<Value>,
) -> Node {
    let route = match default_route {
        Some(Target::InternetGateway(id)) => Value::Object(vec![("internet_gateway", id)]),
        Some(Target::NatGateway(id)) => Value::Object(vec![("nat_gateway", id)]),
        None => Value::Lit(Json::Null),
    };
    Node::new(KIND, names::route_table(name), stack, tags)
        .immutable("vpc_id", vpc)
        .prop("default_route", route)
        .prop("subnets", Value::Set(subnets))
}

/// A route table's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    vpc_id: String,
    /// Null for a table without a default route.
    default_route: Option<Route>,
    /// The associated subnets: a set, in its sorted order.
    subnets: BTreeSet<String>,
}

pub struct RouteTable(pub Aws);

fn default_route(rt: &AwsRouteTable) -> Option<Route> {
    let route = rt
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some(ANYWHERE))?;
    match (route.nat_gateway_id(), route.gateway_id()) {
        (Some(nat), _) => Some(Route::NatGateway(nat.to_string())),
        (None, Some(igw)) => Some(Route::InternetGateway(igw.to_string())),
        (None, None) => None,
    }
}

fn associated_subnets(rt: &AwsRouteTable) -> BTreeSet<String> {
    rt.associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
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

    async fn set_default_route(
        &self,
        rt_id: &str,
        old: Option<&Route>,
        new: Option<&Route>,
    ) -> Result<(), CloudError> {
        let ec2 = &self.0.ec2;
        let Some(new) = new else {
            let deleted = ec2
                .delete_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANYWHERE)
                .send()
                .await
                .aws();
            return ignore_not_found(deleted.map(drop));
        };
        let (nat, igw) = match new {
            Route::NatGateway(id) => (Some(id.clone()), None),
            Route::InternetGateway(id) => (None, Some(id.clone())),
        };
        if old.is_none() {
            ec2.create_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANYWHERE)
                .set_nat_gateway_id(nat)
                .set_gateway_id(igw)
                .send()
                .await
                .aws()?;
        } else {
            ec2.replace_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANYWHERE)
                .set_nat_gateway_id(nat)
                .set_gateway_id(igw)
                .send()
                .await
                .aws()?;
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
                let id = owned_id(&tags, stack)?;
                let props = Props {
                    vpc_id: rt.vpc_id().unwrap_or_default().to_string(),
                    default_route: default_route(rt),
                    subnets: associated_subnets(rt),
                };
                Some(
                    Observed::new(KIND, id, rt.route_table_id()?)
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
            .create_route_table()
            .vpc_id(props.vpc_id)
            .tag_specifications(ec2_tag_spec(ResourceType::RouteTable, &node.tags))
            .send()
            .await
            .aws()?;
        let rt_id = out
            .route_table()
            .and_then(|r| r.route_table_id())
            .unwrap_or_default()
            .to_string();
        let route = props.default_route.as_ref();
        cx.on_fresh(|| self.set_default_route(&rt_id, None, route))
            .await?;
        cx.on_fresh(|| self.set_subnets(&rt_id, &props.subnets))
            .await?;
        Ok(Observed::applied(KIND, node, rt_id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let id = &current.cloud_id;
        if FieldChange::touches(changes, "default_route") {
            let old: Props = current.typed()?;
            self.set_default_route(id, old.default_route.as_ref(), props.default_route.as_ref())
                .await?;
        }
        if FieldChange::touches(changes, "subnets") {
            self.set_subnets(id, &props.subnets).await?;
        }
        self.0.ec2.apply_tags(id, changes).await?;
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
