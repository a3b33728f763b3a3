//! Discovery and diff: what exists (found by tags), what the manifest wants, and the steps
//! between them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::error::CloudError;
use crate::resource::{
    Field, FieldChange, Kind, LogicalId, Node, Observed, OnChange, Outputs, Resolved, Tags,
};
use crate::retry::{RetryPolicy, retrying};

/// Every resource kind the engine may meet, by name.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn Kind>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn register(&mut self, kind: Arc<dyn Kind>) {
        self.kinds.insert(kind.name(), kind);
    }
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Kind>> {
        self.kinds.get(name)
    }
    pub fn kinds(&self) -> impl Iterator<Item = &Arc<dyn Kind>> {
        self.kinds.values()
    }
    /// Whether resources of kind `a` may reference resources of kind `b`, directly or not.
    pub fn kind_depends_on(&self, a: &str, b: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![a];
        while let Some(k) = todo.pop() {
            for &next in self.get(k).map(|k| k.after()).unwrap_or_default() {
                if next == b {
                    return true;
                }
                if seen.insert(next) {
                    todo.push(next);
                }
            }
        }
        false
    }
}

/// What exists in the cloud for one stack, by logical id.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Inventory {
    resources: BTreeMap<LogicalId, Observed>,
}

impl Inventory {
    pub fn from_resources(
        found: impl IntoIterator<Item = Observed>,
    ) -> Result<Self, DiscoverError> {
        let mut by_id: BTreeMap<LogicalId, Vec<Observed>> = BTreeMap::new();
        for o in found {
            by_id.entry(o.id.clone()).or_default().push(o);
        }
        let mut resources = BTreeMap::new();
        for (id, mut list) in by_id {
            if list.len() > 1 {
                let cloud_ids = list.iter().map(|o| o.cloud_id.clone()).collect();
                return Err(DiscoverError::Duplicate { id, cloud_ids });
            }
            resources.insert(id, list.pop().expect("one"));
        }
        Ok(Inventory { resources })
    }
    pub fn get(&self, id: &LogicalId) -> Option<&Observed> {
        self.resources.get(id)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&LogicalId, &Observed)> {
        self.resources.iter()
    }
    pub fn len(&self) -> usize {
        self.resources.len()
    }
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(
        "{id} matches {} resources ({}): berth owns exactly one per logical id. Delete the extra one(s) by hand, or remove their berth:id tag",
        cloud_ids.len(),
        cloud_ids.join(", ")
    )]
    Duplicate {
        id: LogicalId,
        cloud_ids: Vec<String>,
    },
    #[error("finding the stack's {kind} resources: {error}")]
    Kind {
        kind: &'static str,
        error: CloudError,
    },
}

/// Find everything of every kind tagged with `stack`: one `discover` per kind, `parallelism` at once.
pub async fn discover(
    registry: &Registry,
    stack: &str,
    parallelism: usize,
) -> Result<Inventory, DiscoverError> {
    let found: Vec<Vec<Observed>> = stream::iter(registry.kinds().cloned())
        .map(|kind| async move {
            // Throttling and transient faults while looking are retried like any other call.
            let found = retrying(&RetryPolicy::default(), || kind.discover(stack)).await;
            found.map_err(|error| DiscoverError::Kind {
                kind: kind.name(),
                error,
            })
        })
        .buffer_unordered(parallelism.max(1))
        .try_collect()
        .await?;
    Inventory::from_resources(found.into_iter().flatten())
}

/// What will happen to one resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", content = "fields", rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update(Vec<FieldChange>),
    /// The changes that force replacement are among these (`replaces`).
    Replace(Vec<FieldChange>),
    Delete,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update(_) => "update",
            Action::Replace(_) => "replace",
            Action::Delete => "delete",
        }
    }
    pub fn changes(&self) -> &[FieldChange] {
        match self {
            Action::Update(c) | Action::Replace(c) => c,
            _ => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub id: LogicalId,
    pub kind: &'static str,
    #[serde(flatten)]
    pub action: Action,
    pub cloud_id: Option<String>,
    #[serde(skip)]
    pub deps: Vec<LogicalId>,
}

/// Counts per action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
}

/// Every step, in dependency order (deletions of orphans last).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    #[serde(rename = "changes")]
    pub steps: Vec<Step>,
    /// Resources tagged with the stack that berth did not make: reported, never touched by
    /// `up` (`down` plans them as deletions instead).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<Unmanaged>,
}

/// A resource carrying the stack's tag but no `berth:id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmanaged {
    pub kind: &'static str,
    pub cloud_id: String,
    /// Its `Name` tag, when it has one: the quickest way for a person to recognise it.
    pub name: Option<String>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.steps.iter().any(|s| s.action != Action::NoOp)
    }
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for step in &self.steps {
            match step.action {
                Action::NoOp => s.unchanged += 1,
                Action::Create => s.create += 1,
                Action::Update(_) => s.update += 1,
                Action::Replace(_) => s.replace += 1,
                Action::Delete => s.delete += 1,
            }
        }
        s
    }
    pub fn step(&self, id: &LogicalId) -> Option<&Step> {
        self.steps.iter().find(|s| &s.id == id)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{node} refers to {missing}, which no resource in the stack provides")]
    UnknownRef { node: LogicalId, missing: LogicalId },
    #[error("{node} is of kind `{kind}`, which berth does not know")]
    UnknownKind { node: LogicalId, kind: String },
    #[error("two resources share the logical id {0}")]
    DuplicateNode(LogicalId),
    #[error("resources depend on each other in a cycle: {}", .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" -> "))]
    Cycle(Vec<LogicalId>),
}

/// `nodes` in an order where every node comes after its dependencies.
pub fn topo_order(nodes: &[Node]) -> Result<Vec<&Node>, PlanError> {
    let by_id: HashMap<&LogicalId, &Node> = nodes.iter().map(|n| (&n.id, n)).collect();
    if by_id.len() != nodes.len() {
        let mut seen = BTreeSet::new();
        let dup = nodes
            .iter()
            .find(|n| !seen.insert(&n.id))
            .expect("a duplicate");
        return Err(PlanError::DuplicateNode(dup.id.clone()));
    }
    for node in nodes {
        if let Some(missing) = node.deps().into_iter().find(|d| !by_id.contains_key(d)) {
            return Err(PlanError::UnknownRef {
                node: node.id.clone(),
                missing,
            });
        }
    }
    // Depth-first, in the manifest's order, so the plan reads in a stable, natural order.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        node: &'a Node,
        by_id: &HashMap<&LogicalId, &'a Node>,
        marks: &mut HashMap<&'a LogicalId, Mark>,
        path: &mut Vec<LogicalId>,
        out: &mut Vec<&'a Node>,
    ) -> Result<(), PlanError> {
        match marks.get(&node.id) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let start = path.iter().position(|p| p == &node.id).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.id.clone());
                return Err(PlanError::Cycle(cycle));
            }
            None => {}
        }
        marks.insert(&node.id, Mark::Visiting);
        path.push(node.id.clone());
        for dep in node.deps() {
            visit(by_id[&dep], by_id, marks, path, out)?;
        }
        path.pop();
        marks.insert(&node.id, Mark::Done);
        out.push(node);
        Ok(())
    }
    let mut marks = HashMap::new();
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        visit(node, &by_id, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

/// Diff the manifest's nodes against what exists.
pub fn plan(nodes: &[Node], inventory: &Inventory, registry: &Registry) -> Result<Plan, PlanError> {
    let order = topo_order(nodes)?;
    let mut steps: Vec<Step> = Vec::with_capacity(order.len());
    // Outputs known at plan time: those of resources that exist and are not being replaced.
    let mut known: HashMap<LogicalId, Outputs> = HashMap::new();
    for node in order {
        let kind = registry
            .get(node.kind)
            .ok_or_else(|| PlanError::UnknownKind {
                node: node.id.clone(),
                kind: node.kind.to_string(),
            })?;
        let observed = inventory.get(&node.id);
        let action = match observed {
            None => Action::Create,
            Some(current) => {
                let lookup =
                    |id: &LogicalId, key: &str| known.get(id).and_then(|o| o.get(key).cloned());
                let changes = diff(node, kind.tagged(), current, &lookup);
                if changes.is_empty() {
                    Action::NoOp
                } else if changes.iter().any(|c| c.replaces) {
                    Action::Replace(changes)
                } else {
                    Action::Update(changes)
                }
            }
        };
        if let Some(current) = observed {
            match &action {
                Action::NoOp => {
                    known.insert(node.id.clone(), current.outputs.clone());
                }
                Action::Update(changes) => {
                    // Outputs an in-place update may change are unknown until it has run
                    // (tag-only updates change none).
                    let mut outputs = current.outputs.clone();
                    if changes.iter().any(|c| !c.is_tag()) {
                        outputs.retain(|k, _| !kind.volatile_outputs().contains(&k.as_str()));
                    }
                    known.insert(node.id.clone(), outputs);
                }
                _ => {}
            }
        }
        steps.push(Step {
            id: node.id.clone(),
            kind: node.kind,
            cloud_id: observed.map(|o| o.cloud_id.clone()),
            deps: node.deps(),
            action,
        });
    }
    let wanted: BTreeSet<&LogicalId> = nodes.iter().map(|n| &n.id).collect();
    let mut unmanaged = Vec::new();
    for (id, observed) in inventory.iter().filter(|(id, _)| !wanted.contains(id)) {
        if observed.unmanaged {
            unmanaged.push(Unmanaged {
                kind: observed.kind,
                cloud_id: observed.cloud_id.clone(),
                name: observed.tags.get("Name").cloned(),
            });
            continue;
        }
        steps.push(Step {
            id: id.clone(),
            kind: observed.kind,
            action: Action::Delete,
            cloud_id: Some(observed.cloud_id.clone()),
            deps: vec![],
        });
    }
    Ok(Plan { steps, unmanaged })
}

/// Every property and tag of `node` that differs from `current`.
fn diff(
    node: &Node,
    tagged: bool,
    current: &Observed,
    outputs: &dyn Fn(&LogicalId, &str) -> Option<String>,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for (key, prop) in &node.props {
        if prop.on_change == OnChange::Ignore {
            continue;
        }
        let new = prop.value.resolve(outputs);
        let old = current.props.get(*key).cloned();
        if new.is_none() || new != old {
            changes.push(FieldChange {
                field: Field::Prop(key.to_string()),
                old,
                new,
                replaces: prop.on_change == OnChange::Replace,
            });
        }
    }
    if tagged {
        changes.extend(tag_diff(&node.tags, &current.tags));
    }
    changes
}

/// Tags to set or change, and tags to remove (AWS's own `aws:` tags are never touched).
pub(crate) fn tag_diff(desired: &Tags, current: &Tags) -> Vec<FieldChange> {
    let change = |key: &str, old: Option<&String>, new: Option<&String>| FieldChange {
        field: Field::Tag(key.to_string()),
        old: old.map(|v| v.as_str().into()),
        new: new.map(|v| v.as_str().into()),
        replaces: false,
    };
    let mut changes = Vec::new();
    for (key, value) in desired {
        let old = current.get(key);
        if old != Some(value) {
            changes.push(change(key, old, Some(value)));
        }
    }
    for (key, value) in current {
        if !desired.contains_key(key) && !key.starts_with("aws:") {
            changes.push(change(key, Some(value), None));
        }
    }
    changes
}

/// The changes from `current` to an already resolved node.
pub(crate) fn resolved_diff(node: &Resolved, tagged: bool, current: &Observed) -> Vec<FieldChange> {
    let mut changes: Vec<FieldChange> = node
        .props
        .iter()
        .filter(|(key, value)| {
            !node.create_only.contains(&key.as_str()) && current.props.get(*key) != Some(*value)
        })
        .map(|(key, value)| FieldChange {
            field: Field::Prop(key.clone()),
            old: current.props.get(key).cloned(),
            new: Some(value.clone()),
            replaces: false,
        })
        .collect();
    if tagged {
        changes.extend(tag_diff(&node.tags, &current.tags));
    }
    changes
}

/// Delete everything that exists, what was made by hand with the stack's tag too; the nodes
/// (if any) only add ordering edges.
pub fn plan_destroy(nodes: &[Node], inventory: &Inventory) -> Plan {
    let deps: HashMap<&LogicalId, Vec<LogicalId>> =
        nodes.iter().map(|n| (&n.id, n.deps())).collect();
    let steps = inventory
        .iter()
        .map(|(id, observed)| Step {
            id: id.clone(),
            kind: observed.kind,
            action: Action::Delete,
            cloud_id: Some(observed.cloud_id.clone()),
            deps: deps.get(id).cloned().unwrap_or_default(),
        })
        .collect();
    Plan {
        steps,
        unmanaged: vec![],
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to create, {} to update, {} to replace, {} to delete, {} unchanged",
            self.create, self.update, self.replace, self.delete, self.unchanged
        )
    }
}
