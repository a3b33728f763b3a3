//! Security groups. Ingress rules are a set of canonical strings, `tcp:FROM-TO:SOURCE`, where
//! SOURCE is a CIDR or another group's id; egress is AWS's default (all outbound).

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, UserIdGroupPair};
use berth_engine::{CloudError, FieldChange, Kind, Node, Observed, OpCtx, Resolved, Tags, Value};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter, update_ec2_tags};

pub const KIND: &str = "security_group";

/// One ingress rule (TCP only: berth serves HTTP).
pub enum Ingress {
    Cidr { from: u16, to: u16, cidr: String },
    Group { from: u16, to: u16, group: Value },
}

impl Ingress {
    fn canonical(self) -> Value {
        match self {
            Ingress::Cidr { from, to, cidr } => Value::from(format!("tcp:{from}-{to}:{cidr}")),
            Ingress::Group { from, to, group } => {
                Value::Concat(vec![Value::from(format!("tcp:{from}-{to}:")), group])
            }
        }
    }
}

pub fn node(
    stack: &str,
    tags: &Tags,
    name: &str,
    vpc: Value,
    description: &str,
    ingress: Vec<Ingress>,
) -> Node {
    Node::new(KIND, format!("sg/{name}"), stack, tags)
        .prop("vpc_id", vpc)
        .prop("group_name", format!("{stack}-{name}"))
        .prop("description", description)
        .prop(
            "ingress",
            Value::Set(ingress.into_iter().map(Ingress::canonical).collect()),
        )
}

pub struct SecurityGroup(pub Aws);

/// `tcp:80-80:0.0.0.0/0` -> an IpPermission.
fn permission(rule: &str) -> Result<IpPermission, CloudError> {
    let bad = || CloudError::fatal(format!("malformed ingress rule `{rule}`"));
    let mut parts = rule.splitn(3, ':');
    let (proto, ports, source) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let (from, to) = ports.split_once('-').ok_or_else(bad)?;
    let builder = IpPermission::builder()
        .ip_protocol(proto)
        .from_port(from.parse().map_err(|_| bad())?)
        .to_port(to.parse().map_err(|_| bad())?);
    Ok(if source.starts_with("sg-") {
        builder
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(source).build())
            .build()
    } else {
        builder
            .ip_ranges(IpRange::builder().cidr_ip(source).build())
            .build()
    })
}

/// The canonical strings of a group's ingress permissions.
fn canonical(perms: &[IpPermission]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in perms {
        let head = format!(
            "{}:{}-{}",
            p.ip_protocol().unwrap_or("-1"),
            p.from_port().unwrap_or(0),
            p.to_port().unwrap_or(0)
        );
        out.extend(
            p.ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .map(|c| format!("{head}:{c}")),
        );
        out.extend(
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .map(|g| format!("{head}:{g}")),
        );
    }
    out
}

fn set_of(value: &str) -> BTreeSet<String> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl SecurityGroup {
    /// Authorize (`grant`) or revoke a set of rules in one call.
    async fn set_rules(
        &self,
        group: &str,
        rules: &BTreeSet<String>,
        grant: bool,
    ) -> Result<(), CloudError> {
        if rules.is_empty() {
            return Ok(());
        }
        let perms = Some(
            rules
                .iter()
                .map(|r| permission(r))
                .collect::<Result<Vec<_>, _>>()?,
        );
        let ec2 = &self.0.ec2;
        if grant {
            ec2.authorize_security_group_ingress()
                .group_id(group)
                .set_ip_permissions(perms)
                .send()
                .await
                .aws()?;
        } else {
            ec2.revoke_security_group_ingress()
                .group_id(group)
                .set_ip_permissions(perms)
                .send()
                .await
                .aws()?;
        }
        Ok(())
    }
}

#[async_trait]
impl Kind for SecurityGroup {
    fn name(&self) -> &'static str {
        KIND
    }
    fn delete_deadline(&self) -> Option<std::time::Duration> {
        Some(crate::NETWORK_RELEASE)
    }
    fn after(&self) -> &'static [&'static str] {
        &["vpc"]
    }
    fn immutable(&self) -> &'static [&'static str] {
        &["vpc_id", "group_name", "description"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let groups = self
            .0
            .ec2
            .describe_security_groups()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                let tags = from_ec2(g.tags());
                let id = owned_id(&tags, stack)?.to_string();
                let ingress: Vec<String> = canonical(g.ip_permissions()).into_iter().collect();
                Some(
                    Observed::new(KIND, id, g.group_id()?)
                        .prop("vpc_id", g.vpc_id().unwrap_or_default())
                        .prop("group_name", g.group_name().unwrap_or_default())
                        .prop("description", g.description().unwrap_or_default())
                        .prop("ingress", ingress.join(","))
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let out = self
            .0
            .ec2
            .create_security_group()
            .vpc_id(node.get("vpc_id"))
            .group_name(node.get("group_name"))
            .description(node.get("description"))
            .tag_specifications(ec2_tag_spec(ResourceType::SecurityGroup, &node.tags))
            .send()
            .await
            .aws()?;
        let group = out.group_id().unwrap_or_default().to_string();
        let ingress = set_of(node.get("ingress"));
        cx.on_fresh(|| self.set_rules(&group, &ingress, true))
            .await?;
        Ok(Observed::applied(KIND, node, group))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        if FieldChange::touches(changes, "ingress") {
            let want = set_of(node.get("ingress"));
            let have = set_of(
                current
                    .props
                    .get("ingress")
                    .map(String::as_str)
                    .unwrap_or_default(),
            );
            let (revoke, grant) = (
                have.difference(&want).cloned().collect(),
                want.difference(&have).cloned().collect(),
            );
            self.set_rules(&current.cloud_id, &revoke, false).await?;
            self.set_rules(&current.cloud_id, &grant, true).await?;
        }
        update_ec2_tags(&self.0.ec2, &current.cloud_id, changes).await?;
        Ok(Observed::applied(KIND, node, &current.cloud_id))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        // Still referenced by another group's rule or an ENI: DependencyViolation, retried.
        ignore_not_found(
            self.0
                .ec2
                .delete_security_group()
                .group_id(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
