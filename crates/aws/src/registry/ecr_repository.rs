//! The stack's image repository: immutable tags (a tag always means the same image), scan on
//! push, a lifecycle policy that keeps the last 30 images. `down` force-deletes it: a
//! non-empty repository must never block a teardown.

use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Tag};
use berth_engine::{
    CloudError, FieldChange, Json, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::owned_id;
use crate::tags::{TagApi, key_value_tags};

pub const KIND: &str = "ecr_repository";

/// Keep the last 30 images: a document, compared as JSON, so AWS's key order and spacing
/// never show as drift.
fn lifecycle_policy() -> Json {
    json!({"rules": [{
        "rulePriority": 1,
        "description": "keep the last 30 images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
        "action": {"type": "expire"},
    }]})
}

pub fn node(stack: &str, tags: &Tags) -> Node {
    Node::new(KIND, names::repository(), stack, tags)
        .immutable("name", stack)
        .prop("immutable_tags", true)
        .prop("scan_on_push", true)
        .prop("lifecycle", Value::Lit(lifecycle_policy()))
}

/// A repository's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    immutable_tags: bool,
    scan_on_push: bool,
    /// The policy document; null when the repository has none.
    lifecycle: Option<Json>,
}

pub struct EcrRepository(pub Aws);

key_value_tags!(ecr_tags, Tag);

impl EcrRepository {
    async fn lifecycle(&self, repo: &str) -> Result<Option<Json>, CloudError> {
        match self
            .0
            .ecr
            .get_lifecycle_policy()
            .repository_name(repo)
            .send()
            .await
            .aws()
        {
            // Text that is not JSON is kept as a string: drift, never a silent match.
            Ok(out) => Ok(out.lifecycle_policy_text().map(|text| {
                serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_string()))
            })),
            Err(e) if e.code.as_deref().is_some_and(|c| c.contains("NotFound")) => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn configure(
        &self,
        props: &Props,
        changes: Option<&[FieldChange]>,
    ) -> Result<(), CloudError> {
        let ecr = &self.0.ecr;
        let repo = &props.name;
        let touched = |f: &str| changes.is_none_or(|c| FieldChange::touches(c, f));
        if touched("immutable_tags") && changes.is_some() {
            let m = if props.immutable_tags {
                ImageTagMutability::Immutable
            } else {
                ImageTagMutability::Mutable
            };
            ecr.put_image_tag_mutability()
                .repository_name(repo)
                .image_tag_mutability(m)
                .send()
                .await
                .aws()?;
        }
        if touched("scan_on_push") && changes.is_some() {
            let scan = ImageScanningConfiguration::builder()
                .scan_on_push(props.scan_on_push)
                .build();
            ecr.put_image_scanning_configuration()
                .repository_name(repo)
                .image_scanning_configuration(scan)
                .send()
                .await
                .aws()?;
        }
        if let Some(policy) = props.lifecycle.as_ref().filter(|_| touched("lifecycle")) {
            ecr.put_lifecycle_policy()
                .repository_name(repo)
                .lifecycle_policy_text(policy.to_string())
                .send()
                .await
                .aws()?;
        }
        Ok(())
    }
}

fn outputs(o: Observed, arn: &str, name: &str, url: &str) -> Observed {
    o.output(out::ARN, arn)
        .output(out::NAME, name)
        .output(out::URL, url)
}

#[async_trait]
impl Kind for EcrRepository {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    /// The repository named after the stack, then its tags and lifecycle policy.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let ecr = &self.0.ecr;
        let repos = match ecr
            .describe_repositories()
            .repository_names(stack)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
        {
            Ok(repos) => repos,
            Err(e) if e.code.as_deref() == Some("RepositoryNotFoundException") => {
                return Ok(vec![]);
            }
            Err(e) => return Err(e),
        };
        let mut found = Vec::new();
        for repo in &repos {
            let (Some(name), Some(arn)) = (repo.repository_name(), repo.repository_arn()) else {
                continue;
            };
            let tags: Tags = ecr
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .aws()?
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let Some(id) = owned_id(&tags, stack) else {
                continue;
            };
            let immutable = repo.image_tag_mutability() == Some(&ImageTagMutability::Immutable);
            let scan = repo
                .image_scanning_configuration()
                .is_some_and(|c| c.scan_on_push());
            let props = Props {
                name: name.to_string(),
                immutable_tags: immutable,
                scan_on_push: scan,
                lifecycle: self.lifecycle(name).await?,
            };
            let o = Observed::new(KIND, id, name)
                .with_props(&props)
                .with_tags(tags);
            found.push(outputs(
                o,
                arn,
                name,
                repo.repository_uri().unwrap_or_default(),
            ));
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let scan = ImageScanningConfiguration::builder()
            .scan_on_push(props.scan_on_push)
            .build();
        let mutability = if props.immutable_tags {
            ImageTagMutability::Immutable
        } else {
            ImageTagMutability::Mutable
        };
        let out = self
            .0
            .ecr
            .create_repository()
            .repository_name(&props.name)
            .image_tag_mutability(mutability)
            .image_scanning_configuration(scan)
            .set_tags(Some(ecr_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        self.configure(&props, None).await?;
        let repo = out
            .repository()
            .ok_or_else(|| CloudError::fatal("CreateRepository returned no repository"))?;
        let name = &props.name;
        let o = Observed::applied(KIND, node, name);
        Ok(outputs(
            o,
            repo.repository_arn().unwrap_or_default(),
            name,
            repo.repository_uri().unwrap_or_default(),
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
        self.configure(&props, Some(changes)).await?;
        let arn = current.outputs.get("arn").cloned().unwrap_or_default();
        self.0.ecr.apply_tags(&arn, changes).await?;
        let mut o = Observed::applied(KIND, node, &current.cloud_id);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        // force: images in the repository must not block a teardown.
        let out = self
            .0
            .ecr
            .delete_repository()
            .repository_name(&current.cloud_id)
            .force(true)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}
