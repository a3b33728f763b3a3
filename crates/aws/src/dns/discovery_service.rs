//! A Cloud Map service per ECS service, so tasks register as `NAME.<zone>` in the private zone:
//! A records on awsvpc (each task has its own IP), SRV records on bridge mode (dynamic ports).

use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsRecord, HealthCheckCustomConfig, RecordType, RoutingPolicy,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AwsResultExt, ignore_not_found, is_not_found};
use crate::names::{self, out};
use crate::namespace::{cloud_map_tags, sd_tags};
use crate::tags::TagApi;
use crate::tags::{owned_id, read_each};

pub const KIND: &str = "discovery_service";

pub fn node(stack: &str, tags: &Tags, service: &str, namespace: Value, record: &str) -> Node {
    Node::new(KIND, names::discovery(service), stack, tags)
        .immutable("name", service)
        .immutable("namespace_id", namespace)
        .immutable("record_type", record)
        .prop("ttl", 10u32)
}

/// A Cloud Map service's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    namespace_id: String,
    record_type: String,
    ttl: i64,
}

pub struct DiscoveryService(pub Aws);

fn dns_config(record: &str, ttl: i64) -> Result<DnsConfig, CloudError> {
    let record = DnsRecord::builder()
        .r#type(RecordType::from(record))
        .ttl(ttl)
        .build()
        .map_err(|e| CloudError::fatal(e.to_string()))?;
    DnsConfig::builder()
        .routing_policy(RoutingPolicy::Multivalue)
        .dns_records(record)
        .build()
        .map_err(|e| CloudError::fatal(e.to_string()))
}

#[async_trait]
impl Kind for DiscoveryService {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["namespace"]
    }

    /// Every Cloud Map service, then the tags of each (Cloud Map has no tag filter).
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let sd = &self.0.servicediscovery;
        let mut pages = sd.list_services().into_paginator().send();
        let mut services = Vec::new();
        while let Some(page) = pages.next().await {
            services.extend(page.aws()?.services().iter().cloned());
        }
        read_each(services, |s| async move {
            let (Some(arn), Some(sd_id)) = (s.arn(), s.id()) else {
                return Ok(None);
            };
            let tags = cloud_map_tags(sd, arn).await?;
            let Some(id) = owned_id(&tags, stack) else {
                return Ok(None);
            };
            let svc = sd.get_service().id(sd_id).send().await.aws()?;
            let svc = svc.service();
            let dns = svc.and_then(|s| s.dns_config());
            let record = dns.and_then(|d| d.dns_records().first());
            let props = Props {
                name: s.name().unwrap_or_default().to_string(),
                namespace_id: svc
                    .and_then(|s| s.namespace_id())
                    .unwrap_or_default()
                    .to_string(),
                record_type: record
                    .map(|r| r.r#type().as_str())
                    .unwrap_or_default()
                    .to_string(),
                ttl: record.map(|r| r.ttl()).unwrap_or_default(),
            };
            Ok(Some(
                Observed::new(KIND, id, sd_id)
                    .output(out::ARN, arn)
                    .with_props(&props)
                    .with_tags(tags),
            ))
        })
        .await
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .servicediscovery
            .create_service()
            .name(props.name)
            .namespace_id(props.namespace_id)
            .dns_config(dns_config(&props.record_type, props.ttl)?)
            // ECS reports task health to Cloud Map, which takes failing tasks out of DNS.
            .health_check_custom_config(HealthCheckCustomConfig::builder().build())
            .set_tags(Some(sd_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        let svc = out
            .service()
            .ok_or_else(|| CloudError::fatal("CreateService returned nothing"))?;
        let arn = svc.arn().unwrap_or_default();
        Ok(Observed::applied(KIND, node, svc.id().unwrap_or_default()).output(out::ARN, arn))
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
        Ok(Observed::applied(KIND, node, &current.cloud_id).output(out::ARN, arn))
    }

    /// Instances left behind by tasks would block the delete: deregister them first.
    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let sd = &self.0.servicediscovery;
        let instances = match sd
            .list_instances()
            .service_id(&current.cloud_id)
            .send()
            .await
            .aws()
        {
            Ok(out) => out.instances().to_vec(),
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        for i in instances {
            let out = sd
                .deregister_instance()
                .service_id(&current.cloud_id)
                .instance_id(i.id().unwrap_or_default())
                .send()
                .await
                .aws();
            ignore_not_found(out.map(drop))?;
        }
        ignore_not_found(
            sd.delete_service()
                .id(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
