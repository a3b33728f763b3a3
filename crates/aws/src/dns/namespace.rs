//! The private DNS zone, as a Cloud Map private DNS namespace on the VPC. Cloud Map creates the
//! Route53 private hosted zone itself, so services can register `NAME.<zone>` in it; a second
//! Route53 zone of the same name on the VPC would conflict on real AWS.

use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    NamespaceFilter, NamespaceFilterName, NamespaceType, OperationStatus, OperationTargetType, Tag,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, TAG_STACK, Tags,
    Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AwsResultExt, ignore_not_found, is_not_found};
use crate::names::{self, out};
use crate::tags::{TagApi, read_each};

pub const KIND: &str = "namespace";

pub fn node(stack: &str, tags: &Tags, zone: &str, vpc: Value) -> Node {
    Node::new(KIND, names::private_zone(), stack, tags)
        .immutable("name", zone)
        .immutable("vpc_id", vpc)
}

/// A private DNS namespace's properties, as create and update read them and discover writes
/// them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    vpc_id: String,
}

pub struct Namespace(pub Aws);

/// A Cloud Map namespace's or service's tags (Cloud Map lists neither with them).
pub(crate) async fn cloud_map_tags(
    sd: &aws_sdk_servicediscovery::Client,
    arn: &str,
) -> Result<Tags, CloudError> {
    let out = sd
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .aws()?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

pub(crate) fn sd_tags(tags: &Tags) -> Result<Vec<Tag>, CloudError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| CloudError::fatal(e.to_string()))
        })
        .collect()
}

/// Cloud Map changes namespaces asynchronously: poll the operation until it settles and return
/// the id of what it made or removed.
pub(crate) async fn wait_for_operation(
    aws: &Aws,
    operation_id: &str,
    what: &str,
    cx: &OpCtx,
) -> Result<String, CloudError> {
    cx.wait_until(what, || async {
        let out = aws
            .servicediscovery
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await
            .aws()?;
        let op = out
            .operation()
            .ok_or_else(|| CloudError::not_ready("operation not visible yet"))?;
        let state = op
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        match op.status() {
            Some(OperationStatus::Success) => {
                let target = op
                    .targets()
                    .and_then(|t| t.get(&OperationTargetType::Namespace))
                    .cloned();
                Ok((Some(target.unwrap_or_default()), state))
            }
            Some(OperationStatus::Fail) => Err(CloudError::fatal(format!(
                "Cloud Map {what} failed: {}",
                op.error_message().unwrap_or("no reason given")
            ))),
            _ => Ok((None, state)),
        }
    })
    .await
}

impl Namespace {
    /// The hosted zone behind a namespace and the VPC it is attached to.
    async fn zone_and_vpc(&self, namespace_id: &str) -> Result<(String, String), CloudError> {
        let ns = self
            .0
            .servicediscovery
            .get_namespace()
            .id(namespace_id)
            .send()
            .await
            .aws()?;
        let zone = ns
            .namespace()
            .and_then(|n| n.properties())
            .and_then(|p| p.dns_properties())
            .and_then(|d| d.hosted_zone_id())
            .unwrap_or_default();
        // The hosted zone id sometimes carries a `/hostedzone/` prefix.
        let zone = zone.trim_start_matches("/hostedzone/").to_string();
        let hz = self
            .0
            .route53
            .get_hosted_zone()
            .id(&zone)
            .send()
            .await
            .aws()?;
        let vpc = hz
            .vpcs()
            .iter()
            .find_map(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        Ok((zone, vpc))
    }
}

#[async_trait]
impl Kind for Namespace {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    /// Cloud Map can't filter by tag: list the private DNS namespaces, read each one's tags
    /// (one call each), then the zone and VPC of ours (two calls each).
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let sd = &self.0.servicediscovery;
        let private = NamespaceFilter::builder()
            .name(NamespaceFilterName::Type)
            .values(NamespaceType::DnsPrivate.as_str())
            .build()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let mut pages = sd
            .list_namespaces()
            .filters(private)
            .into_paginator()
            .send();
        let mut summaries = Vec::new();
        while let Some(page) = pages.next().await {
            summaries.extend(page.aws()?.namespaces().iter().cloned());
        }
        read_each(summaries, |ns| async move {
            let (Some(arn), Some(ns_id)) = (ns.arn(), ns.id()) else {
                return Ok(None);
            };
            let tags = cloud_map_tags(sd, arn).await?;
            let Some(id) = crate::tags::owned_id(&tags, stack) else {
                return Ok(None);
            };
            let (zone, vpc) = self.zone_and_vpc(ns_id).await?;
            let props = Props {
                name: ns.name().unwrap_or_default().to_string(),
                vpc_id: vpc,
            };
            Ok(Some(
                Observed::new(KIND, id, ns_id)
                    .output(out::ARN, arn)
                    .output(out::NAME, &props.name)
                    .output(out::HOSTED_ZONE_ID, zone)
                    .with_props(&props)
                    .with_tags(tags),
            ))
        })
        .await
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .servicediscovery
            .create_private_dns_namespace()
            .name(&props.name)
            .vpc(props.vpc_id)
            .creator_request_id(format!(
                "{}-{}",
                node.tags
                    .get(TAG_STACK)
                    .map(String::as_str)
                    .unwrap_or("berth"),
                node.id.as_str().replace('/', "-")
            ))
            .description("berth private zone")
            .set_tags(Some(sd_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        let op = out.operation_id().unwrap_or_default();
        let ns_id =
            wait_for_operation(&self.0, op, "creating the private DNS namespace", cx).await?;
        let ns = self
            .0
            .servicediscovery
            .get_namespace()
            .id(&ns_id)
            .send()
            .await
            .aws()?;
        let arn = ns.namespace().and_then(|n| n.arn()).unwrap_or_default();
        let (zone, _) = self.zone_and_vpc(&ns_id).await?;
        Ok(Observed::applied(KIND, node, &ns_id)
            .output(out::ARN, arn)
            .output(out::NAME, props.name)
            .output(out::HOSTED_ZONE_ID, zone))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let arn = current.outputs.get("arn").cloned().unwrap_or_default();
        self.0.servicediscovery.apply_tags(&arn, changes).await?;
        let mut observed = Observed::applied(KIND, node, &current.cloud_id);
        observed.outputs = current.outputs.clone();
        Ok(observed)
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let out = match self
            .0
            .servicediscovery
            .delete_namespace()
            .id(&current.cloud_id)
            .send()
            .await
            .aws()
        {
            Err(e) if is_not_found(&e) => return Ok(()),
            other => other?,
        };
        let op = out.operation_id().unwrap_or_default();
        ignore_not_found(
            wait_for_operation(&self.0, op, "deleting the private DNS namespace", cx)
                .await
                .map(drop),
        )
    }
}
