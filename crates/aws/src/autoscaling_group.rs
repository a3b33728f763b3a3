//! The Auto Scaling group of ECS container instances over the private subnets. New instances
//! are protected from scale-in (ECS's managed termination protection decides which can go);
//! a new launch template version starts an instance refresh. Teardown force-deletes, so
//! protected instances can never hang it.

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{
    Filter, LaunchTemplateSpecification, RefreshPreferences, ScaleInProtectedInstances, Tag,
};
use berth_engine::{CloudError, FieldChange, Kind, Node, Observed, OpCtx, Resolved, Tags, Value};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, is_not_found};
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
    Node::new(KIND, "asg", stack, tags)
        .prop("name", format!("{stack}-ecs"))
        .prop("launch_template", launch_template)
        .prop(
            "template_version",
            Value::refer("launch-template", "version"),
        )
        .prop("subnets", Value::Set(subnets))
        .prop("min", min)
        .prop("max", max)
        // ECS managed scaling owns the desired count once the group exists.
        .prop("initial_desired", desired)
        .prop("protect_from_scale_in", true)
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

fn template(node: &Resolved) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_id(node.get("launch_template"))
        .version(node.get("template_version"))
        .build()
}

fn num(node: &Resolved, key: &str) -> i32 {
    node.get(key).parse().unwrap_or_default()
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
    fn immutable(&self) -> &'static [&'static str] {
        &["name"]
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
                let id = owned_id(&tags, stack)?.to_string();
                let lt = g.launch_template();
                let mut subnets: Vec<&str> = g
                    .vpc_zone_identifier()
                    .unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .collect();
                subnets.sort();
                let name = g.auto_scaling_group_name()?;
                Some(
                    Observed::new(KIND, id, name)
                        .prop("name", name)
                        .prop(
                            "launch_template",
                            lt.and_then(|l| l.launch_template_id()).unwrap_or_default(),
                        )
                        .prop(
                            "template_version",
                            lt.and_then(|l| l.version()).unwrap_or_default(),
                        )
                        .prop("subnets", subnets.join(","))
                        .prop("min", g.min_size().unwrap_or_default())
                        .prop("max", g.max_size().unwrap_or_default())
                        .prop(
                            "protect_from_scale_in",
                            g.new_instances_protected_from_scale_in().unwrap_or(false),
                        )
                        .output("name", name)
                        .output("arn", g.auto_scaling_group_arn().unwrap_or_default())
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let asg = &self.0.autoscaling;
        let name = node.get("name");
        let desired = num(node, "initial_desired").clamp(num(node, "min"), num(node, "max"));
        asg.create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(template(node))
            .vpc_zone_identifier(node.get("subnets"))
            .min_size(num(node, "min"))
            .max_size(num(node, "max"))
            .desired_capacity(desired)
            .new_instances_protected_from_scale_in(node.get("protect_from_scale_in") == "true")
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
            .output("name", name)
            .output("arn", arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let asg = &self.0.autoscaling;
        let name = &current.cloud_id;
        if changes.iter().any(|c| !c.field.starts_with("tags.")) {
            asg.update_auto_scaling_group()
                .auto_scaling_group_name(name)
                .launch_template(template(node))
                .vpc_zone_identifier(node.get("subnets"))
                .min_size(num(node, "min"))
                .max_size(num(node, "max"))
                .new_instances_protected_from_scale_in(node.get("protect_from_scale_in") == "true")
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "launch_template")
            || FieldChange::touches(changes, "template_version")
        {
            self.refresh_instances(name, cx).await?;
        }
        let (set, unset) = FieldChange::tag_changes(changes);
        if !set.is_empty() {
            asg.create_or_update_tags()
                .set_tags(Some(asg_tags(name, &set)))
                .send()
                .await
                .aws()?;
        }
        if !unset.is_empty() {
            let keys = unset
                .iter()
                .map(|k| {
                    Tag::builder()
                        .resource_id(name)
                        .resource_type("auto-scaling-group")
                        .key(k)
                        .build()
                })
                .collect();
            asg.delete_tags().set_tags(Some(keys)).send().await.aws()?;
        }
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
