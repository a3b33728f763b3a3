//! Security groups. Ingress rules are a set of [`Rule`]s (TCP port ranges from a CIDR or from
//! another group); egress is AWS's default (all outbound).

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, UserIdGroupPair};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names;
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "security_group";

/// One ingress rule (TCP only: berth serves HTTP), from a CIDR or from another group.
pub enum Ingress {
    Cidr { from: u16, to: u16, cidr: String },
    Group { from: u16, to: u16, group: Value },
}

impl Ingress {
    fn value(self) -> Value {
        let (from, to, source) = match self {
            Ingress::Cidr { from, to, cidr } => (from, to, ("cidr", Value::from(cidr))),
            Ingress::Group { from, to, group } => (from, to, ("group", group)),
        };
        Value::Object(vec![
            ("protocol", "tcp".into()),
            ("from", from.into()),
            ("to", to.into()),
            source,
        ])
    }
}

/// An ingress rule as the `ingress` property holds it, desired or found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    /// `tcp` for berth's own; `-1` (all traffic) or another protocol for one added by hand.
    protocol: String,
    from: u16,
    to: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
}

impl Rule {
    fn permission(&self) -> IpPermission {
        let builder = IpPermission::builder()
            .ip_protocol(&self.protocol)
            .from_port(self.from.into())
            .to_port(self.to.into());
        match (&self.cidr, &self.group) {
            (_, Some(group)) => builder
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
                .build(),
            (cidr, None) => builder
                .ip_ranges(IpRange::builder().set_cidr_ip(cidr.clone()).build())
                .build(),
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
    Node::new(KIND, names::security_group(name), stack, tags)
        .immutable("vpc_id", vpc)
        .immutable("group_name", format!("{stack}-{name}"))
        .immutable("description", description)
        .prop(
            "ingress",
            Value::Set(ingress.into_iter().map(Ingress::value).collect()),
        )
}

/// A security group's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    vpc_id: String,
    group_name: String,
    description: String,
    /// A set: in the order of a set property, by JSON text, without repeats.
    ingress: Vec<Rule>,
}

pub struct SecurityGroup(pub Aws);

/// A group's ingress permissions as rules, in the shape of the `ingress` property. Rules
/// added by hand (any protocol) are kept so the plan shows and removes them; all-traffic rules
/// have no ports (-1), kept as 0.
fn rules_of(perms: &[IpPermission]) -> Vec<Rule> {
    let mut out = Vec::new();
    for p in perms {
        let port = |p: Option<i32>| u16::try_from(p.unwrap_or(0)).unwrap_or(0);
        let (from, to) = (port(p.from_port()), port(p.to_port()));
        let rule = |cidr: Option<&str>, group: Option<&str>| Rule {
            protocol: p.ip_protocol().unwrap_or("-1").to_string(),
            from,
            to,
            cidr: cidr.map(str::to_string),
            group: group.map(str::to_string),
        };
        out.extend(p.ip_ranges().iter().map(|r| rule(r.cidr_ip(), None)));
        out.extend(
            p.user_id_group_pairs()
                .iter()
                .map(|g| rule(None, g.group_id())),
        );
    }
    // The order of a set property: sorted by JSON text, without repeats.
    out.sort_by_cached_key(|r| serde_json::to_value(r).expect("plain struct").to_string());
    out.dedup();
    out
}

impl SecurityGroup {
    /// Authorize (`grant`) or revoke a set of rules in one call.
    async fn set_rules(&self, group: &str, rules: &[Rule], grant: bool) -> Result<(), CloudError> {
        if rules.is_empty() {
            return Ok(());
        }
        let perms = Some(rules.iter().map(Rule::permission).collect());
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
                let id = owned_id(&tags, stack)?;
                let props = Props {
                    vpc_id: g.vpc_id().unwrap_or_default().to_string(),
                    group_name: g.group_name().unwrap_or_default().to_string(),
                    description: g.description().unwrap_or_default().to_string(),
                    ingress: rules_of(g.ip_permissions()),
                };
                Some(
                    Observed::new(KIND, id, g.group_id()?)
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
            .create_security_group()
            .vpc_id(props.vpc_id)
            .group_name(props.group_name)
            .description(props.description)
            .tag_specifications(ec2_tag_spec(ResourceType::SecurityGroup, &node.tags))
            .send()
            .await
            .aws()?;
        let group = out.group_id().unwrap_or_default().to_string();
        cx.on_fresh(|| self.set_rules(&group, &props.ingress, true))
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
        let props: Props = node.typed()?;
        if FieldChange::touches(changes, "ingress") {
            let (want, have) = (props.ingress, current.typed::<Props>()?.ingress);
            let only = |a: &[Rule], b: &[Rule]| -> Vec<Rule> {
                a.iter().filter(|r| !b.contains(r)).cloned().collect()
            };
            let (revoke, grant) = (only(&have, &want), only(&want, &have));
            self.set_rules(&current.cloud_id, &revoke, false).await?;
            self.set_rules(&current.cloud_id, &grant, true).await?;
        }
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
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
