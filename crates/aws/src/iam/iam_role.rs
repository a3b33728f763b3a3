//! IAM roles: separate and minimal (instance, task execution, task). Each trusts exactly one
//! service principal. IAM can't filter by tag (the kops trap of roles invisible to tag
//! filters), so berth's roles live under the path `/berth/<stack>/` and are listed by it.

use std::collections::BTreeSet;

use async_trait::async_trait;
use berth_engine::{
    CloudError, FieldChange, Json, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found, is_not_found};
use crate::iam::tags::{RoleTags, iam_tags};
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::{owned_id, read_each};

pub const KIND: &str = "iam_role";
/// The single inline policy berth manages on a role.
const INLINE: &str = "berth";

pub fn path(stack: &str) -> String {
    format!("/berth/{stack}/")
}

/// Who may assume the role.
pub enum Trust<'a> {
    /// One AWS service, and with `source_account` only on behalf of that account (the
    /// confused-deputy guard AWS recommends for ECS task roles).
    Service {
        service: &'a str,
        source_account: Option<&'a str>,
    },
    /// GitHub Actions workflows whose OIDC token has this audience-checked `subject`, through
    /// the account's GitHub OIDC provider (GitHub's "Configuring OpenID Connect in Amazon Web
    /// Services": `aud` must be sts.amazonaws.com, `sub` names the repository and ref).
    GitHub { provider: &'a str, subject: &'a str },
}

impl Trust<'_> {
    fn document(&self) -> Json {
        let statement = match self {
            Trust::Service {
                service,
                source_account,
            } => {
                let mut statement = serde_json::json!({
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                });
                if let Some(account) = source_account {
                    statement["Condition"] =
                        serde_json::json!({"StringEquals": {"aws:SourceAccount": account}});
                }
                statement
            }
            Trust::GitHub { provider, subject } => {
                let (aud, sub) = (
                    format!("{GITHUB_OIDC_HOST}:aud"),
                    format!("{GITHUB_OIDC_HOST}:sub"),
                );
                // An exact subject is matched exactly; one with `*` only with StringLike.
                let condition = if subject.contains('*') {
                    serde_json::json!({
                        "StringEquals": {aud: "sts.amazonaws.com"},
                        "StringLike": {sub: subject},
                    })
                } else {
                    serde_json::json!({"StringEquals": {aud: "sts.amazonaws.com", sub: subject}})
                };
                serde_json::json!({
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": condition,
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                })
            }
        };
        serde_json::json!({"Statement": [statement], "Version": "2012-10-17"})
    }
}

/// GitHub Actions' OIDC issuer, as IAM names its provider.
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";

pub fn node(
    stack: &str,
    tags: &Tags,
    name: &str,
    trust: Trust,
    managed_policies: Vec<String>,
    inline_policy: Option<Value>,
) -> Node {
    let trust = trust.document();
    Node::new(KIND, names::role(name), stack, tags)
        .immutable("name", format!("{stack}-{name}"))
        .prop("trust", Value::Lit(trust))
        .prop(
            "managed_policies",
            Value::Set(managed_policies.into_iter().map(Value::from).collect()),
        )
        .prop(
            "inline_policy",
            inline_policy.unwrap_or(Value::Lit(Json::Null)),
        )
}

/// A role's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    /// The trust policy document.
    trust: Json,
    /// Policy ARNs, a set: sorted and without repeats, as a [`Value::Set`] resolves.
    managed_policies: Vec<String>,
    /// The inline policy document; null when there is none.
    inline_policy: Json,
}

/// A policy document property as the text an API takes; null as `None`.
fn document(node: &Resolved, key: &str, doc: &Json) -> Result<Option<String>, CloudError> {
    match doc {
        Json::Null => Ok(None),
        Json::Object(_) => Ok(Some(doc.to_string())),
        _ => Err(node.malformed(key, "a JSON document")),
    }
}

pub struct IamRole(pub Aws);

/// A policy document as IAM returns it (URL-encoded, RFC 3986) as JSON; none as null.
fn parse_document(doc: &str) -> Result<Json, CloudError> {
    if doc.is_empty() {
        return Ok(Json::Null);
    }
    let text = urlencoding::decode(doc).map_err(|e| {
        CloudError::fatal(format!("IAM policy document is not URL-encoded UTF-8: {e}"))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| CloudError::fatal(format!("IAM policy document is not JSON: {e}")))
}

impl IamRole {
    async fn attached(&self, role: &str) -> Result<Vec<String>, CloudError> {
        let policies = self
            .0
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let mut arns: Vec<String> = policies
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        arns.sort();
        Ok(arns)
    }
    async fn inline(&self, role: &str) -> Result<Json, CloudError> {
        match self
            .0
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(INLINE)
            .send()
            .await
            .aws()
        {
            Ok(out) => parse_document(out.policy_document()),
            Err(e) if is_not_found(&e) => Ok(Json::Null),
            Err(e) => Err(e),
        }
    }
    async fn set_policies(
        &self,
        role: &str,
        node: &Resolved,
        props: &Props,
        current: Option<&Props>,
    ) -> Result<(), CloudError> {
        let iam = &self.0.iam;
        let want: BTreeSet<&str> = props.managed_policies.iter().map(String::as_str).collect();
        let have: BTreeSet<&str> = match current {
            Some(c) => c.managed_policies.iter().map(String::as_str).collect(),
            None => BTreeSet::new(),
        };
        for arn in want.difference(&have) {
            iam.attach_role_policy()
                .role_name(role)
                .policy_arn(*arn)
                .send()
                .await
                .aws()?;
        }
        for arn in have.difference(&want) {
            ignore_not_found(
                iam.detach_role_policy()
                    .role_name(role)
                    .policy_arn(*arn)
                    .send()
                    .await
                    .aws()
                    .map(drop),
            )?;
        }
        match document(node, "inline_policy", &props.inline_policy)? {
            Some(doc) => {
                iam.put_role_policy()
                    .role_name(role)
                    .policy_name(INLINE)
                    .policy_document(doc)
                    .send()
                    .await
                    .aws()?;
            }
            None if current.is_some() => {
                ignore_not_found(
                    iam.delete_role_policy()
                        .role_name(role)
                        .policy_name(INLINE)
                        .send()
                        .await
                        .aws()
                        .map(drop),
                )?;
            }
            None => {}
        }
        Ok(())
    }
}

#[async_trait]
impl Kind for IamRole {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["ecr_repository", "log_group", "oidc_provider"]
    }

    /// One listing by path; then per role its tags, attached policies and inline policy.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let iam = &self.0.iam;
        let roles = iam
            .list_roles()
            .path_prefix(path(stack))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        read_each(roles, |role| async move {
            let name = role.role_name();
            let tags: Tags = iam
                .list_role_tags()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .all()
                .await?
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let Some(id) = owned_id(&tags, stack) else {
                return Ok(None);
            };
            let (mut managed_policies, inline_policy) =
                futures::try_join!(self.attached(name), self.inline(name))?;
            managed_policies.dedup();
            let props = Props {
                name: name.to_string(),
                trust: parse_document(role.assume_role_policy_document().unwrap_or_default())?,
                managed_policies,
                inline_policy,
            };
            Ok(Some(
                Observed::new(KIND, id, name)
                    .output(out::ARN, role.arn())
                    .output(out::NAME, name)
                    .with_props(&props)
                    .with_tags(tags),
            ))
        })
        .await
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let name = props.name.as_str();
        let stack_path = node
            .tags
            .get(berth_engine::TAG_STACK)
            .map(|s| path(s))
            .unwrap_or_else(|| "/berth/".into());
        let out = self
            .0
            .iam
            .create_role()
            .role_name(name)
            .path(stack_path)
            .set_assume_role_policy_document(document(node, "trust", &props.trust)?)
            .description("Managed by berth")
            .set_tags(Some(iam_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        cx.on_fresh(|| self.set_policies(name, node, &props, None))
            .await?;
        let arn = out.role().map(|r| r.arn()).unwrap_or_default();
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
        if FieldChange::touches(changes, "trust") {
            iam.update_assume_role_policy()
                .role_name(name)
                .set_policy_document(document(node, "trust", &props.trust)?)
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "managed_policies")
            || FieldChange::touches(changes, "inline_policy")
        {
            let have: Props = current.typed()?;
            self.set_policies(name, node, &props, Some(&have)).await?;
        }
        RoleTags(iam).apply_tags(name, changes).await?;
        let mut o = Observed::applied(KIND, node, name);
        o.outputs = current.outputs.clone();
        Ok(o)
    }

    /// Roles go in order: out of instance profiles, policies detached, inline policy deleted.
    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let iam = &self.0.iam;
        let name = &current.cloud_id;
        // Both lists answer NoSuchEntity once the role is gone (an earlier delete finished).
        let listed = async {
            let profiles = iam
                .list_instance_profiles_for_role()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .all()
                .await?;
            Ok::<_, CloudError>((profiles, self.attached(name).await?))
        };
        let (profiles, attached) = match listed.await {
            Err(e) if is_not_found(&e) => return Ok(()),
            other => other?,
        };
        for p in profiles {
            let out = iam
                .remove_role_from_instance_profile()
                .instance_profile_name(p.instance_profile_name())
                .role_name(name)
                .send()
                .await
                .aws();
            ignore_not_found(out.map(drop))?;
        }
        for arn in attached {
            ignore_not_found(
                iam.detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .aws()
                    .map(drop),
            )?;
        }
        ignore_not_found(
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(INLINE)
                .send()
                .await
                .aws()
                .map(drop),
        )?;
        ignore_not_found(
            iam.delete_role()
                .role_name(name)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
