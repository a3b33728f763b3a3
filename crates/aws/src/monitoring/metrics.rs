//! The last hour of each service's numbers, for `berth status`: requests per second, p99
//! latency and 5xx answers (public services), CPU and memory (every one), in 5-minute points,
//! every service in one GetMetricData call (a call takes up to 500 queries).

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::MetricDataQuery;
use berth_engine::CloudError;
use serde::Serialize;

use crate::Aws;
use crate::error::AwsResultExt;
use crate::monitoring::metric_stat;

/// One point every 5 minutes, for the last hour.
const PERIOD: i32 = 300;
const POINTS: usize = 12;

/// Where a service's metrics are: its cluster, and for a public service its load balancer
/// and target group (ARN suffixes, as CloudWatch's dimensions name them).
pub struct Source {
    pub service: String,
    pub cluster: String,
    pub load_balancer: Option<String>,
    pub target_group: Option<String>,
}

/// One metric of one service: 12 five-minute points, oldest first; `None` where CloudWatch
/// has no datapoint (no traffic, or the service did not exist yet).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: &'static str,
    pub unit: &'static str,
    pub points: Vec<Option<f64>>,
}

impl Series {
    /// The latest point there is.
    pub fn latest(&self) -> Option<f64> {
        self.points.iter().rev().find_map(|p| *p)
    }
}

/// One metric asked for: series name, unit, CloudWatch metric, statistic, scale.
type Ask = (&'static str, &'static str, &'static str, &'static str, f64);

/// What is asked of a public service's load balancer.
const ELB: &[Ask] = &[
    // RequestCount per 5 minutes, as requests per second.
    ("requests", "/s", "RequestCount", "Sum", 1.0 / PERIOD as f64),
    // TargetResponseTime is in seconds.
    ("p99", "ms", "TargetResponseTime", "p99", 1000.0),
    ("5xx", "", "HTTPCode_Target_5XX_Count", "Sum", 1.0),
];
/// What is asked of every service's tasks.
const ECS: &[Ask] = &[
    ("cpu", "%", "CPUUtilization", "Average", 1.0),
    ("memory", "%", "MemoryUtilization", "Average", 1.0),
];

fn query(
    id: &str,
    namespace: &str,
    dimensions: &[(&str, &str)],
    metric: &str,
    stat: &str,
) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(metric_stat(
            namespace,
            metric,
            dimensions.iter().copied(),
            stat,
            PERIOD,
        ))
        .return_data(true)
        .build()
}

/// The last hour of every source's metrics, by service, in one call (one page holds them).
pub async fn last_hour(
    aws: &Aws,
    sources: &[Source],
) -> Result<BTreeMap<String, Vec<Series>>, CloudError> {
    // Whole periods only: the current, partial one would read as a drop.
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let end = now - now % i64::from(PERIOD);
    let start = end - POINTS as i64 * i64::from(PERIOD);
    let mut queries = Vec::new();
    // Per service, its series: (query id, what was asked).
    let mut asked: Vec<(&str, Vec<(String, &Ask)>)> = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let mut mine = Vec::new();
        if let (Some(lb), Some(tg)) = (&source.load_balancer, &source.target_group) {
            for (j, ask) in ELB.iter().enumerate() {
                let id = format!("elb{i}_{j}");
                let dims = [("LoadBalancer", lb.as_str()), ("TargetGroup", tg.as_str())];
                queries.push(query(&id, "AWS/ApplicationELB", &dims, ask.2, ask.3));
                mine.push((id, ask));
            }
        }
        for (j, ask) in ECS.iter().enumerate() {
            let id = format!("ecs{i}_{j}");
            let dims = [
                ("ClusterName", source.cluster.as_str()),
                ("ServiceName", source.service.as_str()),
            ];
            queries.push(query(&id, "AWS/ECS", &dims, ask.2, ask.3));
            mine.push((id, ask));
        }
        asked.push((source.service.as_str(), mine));
    }
    let mut by_id: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    if !queries.is_empty() {
        let mut pages = aws
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for result in page.aws()?.metric_data_results() {
                let slots = by_id
                    .entry(result.id().unwrap_or_default().to_string())
                    .or_insert_with(|| vec![None; POINTS]);
                for (t, v) in result.timestamps().iter().zip(result.values()) {
                    let slot = usize::try_from((t.secs() - start) / i64::from(PERIOD)).ok();
                    if let Some(slot) = slot.and_then(|s| slots.get_mut(s)) {
                        *slot = Some(*v);
                    }
                }
            }
        }
    }
    Ok(asked
        .into_iter()
        .map(|(service, mine)| {
            let series = mine
                .into_iter()
                .map(|(id, &(name, unit, _, _, scale))| Series {
                    name,
                    unit,
                    points: by_id
                        .get(&id)
                        .map(|points| points.iter().map(|p| p.map(|v| v * scale)).collect())
                        .unwrap_or_else(|| vec![None; POINTS]),
                })
                .collect();
            (service.to_string(), series)
        })
        .collect())
}

/// A series as a one-line chart, one block per point, scaled from the lowest point to the
/// highest; a gap where there is no datapoint.
pub fn sparkline(points: &[Option<f64>]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let present: Vec<f64> = points.iter().flatten().copied().collect();
    let (lo, hi) = present
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    points
        .iter()
        .map(|p| match p {
            None => ' ',
            Some(_) if hi <= lo => BLOCKS[0],
            Some(v) => {
                let step = ((v - lo) / (hi - lo) * (BLOCKS.len() - 1) as f64).round() as usize;
                BLOCKS[step.min(BLOCKS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_from_low_to_high_and_leave_gaps() {
        assert_eq!(
            sparkline(&[Some(0.0), Some(7.0), None, Some(3.5), Some(14.0)]),
            "▁▅ ▃█"
        );
        assert_eq!(sparkline(&[Some(2.0), Some(2.0)]), "▁▁", "flat is flat");
        assert_eq!(sparkline(&[None, None]), "  ");
    }
}
