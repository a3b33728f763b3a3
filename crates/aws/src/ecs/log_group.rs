//! The stack's CloudWatch log group, with a retention period (logs never kept forever by
//! accident).

use async_trait::async_trait;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{owned_id, read_each};

pub const KIND: &str = "log_group";

pub fn name(stack: &str) -> String {
    format!("/berth/{stack}")
}

pub fn node(stack: &str, tags: &Tags, retention_days: u32) -> Node {
    Node::new(KIND, names::log_group(), stack, tags)
        .immutable("name", name(stack))
        .prop("retention_days", retention_days)
}

/// A log group's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    /// Null when the group keeps its logs forever.
    retention_days: Option<i32>,
}

impl Props {
    /// The retention the node asks for, which is always set.
    fn days(&self, node: &Resolved) -> Result<i32, CloudError> {
        self.retention_days
            .ok_or_else(|| node.malformed("retention_days", "an integer in range"))
    }
}

pub struct LogGroup(pub Aws);

/// `arn:...:log-group:NAME:*` -> without the trailing `:*`.
fn bare_arn(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

fn observed(owner: Owner, props: &Props, arn: &str, tags: Tags) -> Observed {
    Observed::new(KIND, owner, &props.name)
        .output(out::NAME, &props.name)
        .output(out::ARN, bare_arn(arn))
        .with_props(props)
        .with_tags(tags)
}

#[async_trait]
impl Kind for LogGroup {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    /// By name prefix, then one tag read per group found (Logs has no tag filter).
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let logs = &self.0.logs;
        let groups = logs
            .describe_log_groups()
            .log_group_name_prefix(name(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        read_each(groups, |group| async move {
            let (Some(group_name), Some(arn)) = (group.log_group_name(), group.arn()) else {
                return Ok(None);
            };
            let tags: Tags = logs
                .list_tags_for_resource()
                .resource_arn(bare_arn(arn))
                .send()
                .await
                .aws()?
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let Some(id) = owned_id(&tags, stack) else {
                return Ok(None);
            };
            let props = Props {
                name: group_name.to_string(),
                retention_days: group.retention_in_days(),
            };
            Ok(Some(observed(id, &props, arn, tags)))
        })
        .await
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let logs = &self.0.logs;
        let group_name = props.name.as_str();
        let tags = node.tags.clone().into_iter().collect();
        logs.create_log_group()
            .log_group_name(group_name)
            .set_tags(Some(tags))
            .send()
            .await
            .aws()?;
        let days = props.days(node)?;
        logs.put_retention_policy()
            .log_group_name(group_name)
            .retention_in_days(days)
            .send()
            .await
            .aws()?;
        let arn = self.arn(group_name).await?;
        Ok(observed(
            Owner::from(&node.id),
            &props,
            &arn,
            node.tags.clone(),
        ))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let logs = &self.0.logs;
        let group_name = props.name.as_str();
        if FieldChange::touches(changes, "retention_days") {
            let days = props.days(node)?;
            logs.put_retention_policy()
                .log_group_name(group_name)
                .retention_in_days(days)
                .send()
                .await
                .aws()?;
        }
        let arn = current.outputs.get("arn").cloned().unwrap_or_default();
        logs.apply_tags(&arn, changes).await?;
        Ok(Observed::applied(KIND, node, group_name)
            .output(out::NAME, group_name)
            .output(out::ARN, arn))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let out = self
            .0
            .logs
            .delete_log_group()
            .log_group_name(&current.cloud_id)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}

impl LogGroup {
    async fn arn(&self, group_name: &str) -> Result<String, CloudError> {
        // The prefix also matches longer names: page until the exact one.
        let mut groups = self
            .0
            .logs
            .describe_log_groups()
            .log_group_name_prefix(group_name)
            .into_paginator()
            .items()
            .send();
        while let Some(g) = groups.try_next().await.aws()? {
            if g.log_group_name() == Some(group_name) {
                return Ok(bare_arn(g.arn().unwrap_or_default()).to_string());
            }
        }
        Ok(String::new())
    }
}
