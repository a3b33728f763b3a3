//! Application Auto Scaling's target for a service's task count. Ownership comes from the
//! resource id (`service/<stack cluster>/<service>`): the emulator rejects tags on these
//! (TagResource returns 500), so berth neither sets nor reads them.

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};

pub const KIND: &str = "scaling_target";

pub fn node(
    stack: &str,
    service: &str,
    cluster: Value,
    service_name: Value,
    min: u32,
    max: u32,
) -> Node {
    Node::new(KIND, names::scaling_target(service), stack, &Tags::new())
        .immutable(
            "resource_id",
            Value::Concat(vec![
                Value::from("service/"),
                cluster,
                Value::from("/"),
                service_name,
            ]),
        )
        .prop("min", min)
        .prop("max", max)
}

/// A scaling target's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    resource_id: String,
    min: i32,
    max: i32,
}

pub struct ScalingTarget(pub Aws);

/// `service/<stack>/<service>` -> the service name, when the cluster is the stack's.
pub(crate) fn service_of<'a>(resource_id: &'a str, stack: &str) -> Option<&'a str> {
    resource_id
        .strip_prefix("service/")?
        .strip_prefix(stack)?
        .strip_prefix('/')
}

/// `service/<stack>/<name>` for each service in the stack's cluster (named after the stack):
/// Application Auto Scaling lists account-wide, so berth asks for these ids only.
pub(crate) async fn stack_resource_ids(aws: &Aws, stack: &str) -> Result<Vec<String>, CloudError> {
    let arns = crate::ecs_service::service_arns(aws, stack).await?;
    // Service ARNs end in `/<name>` in both the old and the long format.
    Ok(arns
        .iter()
        .filter_map(|arn| arn.rsplit('/').next())
        .map(|name| format!("service/{stack}/{name}"))
        .collect())
}

impl ScalingTarget {
    async fn register(&self, props: &Props) -> Result<(), CloudError> {
        self.0
            .appscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&props.resource_id)
            .min_capacity(props.min)
            .max_capacity(props.max)
            .send()
            .await
            .aws()?;
        Ok(())
    }
}

#[async_trait]
impl Kind for ScalingTarget {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["ecs_service"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let ids = stack_resource_ids(&self.0, stack).await?;
        // No ids would mean no filter: every target in the account.
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let targets = self
            .0
            .appscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .set_resource_ids(Some(ids))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(targets
            .iter()
            .filter_map(|t| {
                let service = service_of(t.resource_id(), stack)?;
                let props = Props {
                    resource_id: t.resource_id().to_string(),
                    min: t.min_capacity(),
                    max: t.max_capacity(),
                };
                Some(
                    Observed::new(KIND, names::scaling_target(service), t.resource_id())
                        .with_props(&props)
                        .output(out::RESOURCE_ID, t.resource_id()),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        self.register(&props).await?;
        let id = &props.resource_id;
        Ok(Observed::applied(KIND, node, id).output(out::RESOURCE_ID, id))
    }

    async fn update(
        &self,
        node: &Resolved,
        _current: &Observed,
        _changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.create(node, cx).await
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let out = self
            .0
            .appscaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&current.cloud_id)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}
