//! CloudWatch metric alarms: per service, the load balancer's 5xx share, p99 latency and
//! unhealthy targets, and the tasks' CPU and memory. They are the service's ECS deployment
//! alarms (a rollout that trips one rolls back) and notify the stack's alerts topic.
//!
//! PutMetricAlarm is an upsert, so an update is the same call; it ignores `Tags` for an alarm
//! that exists, so tags change through TagResource (CloudWatch API reference, PutMetricAlarm).
//! Missing data is not breaching: a quiet service at night is not an incident.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, MetricAlarm, MetricDataQuery, StateValue, Tag,
};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt};
use crate::monitoring::{Sources, metric_stat};
use crate::names::{self, out};
use crate::tags::{TagApi, owned_id, read_each};

pub const KIND: &str = "alarm";

/// What a service alarm watches, and how its name ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    Errors,
    Latency,
    Unhealthy,
    Cpu,
    Memory,
}

impl Watch {
    pub fn suffix(self) -> &'static str {
        match self {
            Watch::Errors => "errors",
            Watch::Latency => "latency",
            Watch::Unhealthy => "unhealthy",
            Watch::Cpu => "cpu",
            Watch::Memory => "memory",
        }
    }
}

/// `<stack>-<service>-<what>`: found by the stack's prefix.
pub fn alarm_name(stack: &str, service: &str, watch: Watch) -> String {
    format!("{stack}-{service}-{}", watch.suffix())
}

/// One alarm of the service `sources` names: `threshold` in the metric's unit (percent,
/// seconds, targets).
pub fn node(
    stack: &str,
    tags: &Tags,
    watch: Watch,
    threshold: f64,
    sources: &Sources,
    actions: Value,
) -> Node {
    let service = sources.service.as_str();
    let metric = |namespace: &'static str, name: &'static str, stat: &'static str| {
        let dimensions = match namespace {
            "AWS/ECS" => vec![
                ("ClusterName", sources.cluster.clone()),
                ("ServiceName", Value::from(service)),
            ],
            _ => {
                let mut d = vec![(
                    "LoadBalancer",
                    sources.load_balancer.clone().expect("a public service"),
                )];
                d.push((
                    "TargetGroup",
                    sources.target_group.clone().expect("a public service"),
                ));
                d
            }
        };
        Value::Object(vec![
            ("namespace", namespace.into()),
            ("name", name.into()),
            ("dimensions", Value::Object(dimensions)),
            ("stat", stat.into()),
            ("period", 60.into()),
        ])
    };
    let query = |id: &'static str, metric: Value, return_data: bool| {
        Value::Object(vec![
            ("id", id.into()),
            ("metric", metric),
            ("return_data", return_data.into()),
        ])
    };
    let elb = "AWS/ApplicationELB";
    let (description, metrics, periods) = match watch {
        // A share, not a count: ten errors are an outage at night and noise at noon.
        Watch::Errors => (
            format!("{service}: more than {threshold}% of requests answered 5xx"),
            vec![
                query(
                    "errors",
                    metric(elb, "HTTPCode_Target_5XX_Count", "Sum"),
                    false,
                ),
                query("requests", metric(elb, "RequestCount", "Sum"), false),
                Value::Object(vec![
                    ("id", "share".into()),
                    (
                        "expression",
                        "IF(requests > 0, 100 * errors / requests, 0)".into(),
                    ),
                    ("return_data", true.into()),
                ]),
            ],
            3,
        ),
        Watch::Latency => (
            format!("{service}: p99 response time above {threshold} s"),
            vec![query("p99", metric(elb, "TargetResponseTime", "p99"), true)],
            3,
        ),
        Watch::Unhealthy => (
            format!("{service}: a target failing its health check"),
            vec![query(
                "unhealthy",
                metric(elb, "UnHealthyHostCount", "Maximum"),
                true,
            )],
            3,
        ),
        Watch::Cpu => (
            format!("{service}: CPU above {threshold}% of what its tasks reserve"),
            vec![query(
                "cpu",
                metric("AWS/ECS", "CPUUtilization", "Average"),
                true,
            )],
            5,
        ),
        Watch::Memory => (
            format!("{service}: memory above {threshold}% of what its tasks reserve"),
            vec![query(
                "memory",
                metric("AWS/ECS", "MemoryUtilization", "Average"),
                true,
            )],
            5,
        ),
    };
    Node::new(KIND, names::alarm(service, watch.suffix()), stack, tags)
        .immutable("name", alarm_name(stack, service, watch))
        .prop("description", description)
        .prop("metrics", Value::List(metrics))
        .prop("threshold", Value::Lit(threshold.into()))
        .prop("evaluation_periods", periods)
        .prop("actions", actions)
}

/// An alarm's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    description: String,
    metrics: Vec<Query>,
    threshold: f64,
    /// Minutes the threshold must be crossed in a row.
    evaluation_periods: i32,
    /// Topics notified on ALARM and on OK again.
    actions: Vec<String>,
}

/// One series of an alarm: a metric, or metric math over the others.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metric: Option<MetricSpec>,
    return_data: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricSpec {
    namespace: String,
    name: String,
    dimensions: BTreeMap<String, String>,
    stat: String,
    period: i32,
}

impl Query {
    fn to_aws(&self) -> MetricDataQuery {
        let stat = self.metric.as_ref().map(|m| {
            let dimensions = m.dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            metric_stat(&m.namespace, &m.name, dimensions, &m.stat, m.period)
        });
        MetricDataQuery::builder()
            .id(&self.id)
            .set_expression(self.expression.clone())
            .set_metric_stat(stat)
            .return_data(self.return_data)
            .build()
    }

    fn from_aws(q: &MetricDataQuery) -> Query {
        Query {
            id: q.id().unwrap_or_default().to_string(),
            expression: q.expression().map(str::to_string),
            metric: q.metric_stat().map(|s| {
                let metric = s.metric();
                MetricSpec {
                    namespace: metric
                        .and_then(|m| m.namespace())
                        .unwrap_or_default()
                        .to_string(),
                    name: metric
                        .and_then(|m| m.metric_name())
                        .unwrap_or_default()
                        .to_string(),
                    dimensions: metric
                        .map(|m| {
                            m.dimensions()
                                .iter()
                                .map(|d| {
                                    (
                                        d.name().unwrap_or_default().to_string(),
                                        d.value().unwrap_or_default().to_string(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    stat: s.stat().unwrap_or_default().to_string(),
                    period: s.period().unwrap_or_default(),
                }
            }),
            return_data: q.return_data().unwrap_or(true),
        }
    }
}

pub struct Alarm(pub Aws);

/// CloudWatch's tags (its builder cannot fail, unlike the newer APIs' that
/// [`key_value_tags`] covers).
pub(crate) fn cloudwatch_tags(tags: &Tags) -> Result<Vec<Tag>, CloudError> {
    Ok(tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect())
}

fn observe(alarm: &MetricAlarm, owner: Owner, tags: Tags) -> Option<Observed> {
    let name = alarm.alarm_name()?;
    let props = Props {
        name: name.to_string(),
        description: alarm.alarm_description().unwrap_or_default().to_string(),
        metrics: alarm.metrics().iter().map(Query::from_aws).collect(),
        threshold: alarm.threshold().unwrap_or_default(),
        evaluation_periods: alarm.evaluation_periods().unwrap_or_default(),
        actions: alarm.alarm_actions().to_vec(),
    };
    Some(
        Observed::new(KIND, owner, name)
            .output(out::NAME, name)
            .output(out::ARN, alarm.alarm_arn().unwrap_or_default())
            .with_props(&props)
            .with_tags(tags),
    )
}

impl Alarm {
    async fn put(&self, node: &Resolved, with_tags: bool) -> Result<(), CloudError> {
        let props: Props = node.typed()?;
        let mut call = self
            .0
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&props.name)
            .alarm_description(&props.description)
            .set_metrics(Some(props.metrics.iter().map(Query::to_aws).collect()))
            .threshold(props.threshold)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .evaluation_periods(props.evaluation_periods)
            .datapoints_to_alarm(props.evaluation_periods)
            .treat_missing_data("notBreaching")
            .set_alarm_actions(Some(props.actions.clone()))
            .set_ok_actions(Some(props.actions.clone()));
        if with_tags {
            call = call.set_tags(Some(cloudwatch_tags(&node.tags)?));
        }
        call.send().await.aws().map(drop)
    }

    /// The alarm as it is now, for its ARN.
    async fn describe(&self, node: &Resolved) -> Result<Observed, CloudError> {
        let name = node.str("name")?;
        let out = self
            .0
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .aws()?;
        out.metric_alarms()
            .first()
            .and_then(|a| observe(a, Owner::from(&node.id), node.tags.clone()))
            .ok_or_else(|| CloudError::not_ready(format!("alarm {name} not visible yet")))
    }
}

/// Which of `names` are firing, each with CloudWatch's own account of it: its reason quotes
/// the recent datapoints that crossed the threshold.
pub async fn firing(aws: &Aws, names: &[String]) -> Result<Vec<String>, CloudError> {
    if names.is_empty() {
        return Ok(vec![]);
    }
    let out = aws
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .state_value(StateValue::Alarm)
        .send()
        .await
        .aws()?;
    // Checked here too: the emulator ignores StateValue next to AlarmNames.
    Ok(out
        .metric_alarms()
        .iter()
        .filter(|a| a.state_value() == Some(&StateValue::Alarm))
        .map(|a| {
            format!(
                "{}: {}",
                a.alarm_name().unwrap_or_default(),
                a.state_reason().unwrap_or("in ALARM")
            )
        })
        .collect())
}

#[async_trait]
impl Kind for Alarm {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &["load_balancer", "target_group", "ecs_cluster", "topic"]
    }

    /// By the stack's name prefix, then one tag read per alarm (no tag filter).
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let cw = &self.0.cloudwatch;
        let alarms = cw
            .describe_alarms()
            .alarm_name_prefix(format!("{stack}-"))
            .into_paginator()
            .send()
            .all()
            .await?;
        let alarms: Vec<MetricAlarm> = alarms
            .iter()
            .flat_map(|page| page.metric_alarms().iter().cloned())
            .collect();
        read_each(alarms, |alarm| async move {
            let Some(arn) = alarm.alarm_arn() else {
                return Ok(None);
            };
            let tags: Tags = cw
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .aws()?
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            Ok(owned_id(&tags, stack).and_then(|owner| observe(&alarm, owner, tags)))
        })
        .await
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        self.put(node, true).await?;
        cx.on_fresh(|| self.describe(node)).await
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        if !changes.iter().all(FieldChange::is_tag) {
            self.put(node, false).await?;
        }
        let arn = current.outputs.get(out::ARN).cloned().unwrap_or_default();
        self.0.cloudwatch.apply_tags(&arn, changes).await?;
        cx.on_fresh(|| self.describe(node)).await
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        // Deleting an alarm that is gone succeeds (DeleteAlarms takes names, not ids).
        self.0
            .cloudwatch
            .delete_alarms()
            .alarm_names(&current.cloud_id)
            .send()
            .await
            .aws()
            .map(drop)
    }
}
