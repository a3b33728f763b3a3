//! The VPC: CIDR (replaces on change), DNS support and hostnames on (Cloud Map and the private
//! zone need both).

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use berth_engine::{
    CloudError, ErrorClass, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, filter, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "vpc";

pub fn node(stack: &str, tags: &Tags, cidr: &str) -> Node {
    Node::new(KIND, names::vpc(), stack, tags)
        .immutable("cidr", cidr)
        .prop("dns_support", true)
        .prop("dns_hostnames", true)
}

/// A VPC's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    cidr: String,
    dns_support: bool,
    dns_hostnames: bool,
}

pub struct Vpc(pub Aws);

impl Vpc {
    async fn dns_attribute(
        &self,
        vpc_id: &str,
        attribute: VpcAttributeName,
    ) -> Result<bool, CloudError> {
        let out = self
            .0
            .ec2
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(attribute.clone())
            .send()
            .await
            .aws()?;
        let value = match attribute {
            VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
            _ => out.enable_dns_support(),
        };
        Ok(value.and_then(|v| v.value()).unwrap_or(false))
    }

    async fn set_dns(
        &self,
        vpc_id: &str,
        support: bool,
        hostnames: bool,
    ) -> Result<(), CloudError> {
        // AWS takes one attribute per call.
        let on = |v| AttributeBooleanValue::builder().value(v).build();
        let ec2 = &self.0.ec2;
        ec2.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(on(support))
            .send()
            .await
            .aws()?;
        ec2.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_hostnames(on(hostnames))
            .send()
            .await
            .aws()?;
        Ok(())
    }
}

#[async_trait]
impl Kind for Vpc {
    fn name(&self) -> &'static str {
        KIND
    }
    fn delete_deadline(&self) -> Option<std::time::Duration> {
        Some(crate::NETWORK_RELEASE)
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let vpcs = self
            .0
            .ec2
            .describe_vpcs()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let mut found = Vec::new();
        for vpc in &vpcs {
            let tags = from_ec2(vpc.tags());
            let (Some(id), Some(vpc_id)) = (owned_id(&tags, stack), vpc.vpc_id()) else {
                continue;
            };
            // DNS settings are not part of DescribeVpcs: two more calls per VPC (one per stack).
            let (support, hostnames) = futures::try_join!(
                self.dns_attribute(vpc_id, VpcAttributeName::EnableDnsSupport),
                self.dns_attribute(vpc_id, VpcAttributeName::EnableDnsHostnames),
            )?;
            let props = Props {
                cidr: vpc.cidr_block().unwrap_or_default().to_string(),
                dns_support: support,
                dns_hostnames: hostnames,
            };
            found.push(
                Observed::new(KIND, id, vpc_id)
                    .output(out::CIDR, &props.cidr)
                    .with_props(&props)
                    .with_tags(tags),
            );
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .ec2
            .create_vpc()
            .cidr_block(&props.cidr)
            .tag_specifications(ec2_tag_spec(ResourceType::Vpc, &node.tags))
            .send()
            .await
            .aws()?;
        let vpc_id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        cx.progress(format!("created {vpc_id}"));
        let (support, hostnames) = (props.dns_support, props.dns_hostnames);
        cx.on_fresh(|| self.set_dns(&vpc_id, support, hostnames))
            .await?;
        Ok(observed_from(node, &vpc_id, &props.cidr))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        if FieldChange::touches(changes, "dns_support")
            || FieldChange::touches(changes, "dns_hostnames")
        {
            self.set_dns(&current.cloud_id, props.dns_support, props.dns_hostnames)
                .await?;
        }
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
        Ok(observed_from(node, &current.cloud_id, &props.cidr))
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let deleted = self
            .0
            .ec2
            .delete_vpc()
            .vpc_id(&current.cloud_id)
            .send()
            .await
            .aws()
            .map(drop);
        match ignore_not_found(deleted) {
            Err(e) if e.class == ErrorClass::DependencyViolation => {
                // Often what is left is not berth's: AWS services put untagged network
                // interfaces and security groups in a VPC (GuardDuty runtime monitoring, a
                // Lambda, a hand-made endpoint). Name them, so the wait is not a mystery.
                let left = self.leftovers(&current.cloud_id).await.unwrap_or_default();
                if left.is_empty() {
                    return Err(e);
                }
                let message = format!(
                    "{} still holds: {}. The interfaces of berth's own load balancer, NAT gateways and tasks go away by themselves within minutes; anything else was put there outside berth: delete it (EC2 console, or `aws ec2 delete-vpc-endpoints` / `delete-security-group` / `delete-network-interface`), and berth down carries on",
                    current.cloud_id,
                    left.join("; ")
                );
                cx.progress(&message);
                Err(CloudError::new(e.class, e.code, message))
            }
            other => other,
        }
    }
}

impl Vpc {
    /// What still lives in the VPC besides its defaults: network interfaces (with who made
    /// them), VPC endpoints and security groups other than `default`.
    async fn leftovers(&self, vpc: &str) -> Result<Vec<String>, CloudError> {
        let ec2 = &self.0.ec2;
        let in_vpc = || filter("vpc-id", vpc);
        let enis = ec2
            .describe_network_interfaces()
            .filters(in_vpc())
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let mut out: Vec<String> = enis
            .iter()
            .map(|n| {
                format!(
                    "network interface {} ({})",
                    n.network_interface_id().unwrap_or("?"),
                    n.description()
                        .filter(|d| !d.is_empty())
                        .or(n.interface_type().map(|t| t.as_str()))
                        .unwrap_or("no description")
                )
            })
            .collect();
        let endpoints = ec2
            .describe_vpc_endpoints()
            .filters(in_vpc())
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        out.extend(endpoints.iter().map(|e| {
            format!(
                "VPC endpoint {} ({})",
                e.vpc_endpoint_id().unwrap_or("?"),
                e.service_name().unwrap_or("?")
            )
        }));
        let groups = ec2
            .describe_security_groups()
            .filters(in_vpc())
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        out.extend(
            groups
                .iter()
                .filter(|g| g.group_name() != Some("default"))
                .map(|g| {
                    format!(
                        "security group {} ({})",
                        g.group_id().unwrap_or("?"),
                        g.group_name().unwrap_or("?")
                    )
                }),
        );
        Ok(out)
    }
}

fn observed_from(node: &Resolved, vpc_id: &str, cidr: &str) -> Observed {
    Observed::applied(KIND, node, vpc_id).output(out::CIDR, cidr)
}
