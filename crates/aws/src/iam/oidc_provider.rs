//! The account's GitHub Actions OIDC provider, so CI assumes the stack's deploy role with a
//! short-lived token instead of long-lived keys. An account has at most one per issuer, and
//! other stacks or tools may use it: berth creates it only when there is none (the graph
//! leaves it out when one exists that this stack did not make), and `down` deletes the one it
//! made only when no role outside the stack still trusts it; otherwise it leaves it, untagged.

use async_trait::async_trait;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, TAG_ID, TAG_STACK,
    Tags,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found, is_not_found};
use crate::iam::tags::iam_tags;
use crate::iam_role::GITHUB_OIDC_HOST;
use crate::names::{self, out};
use crate::tags::owned_id;

pub const KIND: &str = "oidc_provider";

/// The audience GitHub's token carries for AWS.
const AUDIENCE: &str = "sts.amazonaws.com";

pub fn node(stack: &str, tags: &Tags) -> Node {
    Node::new(KIND, names::oidc_provider(), stack, tags)
        .immutable("url", format!("https://{GITHUB_OIDC_HOST}"))
        .prop("audience", AUDIENCE)
}

/// The provider's ARN in `account`: IAM names it after its issuer.
pub fn arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}")
}

/// An OIDC provider's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    url: String,
    audience: String,
}

pub struct OidcProvider(pub Aws);

/// The GitHub provider of the account, if any: its ARN and tags.
pub async fn find(aws: &Aws) -> Result<Option<(String, Tags)>, CloudError> {
    let listed = aws
        .iam
        .list_open_id_connect_providers()
        .send()
        .await
        .aws()?;
    let Some(arn) = listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .find(|arn| arn.ends_with(&format!("/{GITHUB_OIDC_HOST}")))
    else {
        return Ok(None);
    };
    match aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .aws()
    {
        Ok(out) => {
            let tags = out
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            Ok(Some((arn.to_string(), tags)))
        }
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

impl OidcProvider {
    /// Roles other than `stack`'s deploy role whose trust names the provider. By exact name:
    /// another stack's roles may share the prefix (`shop-prod-deploy` for `shop`).
    async fn trusted_elsewhere(&self, arn: &str, stack: &str) -> Result<Vec<String>, CloudError> {
        let roles = self
            .0
            .iam
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(roles
            .iter()
            .filter(|r| r.role_name() != format!("{stack}-deploy"))
            .filter(|r| {
                r.assume_role_policy_document()
                    .is_some_and(|doc| urlencoding::decode(doc).is_ok_and(|doc| doc.contains(arn)))
            })
            .map(|r| r.role_name().to_string())
            .collect())
    }
}

#[async_trait]
impl Kind for OidcProvider {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let Some((arn, tags)) = find(&self.0).await? else {
            return Ok(vec![]);
        };
        let Some(owner) = owned_id(&tags, stack) else {
            return Ok(vec![]); // another stack's or nobody's: used, never touched
        };
        let props = Props {
            url: format!("https://{GITHUB_OIDC_HOST}"),
            audience: AUDIENCE.to_string(),
        };
        Ok(vec![
            Observed::new(KIND, owner, &arn)
                .output(out::ARN, &arn)
                .with_props(&props)
                .with_tags(tags),
        ])
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        // No thumbprint: IAM secures GitHub's issuer with its own trusted CAs and ignores
        // thumbprints for it (IAM user guide, "Create an OpenID Connect (OIDC) identity
        // provider in IAM"); the parameter is optional.
        let out = self
            .0
            .iam
            .create_open_id_connect_provider()
            .url(&props.url)
            .client_id_list(&props.audience)
            .set_tags(Some(iam_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        let arn = out.open_id_connect_provider_arn().unwrap_or_default();
        Ok(Observed::applied(KIND, node, arn).output(out::ARN, arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        // Only tags can differ (the url is immutable, the audience constant).
        let tags = iam_tags(&node.tags)?;
        self.0
            .iam
            .tag_open_id_connect_provider()
            .open_id_connect_provider_arn(&current.cloud_id)
            .set_tags(Some(tags))
            .send()
            .await
            .aws()?;
        Ok(Observed::applied(KIND, node, &current.cloud_id).output(out::ARN, &current.cloud_id))
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let arn = &current.cloud_id;
        let stack = current.tags.get(TAG_STACK).cloned().unwrap_or_default();
        let others = self.trusted_elsewhere(arn, &stack).await?;
        if !others.is_empty() {
            cx.progress(format!(
                "left {arn} in place: roles outside the stack trust it ({})",
                others.join(", ")
            ));
            let untag = self
                .0
                .iam
                .untag_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .tag_keys(TAG_STACK)
                .tag_keys(TAG_ID)
                .send()
                .await
                .aws();
            return ignore_not_found(untag.map(drop));
        }
        let deleted = self
            .0
            .iam
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .aws();
        ignore_not_found(deleted.map(drop))
    }
}
