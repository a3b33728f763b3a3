//! The Auto Scaling group of ECS container instances over the private subnets. New instances
//! are protected from scale-in (ECS's managed termination protection decides which can go);
//! a new launch template version starts an instance refresh. Teardown force-deletes, so
//! protected instances can never hang it.

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{
    Filter, LaunchTemplateSpecification, RefreshPreferences, ScaleInProtectedInstances, Tag,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, is_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "autoscaling_group";

pub fn node(
    stack: &str,
    tags: &Tags,
    launch_template: Value,
    subnets: Vec<Value>,
    min: u32,
    max: u32,
    desired: u32,
) -> Node {
    Node::new(KIND, names::autoscaling_group(), stack, tags)
        .immutable("name", format!("{stack}-ecs"))
        .prop("launch_template", launch_template)
        .prop(
            "template_version",
            Value::refer("launch-template", out::VERSION),
        )
        .prop("subnets", Value::Set(subnets))
        .prop("min", min)
        .prop("max", max)
        // ECS managed scaling owns the desired count once the group exists.
        .create_only("desired", desired)
        .prop("protect_from_scale_in", true)
}

/// An Auto Scaling group's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    launch_template: String,
    template_version: String,
    subnets: Vec<String>,
    min: i32,
    max: i32,
    /// Create only: discover leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    desired: Option<i32>,
    protect_from_scale_in: bool,
}

pub struct AutoscalingGroup(pub Aws);

fn asg_tags(name: &str, tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(true)
                .build()
        })
        .collect()
}

fn template(props: &Props) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_id(&props.launch_template)
        .version(&props.template_version)
        .build()
}

/// The group's subnets as its `VPCZoneIdentifier`: one comma-separated string.
fn zone_identifier(props: &Props) -> String {
    props.subnets.join(",")
}

impl AutoscalingGroup {
    /// Replace the instances with ones from the new launch template, and wait. Every instance
    /// is protected from scale-in (ECS's managed termination protection), and a refresh with
    /// default preferences skips protected instances, so it must be told to replace them. A
    /// refresh already running answers InstanceRefreshInProgress: not ready, so it is waited
    /// out and started again.
    async fn refresh_instances(&self, name: &str, cx: &OpCtx) -> Result<(), CloudError> {
        let asg = &self.0.autoscaling;
        let preferences = RefreshPreferences::builder()
            .scale_in_protected_instances(ScaleInProtectedInstances::Refresh)
            .min_healthy_percentage(100)
            .max_healthy_percentage(200)
            .build();
        cx.progress("starting an instance refresh for the new launch template");
        let started = asg
            .start_instance_refresh()
            .auto_scaling_group_name(name)
            .preferences(preferences)
            .send()
            .await
            .aws()?;
        let id = started
            .instance_refresh_id()
            .unwrap_or_default()
            .to_string();
        cx.wait_until("the instance refresh", || async {
            let out = asg
                .describe_instance_refreshes()
                .auto_scaling_group_name(name)
                .instance_refresh_ids(&id)
                .send()
                .await
                .aws()?;
            let Some(refresh) = out.instance_refreshes().first() else {
                return Ok((Some(()), "gone".to_string()));
            };
            let status = refresh.status().map(|s| s.as_str()).unwrap_or("Pending");
            match status {
                "Successful" => Ok((Some(()), status.to_string())),
                "Failed" | "Cancelled" | "RollbackSuccessful" | "RollbackFailed" => {
                    Err(CloudError::fatal(format!(
                        "instance refresh {id} of {name}: {status}: {}",
                        refresh.status_reason().unwrap_or("no reason given")
                    )))
                }
                _ => Ok((
                    None,
                    format!(
                        "{status}, {}% done",
                        refresh.percentage_complete().unwrap_or_default()
                    ),
                )),
            }
        })
        .await
    }
}

#[async_trait]
impl Kind for AutoscalingGroup {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["launch_template", "subnet"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let filter = Filter::builder()
            .name(format!("tag:{}", berth_engine::TAG_STACK))
            .values(stack)
            .build();
        let groups = self
            .0
            .autoscaling
            .describe_auto_scaling_groups()
            .filters(filter)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(groups
            .iter()
            .filter(|g| g.status().is_none())
            .filter_map(|g| {
                let tags: Tags = g
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_string(),
                            t.value().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect();
                let id = owned_id(&tags, stack)?;
                let lt = g.launch_template();
                let mut subnets: Vec<String> = g
                    .vpc_zone_identifier()
                    .unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                // A set, as the `subnets` property holds it: sorted, each once.
                subnets.sort();
                subnets.dedup();
                let name = g.auto_scaling_group_name()?;
                let props = Props {
                    name: name.to_string(),
                    launch_template: lt
                        .and_then(|l| l.launch_template_id())
                        .unwrap_or_default()
                        .to_string(),
                    template_version: lt.and_then(|l| l.version()).unwrap_or_default().to_string(),
                    subnets,
                    min: g.min_size().unwrap_or_default(),
                    max: g.max_size().unwrap_or_default(),
                    desired: None,
                    protect_from_scale_in: g
                        .new_instances_protected_from_scale_in()
                        .unwrap_or(false),
                };
                Some(
                    Observed::new(KIND, id, name)
                        .with_props(&props)
                        .output(out::NAME, name)
                        .output(out::ARN, g.auto_scaling_group_arn().unwrap_or_default())
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let asg = &self.0.autoscaling;
        let name = props.name.as_str();
        let (min, max) = (props.min, props.max);
        let desired = props
            .desired
            .ok_or_else(|| node.malformed("desired", "an integer in range"))?
            .clamp(min, max);
        asg.create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(template(&props))
            .vpc_zone_identifier(zone_identifier(&props))
            .min_size(min)
            .max_size(max)
            .desired_capacity(desired)
            .new_instances_protected_from_scale_in(props.protect_from_scale_in)
            .set_tags(Some(asg_tags(name, &node.tags)))
            .send()
            .await
            .aws()?;
        let out = asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .aws()?;
        let arn = out
            .auto_scaling_groups()
            .first()
            .and_then(|g| g.auto_scaling_group_arn())
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
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let asg = &self.0.autoscaling;
        let name = &current.cloud_id;
        if changes.iter().any(|c| !c.is_tag()) {
            asg.update_auto_scaling_group()
                .auto_scaling_group_name(name)
                .launch_template(template(&props))
                .vpc_zone_identifier(zone_identifier(&props))
                .min_size(props.min)
                .max_size(props.max)
                .new_instances_protected_from_scale_in(props.protect_from_scale_in)
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "launch_template")
            || FieldChange::touches(changes, "template_version")
        {
            self.refresh_instances(name, cx).await?;
        }
        asg.apply_tags(name, changes).await?;
        let mut o = Observed::applied(KIND, node, name);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let asg = &self.0.autoscaling;
        let name = &current.cloud_id;
        match asg
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .force_delete(true)
            .send()
            .await
            .aws()
        {
            Err(e) if is_not_found(&e) || e.message.contains("not found") => return Ok(()),
            other => other.map(drop)?,
        }
        cx.wait_until("the Auto Scaling group and its instances to go", || async {
            let out = asg
                .describe_auto_scaling_groups()
                .auto_scaling_group_names(name)
                .send()
                .await
                .aws()?;
            let status = out
                .auto_scaling_groups()
                .first()
                .map(|g| g.status().unwrap_or("active").to_string());
            Ok((
                status.is_none().then_some(()),
                status.unwrap_or_else(|| "gone".into()),
            ))
        })
        .await
    }
}

#[async_trait]
impl TagApi for aws_sdk_autoscaling::Client {
    async fn tag(&self, name: &str, tags: &Tags) -> Result<(), CloudError> {
        self.create_or_update_tags()
            .set_tags(Some(asg_tags(name, tags)))
            .send()
            .await
            .aws()
            .map(drop)
    }
    async fn untag(&self, name: &str, keys: Vec<String>) -> Result<(), CloudError> {
        let keys = keys
            .iter()
            .map(|k| {
                Tag::builder()
                    .resource_id(name)
                    .resource_type("auto-scaling-group")
                    .key(k)
                    .build()
            })
            .collect();
        self.delete_tags()
            .set_tags(Some(keys))
            .send()
            .await
            .aws()
            .map(drop)
    }
}
