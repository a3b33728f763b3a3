//! The ECS capacity provider over the Auto Scaling group: managed scaling (target 100%) and
//! managed termination protection, so ECS adds instances for pending tasks and never removes
//! one that still runs tasks.

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, CapacityProviderField, CapacityProviderStatus, ManagedScaling,
    ManagedScalingStatus, ManagedTerminationProtection,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::ecs_cluster::{ecs_tags, from_ecs};
use crate::error::AwsResultExt;
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "capacity_provider";

pub fn name(stack: &str) -> String {
    format!("{stack}-ec2")
}

pub fn node(stack: &str, tags: &Tags, asg_arn: Value) -> Node {
    Node::new(KIND, names::capacity_provider(), stack, tags)
        .immutable("name", name(stack))
        .immutable("asg_arn", asg_arn)
        // ECS managed scaling's target utilisation (%); null when it is off.
        .prop("managed_scaling_target", 100u32)
        .immutable("termination_protection", "enabled")
}

/// A capacity provider's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    asg_arn: String,
    /// ECS managed scaling's target utilisation (%); null when it is off.
    managed_scaling_target: Option<i32>,
    termination_protection: String,
}

pub struct CapacityProvider(pub Aws);

#[async_trait]
impl Kind for CapacityProvider {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["autoscaling_group"]
    }

    /// By its name (the API fails without names on some implementations), with tags.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let out = self
            .0
            .ecs
            .describe_capacity_providers()
            .capacity_providers(name(stack))
            .include(CapacityProviderField::Tags)
            .send()
            .await
            .aws()?;
        Ok(out
            .capacity_providers()
            .iter()
            .filter(|c| c.status() == Some(&CapacityProviderStatus::Active))
            .filter_map(|c| {
                let tags = from_ecs(c.tags());
                let id = owned_id(&tags, stack)?;
                let asg = c.auto_scaling_group_provider()?;
                let scaling = asg.managed_scaling();
                let target = match scaling.and_then(|s| s.status()) {
                    Some(ManagedScalingStatus::Enabled) => {
                        Some(scaling.and_then(|s| s.target_capacity()).unwrap_or(100))
                    }
                    _ => None,
                };
                let protection = asg
                    .managed_termination_protection()
                    .map(|p| p.as_str().to_ascii_lowercase())
                    .unwrap_or_default();
                let cp_name = c.name()?;
                let props = Props {
                    name: cp_name.to_string(),
                    asg_arn: asg.auto_scaling_group_arn().to_string(),
                    managed_scaling_target: target,
                    termination_protection: protection,
                };
                Some(
                    Observed::new(KIND, id, cp_name)
                        .output(out::NAME, cp_name)
                        .output(out::ARN, c.capacity_provider_arn().unwrap_or_default())
                        .with_props(&props)
                        .with_tags(tags),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let target = props
            .managed_scaling_target
            .ok_or_else(|| node.malformed("managed_scaling_target", "an integer in range"))?;
        let scaling = ManagedScaling::builder()
            .status(ManagedScalingStatus::Enabled)
            .target_capacity(target)
            .build();
        let provider = AutoScalingGroupProvider::builder()
            .auto_scaling_group_arn(props.asg_arn)
            .managed_scaling(scaling)
            .managed_termination_protection(ManagedTerminationProtection::Enabled)
            .build()
            .map_err(|e| CloudError::fatal(e.to_string()))?;
        let out = self
            .0
            .ecs
            .create_capacity_provider()
            .name(&props.name)
            .auto_scaling_group_provider(provider)
            .set_tags(Some(ecs_tags(&node.tags)))
            .send()
            .await
            .aws()?;
        let arn = out
            .capacity_provider()
            .and_then(|c| c.capacity_provider_arn())
            .unwrap_or_default();
        Ok(Observed::applied(KIND, node, &props.name)
            .output(out::NAME, &props.name)
            .output(out::ARN, arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let arn = current.outputs.get("arn").cloned().unwrap_or_default();
        self.0.ecs.apply_tags(&arn, changes).await?;
        let mut o = Observed::applied(KIND, node, &current.cloud_id);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    /// DeleteCapacityProvider only starts the deletion (updateStatus DELETE_IN_PROGRESS); it
    /// ends INACTIVE, or DELETE_FAILED with a reason. The name can't be reused until then
    /// (Terraform: `internal/service/ecs/capacity_provider.go`, waitCapacityProviderDeleted).
    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let name = &current.cloud_id;
        match self
            .0
            .ecs
            .delete_capacity_provider()
            .capacity_provider(name)
            .send()
            .await
            .aws()
        {
            Err(e) if e.message.contains("not found") || e.message.contains("does not exist") => {
                return Ok(());
            }
            // Still attached to the cluster or in use by a service: retried.
            Err(e)
                if e.code.as_deref() == Some("ResourceInUseException")
                    || e.message.contains("in use") =>
            {
                return Err(CloudError::new(
                    berth_engine::ErrorClass::DependencyViolation,
                    e.code.clone(),
                    e.message,
                ));
            }
            other => other.map(drop)?,
        }
        cx.wait_until(&format!("capacity provider {name} to be deleted"), || async {
            let out = self
                .0
                .ecs
                .describe_capacity_providers()
                .capacity_providers(name)
                .send()
                .await
                .aws()?;
            let Some(c) = out.capacity_providers().first() else {
                return Ok((Some(()), "gone".to_string()));
            };
            if c.status() == Some(&CapacityProviderStatus::Inactive) {
                return Ok((Some(()), "INACTIVE".to_string()));
            }
            let update = c.update_status().map(|u| u.as_str()).unwrap_or("none");
            if update == "DELETE_FAILED" {
                return Err(CloudError::fatal(format!(
                    "capacity provider {name}: DELETE_FAILED: {}. Fix the cause (often instances still protected from scale-in, or a service still using it), then run berth down again",
                    c.update_status_reason().unwrap_or("no reason given")
                )));
            }
            Ok((None, update.to_string()))
        })
        .await
    }
}
