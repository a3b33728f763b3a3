//! `berth status`: every resource of the stack, its AWS id, whether it exists and any drift.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use berth_aws::certificate::tls_status;
use berth_aws::service_status::service_status;
use berth_aws::task_definition::{self, Revision};
use berth_aws::{dashboard, metrics, names};
use berth_engine::{Action, plan};

use crate::args::{Global, Output, RunArgs};
use crate::session::Session;

#[derive(serde::Serialize)]
struct Row {
    id: String,
    kind: String,
    cloud_id: String,
    state: &'static str,
    drift: Vec<String>,
}

pub async fn run(global: &Global, run: &RunArgs, watch: bool) -> Result<ExitCode> {
    let session = Session::open(global, false).await?;
    loop {
        if watch && std::io::stdout().is_terminal() {
            print!("\x1b[2J\x1b[H"); // clear the screen, cursor home
        }
        show(&session, global, run).await?;
        if !watch {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

async fn show(session: &Session, global: &Global, run: &RunArgs) -> Result<()> {
    let inventory = session.discover(run.parallelism.into()).await?;
    let plan = plan(&session.nodes, &inventory, &session.registry)?;
    let services: Vec<(String, Option<String>)> = session
        .manifest
        .services
        .values()
        .map(|s| (s.name.clone(), s.public.then(|| s.path.clone())))
        .collect();
    let alb_dns = inventory
        .get(&"alb".into())
        .and_then(|o| o.outputs.get("dns_name"))
        .map(String::as_str);
    let m = &session.manifest;
    let base_url = match (&m.domain, &m.certificate) {
        (Some(domain), _) => Some(format!("https://{domain}")),
        (None, Some(_)) => alb_dns.map(|dns| format!("https://{dns}")),
        (None, None) => alb_dns.map(|dns| format!("http://{dns}")),
    };
    let zone = m.network.private_zone.as_deref();
    // The last hour of each service that exists, in one GetMetricData call.
    let suffix = |id: berth_engine::LogicalId| {
        inventory
            .get(&id)
            .and_then(|o| o.outputs.get("arn_suffix"))
            .cloned()
    };
    let sources: Vec<metrics::Source> = m
        .services
        .values()
        .filter(|s| inventory.get(&names::service(&s.name)).is_some())
        .map(|s| metrics::Source {
            service: s.name.clone(),
            cluster: m.name.clone(),
            load_balancer: s.public.then(|| suffix(names::load_balancer())).flatten(),
            target_group: s
                .public
                .then(|| suffix(names::target_group(&s.name)))
                .flatten(),
        })
        .collect();
    // Numbers are a bonus: a role that may not read CloudWatch still gets the rest.
    let metrics = metrics::last_hour(&session.aws, &sources)
        .await
        .unwrap_or_else(|e| {
            eprintln!("warning: no metrics for the last hour: {e}");
            Default::default()
        });
    let dashboard = inventory
        .get(&names::dashboard())
        .map(|_| dashboard::url(&session.aws.region, &m.name));
    let service_rows =
        service_status(&session.aws, &m.name, &services, zone, base_url.as_deref()).await?;
    // The latest revisions of each service, for `rollback --to`.
    let mut revisions = std::collections::BTreeMap::new();
    for row in &service_rows {
        let recent = task_definition::revisions(&session.aws, &m.name, &row.name, 3).await?;
        revisions.insert(row.name.clone(), recent);
    }
    let tls = match m.domain {
        Some(_) if m.certificate.is_none() => tls_status(&session.aws, &m.name).await?,
        _ => None,
    };
    let rows: Vec<Row> = plan
        .steps
        .iter()
        .map(|step| {
            let (state, drift) = match &step.action {
                Action::NoOp => ("ok", vec![]),
                Action::Create => ("missing", vec![]),
                Action::Update(c) | Action::Replace(c) => {
                    ("drifted", c.iter().map(|c| c.field.to_string()).collect())
                }
                Action::Delete => ("not in manifest", vec![]),
            };
            Row {
                id: step.id.to_string(),
                kind: step.kind.to_string(),
                cloud_id: step
                    .cloud_id
                    .as_deref()
                    .map(short_id)
                    .unwrap_or_else(|| "-".into()),
                state,
                drift,
            }
        })
        .collect();
    // What the resources that exist cost a month, priced as the manifest describes them.
    let prices = crate::price_cache::current(&session.aws.region);
    let cost = prices
        .map(|p| berth_aws::cost::estimate(&session.nodes, &p))
        .map(|mut c| {
            c.items.retain(|e| {
                plan.steps
                    .iter()
                    .any(|s| s.id == e.id && s.action != Action::Create)
            });
            c
        });
    if global.output == Output::Json {
        let json = serde_json::json!({
            "services": service_rows,
            "certificate": tls,
            "revisions": revisions,
            "resources": rows,
            "cost": cost.as_ref().map(super::apply::cost_json),
            "metrics": metrics,
            "dashboard": dashboard,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        for s in &service_rows {
            println!(
                "service {}: {}/{} running, {} pending, rollout {}, {}",
                s.name, s.running, s.desired, s.pending, s.rollout, s.task_definition
            );
            if let Some((healthy, total)) = s.targets {
                println!("  targets  {healthy}/{total} healthy");
            }
            if let Some(url) = &s.url {
                println!("  public   {url}");
            }
            if let Some(name) = &s.private_name {
                println!("  private  {name}");
            }
            if let Some(series) = metrics.get(&s.name) {
                println!("  last hour {}", last_hour(series));
            }
            for r in revisions.get(&s.name).into_iter().flatten() {
                let running = if s.task_definition.ends_with(&format!(":{}", r.number)) {
                    " (running)"
                } else {
                    ""
                };
                println!(
                    "  revision {:<4} {}{running}{}",
                    r.number,
                    r.image,
                    registered(r)
                );
            }
        }
        if let Some(tls) = &tls {
            println!("certificate {}: {}", tls.domain, tls.status);
            if tls.status == "PENDING_VALIDATION" && !tls.records_in_route53 {
                println!("  create at your DNS provider, then run `berth up` again:");
                for r in &tls.records {
                    println!("    {}  CNAME  {}", r.name, r.value);
                }
            }
        }
        if let Some(url) = &dashboard {
            println!("dashboard {url}");
        }
        if !service_rows.is_empty() || tls.is_some() || dashboard.is_some() {
            println!();
        }
        println!(
            "{:<28} {:<22} {:<26} {:<16} DRIFT",
            "RESOURCE", "KIND", "AWS ID", "STATE"
        );
        for r in &rows {
            println!(
                "{:<28} {:<22} {:<26} {:<16} {}",
                r.id,
                r.kind,
                r.cloud_id,
                r.state,
                r.drift.join(", ")
            );
        }
        let ok = rows.iter().filter(|r| r.state == "ok").count();
        println!("\n{ok} of {} resources match the manifest.", rows.len());
        if let Some(cost) = &cost {
            println!("{}", cost.summary());
        }
    }
    Ok(())
}

/// `requests 12.3/s ▁▂▅█  p99 85ms ▁▁▂  ...`: each series' latest point and its hour.
fn last_hour(series: &[metrics::Series]) -> String {
    series
        .iter()
        .map(|s| match s.latest() {
            None => format!("{} -", s.name),
            Some(v) => format!(
                "{} {}{} {}",
                s.name,
                round(v),
                s.unit,
                metrics::sparkline(&s.points).trim_start()
            ),
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// Few digits: 1234, 12.3, 0.12.
fn round(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

/// ARNs shown by their resource part, shortened: the table stays readable.
fn short_id(id: &str) -> String {
    let resource = if id.starts_with("arn:") {
        id.splitn(6, ':').nth(5).unwrap_or(id)
    } else {
        id
    };
    if resource.chars().count() > 40 {
        let tail: String = resource
            .chars()
            .rev()
            .take(39)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        resource.to_string()
    }
}

/// `, registered 2h ago` (or nothing when AWS gave no time).
fn registered(r: &Revision) -> String {
    let Some(at) = r.registered_at else {
        return String::new();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let ago = (now - at).max(0);
    let text = match ago {
        0..60 => format!("{ago}s"),
        60..3600 => format!("{}m", ago / 60),
        3600..86400 => format!("{}h", ago / 3600),
        _ => format!("{}d", ago / 86400),
    };
    format!(", registered {text} ago")
}
