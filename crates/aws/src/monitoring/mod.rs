//! Watching the services: alarms, where they send their alerts, the stack's dashboard, and the
//! metrics `berth status` shows.

pub mod alarm;
pub mod dashboard;
pub mod metrics;
pub mod topic;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricStat};
use berth_engine::Value;

/// Where a service's metrics live, as the alarms and the dashboard name them: its load
/// balancer and target group (ARN suffixes; public services only) and its cluster.
pub struct Sources {
    pub service: String,
    pub load_balancer: Option<Value>,
    pub target_group: Option<Value>,
    pub cluster: Value,
}

/// One CloudWatch metric, `stat` over `period` seconds, as GetMetricData and PutMetricAlarm
/// take it.
pub(crate) fn metric_stat<'a>(
    namespace: &str,
    metric: &str,
    dimensions: impl IntoIterator<Item = (&'a str, &'a str)>,
    stat: &str,
    period: i32,
) -> MetricStat {
    let mut m = Metric::builder().namespace(namespace).metric_name(metric);
    for (name, value) in dimensions {
        m = m.dimensions(Dimension::builder().name(name).value(value).build());
    }
    MetricStat::builder()
        .metric(m.build())
        .period(period)
        .stat(stat)
        .build()
}
