//! The stack's CloudWatch dashboard, `berth-<stack>`: per service a row of requests, p99
//! latency, 5xx (public services) and CPU / memory. CloudWatch cannot tag a dashboard (only
//! alarms, Contributor Insights rules and metric streams take tags), so it is found by its
//! name, which the `berth-` prefix keeps apart from the user's own. PutDashboard is an upsert.

use async_trait::async_trait;
use berth_engine::{
    CloudError, FieldChange, Json, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AwsResultExt, ignore_not_found, is_not_found};
use crate::monitoring::Sources;
use crate::names::{self, out};

pub const KIND: &str = "dashboard";

pub fn dashboard_name(stack: &str) -> String {
    format!("berth-{stack}")
}

/// Where the console shows it.
pub fn url(region: &str, stack: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{}",
        dashboard_name(stack)
    )
}

/// One row per service.
pub fn node(stack: &str, region: &str, rows: &[Sources]) -> Node {
    let mut widgets = Vec::new();
    for (y, row) in rows.iter().enumerate() {
        let y = y as i64 * 6;
        let widget = |x: i64, title: String, metrics: Vec<Value>, stat: &str| {
            Value::Object(vec![
                ("type", "metric".into()),
                ("x", Value::Lit(x.into())),
                ("y", Value::Lit(y.into())),
                ("width", Value::Lit(6.into())),
                ("height", Value::Lit(6.into())),
                (
                    "properties",
                    Value::Object(vec![
                        ("title", title.as_str().into()),
                        ("region", region.into()),
                        ("stat", stat.into()),
                        ("period", Value::Lit(60.into())),
                        ("view", "timeSeries".into()),
                        ("metrics", Value::List(metrics)),
                    ]),
                ),
            ])
        };
        let s = row.service.as_str();
        if let (Some(lb), Some(tg)) = (&row.load_balancer, &row.target_group) {
            let elb = |metric: &str| {
                Value::List(vec![
                    "AWS/ApplicationELB".into(),
                    metric.into(),
                    "LoadBalancer".into(),
                    lb.clone(),
                    "TargetGroup".into(),
                    tg.clone(),
                ])
            };
            widgets.push(widget(
                0,
                format!("{s}: requests"),
                vec![elb("RequestCount")],
                "Sum",
            ));
            widgets.push(widget(
                6,
                format!("{s}: p99 latency (s)"),
                vec![elb("TargetResponseTime")],
                "p99",
            ));
            widgets.push(widget(
                12,
                format!("{s}: 5xx"),
                vec![elb("HTTPCode_Target_5XX_Count")],
                "Sum",
            ));
        }
        let ecs = |metric: &str| {
            Value::List(vec![
                "AWS/ECS".into(),
                metric.into(),
                "ClusterName".into(),
                row.cluster.clone(),
                "ServiceName".into(),
                s.into(),
            ])
        };
        widgets.push(widget(
            18,
            format!("{s}: CPU and memory (%)"),
            vec![ecs("CPUUtilization"), ecs("MemoryUtilization")],
            "Average",
        ));
    }
    Node::new(KIND, names::dashboard(), stack, &Tags::new())
        .immutable("name", dashboard_name(stack))
        .prop(
            "body",
            Value::Object(vec![("widgets", Value::List(widgets))]),
        )
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    name: String,
    /// The dashboard's JSON, compared as JSON.
    body: Json,
}

pub struct Dashboard(pub Aws);

impl Dashboard {
    async fn put(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let out = self
            .0
            .cloudwatch
            .put_dashboard()
            .dashboard_name(&props.name)
            .dashboard_body(props.body.to_string())
            .send()
            .await
            .aws()?;
        // Warnings, not errors: CloudWatch stored the dashboard and says what it ignored.
        for problem in out.dashboard_validation_messages() {
            cx.progress(format!(
                "warning: CloudWatch took dashboard {} but says: {} (a bug in berth: please \
                 report it)",
                props.name,
                problem.message().unwrap_or_default()
            ));
        }
        Ok(Observed::applied(KIND, node, &props.name).output(out::NAME, &props.name))
    }
}

#[async_trait]
impl Kind for Dashboard {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["load_balancer", "target_group", "ecs_cluster"]
    }

    /// The one dashboard named for the stack, if it exists.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let name = dashboard_name(stack);
        let got = self
            .0
            .cloudwatch
            .get_dashboard()
            .dashboard_name(&name)
            .send()
            .await
            .aws();
        let out = match got {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(vec![]),
            Err(e) => return Err(e),
        };
        let body = serde_json::from_str(out.dashboard_body().unwrap_or("{}")).unwrap_or(Json::Null);
        let props = Props {
            name: name.clone(),
            body,
        };
        Ok(vec![
            Observed::new(KIND, names::dashboard(), &name)
                .with_props(&props)
                .output(out::NAME, &name),
        ])
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        self.put(node, cx).await
    }

    async fn update(
        &self,
        node: &Resolved,
        _current: &Observed,
        _changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.put(node, cx).await
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let out = self
            .0
            .cloudwatch
            .delete_dashboards()
            .dashboard_names(&current.cloud_id)
            .send()
            .await
            .aws();
        ignore_not_found(out.map(drop))
    }
}
