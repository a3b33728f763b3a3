//! The launch template for ECS container instances: the ECS-optimised AMI, IMDSv2 required
//! with a hop limit of 1, an encrypted gp3 root volume, no public IP, the instance profile,
//! and user data that joins the cluster. No SSH key unless the manifest names one (use SSM
//! Session Manager). Changes create a new default version; the ASG's instance refresh rolls it.
//!
//! Hop limit 1: bridge-mode containers sit one network hop beyond the instance, so they cannot
//! reach IMDS and borrow the instance role; tasks get their own role from the ECS agent.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    LaunchTemplateTagSpecificationRequest, LaunchTemplatesMonitoringRequest,
    RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData, Tag, VolumeType,
};
use aws_smithy_types::base64;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{ec2_tag_spec, ec2_tags, from_ec2, owned_id, stack_filter};

pub const KIND: &str = "launch_template";
const ROOT_DEVICE: &str = "/dev/xvda";
const SECURE: &str = "imdsv2-required-hop1,gp3-30gib-encrypted,no-public-ip";

#[allow(clippy::too_many_arguments)]
pub fn node(
    stack: &str,
    tags: &Tags,
    cluster_name: Value,
    ami: &str,
    instance_type: &str,
    profile: Value,
    security_group: Value,
    ssh_key: Option<&str>,
) -> Node {
    let user_data = Value::Concat(vec![
        Value::from("#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\nECS_CLUSTER="),
        cluster_name,
        Value::from(
            "\nECS_ENABLE_TASK_IAM_ROLE=true\nECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance\nEOF\n",
        ),
    ]);
    Node::new(KIND, names::launch_template(), stack, tags)
        .immutable("name", format!("{stack}-ecs"))
        .prop("ami", ami)
        .prop("instance_type", instance_type)
        .prop("profile_arn", profile)
        .prop("security_group", security_group)
        .prop("user_data", user_data)
        .prop("key_name", ssh_key.unwrap_or_default())
        .prop("secure", SECURE)
}

/// A launch template's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    ami: String,
    instance_type: String,
    profile_arn: String,
    security_group: String,
    user_data: String,
    /// Empty for no SSH key.
    key_name: String,
    secure: String,
}

pub struct LaunchTemplate(pub Aws);

/// The AMI of the stack's launch template, when one exists for the same CPU architecture as
/// `instance_type` (a move to or from Graviton needs the other AMI).
pub async fn current_ami(
    aws: &Aws,
    stack: &str,
    instance_type: &str,
) -> Result<Option<String>, CloudError> {
    let found = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_name(format!("{stack}-ecs"))
        .versions("$Default")
        .send()
        .await
        .aws();
    let out = match found {
        Ok(out) => out,
        Err(e) if crate::error::is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let arm64 = berth_spec::is_arm64_instance_type;
    Ok(out
        .launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .filter(|d| {
            d.instance_type()
                .is_some_and(|t| arm64(t.as_str()) == arm64(instance_type))
        })
        .and_then(|d| d.image_id())
        .map(str::to_string))
}

fn template_data(props: &Props, tags: &Tags) -> RequestLaunchTemplateData {
    let instance_tags: Vec<Tag> = ec2_tags(tags);
    let tag_spec = |kind| {
        LaunchTemplateTagSpecificationRequest::builder()
            .resource_type(kind)
            .set_tags(Some(instance_tags.clone()))
            .build()
    };
    let root = LaunchTemplateEbsBlockDeviceRequest::builder()
        .volume_type(VolumeType::Gp3)
        .volume_size(30)
        .encrypted(true)
        .delete_on_termination(true)
        .build();
    let metadata = LaunchTemplateInstanceMetadataOptionsRequest::builder()
        .http_tokens(aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required)
        .http_put_response_hop_limit(1)
        .build();
    let nic = LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
        .device_index(0)
        .associate_public_ip_address(false)
        .groups(&props.security_group)
        .delete_on_termination(true)
        .build();
    let mut data = RequestLaunchTemplateData::builder()
        .image_id(&props.ami)
        .instance_type(InstanceType::from(props.instance_type.as_str()))
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .arn(&props.profile_arn)
                .build(),
        )
        .user_data(base64::encode(&props.user_data))
        .metadata_options(metadata)
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(ROOT_DEVICE)
                .ebs(root)
                .build(),
        )
        .network_interfaces(nic)
        .monitoring(
            LaunchTemplatesMonitoringRequest::builder()
                .enabled(true)
                .build(),
        )
        .tag_specifications(tag_spec(ResourceType::Instance))
        .tag_specifications(tag_spec(ResourceType::Volume));
    if !props.key_name.is_empty() {
        data = data.key_name(&props.key_name);
    }
    data.build()
}

/// The secure settings as one comparable value: any drift from them shows in plans.
fn secure_settings(d: &ResponseLaunchTemplateData) -> String {
    let md = d.metadata_options();
    let imds = md.and_then(|m| m.http_tokens())
        == Some(&aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required)
        && md.and_then(|m| m.http_put_response_hop_limit()) == Some(1);
    let ebs = d
        .block_device_mappings()
        .iter()
        .find(|b| b.device_name() == Some(ROOT_DEVICE))
        .and_then(|b| b.ebs());
    let disk = ebs.is_some_and(|e| {
        e.volume_type() == Some(&VolumeType::Gp3)
            && e.volume_size() == Some(30)
            && e.encrypted() == Some(true)
    });
    let no_ip = d
        .network_interfaces()
        .iter()
        .all(|n| n.associate_public_ip_address() != Some(true));
    let parts = [
        if imds {
            "imdsv2-required-hop1"
        } else {
            "imds-open"
        },
        if disk {
            "gp3-30gib-encrypted"
        } else {
            "root-volume-not-as-required"
        },
        if no_ip { "no-public-ip" } else { "public-ip" },
    ];
    parts.join(",")
}

impl LaunchTemplate {
    async fn default_version(
        &self,
        template_id: &str,
    ) -> Result<Option<ResponseLaunchTemplateData>, CloudError> {
        let version = self
            .0
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(template_id)
            .versions("$Default")
            .into_paginator()
            .items()
            .send()
            .try_next()
            .await
            .aws()?;
        Ok(version.and_then(|v| v.launch_template_data().cloned()))
    }
}

#[async_trait]
impl Kind for LaunchTemplate {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["ecs_cluster", "instance_profile", "security_group"]
    }
    fn volatile_outputs(&self) -> &'static [&'static str] {
        &["version"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let templates = self
            .0
            .ec2
            .describe_launch_templates()
            .filters(stack_filter(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let mut found = Vec::new();
        for t in &templates {
            let tags = from_ec2(t.tags());
            let (Some(id), Some(template_id)) = (owned_id(&tags, stack), t.launch_template_id())
            else {
                continue;
            };
            let Some(d) = self.default_version(template_id).await? else {
                continue;
            };
            let user_data = d
                .user_data()
                .and_then(|u| base64::decode(u).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            let profile = d
                .iam_instance_profile()
                .and_then(|p| p.arn())
                .unwrap_or_default();
            let group = d
                .network_interfaces()
                .first()
                .and_then(|n| n.groups().first())
                .map(String::as_str)
                .unwrap_or_default();
            let props = Props {
                name: t.launch_template_name().unwrap_or_default().to_string(),
                ami: d.image_id().unwrap_or_default().to_string(),
                instance_type: d
                    .instance_type()
                    .map(|i| i.as_str())
                    .unwrap_or_default()
                    .to_string(),
                profile_arn: profile.to_string(),
                security_group: group.to_string(),
                user_data: user_data.unwrap_or_default(),
                key_name: d.key_name().unwrap_or_default().to_string(),
                secure: secure_settings(&d),
            };
            found.push(
                Observed::new(KIND, id, template_id)
                    .with_props(&props)
                    .output(out::VERSION, t.default_version_number().unwrap_or_default())
                    .with_tags(tags),
            );
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .ec2
            .create_launch_template()
            .launch_template_name(&props.name)
            .launch_template_data(template_data(&props, &node.tags))
            .tag_specifications(ec2_tag_spec(ResourceType::LaunchTemplate, &node.tags))
            .send()
            .await
            .aws()?;
        let t = out
            .launch_template()
            .ok_or_else(|| CloudError::fatal("CreateLaunchTemplate returned nothing"))?;
        let id = t.launch_template_id().unwrap_or_default();
        Ok(Observed::applied(KIND, node, id)
            .output(out::VERSION, t.default_version_number().unwrap_or(1)))
    }

    /// A new version with the full data (versions don't inherit), made the default.
    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let id = &current.cloud_id;
        let mut version = current.outputs.get("version").cloned().unwrap_or_default();
        if changes.iter().any(|c| !c.is_tag()) {
            let out = self
                .0
                .ec2
                .create_launch_template_version()
                .launch_template_id(id)
                .launch_template_data(template_data(&props, &node.tags))
                .send()
                .await
                .aws()?;
            let number = out
                .launch_template_version()
                .and_then(|v| v.version_number())
                .unwrap_or_default();
            self.0
                .ec2
                .modify_launch_template()
                .launch_template_id(id)
                .default_version(number.to_string())
                .send()
                .await
                .aws()?;
            version = number.to_string();
        }
        self.0.ec2.apply_tags(id, changes).await?;
        Ok(Observed::applied(KIND, node, id).output(out::VERSION, version))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let out = self
            .0
            .ec2
            .delete_launch_template()
            .launch_template_id(&current.cloud_id)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}
