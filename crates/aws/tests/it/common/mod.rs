//! Shared harness for tests against the moto emulator (see scripts/emulator).
//!
//! The emulator's endpoint comes from `AWS_ENDPOINT_URL` or from `target/emulator.env`, which
//! `scripts/emulator start` writes. Tests share one emulator, so each uses its own stack name
//! and filters everything by that stack's tag.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use berth_aws::{Aws, ConnectOptions};
use berth_engine::{Kind, LogicalId, Node, Observed, OpCtx, Resolved};

/// Point the SDK at the emulator. Panics with the command to run when it is not up: a test
/// that silently skipped here would prove nothing.
pub async fn emulator() -> Aws {
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/emulator.env");
        let text = std::fs::read_to_string(file).unwrap_or_else(|_| {
            panic!("no emulator: run `scripts/emulator start` (or `make test`) first")
        });
        for line in text.lines() {
            if let Some(url) = line.strip_prefix("AWS_ENDPOINT_URL=") {
                // SAFETY: set once per test process before any client reads the environment.
                unsafe { std::env::set_var("AWS_ENDPOINT_URL", url) };
            }
        }
    }
    // SAFETY: as above; dummy credentials only, never real AWS.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    }
    Aws::connect(&ConnectOptions {
        region: Some("eu-west-2".into()),
        profile: None,
    })
    .await
    .expect("connect")
}

/// A stack name no other test (or earlier run against the same emulator) uses.
pub fn unique_stack(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id() % 10_000;
    format!("{prefix}-{pid}-{}", N.fetch_add(1, Ordering::Relaxed))
}

pub fn ctx(id: &LogicalId) -> OpCtx {
    OpCtx::detached(id.as_str(), Duration::from_secs(60))
}

/// Resolve `node`'s references from already created resources.
pub fn resolve(node: &Node, created: &BTreeMap<LogicalId, Observed>) -> Resolved {
    berth_engine::exec::resolve(node, created)
        .unwrap_or_else(|e| panic!("{}: {e} (created in the wrong order?)", node.id))
}

/// Create `nodes` in the given order, one kind at a time, straight through the kinds (no engine).
pub async fn create_all(kinds: &[&dyn Kind], nodes: &[Node]) -> BTreeMap<LogicalId, Observed> {
    let mut created = BTreeMap::new();
    for node in nodes {
        let kind = find_kind(kinds, node.kind);
        let resolved = resolve(node, &created);
        let observed = kind
            .create(&resolved, &ctx(&node.id))
            .await
            .unwrap_or_else(|e| panic!("create {}: {e}", node.id));
        created.insert(node.id.clone(), observed);
    }
    created
}

/// Everything of these kinds that carries `stack`'s tag, by logical id.
pub async fn discover_all(kinds: &[&dyn Kind], stack: &str) -> BTreeMap<LogicalId, Observed> {
    let mut found = BTreeMap::new();
    for kind in kinds {
        for observed in kind
            .discover(stack)
            .await
            .unwrap_or_else(|e| panic!("discover {}: {e}", kind.name()))
        {
            assert!(
                found.insert(observed.id.clone(), observed).is_none(),
                "duplicate logical id"
            );
        }
    }
    found
}

/// The round trip every kind must survive: what `create` made, `discover` finds again with
/// exactly the desired properties and tags (else every plan would show phantom drift).
pub async fn assert_round_trip(
    kinds: &[&dyn Kind],
    stack: &str,
    nodes: &[Node],
) -> BTreeMap<LogicalId, Observed> {
    let created = create_all(kinds, nodes).await;
    let found = discover_all(kinds, stack).await;
    for node in nodes {
        let desired = resolve(node, &created);
        let observed = found
            .get(&node.id)
            .unwrap_or_else(|| panic!("{} not found by its tags after create", node.id));
        assert_eq!(
            observed.cloud_id, created[&node.id].cloud_id,
            "{}: cloud id",
            node.id
        );
        for (key, want) in &desired.props {
            assert_eq!(
                observed.props.get(key),
                Some(want),
                "{}: property `{key}` does not round-trip",
                node.id
            );
        }
        assert_eq!(observed.tags, desired.tags, "{}: tags", node.id);
        for (key, value) in &created[&node.id].outputs {
            assert_eq!(
                observed.outputs.get(key),
                Some(value),
                "{}: output `{key}`",
                node.id
            );
        }
    }
    found
}

/// Delete in reverse order and check nothing of the stack is left.
pub async fn delete_all(
    kinds: &[&dyn Kind],
    stack: &str,
    nodes: &[Node],
    found: &BTreeMap<LogicalId, Observed>,
) {
    for node in nodes.iter().rev() {
        let kind = find_kind(kinds, node.kind);
        kind.delete(&found[&node.id], &ctx(&node.id))
            .await
            .unwrap_or_else(|e| panic!("delete {}: {e}", node.id));
    }
    let left = discover_all(kinds, stack).await;
    assert!(
        left.is_empty(),
        "left behind after delete: {:?}",
        left.keys().collect::<Vec<_>>()
    );
    // A second delete of what is gone must succeed (deletes are idempotent).
    for node in nodes.iter().rev() {
        let kind = find_kind(kinds, node.kind);
        kind.delete(&found[&node.id], &ctx(&node.id))
            .await
            .unwrap_or_else(|e| panic!("second delete {}: {e}", node.id));
    }
}

fn find_kind<'a>(kinds: &[&'a dyn Kind], name: &str) -> &'a dyn Kind {
    *kinds
        .iter()
        .find(|k| k.name() == name)
        .unwrap_or_else(|| panic!("kind {name} not in the test's list"))
}
