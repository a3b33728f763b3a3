//! The kinds straight against the emulator (no engine): create, discover, delete. Finding
//! the emulator is berth-testkit's.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use berth_engine::{Kind, LogicalId, Node, Observed, OpCtx, Resolved};

pub use berth_testkit::{emulator, unique_stack};

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
            if desired.create_only.contains(&key.as_str()) {
                continue; // used at create time only: never read back
            }
            assert_eq!(
                observed.props.get(key),
                Some(want),
                "{}: property `{key}` does not round-trip",
                node.id
            );
        }
        if find_kind(kinds, node.kind).tagged() {
            assert_eq!(observed.tags, desired.tags, "{}: tags", node.id);
        }
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

/// The account's one GitHub OIDC provider is shared by every test that makes or looks for
/// it: they take turns.
pub static GITHUB_OIDC: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
