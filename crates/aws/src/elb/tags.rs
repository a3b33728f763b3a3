//! What the load-balancer kinds share: tags in ELBv2's shapes, read in batches.

use std::collections::HashMap;

use aws_sdk_elasticloadbalancingv2::types::{LoadBalancer, Tag};
use berth_engine::{CloudError, Tags};

use async_trait::async_trait;

use crate::Aws;
use crate::error::AwsResultExt;
use crate::tags::TagApi;

pub fn elb_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags of many resources, 20 ARNs a call (the API's limit).
pub async fn tags_of(aws: &Aws, arns: &[String]) -> Result<HashMap<String, Tags>, CloudError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(20) {
        let resp = aws
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .aws()?;
        for d in resp.tag_descriptions() {
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            out.insert(d.resource_arn().unwrap_or_default().to_string(), tags);
        }
    }
    Ok(out)
}

#[async_trait]
impl TagApi for aws_sdk_elasticloadbalancingv2::Client {
    async fn tag(&self, arn: &str, tags: &Tags) -> Result<(), CloudError> {
        self.add_tags()
            .resource_arns(arn)
            .set_tags(Some(elb_tags(tags)))
            .send()
            .await
            .aws()
            .map(drop)
    }
    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), CloudError> {
        self.remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .aws()
            .map(drop)
    }
}

/// The stack's load balancer, which is named after the stack.
pub async fn stack_load_balancer(
    aws: &Aws,
    stack: &str,
) -> Result<Option<LoadBalancer>, CloudError> {
    match aws
        .elbv2
        .describe_load_balancers()
        .names(stack)
        .into_paginator()
        .items()
        .send()
        .try_next()
        .await
        .aws()
    {
        Ok(found) => Ok(found),
        Err(e) if e.code.as_deref().is_some_and(|c| c.contains("NotFound")) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The resource part of an ARN (`loadbalancer/app/NAME/ID`, `targetgroup/NAME/ID`), from which
/// CloudWatch's load balancer metrics name their dimensions.
pub fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or_default()
}
