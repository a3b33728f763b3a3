//! The stack's alerts topic (SNS), when `alerts` is an e-mail address: the alarms notify it,
//! and the address is subscribed. AWS mails the address a link to confirm; until then the
//! subscription is pending and receives nothing (SNS API reference, Subscribe).
//!
//! A pending subscription cannot be unsubscribed (it has no ARN yet), so changing the address
//! subscribes the new one and removes the old one only once confirmed; deleting the topic
//! removes every subscription, pending or not.

use async_trait::async_trait;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found};
use crate::names::{self, out};
use crate::tags::{TagApi, key_value_tags, owned_id, read_each};

pub const KIND: &str = "topic";

pub fn topic_name(stack: &str) -> String {
    format!("{stack}-alerts")
}

pub fn node(stack: &str, tags: &Tags, email: &str) -> Node {
    Node::new(KIND, names::alerts_topic(), stack, tags)
        .immutable("name", topic_name(stack))
        .prop("email", email)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    /// The subscribed address, confirmed or pending.
    email: String,
}

pub struct Topic(pub Aws);

key_value_tags!(sns_tags, aws_sdk_sns::types::Tag);

/// SNS marks a subscription that awaits its confirmation link with this in place of an ARN.
const PENDING: &str = "PendingConfirmation";

impl Topic {
    /// The topic's e-mail subscriptions: (address, ARN or [`PENDING`]).
    async fn emails(&self, arn: &str) -> Result<Vec<(String, String)>, CloudError> {
        let subscriptions = self
            .0
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        Ok(subscriptions
            .iter()
            .filter(|s| s.protocol() == Some("email"))
            .filter_map(|s| Some((s.endpoint()?.to_string(), s.subscription_arn()?.to_string())))
            .collect())
    }

    async fn subscribe(&self, arn: &str, email: &str) -> Result<(), CloudError> {
        self.0
            .sns
            .subscribe()
            .topic_arn(arn)
            .protocol("email")
            .endpoint(email)
            .send()
            .await
            .aws()
            .map(drop)
    }

    fn observed(owner: Owner, name: &str, arn: &str, email: &str, tags: Tags) -> Observed {
        let props = Props {
            name: name.to_string(),
            email: email.to_string(),
        };
        Observed::new(KIND, owner, arn)
            .output(out::ARN, arn)
            .output(out::NAME, name)
            .with_props(&props)
            .with_tags(tags)
    }
}

#[async_trait]
impl Kind for Topic {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    /// ListTopics has no filter: the stack's topic by its name, then its tags.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let sns = &self.0.sns;
        let topics = sns
            .list_topics()
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let suffix = format!(":{}", topic_name(stack));
        let ours: Vec<String> = topics
            .iter()
            .filter_map(|t| t.topic_arn())
            .filter(|arn| arn.ends_with(&suffix))
            .map(str::to_string)
            .collect();
        read_each(ours, |arn| async move {
            let arn = arn.as_str();
            let tags: Tags = sns
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .aws()?
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let Some(owner) = owned_id(&tags, stack) else {
                return Ok(None);
            };
            let emails = self.emails(arn).await?;
            let email = emails.first().map(|(e, _)| e.as_str()).unwrap_or_default();
            Ok(Some(Self::observed(
                owner,
                &topic_name(stack),
                arn,
                email,
                tags,
            )))
        })
        .await
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .sns
            .create_topic()
            .name(&props.name)
            .set_tags(Some(sns_tags(&node.tags)?))
            .send()
            .await
            .aws()?;
        let arn = out.topic_arn().unwrap_or_default().to_string();
        self.subscribe(&arn, &props.email).await?;
        Ok(Self::observed(
            Owner::from(&node.id),
            &props.name,
            &arn,
            &props.email,
            node.tags.clone(),
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
        let arn = current.cloud_id.as_str();
        if FieldChange::touches(changes, "email") {
            let emails = self.emails(arn).await?;
            if !emails.iter().any(|(e, _)| *e == props.email) {
                self.subscribe(arn, &props.email).await?;
            }
            for (_, subscription) in emails.iter().filter(|(e, _)| *e != props.email) {
                if subscription != PENDING {
                    self.0
                        .sns
                        .unsubscribe()
                        .subscription_arn(subscription)
                        .send()
                        .await
                        .aws()?;
                }
            }
        }
        self.0.sns.apply_tags(arn, changes).await?;
        Ok(Self::observed(
            Owner::from(&node.id),
            &props.name,
            arn,
            &props.email,
            node.tags.clone(),
        ))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let out = self
            .0
            .sns
            .delete_topic()
            .topic_arn(&current.cloud_id)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}
