//! One listener rule per public service: its path prefix (on its own hosts, when it has
//! some) forwards to its target group.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, HostHeaderConditionConfig, PathPatternConditionConfig, Rule,
    RuleCondition, RulePriorityPair,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::elb::{elb_tags, tags_of};
use crate::error::{AwsResultExt, ignore_not_found};
use crate::listener::stack_listeners;
use crate::names::{self, out};
use crate::tags::TagApi;
use crate::tags::owned_id;

pub const KIND: &str = "listener_rule";

/// `/` matches everything; `/api` matches `/api` and below.
pub fn patterns(path: &str) -> Vec<String> {
    let base = path.trim_end_matches('/');
    if base.is_empty() {
        vec!["/*".into()]
    } else {
        vec![base.to_string(), format!("{base}/*")]
    }
}

/// What a rule matches: a path prefix, on any host or only on `hosts`.
pub struct Route<'a> {
    pub path: &'a str,
    pub hosts: &'a [String],
}

pub fn node(
    stack: &str,
    tags: &Tags,
    service: &str,
    listener: Value,
    target_group: Value,
    route: Route,
    priority: u32,
) -> Node {
    let Route { path, hosts } = route;
    Node::new(KIND, names::listener_rule(service), stack, tags)
        .immutable("listener", listener)
        .prop("target_group", target_group)
        // A set: the patterns of one condition match in any order, and AWS need not keep ours.
        .prop(
            "paths",
            Value::Set(patterns(path).into_iter().map(Value::from).collect()),
        )
        .prop(
            "hosts",
            Value::Set(hosts.iter().map(|h| Value::from(h.as_str())).collect()),
        )
        .prop("priority", priority)
}

/// A listener rule's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    listener: String,
    target_group: String,
    paths: Vec<String>,
    /// Empty: any host.
    hosts: Vec<String>,
    /// `None` where discover finds a priority that is no number.
    priority: Option<u32>,
}

pub struct ListenerRule(pub Aws);

fn forward(tg: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(tg)
        .build()
}

const PATH: &str = "path-pattern";
const HOST: &str = "host-header";

/// The path condition, and the host condition when the service has hosts (both must match).
fn conditions(props: &Props) -> Vec<RuleCondition> {
    let paths = PathPatternConditionConfig::builder()
        .set_values(Some(props.paths.clone()))
        .build();
    let mut all = vec![
        RuleCondition::builder()
            .field(PATH)
            .path_pattern_config(paths)
            .build(),
    ];
    if !props.hosts.is_empty() {
        let hosts = HostHeaderConditionConfig::builder()
            .set_values(Some(props.hosts.clone()))
            .build();
        all.push(
            RuleCondition::builder()
                .field(HOST)
                .host_header_config(hosts)
                .build(),
        );
    }
    all
}

/// The values of the rule's `field` conditions, as a set property holds them: sorted, once.
fn rule_values(rule: &Rule, field: &str) -> Vec<String> {
    let mut values: Vec<String> = rule
        .conditions()
        .iter()
        .filter(|c| c.field() == Some(field))
        .flat_map(|c| {
            let typed = match field {
                PATH => c.path_pattern_config().map(|p| p.values().to_vec()),
                _ => c.host_header_config().map(|h| h.values().to_vec()),
            };
            typed.unwrap_or_else(|| c.values().to_vec())
        })
        .collect();
    values.sort();
    values.dedup();
    values
}

/// ELBv2's answer when another rule of the listener holds the priority.
const PRIORITY_IN_USE: &str = "PriorityInUse";

fn priority(node: &Resolved, props: &Props) -> Result<i32, CloudError> {
    props
        .priority
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| node.malformed("priority", "an integer in range"))
}

impl ListenerRule {
    /// Every rule of the listener, all pages (a listener holds up to 100).
    async fn rules_of(&self, listener: &str) -> Result<Vec<Rule>, CloudError> {
        let mut pages = self
            .0
            .elbv2
            .describe_rules()
            .listener_arn(listener)
            .into_paginator()
            .send();
        let mut rules = Vec::new();
        while let Some(page) = pages.next().await {
            rules.extend(page.aws()?.rules().iter().cloned());
        }
        Ok(rules)
    }

    async fn set_priority(&self, rule: &str, priority: i32) -> Result<(), CloudError> {
        let pair = RulePriorityPair::builder()
            .rule_arn(rule)
            .priority(priority)
            .build();
        self.0
            .elbv2
            .set_rule_priorities()
            .rule_priorities(pair)
            .send()
            .await
            .aws()
            .map(drop)
    }

    /// Renumbering by specificity moves rules that already exist: the rule holding `priority`
    /// is moved past every other rule of the listener, and its own update (ordered after this
    /// rule's in the graph) then puts it where it belongs.
    async fn park(&self, listener: &str, priority: i32) -> Result<(), CloudError> {
        let rules = self.rules_of(listener).await?;
        let number = |r: &Rule| r.priority().and_then(|p| p.parse::<i32>().ok());
        let free = rules.iter().filter_map(number).max().unwrap_or(0) + 1;
        match rules
            .iter()
            .find(|r| number(r) == Some(priority))
            .and_then(|r| r.rule_arn())
        {
            Some(holder) => self.set_priority(holder, free).await,
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Kind for ListenerRule {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["listener", "target_group"]
    }

    /// The rules of the stack's listeners (one call each), then their tags.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let mut rules = Vec::new();
        for listener in stack_listeners(&self.0, stack).await? {
            let arn = listener.listener_arn().unwrap_or_default().to_string();
            rules.extend(
                self.rules_of(&arn)
                    .await?
                    .into_iter()
                    .filter(|r| r.is_default() != Some(true))
                    .map(|r| (arn.clone(), r)),
            );
        }
        let arns: Vec<String> = rules
            .iter()
            .filter_map(|(_, r)| r.rule_arn().map(str::to_string))
            .collect();
        let mut tags = tags_of(&self.0, &arns).await?;
        Ok(rules
            .iter()
            .filter_map(|(listener, r)| {
                let arn = r.rule_arn()?;
                let t = tags.remove(arn).unwrap_or_default();
                let id = owned_id(&t, stack)?;
                let tg = r
                    .actions()
                    .first()
                    .and_then(|a| a.target_group_arn())
                    .unwrap_or_default();
                let props = Props {
                    listener: listener.clone(),
                    target_group: tg.to_string(),
                    paths: rule_values(r, PATH),
                    hosts: rule_values(r, HOST),
                    // "default" for the listener's own rule, which is never ours.
                    priority: r.priority().and_then(|p| p.parse::<u32>().ok()),
                };
                Some(
                    Observed::new(KIND, id, arn)
                        .with_props(&props)
                        .output(out::ARN, arn)
                        .with_tags(t),
                )
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let priority = priority(node, &props)?;
        let listener = props.listener.as_str();
        let create = || {
            self.0
                .elbv2
                .create_rule()
                .listener_arn(listener)
                .priority(priority)
                .set_conditions(Some(conditions(&props)))
                .actions(forward(&props.target_group))
                .set_tags(Some(elb_tags(&node.tags)))
                .send()
        };
        let out = match create().await.aws() {
            Err(e) if e.code.as_deref() == Some(PRIORITY_IN_USE) => {
                self.park(listener, priority).await?;
                create().await.aws()?
            }
            other => other?,
        };
        let arn = out
            .rules()
            .first()
            .and_then(|r| r.rule_arn())
            .unwrap_or_default()
            .to_string();
        Ok(Observed::applied(KIND, node, &arn).output(out::ARN, &arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let arn = &current.cloud_id;
        let elb = &self.0.elbv2;
        if ["paths", "hosts", "target_group"]
            .iter()
            .any(|f| FieldChange::touches(changes, f))
        {
            let call = elb
                .modify_rule()
                .rule_arn(arn)
                .set_conditions(Some(conditions(&props)));
            call.actions(forward(&props.target_group))
                .send()
                .await
                .aws()?;
        }
        if FieldChange::touches(changes, "priority") {
            let priority = priority(node, &props)?;
            if let Err(e) = self.set_priority(arn, priority).await {
                if e.code.as_deref() != Some(PRIORITY_IN_USE) {
                    return Err(e);
                }
                self.park(&props.listener, priority).await?;
                self.set_priority(arn, priority).await?;
            }
        }
        self.0.elbv2.apply_tags(arn, changes).await?;
        Ok(Observed::applied(KIND, node, arn).output(out::ARN, arn))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        ignore_not_found(
            self.0
                .elbv2
                .delete_rule()
                .rule_arn(&current.cloud_id)
                .send()
                .await
                .aws()
                .map(drop),
        )
    }
}
