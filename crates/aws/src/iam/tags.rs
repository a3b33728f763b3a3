//! IAM's tags: a pair of tag calls per resource type, the same shape for roles and
//! instance profiles, written once.

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use berth_engine::{CloudError, Tags};

use crate::error::AwsResultExt;
use crate::tags::TagApi;

pub(crate) fn iam_tags(tags: &Tags) -> Result<Vec<Tag>, CloudError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| CloudError::fatal(e.to_string()))
        })
        .collect()
}

/// `$name`'s [`TagApi`]: `$tag` / `$untag` on the resource named by `$by`.
macro_rules! iam_tag_api {
    ($(#[$doc:meta])* $name:ident, $tag:ident, $untag:ident, $by:ident) => {
        $(#[$doc])*
        pub(crate) struct $name<'a>(pub &'a aws_sdk_iam::Client);

        #[async_trait]
        impl TagApi for $name<'_> {
            async fn tag(&self, name: &str, tags: &Tags) -> Result<(), CloudError> {
                self.0
                    .$tag()
                    .$by(name)
                    .set_tags(Some(iam_tags(tags)?))
                    .send()
                    .await
                    .aws()
                    .map(drop)
            }
            async fn untag(&self, name: &str, keys: Vec<String>) -> Result<(), CloudError> {
                self.0
                    .$untag()
                    .$by(name)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .aws()
                    .map(drop)
            }
        }
    };
}

iam_tag_api!(
    /// A role's tags, by role name.
    RoleTags, tag_role, untag_role, role_name
);
iam_tag_api!(
    /// An instance profile's tags, by profile name.
    ProfileTags, tag_instance_profile, untag_instance_profile, instance_profile_name
);
