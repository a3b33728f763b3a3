//! The arithmetic, offline, against figures worked out by hand from the eu-west-2 prices:
//! NAT gateway $0.05/h, public IPv4 $0.005/h, load balancer $0.02646/h, interface endpoint
//! $0.011/h per zone, Fargate $0.04656 per vCPU-hour and $0.00511 per GB-hour, t3.small
//! $0.0236/h, gp3 $0.0928/GB-month, private hosted zone $0.50, alarm $0.10 per metric,
//! dashboard $3.

use super::{Prices, estimate};
use crate::graph::tests::example;

/// Each service's alarms read 6 metrics: CPU, memory, latency, unhealthy, and the 5xx share
/// (errors and requests).
const ALARMS_PER_SERVICE: f64 = 6.0 * 0.10;
const NAT: f64 = 730.0 * 0.05;
const NAT_ADDRESS: f64 = 730.0 * 0.005;
const ZONE: f64 = 0.50;
const DASHBOARD: f64 = 3.0;
/// In two public subnets: two public addresses.
const ALB: f64 = 730.0 * (0.02646 + 2.0 * 0.005);
/// ecr.api, ecr.dkr and logs, each in two zones (the S3 gateway endpoint is free).
const ENDPOINTS: f64 = 3.0 * 2.0 * 730.0 * 0.011;
/// A 256-unit, 512 MiB task for a month.
const SMALL_TASK: f64 = 730.0 * (0.25 * 0.04656 + 0.5 * 0.00511);

fn eu_west_2() -> Prices {
    Prices::shipped("eu-west-2").expect("eu-west-2 is in the table")
}

fn total(file: &str) -> f64 {
    estimate(&example(file), &eu_west_2()).total()
}

fn assert_close(got: f64, want: f64, file: &str) {
    assert!(
        (got - want).abs() < 0.005,
        "{file}: ${got:.4}, want ${want:.4}"
    );
}

#[test]
fn seed_ec2_costs_one_instance_and_the_network() {
    // One t3.small with its 30 GiB root volume; the tasks run on it at no extra cost.
    let instance = 730.0 * 0.0236 + 30.0 * 0.0928;
    let want = NAT + NAT_ADDRESS + ZONE + instance + ALB + ALARMS_PER_SERVICE + DASHBOARD;
    assert_close(total("seed-ec2.toml"), want, "seed-ec2.toml");
    assert_close(want, 90.88, "by hand");
}

#[test]
fn fargate_costs_its_tasks_and_endpoints() {
    let want = NAT
        + NAT_ADDRESS
        + ZONE
        + ENDPOINTS
        + ALB
        + ALARMS_PER_SERVICE
        + 2.0 * SMALL_TASK
        + DASHBOARD;
    assert_close(total("fargate.toml"), want, "fargate.toml");
    assert_close(want, 139.77, "by hand");
}

#[test]
fn https_costs_two_services_and_no_more_for_tls() {
    // web runs 2 tasks, api 1; the certificate, its records and the alerts topic are free.
    let want = NAT
        + NAT_ADDRESS
        + ZONE
        + ENDPOINTS
        + ALB
        + 2.0 * ALARMS_PER_SERVICE
        + 3.0 * SMALL_TASK
        + DASHBOARD;
    assert_close(total("https.toml"), want, "https.toml");
    assert_close(want, 150.73, "by hand");
}

#[test]
fn usage_charges_are_named_not_added() {
    let cost = estimate(&example("fargate.toml"), &eu_west_2());
    let summary = cost.summary();
    for charge in [
        "NAT data $0.05/GB",
        "logs $0.5985/GB ingested",
        "images $0.1/GB-month",
    ] {
        assert!(summary.contains(charge), "{summary}");
    }
    let nat = cost.of(&"nat/a".into()).unwrap();
    assert_close(nat.usd, NAT, "nat/a");
    assert_eq!(nat.basis, "NAT gateway, 730 h × $0.05");
}

#[test]
fn the_summary_dates_its_prices() {
    let mut prices = eu_west_2();
    let summary = estimate(&example("fargate.toml"), &prices).summary();
    assert!(
        summary.contains("(eu-west-2, prices of 2025-01)"),
        "{summary}"
    );
    prices.as_of = "2026-12-05".into();
    let summary = estimate(&example("fargate.toml"), &prices).summary();
    assert!(
        summary.contains("(eu-west-2, prices of 2026-12-05)"),
        "{summary}"
    );
}

#[test]
fn a_region_without_prices_is_not_in_the_table() {
    assert!(Prices::shipped("me-central-1").is_none());
}
