//! Network resource kinds against the emulator: each survives create -> discover -> delete.

use crate::common::*;
use berth_aws::vpc::{self, Vpc};
use berth_engine::{Kind, Tags};

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
