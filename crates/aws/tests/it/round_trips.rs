//! Resource kinds straight against the emulator, without the engine: each survives
//! create -> discover (every property, tag and output read back as written) -> delete.

use crate::common::*;
use berth_aws::vpc::{self, Vpc};
use berth_engine::{Kind, Tags};
use std::collections::BTreeSet;

#[tokio::test]
async fn vpc_round_trips_and_deletes() {
    let aws = emulator().await;
    let stack = unique_stack("vpc");
    let tags = Tags::from([("team".to_string(), "platform".to_string())]);
    let nodes = vec![vpc::node(&stack, &tags, "172.24.0.0/16")];
    let vpc_kind = Vpc(aws.clone());
    let kinds: &[&dyn Kind] = &[&vpc_kind];
    let found = assert_round_trip(kinds, &stack, &nodes).await;
    assert_eq!(found[&"vpc".into()].props["dns_hostnames"], true);
    delete_all(kinds, &stack, &nodes, &found).await;
}

/// Every node of an example, each kind read back property by property. Returns the kinds
/// it covered.
async fn example_round_trips(file: &str, prefix: &str) -> BTreeSet<&'static str> {
    let aws = emulator().await;
    let stack = unique_stack(prefix);
    let path = format!("{}/../../examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(path).unwrap();
    // Its own name: other tests share the emulator.
    text = text.replacen("name = \"", &format!("name = \"{stack}\"\n# was: "), 1);
    // A domain of its own, in a public hosted zone of its own: berth writes the records.
    let zone = format!("{stack}.test");
    let public_zone = if text.contains("shop.example.com") {
        text = text.replace("shop.example.com", &format!("app.{zone}"));
        Some(berth_testkit::public_zone(&aws, &zone).await)
    } else {
        None
    };
    let manifest = berth_spec::parse(file, &text).unwrap();
    let inputs = berth_aws::graph::inputs(&aws, &manifest, false)
        .await
        .unwrap();
    let nodes = berth_aws::graph::nodes(&manifest, &inputs);
    let registry = berth_aws::registry(&aws);
    // Creation order: the plan's, which follows the references.
    let plan = berth_engine::plan(&nodes, &Default::default(), &registry).unwrap();
    let ordered: Vec<_> = plan
        .steps
        .iter()
        .map(|s| nodes.iter().find(|n| n.id == s.id).unwrap().clone())
        .collect();
    let all = berth_aws::kinds(&aws);
    let kinds: Vec<&dyn Kind> = all.iter().map(|k| k.as_ref()).collect();
    let found = assert_round_trip(&kinds, &stack, &ordered).await;
    delete_all(&kinds, &stack, &ordered, &found).await;
    if let Some(id) = public_zone {
        aws.route53
            .delete_hosted_zone()
            .id(id)
            .send()
            .await
            .unwrap();
    }
    ordered.iter().map(|n| n.kind).collect()
}

/// Every kind, across three examples: the network one (VPC, subnets, gateways, NAT, routes,
/// endpoints, private zone, security groups), the origin's EC2 stack (cluster, capacity,
/// services, scaling, IAM, load balancer, registry, logs) and the HTTPS one (certificate,
/// its validation and DNS records, in a public hosted zone of the test's own).
#[tokio::test]
async fn every_kind_round_trips() {
    let _oidc = GITHUB_OIDC.lock().await;
    let (network, seed, https) = tokio::join!(
        example_round_trips("network.toml", "rt"),
        example_round_trips("seed-ec2.toml", "seedrt"),
        example_round_trips("https.toml", "tlsrt"),
    );
    let covered: BTreeSet<_> = [network, seed, https].into_iter().flatten().collect();
    let aws = emulator().await;
    let all: BTreeSet<_> = berth_aws::kinds(&aws).iter().map(|k| k.name()).collect();
    assert_eq!(covered, all, "kinds no example exercises");
}
