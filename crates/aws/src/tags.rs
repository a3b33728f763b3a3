//! Tags and tag filters in the shapes the EC2 API wants.

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use berth_engine::{CloudError, FieldChange, Owner, TAG_ID, TAG_STACK, Tags};

use crate::error::AwsResultExt;

/// How many per-resource reads one kind's discovery makes at once (see [`read_each`]).
const READS_AT_ONCE: usize = 4;

/// `read` for each item, [`READS_AT_ONCE`] at a time, keeping what it found, in order. The APIs
/// that cannot filter by tag (IAM, ACM, CloudWatch, Logs, ECR, Cloud Map, SNS) take a call per
/// resource to read its tags: one after another, a plan waits a round trip per role, alarm or
/// certificate in turn. A few at once stays far below their request rates (and the SDK retries
/// any throttling).
pub async fn read_each<T, R, Fut>(
    items: impl IntoIterator<Item = T>,
    read: impl FnMut(T) -> Fut,
) -> Result<Vec<R>, CloudError>
where
    Fut: std::future::Future<Output = Result<Option<R>, CloudError>>,
{
    use futures::{StreamExt, TryStreamExt};
    let found: Vec<Option<R>> = futures::stream::iter(items)
        .map(read)
        .buffered(READS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

pub fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The filter that finds every EC2 resource of a stack.
pub fn stack_filter(stack: &str) -> Filter {
    filter(&format!("tag:{TAG_STACK}"), stack)
}

pub fn ec2_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags applied in the create call itself, so a crash can never leave an untagged orphan.
pub fn ec2_tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

pub fn from_ec2(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Who owns a resource that belongs to `stack`: its `berth:id`, or [`Owner::Unmanaged`] for
/// one that carries the stack's tag but no `berth:id` (made by hand: reported, and deleted
/// only by `down`). `None` for another stack's. Checked here as well as in the API's filter,
/// so a filter an API ignores can never hand berth another stack's resource.
pub fn owned_id(tags: &Tags, stack: &str) -> Option<Owner> {
    if tags.get(TAG_STACK).map(String::as_str) != Some(stack) {
        return None;
    }
    Some(tags.get(TAG_ID).map_or(Owner::Unmanaged, Owner::from))
}

/// One AWS API family's two tag calls. Each family (EC2, ELBv2, ECS, IAM roles, ...) writes
/// them once; [`TagApi::apply_tags`] turns a plan's tag changes into them for every kind.
#[async_trait]
pub(crate) trait TagApi: Sync {
    async fn tag(&self, resource: &str, tags: &Tags) -> Result<(), CloudError>;
    async fn untag(&self, resource: &str, keys: Vec<String>) -> Result<(), CloudError>;
    /// Set the changed tags, remove the removed ones.
    async fn apply_tags(&self, resource: &str, changes: &[FieldChange]) -> Result<(), CloudError> {
        let (set, unset) = FieldChange::tag_changes(changes);
        if !set.is_empty() {
            self.tag(resource, &set).await?;
        }
        if !unset.is_empty() {
            self.untag(resource, unset).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl TagApi for aws_sdk_ec2::Client {
    async fn tag(&self, resource: &str, tags: &Tags) -> Result<(), CloudError> {
        self.create_tags()
            .resources(resource)
            .set_tags(Some(ec2_tags(tags)))
            .send()
            .await
            .aws()
            .map(drop)
    }
    async fn untag(&self, resource: &str, keys: Vec<String>) -> Result<(), CloudError> {
        let keys = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        self.delete_tags()
            .resources(resource)
            .set_tags(Some(keys))
            .send()
            .await
            .aws()
            .map(drop)
    }
}

/// The families whose tag calls are `TagResource` / `UntagResource` on an ARN: the same two
/// calls, each with its own `Tag` type.
macro_rules! tag_by_arn {
    ($client:ty, $shape:expr) => {
        #[async_trait]
        impl TagApi for $client {
            async fn tag(&self, arn: &str, tags: &Tags) -> Result<(), CloudError> {
                self.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(($shape)(tags)?))
                    .send()
                    .await
                    .aws()
                    .map(drop)
            }
            async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), CloudError> {
                self.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .aws()
                    .map(drop)
            }
        }
    };
}

tag_by_arn!(aws_sdk_ecs::Client, |t| Ok::<_, CloudError>(
    crate::ecs_cluster::ecs_tags(t)
));
tag_by_arn!(aws_sdk_servicediscovery::Client, crate::namespace::sd_tags);
tag_by_arn!(
    aws_sdk_cloudwatchlogs::Client,
    |t: &Tags| Ok::<_, CloudError>(t.clone().into_iter().collect())
);
tag_by_arn!(aws_sdk_ecr::Client, crate::ecr_repository::ecr_tags);
tag_by_arn!(aws_sdk_cloudwatch::Client, crate::alarm::cloudwatch_tags);
tag_by_arn!(aws_sdk_sns::Client, crate::topic::sns_tags);

/// `fn $name(&Tags) -> Result<Vec<$tag>, CloudError>` for an API whose `Tag` is a builder
/// with a required key and value (ECR, CloudWatch, SNS, ...).
macro_rules! key_value_tags {
    ($name:ident, $tag:ty) => {
        pub(crate) fn $name(tags: &Tags) -> Result<Vec<$tag>, CloudError> {
            tags.iter()
                .map(|(k, v)| {
                    <$tag>::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| CloudError::fatal(e.to_string()))
                })
                .collect()
        }
    };
}
pub(crate) use key_value_tags;
