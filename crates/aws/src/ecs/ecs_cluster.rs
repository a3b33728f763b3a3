//! The ECS cluster, named after the stack, with Container Insights on.

use async_trait::async_trait;
use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName, Tag};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "ecs_cluster";

pub fn node(stack: &str, tags: &Tags) -> Node {
    Node::new(KIND, names::cluster(), stack, tags)
        .immutable("name", stack)
        .prop("container_insights", "enabled")
}

/// An ECS cluster's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    container_insights: String,
}

pub struct EcsCluster(pub Aws);

pub(crate) fn ecs_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn from_ecs(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn insights(value: &str) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(value)
        .build()
}

#[async_trait]
impl Kind for EcsCluster {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    /// The cluster named after the stack, with its tags and settings (one call).
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let out = self
            .0
            .ecs
            .describe_clusters()
            .clusters(stack)
            .include(ClusterField::Tags)
            .include(ClusterField::Settings)
            .send()
            .await
            .aws()?;
        Ok(out
            .clusters()
            .iter()
            .filter(|c| c.status() == Some("ACTIVE"))
            .filter_map(|c| {
                let tags = from_ecs(c.tags());
                let id = owned_id(&tags, stack)?;
                let insights = c
                    .settings()
                    .iter()
                    .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
                    .and_then(|s| s.value())
                    .unwrap_or("disabled");
                let name = c.cluster_name()?;
                let props = Props {
                    name: name.to_string(),
                    container_insights: insights.to_string(),
                };
                Some(
                    Observed::new(KIND, id, name)
                        .output(out::NAME, name)
                        .output(out::ARN, c.cluster_arn().unwrap_or_default())
                        .with_props(&props)
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let name = &props.name;
        let out = self
            .0
            .ecs
            .create_cluster()
            .cluster_name(name)
            .settings(insights(&props.container_insights))
            .set_tags(Some(ecs_tags(&node.tags)))
            .send()
            .await
            .aws()?;
        let arn = out
            .cluster()
            .and_then(|c| c.cluster_arn())
            .unwrap_or_default();
        Ok(Observed::applied(KIND, node, name)
            .output(out::NAME, name)
            .output(out::ARN, arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let arn = current.outputs.get("arn").cloned().unwrap_or_default();
        if FieldChange::touches(changes, "container_insights") {
            let call = self
                .0
                .ecs
                .update_cluster_settings()
                .cluster(&current.cloud_id);
            call.settings(insights(&props.container_insights))
                .send()
                .await
                .aws()?;
        }
        self.0.ecs.apply_tags(&arn, changes).await?;
        let mut o = Observed::applied(KIND, node, &current.cloud_id);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        // Services and container instances still in it: ClusterContains*Exception, retried.
        let out = self
            .0
            .ecs
            .delete_cluster()
            .cluster(&current.cloud_id)
            .send()
            .await
            .aws();
        match out {
            Err(e)
                if e.code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("ClusterContains")) =>
            {
                Err(berth_engine::CloudError::new(
                    berth_engine::ErrorClass::DependencyViolation,
                    e.code.clone(),
                    e.message,
                ))
            }
            other => ignore_not_found(other.map(drop)),
        }
    }
}
