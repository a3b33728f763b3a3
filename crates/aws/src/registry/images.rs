//! Images in the stack's repository, for `berth deploy --build`: whether a tag is already
//! there (and its digest), and the credentials Docker pushes with. Not a resource kind:
//! images are the deploy's, and `down` deletes them with the repository.

use aws_sdk_ecr::types::ImageIdentifier;
use berth_engine::CloudError;

use crate::Aws;
use crate::error::{AwsResultExt, is_not_found};

/// The digest (`sha256:...`) of `repository:tag`, or `None` when no image has that tag.
pub async fn digest(aws: &Aws, repository: &str, tag: &str) -> Result<Option<String>, CloudError> {
    let found = aws
        .ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await
        .aws();
    match found {
        Ok(out) => Ok(out
            .image_details()
            .first()
            .and_then(|d| d.image_digest())
            .map(str::to_string)),
        // ImageNotFoundException: not pushed yet.
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The registry credentials of this account and region, as Docker's config keeps them:
/// base64 of `AWS:<password>`, valid for 12 hours (ECR's GetAuthorizationToken).
pub async fn push_credentials(aws: &Aws) -> Result<String, CloudError> {
    let out = aws.ecr.get_authorization_token().send().await.aws()?;
    out.authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .map(str::to_string)
        .ok_or_else(|| CloudError::fatal("ECR's GetAuthorizationToken returned no token"))
}
