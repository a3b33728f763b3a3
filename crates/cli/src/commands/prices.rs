//! `berth prices`: the price table `plan` and `status` estimate with, for one region, with its
//! date and source: what the numbers are based on is never hidden.

use std::process::ExitCode;

use anyhow::{Result, bail};
use berth_aws::cost::{HOURS_PER_MONTH, prices};

use crate::args::{Global, Output};

/// The region: --region (or BERTH_REGION), else the manifest's, else AWS_REGION.
pub fn run(global: &Global) -> Result<ExitCode> {
    let from_manifest = || {
        let text = std::fs::read_to_string(&global.file).ok()?;
        berth_spec::parse("", &text).ok()?.region
    };
    let region = global
        .region
        .clone()
        .or_else(from_manifest)
        .or_else(|| std::env::var("AWS_REGION").ok());
    let Some(region) = region else {
        bail!("which region? pass --region REGION (e.g. --region eu-west-2)");
    };
    let Some(p) = prices::for_region(&region) else {
        let known: Vec<&str> = prices::regions().collect();
        bail!(
            "berth has no prices for {region}; it has: {}",
            known.join(", ")
        );
    };
    let hourly = [
        ("NAT gateway", p.nat_gateway_hour),
        ("Application Load Balancer", p.alb_hour),
        ("public IPv4 address", p.public_ipv4_hour),
        ("interface endpoint, per zone", p.interface_endpoint_hour),
        ("Fargate, per vCPU", p.fargate_vcpu_hour),
        ("Fargate, per GB of memory", p.fargate_gb_hour),
        ("Fargate Spot, per vCPU (typical)", p.fargate_spot_vcpu_hour),
        ("Fargate Spot, per GB (typical)", p.fargate_spot_gb_hour),
    ];
    let usage = [
        ("NAT gateway data, per GB", p.nat_gateway_gb),
        ("load balancer capacity, per LCU-hour", p.alb_lcu_hour),
        ("interface endpoint data, per GB", p.interface_endpoint_gb),
        ("logs ingested, per GB", p.log_ingest_gb),
        ("logs kept, per GB-month", p.log_storage_gb_month),
        ("images kept (ECR), per GB-month", p.ecr_storage_gb_month),
        ("hosted zone, per month", p.hosted_zone_month),
        ("gp3 volume, per GB-month", p.ebs_gp3_gb_month),
    ];
    if global.output == Output::Json {
        let table = |rows: &[(&str, f64)]| -> std::collections::BTreeMap<String, f64> {
            rows.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let json = serde_json::json!({
            "region": p.region,
            "as_of": prices::AS_OF,
            "source": prices::SOURCE,
            "hourly": table(&hourly),
            "other": table(&usage),
            "instances_hourly": table(p.instances),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "List prices in {} (USD, on demand), as of {}.\nSource: {}.\n",
        p.region,
        prices::AS_OF,
        prices::SOURCE
    );
    println!(
        "{:<40} {:>10} {:>14}",
        "BY THE HOUR", "HOUR", "MONTH (730 h)"
    );
    for (what, rate) in hourly {
        println!("{what:<40} {rate:>10} {:>14.2}", rate * HOURS_PER_MONTH);
    }
    println!(
        "\n{:<40} {:>10}",
        "BY USE (named in plans, not added up)", "USD"
    );
    for (what, rate) in usage {
        println!("{what:<40} {rate:>10}");
    }
    println!(
        "\n{:<40} {:>10} {:>14}",
        "EC2 INSTANCES", "HOUR", "MONTH (730 h)"
    );
    for (kind, rate) in p.instances {
        println!("{kind:<40} {rate:>10} {:>14.2}", rate * HOURS_PER_MONTH);
    }
    println!(
        "\nEstimates from list prices, never a bill: no free tier, Savings Plans, reservations, \
         taxes or data transfer."
    );
    Ok(ExitCode::SUCCESS)
}
