//! The instance profile that hands the instance role to ECS container instances. IAM is
//! eventually consistent: a fresh profile is not usable by EC2 for a few seconds; the launch
//! template and ASG see that as "not ready" and the engine retries.

use async_trait::async_trait;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found, is_not_found};
use crate::iam::tags::{ProfileTags, iam_tags};
use crate::iam_role::path;
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{owned_id, read_each};

pub const KIND: &str = "instance_profile";

pub fn node(stack: &str, tags: &Tags, role: Value) -> Node {
    Node::new(KIND, names::instance_profile(), stack, tags)
        .immutable("name", format!("{stack}-instance"))
        .prop("role", role)
}

/// An instance profile's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    /// The role's name; "" when the profile has none.
    role: String,
}

impl Props {
    /// The role, if the profile has one.
    fn role(&self) -> Option<&str> {
        Some(self.role.as_str()).filter(|r| !r.is_empty())
    }
}

pub struct InstanceProfile(pub Aws);

#[async_trait]
impl Kind for InstanceProfile {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["iam_role"]
    }

    /// Listed by the stack's IAM path, then one read per profile for its tags.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let iam = &self.0.iam;
        let profiles = iam
            .list_instance_profiles()
            .path_prefix(path(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        read_each(profiles, |p| async move {
            let name = p.instance_profile_name();
            // GetInstanceProfile carries the tags (ListInstanceProfiles does not).
            let full = iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .aws()?;
            let tags: Tags = full
                .instance_profile()
                .map(|p| {
                    p.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let Some(id) = owned_id(&tags, stack) else {
                return Ok(None);
            };
            let props = Props {
                name: name.to_string(),
                role: p
                    .roles()
                    .first()
                    .map(|r| r.role_name())
                    .unwrap_or_default()
                    .to_string(),
            };
            Ok(Some(
                Observed::new(KIND, id, name)
                    .output(out::ARN, p.arn())
                    .output(out::NAME, name)
                    .with_props(&props)
                    .with_tags(tags),
            ))
        })
        .await
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let iam = &self.0.iam;
        let name = props.name.as_str();
        let stack_path = node
            .tags
            .get(berth_engine::TAG_STACK)
            .map(|s| path(s))
            .unwrap_or_else(|| "/berth/".into());
        let out = iam
            .create_instance_profile()
            .instance_profile_name(name)
            .path(stack_path)
            .set_tags(Some(iam_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        cx.on_fresh(|| async {
            iam.add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(&props.role)
                .send()
                .await
                .aws()
        })
        .await?;
        let arn = out.instance_profile().map(|p| p.arn()).unwrap_or_default();
        Ok(Observed::applied(KIND, node, name)
            .output(out::ARN, arn)
            .output(out::NAME, name))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let iam = &self.0.iam;
        let name = &current.cloud_id;
        if FieldChange::touches(changes, "role") {
            let have: Props = current.typed()?;
            if let Some(old) = have.role() {
                let out = iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(name)
                    .role_name(old)
                    .send()
                    .await
                    .aws();
                ignore_not_found(out.map(drop))?;
            }
            iam.add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(&props.role)
                .send()
                .await
                .aws()?;
        }
        ProfileTags(iam).apply_tags(name, changes).await?;
        let mut o = Observed::applied(KIND, node, name);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let iam = &self.0.iam;
        let name = &current.cloud_id;
        let have: Props = current.typed()?;
        if let Some(role) = have.role() {
            match iam
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(role)
                .send()
                .await
                .aws()
            {
                Err(e) if !is_not_found(&e) => return Err(e),
                _ => {}
            }
        }
        ignore_not_found(
            iam.delete_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
