//! What a stack costs a month, estimated from the price table shipped in the binary
//! ([`prices`]): per resource the manifest describes, and in total. Hourly resources run 730
//! hours a month (AWS's convention); tasks and instances count at their desired numbers.
//! What depends on traffic (data processed, load balancer capacity units, log volume, image
//! storage, data transfer) berth cannot know: it names those charges and never adds them in.
//! An estimate from list prices, never a bill.

pub mod price_list;
pub mod prices;

use berth_engine::{Json, LogicalId, Node, Value};
pub use prices::{HOURS_PER_MONTH, Prices, Rates};

/// CloudWatch standard-resolution alarms, USD per metric a month (each metric an alarm reads
/// counts; the same list price in the regions berth prices).
const ALARM_METRIC_MONTH: f64 = 0.10;
/// A CloudWatch dashboard, USD a month (an account's first three are free).
const DASHBOARD_MONTH: f64 = 3.0;
/// The root volume of every container instance (see `launch_template`), GiB.
const INSTANCE_VOLUME_GIB: f64 = 30.0;

/// One resource's estimated monthly cost, and how it was worked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub id: LogicalId,
    pub usd: f64,
    pub basis: String,
}

/// The stack's monthly estimate, resource by resource.
#[derive(Debug, Clone, PartialEq)]
pub struct StackCost {
    pub region: String,
    /// When the prices were read (the table's month, or the day of a refresh).
    pub as_of: String,
    pub items: Vec<Estimate>,
    /// Charges that depend on usage, named with their unit prices, not estimated.
    pub usage: Vec<String>,
}

impl StackCost {
    pub fn total(&self) -> f64 {
        self.items.iter().map(|e| e.usd).sum()
    }
    pub fn of(&self, id: &LogicalId) -> Option<&Estimate> {
        self.items.iter().find(|e| &e.id == id)
    }
    /// One line for the end of a plan or status.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "Estimated cost: ${:.2} a month at list prices ({}, prices of {}), before \
             usage-based charges",
            self.total(),
            self.region,
            self.as_of
        );
        if !self.usage.is_empty() {
            line.push_str(": ");
            line.push_str(&self.usage.join("; "));
        }
        line.push('.');
        line
    }
}

/// The monthly estimate of `nodes` at `prices`.
pub fn estimate(nodes: &[Node], prices: &Prices) -> StackCost {
    let p = &prices.rates;
    let mut items = Vec::new();
    let mut usage = Vec::new();
    let mut note = |text: String| {
        if !usage.contains(&text) {
            usage.push(text);
        }
    };
    let find = |id: &LogicalId| nodes.iter().find(|n| &n.id == id);
    let hours = |rate: f64| rate * HOURS_PER_MONTH;
    for node in nodes {
        let priced = match node.kind {
            "nat_gateway" => {
                note(format!("NAT data ${}/GB", p.nat_gateway_gb));
                Some((
                    hours(p.nat_gateway_hour),
                    format!("NAT gateway, 730 h × ${}", p.nat_gateway_hour),
                ))
            }
            // The NAT gateway's address; the load balancer's are counted with it.
            "eip" => Some((
                hours(p.public_ipv4_hour),
                format!("public IPv4 address, 730 h × ${}", p.public_ipv4_hour),
            )),
            "load_balancer" => {
                note(format!(
                    "load balancer capacity ${}/LCU-hour",
                    p.alb_lcu_hour
                ));
                let public = text(node, "scheme") == Some("internet-facing");
                let addresses = if public { count(node, "subnets") } else { 0 };
                Some((
                    hours(p.alb_hour + addresses as f64 * p.public_ipv4_hour),
                    format!(
                        "load balancer 730 h × ${} + {addresses} public IPv4 × ${}",
                        p.alb_hour, p.public_ipv4_hour
                    ),
                ))
            }
            "vpc_endpoint" if text(node, "type") == Some("Interface") => {
                note(format!("endpoint data ${}/GB", p.interface_endpoint_gb));
                let zones = count(node, "subnet_ids");
                Some((
                    hours(zones as f64 * p.interface_endpoint_hour),
                    format!(
                        "interface endpoint in {zones} zones, 730 h × ${} each",
                        p.interface_endpoint_hour
                    ),
                ))
            }
            "namespace" => Some((
                p.hosted_zone_month,
                "private hosted zone (Route 53)".to_string(),
            )),
            "alarm" => {
                let metrics = metric_count(node);
                Some((
                    metrics as f64 * ALARM_METRIC_MONTH,
                    format!("alarm on {metrics} metric(s) × ${ALARM_METRIC_MONTH}"),
                ))
            }
            "dashboard" => Some((
                DASHBOARD_MONTH,
                format!("dashboard ${DASHBOARD_MONTH} (an account's first three are free)"),
            )),
            "log_group" => {
                note(format!(
                    "logs ${}/GB ingested and ${}/GB-month kept",
                    p.log_ingest_gb, p.log_storage_gb_month
                ));
                None
            }
            "ecr_repository" => {
                note(format!("images ${}/GB-month", p.ecr_storage_gb_month));
                None
            }
            "autoscaling_group" => instances(node, &find, prices),
            "ecs_service" => fargate_tasks(node, &find, p),
            _ => None,
        };
        if let Some((usd, basis)) = priced {
            items.push(Estimate {
                id: node.id.clone(),
                usd,
                basis,
            });
        }
    }
    StackCost {
        region: prices.region.clone(),
        as_of: prices.as_of.clone(),
        items,
        usage,
    }
}

/// An Auto Scaling group's instances at its desired count, with their root volumes.
fn instances<'a>(
    node: &Node,
    find: &impl Fn(&LogicalId) -> Option<&'a Node>,
    p: &Prices,
) -> Option<(f64, String)> {
    let desired = number(node, "desired")?;
    let template = referenced(node, "launch_template").and_then(find)?;
    let instance_type = text(template, "instance_type")?;
    let volume = INSTANCE_VOLUME_GIB * p.rates.ebs_gp3_gb_month;
    match p.instance_hour(instance_type) {
        Some(rate) => Some((
            desired * (rate * HOURS_PER_MONTH + volume),
            format!(
                "{desired} × {instance_type} (730 h × ${rate}) + {INSTANCE_VOLUME_GIB} GiB gp3 each"
            ),
        )),
        None => Some((
            desired * volume,
            format!(
                "{desired} × {instance_type}: no price known (only its volumes counted); \
                 `berth prices --refresh` reads every instance type's"
            ),
        )),
    }
}

/// A Fargate service's tasks at its desired count; on EC2 the instances are the cost.
fn fargate_tasks<'a>(
    node: &Node,
    find: &impl Fn(&LogicalId) -> Option<&'a Node>,
    p: &Rates,
) -> Option<(f64, String)> {
    let (vcpu_rate, gb_rate, what) = match text(node, "launch")? {
        "fargate" => (p.fargate_vcpu_hour, p.fargate_gb_hour, "Fargate"),
        "fargate-spot" => (
            p.fargate_spot_vcpu_hour,
            p.fargate_spot_gb_hour,
            "Fargate Spot (typical price; it varies)",
        ),
        _ => return None,
    };
    let tasks = number(node, "desired_count")?;
    let task = referenced(node, "task_definition").and_then(find)?;
    let vcpu = number(task, "task_cpu")? / 1024.0;
    let gb = number(task, "task_memory")? / 1024.0;
    Some((
        tasks * HOURS_PER_MONTH * (vcpu * vcpu_rate + gb * gb_rate),
        format!("{tasks} {what} tasks × ({vcpu} vCPU + {gb} GB), 730 h"),
    ))
}

fn literal<'a>(node: &'a Node, key: &str) -> Option<&'a Json> {
    match &node.props.get(key)?.value {
        Value::Lit(json) => Some(json),
        _ => None,
    }
}

fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    literal(node, key)?.as_str()
}

fn number(node: &Node, key: &str) -> Option<f64> {
    literal(node, key)?.as_f64()
}

/// How many members a set property has (subnets, zones).
fn count(node: &Node, key: &str) -> usize {
    match node.props.get(key).map(|p| &p.value) {
        Some(Value::Set(items) | Value::List(items)) => items.len(),
        _ => 0,
    }
}

/// The node a property refers to.
fn referenced<'a>(node: &'a Node, key: &str) -> Option<&'a LogicalId> {
    match &node.props.get(key)?.value {
        Value::Ref(id, _) => Some(id),
        _ => None,
    }
}

/// The metrics an alarm reads (metric math counts only the metrics it combines).
fn metric_count(node: &Node) -> usize {
    match node.props.get("metrics").map(|p| &p.value) {
        Some(Value::List(queries)) => queries
            .iter()
            .filter(|q| matches!(q, Value::Object(fields) if fields.iter().any(|(k, _)| *k == "metric")))
            .count(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
