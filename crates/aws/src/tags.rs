//! Tags and tag filters in the shapes the EC2 API wants.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use berth_engine::{TAG_ID, TAG_STACK, Tags, UNMANAGED};

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

/// The `berth:id` of a resource that belongs to `stack`, or [`UNMANAGED`] for one that
/// carries the stack's tag but no `berth:id` (made by hand: reported, and deleted only by
/// `down`). Checked here as well as in the API's filter, so a filter an API ignores can never
/// hand berth another stack's resource.
pub fn owned_id<'a>(tags: &'a Tags, stack: &str) -> Option<&'a str> {
    if tags.get(TAG_STACK).map(String::as_str) != Some(stack) {
        return None;
    }
    Some(tags.get(TAG_ID).map_or(UNMANAGED, String::as_str))
}

/// Apply tag changes from a plan to an EC2 resource.
pub async fn update_ec2_tags(
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    changes: &[berth_engine::FieldChange],
) -> Result<(), berth_engine::CloudError> {
    use crate::error::AwsResultExt;
    let (set, unset) = berth_engine::FieldChange::tag_changes(changes);
    if !set.is_empty() {
        ec2.create_tags()
            .resources(resource_id)
            .set_tags(Some(ec2_tags(&set)))
            .send()
            .await
            .aws()?;
    }
    if !unset.is_empty() {
        let keys = unset
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        ec2.delete_tags()
            .resources(resource_id)
            .set_tags(Some(keys))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}
