//! `berth prices --refresh` against the emulator's Price List (scripts/price-list.json, served by
//! `patch_price_list_api` in scripts/moto_server.py: eu-west-2 at the table's figures except a
//! NAT gateway hour of $0.052, c7i.large which the table lacks, and no Fargate Spot). What a
//! refresh keeps on this machine, what `prices` and `plan` then estimate with, and what a
//! refresh that fails, or a kept copy that cannot be read, leaves alone.

use std::path::Path;

use crate::common::*;

/// `berth ARGS` with `cache` as the machine's cache directory.
fn berth_cached(manifest: &Path, cache: &Path, args: &[&str]) -> Run {
    berth_command(manifest, args)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("run berth")
        .into()
}

fn json(run: Run) -> serde_json::Value {
    serde_json::from_str(&run.success().stdout).expect("JSON on stdout")
}

#[test]
fn a_refresh_keeps_the_price_lists_figures_and_plans_estimate_with_them() {
    // In 10.41.0.0/16, apart from the other tests' stacks (it is only planned).
    let m = Manifest::new(&example("seed-ec2.toml", "pricy").replace("172.24.", "10.41."));
    let cache = tempfile::tempdir().unwrap();
    let kept = cache.path().join("berth/prices/eu-west-2.json");

    let before = json(berth_cached(
        &m.path,
        cache.path(),
        &["prices", "-o", "json"],
    ));
    assert_eq!(before["as_of"], "2025-01", "the table before any refresh");
    assert_eq!(before["hourly"]["NAT gateway"], 0.05);

    let refresh = berth_cached(&m.path, cache.path(), &["prices", "--refresh"]).success();
    assert!(
        refresh
            .stderr
            .contains("Read eu-west-2's prices from the AWS Price List in")
            && refresh.stderr.contains(&kept.display().to_string()),
        "{}",
        refresh.stderr
    );
    assert!(
        refresh.stderr.contains(
            "kept from berth's table of 2025-01: Fargate Spot, per vCPU (typical), Fargate \
             Spot, per GB (typical)."
        ),
        "{}",
        refresh.stderr
    );
    let nat = refresh
        .stdout
        .lines()
        .find(|l| l.starts_with("NAT gateway "));
    assert_eq!(
        nat,
        Some("NAT gateway                                   0.052          37.96")
    );
    assert!(
        refresh
            .stdout
            .contains("Fargate Spot, per vCPU (typical) *")
            && refresh.stdout.contains("* not in the Price List's answer"),
        "kept figures are marked\n{}",
        refresh.stdout
    );

    let after = json(berth_cached(
        &m.path,
        cache.path(),
        &["prices", "-o", "json"],
    ));
    let as_of = after["as_of"].as_str().unwrap();
    assert!(as_of.len() == 10 && as_of > "2026-", "a day: {as_of}");
    assert_eq!(after["source"], "the AWS Price List API (GetProducts)");
    assert_eq!(after["hourly"]["NAT gateway"], 0.052);
    assert_eq!(after["other"]["NAT gateway data, per GB"], 0.05);
    // Tiered: the first paid tier (Route 53's first 25 zones; an endpoint's first PB).
    assert_eq!(after["other"]["hosted zone, per month"], 0.5);
    assert_eq!(after["other"]["interface endpoint data, per GB"], 0.01);
    assert_eq!(after["other"]["gp3 volume, per GB-month"], 0.0928);
    assert_eq!(after["other"]["logs ingested, per GB"], 0.5985);
    // Not in the answer: the table's figure, named.
    assert_eq!(
        after["hourly"]["Fargate Spot, per vCPU (typical)"],
        before["hourly"]["Fargate Spot, per vCPU (typical)"]
    );
    assert_eq!(after["kept_from_table"].as_array().unwrap().len(), 2);
    // Linux on demand, not Red Hat's t3.small; a type the table lacks; one it has.
    let instances = &after["instances_hourly"];
    assert_eq!(instances["t3.small"], 0.0236);
    assert_eq!(instances["c7i.large"], 0.1058);
    assert_eq!(instances["m5.large"], 0.111);

    // The plan estimates with what was kept, and says when it was read.
    let plan = json(berth_cached(&m.path, cache.path(), &["plan", "-o", "json"]));
    let cost = &plan["cost"];
    assert_eq!(cost["prices_as_of"], as_of);
    let nat = cost["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "nat/a")
        .expect("the NAT gateway is priced");
    assert_eq!(nat["basis"], "NAT gateway, 730 h × $0.052");
    assert_eq!(nat["monthly_usd"], 37.96);
}

#[test]
fn a_failed_refresh_or_an_unreadable_copy_changes_nothing() {
    let m = Manifest::new("name = \"pricy2\"\nregion = \"eu-west-2\"\n");
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("berth/prices");

    // The emulator's Price List has nothing in eu-west-3 (but Route 53's global prices).
    let none = berth_cached(
        &m.path,
        cache.path(),
        &["prices", "--refresh", "--region", "eu-west-3"],
    );
    assert_eq!(none.code, 1, "{}", none.stderr);
    assert!(
        none.stderr
            .contains("the AWS Price List has no prices for eu-west-3"),
        "{}",
        none.stderr
    );
    assert!(!dir.join("eu-west-3.json").exists(), "nothing kept");

    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("eu-west-2.json"),
        "{\"region\": \"eu-west-2\", \"as_of\"",
    )
    .unwrap();
    let table = berth_cached(&m.path, cache.path(), &["prices"]).success();
    assert!(
        table.stderr.contains("warning: passing over")
            && table
                .stderr
                .contains("`berth prices --refresh` rewrites it"),
        "{}",
        table.stderr
    );
    assert!(
        table.stdout.contains("as of 2025-01"),
        "the shipped table instead\n{}",
        table.stdout
    );
    berth_cached(&m.path, cache.path(), &["prices", "--refresh"]).success();
    let fixed = berth_cached(&m.path, cache.path(), &["prices"]).success();
    assert!(!fixed.stderr.contains("warning"), "{}", fixed.stderr);
    assert!(!fixed.stdout.contains("as of 2025-01"), "{}", fixed.stdout);
}
