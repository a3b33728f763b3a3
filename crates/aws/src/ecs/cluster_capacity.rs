//! Which capacity providers the cluster uses, and its default strategy. This association is
//! not a taggable AWS resource: it is read from the stack's cluster, and kept as a node of its
//! own so deletes go in a safe order (association, capacity provider, ASG, cluster).

use async_trait::async_trait;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, ClusterField};
use berth_engine::{
    CloudError, ErrorClass, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags,
    Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AwsResultExt, ignore_not_found};
use crate::names;
use crate::tags::owned_id;

pub const KIND: &str = "cluster_capacity";

/// `providers[0]` is the default; all are attached.
pub fn node(stack: &str, _tags: &Tags, cluster: Value, providers: Vec<Value>) -> Node {
    let default = providers
        .first()
        .cloned()
        .unwrap_or_else(|| Value::from(""));
    // No tags: AWS has nowhere to keep them (see `tagged`).
    Node::new(KIND, names::cluster_capacity(), stack, &Tags::new())
        .prop("cluster", cluster)
        .prop("providers", Value::Set(providers))
        .prop("default", default)
}

/// The cluster's capacity association's properties, as create and update read them and
/// discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    cluster: String,
    /// A set: sorted and without repeats, as a [`Value::Set`] resolves.
    providers: Vec<String>,
    /// The default provider; "" when there is none.
    default: String,
}

pub struct ClusterCapacity(pub Aws);

impl ClusterCapacity {
    async fn put(
        &self,
        cluster: &str,
        providers: Vec<String>,
        default: Option<&str>,
    ) -> Result<(), CloudError> {
        let strategy = default
            .map(|p| {
                CapacityProviderStrategyItem::builder()
                    .capacity_provider(p)
                    .weight(1)
                    .build()
            })
            .transpose()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let put = self
            .0
            .ecs
            .put_cluster_capacity_providers()
            .cluster(cluster)
            .set_capacity_providers(Some(providers))
            .set_default_capacity_provider_strategy(Some(strategy.into_iter().collect()))
            .send()
            .await
            .aws();
        match put {
            // A provider still being attached or detached by an earlier call: not ready, so
            // creates wait too (Terraform's retryClusterCapacityProvidersPut retries it).
            Err(e) if e.code.as_deref() == Some("ResourceInUseException") => {
                return Err(CloudError::new(ErrorClass::NotReady, e.code, e.message));
            }
            other => other?,
        };
        Ok(())
    }

    /// Wait until the cluster has finished attaching or detaching: a service created while
    /// the association is UPDATE_IN_PROGRESS may be refused its capacity provider, and a
    /// capacity provider can't be deleted until it is detached.
    async fn settle(&self, cluster: &str, cx: &OpCtx) -> Result<(), CloudError> {
        cx.wait_until("the cluster's capacity providers to attach", || async {
            let out = self
                .0
                .ecs
                .describe_clusters()
                .clusters(cluster)
                .send()
                .await
                .aws()?;
            // A deleted cluster stays describable as INACTIVE for about an hour (ECS
            // DescribeClusters reference): it has no association left to settle.
            let Some(c) = out.clusters().first().filter(|c| c.status() != Some("INACTIVE")) else {
                return Ok((Some(()), "gone".to_string()));
            };
            let status = c.attachments_status().unwrap_or("UPDATE_COMPLETE");
            if status == "UPDATE_FAILED" {
                return Err(CloudError::fatal(format!(
                    "cluster {cluster}: capacity provider attachment failed (attachmentsStatus UPDATE_FAILED); see the cluster's attachments in the ECS console, then run again"
                )));
            }
            let settled = c.status() == Some("ACTIVE") && status != "UPDATE_IN_PROGRESS";
            Ok((settled.then_some(()), format!("{} {status}", c.status().unwrap_or("?"))))
        })
        .await
    }
}

#[async_trait]
impl Kind for ClusterCapacity {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["ecs_cluster", "capacity_provider"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let out = self
            .0
            .ecs
            .describe_clusters()
            .clusters(stack)
            .include(ClusterField::Tags)
            .send()
            .await
            .aws()?;
        Ok(out
            .clusters()
            .iter()
            .filter(|c| c.status() == Some("ACTIVE") && !c.capacity_providers().is_empty())
            // Only the cluster berth made has a capacity association berth manages.
            .filter(|c| {
                owned_id(&crate::ecs_cluster::from_ecs(c.tags()), stack)
                    .is_some_and(|owner| owner != berth_engine::Owner::Unmanaged)
            })
            .map(|c| {
                let mut providers = c.capacity_providers().to_vec();
                providers.sort();
                providers.dedup();
                let default = c
                    .default_capacity_provider_strategy()
                    .first()
                    .map(|s| s.capacity_provider().to_string())
                    .unwrap_or_default();
                let name = c.cluster_name().unwrap_or_default();
                let props = Props {
                    cluster: name.to_string(),
                    providers,
                    default,
                };
                Observed::new(KIND, names::cluster_capacity(), name).with_props(&props)
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let default = Some(props.default.as_str()).filter(|d| !d.is_empty());
        self.put(&props.cluster, props.providers, default).await?;
        self.settle(&props.cluster, cx).await?;
        Ok(Observed::applied(KIND, node, &props.cluster))
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

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        ignore_not_found(self.put(&current.cloud_id, vec![], None).await)?;
        ignore_not_found(self.settle(&current.cloud_id, cx).await)
    }
}
