//! Elastic IPs, one per NAT gateway.

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "eip";

/// The address of the NAT gateway in the zone whose letter is `zone`.
pub fn node(stack: &str, tags: &Tags, zone: &str) -> Node {
    Node::new(KIND, names::nat_address(zone), stack, tags).immutable("domain", "vpc")
}

/// An Elastic IP's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    /// `vpc`: the only domain berth allocates in.
    domain: String,
}

pub struct Eip(pub Aws);

#[async_trait]
impl Kind for Eip {
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
        let out = self
            .0
            .ec2
            .describe_addresses()
            .filters(stack_filter(stack))
            .send()
            .await
            .aws()?;
        Ok(out
            .addresses()
            .iter()
            .filter_map(|a| {
                let tags = from_ec2(a.tags());
                let id = owned_id(&tags, stack)?;
                let props = Props {
                    domain: a.domain().map(|d| d.as_str()).unwrap_or("vpc").to_string(),
                };
                Some(
                    Observed::new(KIND, id, a.allocation_id()?)
                        .with_props(&props)
                        .output(out::PUBLIC_IP, a.public_ip().unwrap_or_default())
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .ec2
            .allocate_address()
            .domain(DomainType::from(props.domain.as_str()))
            .tag_specifications(ec2_tag_spec(ResourceType::ElasticIp, &node.tags))
            .send()
            .await
            .aws()?;
        Ok(
            Observed::applied(KIND, node, out.allocation_id().unwrap_or_default())
                .output(out::PUBLIC_IP, out.public_ip().unwrap_or_default()),
        )
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.0.ec2.apply_tags(&current.cloud_id, changes).await?;
        let mut observed = Observed::applied(KIND, node, &current.cloud_id);
        observed.outputs = current.outputs.clone();
        Ok(observed)
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        // An address still held by a NAT gateway that is being deleted is "in use": the
        // engine retries that until the gateway is gone.
        ignore_not_found(
            self.0
                .ec2
                .release_address()
                .allocation_id(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
