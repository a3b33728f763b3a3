//! The executor: applies a plan by walking the graph with bounded parallelism. Deletions
//! (orphans and the old half of replacements) go first, in reverse dependency order; then
//! creations and updates, each starting the moment its dependencies are done. Every call is
//! retried as its error class allows, until the resource's deadline.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::error::{CloudError, ErrorClass};
use crate::plan::{Action, Inventory, Plan, Registry, Step};
use crate::resource::{
    Kind, LogicalId, Node, Observed, OnChange, OpCtx, Outputs, Props, Resolved, TAG_STACK,
};
use crate::retry::RetryPolicy;

/// What is being done to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Create,
    Update,
    Delete,
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        })
    }
}

/// Progress, for the live view.
#[derive(Clone, Debug)]
pub enum Event {
    Started {
        id: LogicalId,
        kind: &'static str,
        verb: Verb,
    },
    Progress {
        id: LogicalId,
        message: String,
    },
    Retrying {
        id: LogicalId,
        attempt: u32,
        error: CloudError,
    },
    Finished {
        id: LogicalId,
        verb: Verb,
        elapsed: Duration,
    },
    Failed {
        id: LogicalId,
        error: CloudError,
    },
}

/// What an apply did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub replaced: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub retries: u32,
    pub elapsed: Duration,
    /// Each failure names the resource, its AWS id when it had one, and the error.
    pub failed: Vec<Failure>,
    pub not_started: Vec<LogicalId>,
    /// The state of every resource that exists after the run.
    #[serde(skip)]
    pub outputs: BTreeMap<LogicalId, Observed>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub id: LogicalId,
    pub cloud_id: Option<String>,
    pub verb: Verb,
    pub error: String,
    pub class: ErrorClass,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cloud_id {
            Some(cloud) => write!(
                f,
                "{} ({cloud}): {} failed: {}",
                self.id, self.verb, self.error
            ),
            None => write!(f, "{}: {} failed: {}", self.id, self.verb, self.error),
        }
    }
}

impl Report {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.not_started.is_empty()
    }

    /// Whether the run stopped only on something the user must do outside AWS (see
    /// [`ErrorClass::AwaitingUser`]): everything else that could be done was.
    pub fn is_awaiting_user(&self) -> bool {
        !self.failed.is_empty()
            && self
                .failed
                .iter()
                .all(|f| f.class == ErrorClass::AwaitingUser)
    }

    pub fn render_summary(&self) -> String {
        let counts = format!(
            "{} created, {} updated, {} replaced, {} deleted, {} unchanged in {:.1}s",
            self.created,
            self.updated,
            self.replaced,
            self.deleted,
            self.unchanged,
            self.elapsed.as_secs_f64()
        );
        let retries = if self.retries > 0 {
            format!(" ({} retries)", self.retries)
        } else {
            String::new()
        };
        if self.is_success() {
            return format!("Apply complete: {counts}{retries}.");
        }
        let awaiting = self.is_awaiting_user();
        let mut out = if awaiting {
            format!("Apply waiting on you: {counts}{retries}.\n")
        } else {
            format!("Apply failed: {counts}{retries}.\n")
        };
        for f in &self.failed {
            match f.class {
                ErrorClass::AwaitingUser => {
                    out.push_str(&format!("  waiting:     {}: {}\n", f.id, f.error))
                }
                _ => out.push_str(&format!("  failed:      {f}\n")),
            }
        }
        if !self.not_started.is_empty() {
            let ids: Vec<String> = self.not_started.iter().map(ToString::to_string).collect();
            out.push_str(&format!("  not started: {}\n", ids.join(", ")));
        }
        out.push_str(if awaiting {
            "Everything that does not need it is done. Once it is, run the same command again, from any machine: berth finds what exists by its tags and carries on."
        } else {
            "Nothing is lost: fix the cause and run the same command again; berth finds what exists by its tags and converges."
        });
        out
    }
}

/// Applies plans. Build one with [`Executor::new`] and the setters.
#[derive(Clone)]
pub struct Executor {
    registry: Registry,
    parallelism: usize,
    op_timeout: Duration,
    retry: RetryPolicy,
    events: Option<UnboundedSender<Event>>,
}

/// One unit of work: deleting or applying one step.
struct Task<'a> {
    step: &'a Step,
    verb: Verb,
    /// Tasks that must finish first.
    waits_for: Vec<TaskKey>,
    /// Orderings that help but are not required: dropped if they would make a cycle.
    soft: Vec<TaskKey>,
}

/// A task's identity: a replacement has two tasks under one logical id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct TaskKey {
    delete: bool,
    id: LogicalId,
}

impl TaskKey {
    fn delete(id: &LogicalId) -> Self {
        TaskKey {
            delete: true,
            id: id.clone(),
        }
    }
    fn apply(id: &LogicalId) -> Self {
        TaskKey {
            delete: false,
            id: id.clone(),
        }
    }
}

impl Task<'_> {
    fn key(&self) -> TaskKey {
        TaskKey {
            delete: self.verb == Verb::Delete,
            id: self.step.id.clone(),
        }
    }
}

/// Whether the tasks' waits (plus their soft waits, if asked) form a cycle.
fn has_cycle(tasks: &[Task], with_soft: bool) -> bool {
    let edges: HashMap<TaskKey, Vec<&TaskKey>> = tasks
        .iter()
        .map(|t| {
            let soft = if with_soft {
                t.soft.iter().collect()
            } else {
                vec![]
            };
            (t.key(), t.waits_for.iter().chain(soft).collect())
        })
        .collect();
    // Kahn's algorithm: a cycle leaves tasks that never become free.
    let mut remaining: HashMap<&TaskKey, usize> = edges
        .iter()
        .map(|(k, v)| (k, v.iter().filter(|w| edges.contains_key(**w)).count()))
        .collect();
    let mut free: Vec<&TaskKey> = remaining
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut seen = 0;
    while let Some(k) = free.pop() {
        seen += 1;
        for (other, waits) in &edges {
            if waits.contains(&k) {
                let n = remaining.get_mut(other).expect("known");
                *n -= 1;
                if *n == 0 {
                    free.push(other);
                }
            }
        }
    }
    seen != edges.len()
}

/// Whether one of `observed`'s properties holds, whole, one of the outputs (id, ARN...) of
/// the resource whose outputs are `target`: that is how references look once resolved.
fn refers_to(observed: &Observed, target: &Outputs) -> bool {
    let is_target = |s: &str| target.values().any(|t| t == s);
    observed
        .props
        .values()
        .any(|value| crate::resource::any_string(value, &is_target))
}

impl Executor {
    pub fn new(registry: Registry) -> Self {
        Executor {
            registry,
            parallelism: 10,
            op_timeout: Duration::from_secs(15 * 60),
            retry: RetryPolicy::default(),
            events: None,
        }
    }
    pub fn parallelism(mut self, n: usize) -> Self {
        self.parallelism = n.max(1);
        self
    }
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    pub fn events(mut self, tx: UnboundedSender<Event>) -> Self {
        self.events = Some(tx);
        self
    }

    fn emit(&self, event: Event) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }

    pub async fn apply(&self, plan: &Plan, nodes: &[Node], inventory: &Inventory) -> Report {
        let started = Instant::now();
        let mut report = Report {
            unchanged: plan.summary().unchanged,
            ..Report::default()
        };
        let mut state: BTreeMap<LogicalId, Observed> = inventory
            .iter()
            .map(|(id, o)| (id.clone(), o.clone()))
            .collect();
        let tasks = self.tasks(plan, nodes, inventory);
        self.run(tasks, nodes, &mut state, &mut report).await;
        report.elapsed = started.elapsed();
        report.outputs = state;
        report
    }

    /// One task per deletion (orphans and the old half of replacements) and per creation or
    /// update, with the edges that keep AWS happy:
    /// - a deletion waits for the deletion of everything that depends on it (node edges, and
    ///   the kinds' order for orphans that have no node);
    /// - a deletion waits for the update of a resource that references it now and will not
    ///   after (a route table moving off a NAT gateway that is going away);
    /// - a creation or update waits for its dependencies' creations and updates, and for the
    ///   deletion of the old half of its own replacement;
    /// - a creation waits for the deletion of orphans of its kind (a freed name or CIDR),
    ///   unless that would make a cycle.
    fn tasks<'a>(&self, plan: &'a Plan, nodes: &[Node], inventory: &Inventory) -> Vec<Task<'a>> {
        let node_deps: HashMap<&LogicalId, Vec<LogicalId>> =
            nodes.iter().map(|n| (&n.id, n.deps())).collect();
        let deleting: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| matches!(s.action, Action::Delete | Action::Replace(_)))
            .collect();
        let applying: HashSet<&LogicalId> = plan
            .steps
            .iter()
            .filter(|s| {
                matches!(
                    s.action,
                    Action::Create | Action::Replace(_) | Action::Update(_)
                )
            })
            .map(|s| &s.id)
            .collect();
        let mut tasks = Vec::new();
        for x in &deleting {
            let mut waits_for: Vec<TaskKey> = deleting
                .iter()
                .filter(|y| {
                    y.id != x.id
                        && (y.deps.contains(&x.id) || self.registry.kind_depends_on(y.kind, x.kind))
                })
                .map(|y| TaskKey::delete(&y.id))
                .collect();
            if let Some(target) = inventory.get(&x.id).map(|o| &o.outputs) {
                for y in plan
                    .steps
                    .iter()
                    .filter(|y| matches!(y.action, Action::Update(_)))
                {
                    let refers_now = inventory.get(&y.id).is_some_and(|o| refers_to(o, target));
                    let keeps_referring = node_deps.get(&y.id).is_some_and(|d| d.contains(&x.id));
                    if refers_now && !keeps_referring {
                        waits_for.push(TaskKey::apply(&y.id));
                    }
                }
            }
            tasks.push(Task {
                step: x,
                verb: Verb::Delete,
                waits_for,
                soft: vec![],
            });
        }
        for step in plan.steps.iter().filter(|s| applying.contains(&s.id)) {
            let mut waits_for: Vec<TaskKey> = step
                .deps
                .iter()
                .filter(|d| applying.contains(d))
                .map(TaskKey::apply)
                .collect();
            if matches!(step.action, Action::Replace(_)) {
                waits_for.push(TaskKey::delete(&step.id));
            }
            let soft = if matches!(step.action, Action::Update(_)) {
                vec![]
            } else {
                deleting
                    .iter()
                    .filter(|d| d.action == Action::Delete && d.kind == step.kind)
                    .map(|d| TaskKey::delete(&d.id))
                    .collect()
            };
            let verb = if matches!(step.action, Action::Update(_)) {
                Verb::Update
            } else {
                Verb::Create
            };
            tasks.push(Task {
                step,
                verb,
                waits_for,
                soft,
            });
        }
        if !has_cycle(&tasks, true) {
            for t in &mut tasks {
                let soft = std::mem::take(&mut t.soft);
                t.waits_for.extend(soft);
            }
        }
        tasks
    }

    /// Run tasks as their waits are satisfied, at most `parallelism` at once. After a failure
    /// running tasks finish and nothing new starts.
    async fn run(
        &self,
        tasks: Vec<Task<'_>>,
        nodes: &[Node],
        state: &mut BTreeMap<LogicalId, Observed>,
        report: &mut Report,
    ) {
        let nodes_by_id: HashMap<&LogicalId, &Node> = nodes.iter().map(|n| (&n.id, n)).collect();
        let mut pending: Vec<Task> = tasks;
        let mut done: HashSet<TaskKey> = HashSet::new();
        let mut running = FuturesUnordered::new();
        loop {
            // A fault stops new work; waiting on the user stops only what depends on it.
            let carry_on = report
                .failed
                .iter()
                .all(|f| f.class == ErrorClass::AwaitingUser);
            if carry_on {
                while running.len() < self.parallelism {
                    let Some(pos) = pending
                        .iter()
                        .position(|t| t.waits_for.iter().all(|w| done.contains(w)))
                    else {
                        break;
                    };
                    let task = pending.remove(pos);
                    let node = nodes_by_id.get(&task.step.id).copied();
                    let prepared = self.prepare(&task, node, state);
                    running.push(self.run_task(task, prepared));
                }
            }
            let Some((task, result, retries)) = running.next().await else {
                break;
            };
            report.retries += retries;
            let id = task.step.id.clone();
            match result {
                Ok(observed) => {
                    match (task.verb, &task.step.action) {
                        (Verb::Delete, Action::Delete) => report.deleted += 1,
                        (Verb::Delete, _) => {} // the old half of a replacement
                        (Verb::Create, Action::Replace(_)) => report.replaced += 1,
                        (Verb::Create, _) => report.created += 1,
                        (Verb::Update, _) => report.updated += 1,
                    }
                    match observed {
                        Some(o) => state.insert(id.clone(), o),
                        None => state.remove(&id),
                    };
                    done.insert(task.key());
                }
                Err(error) => {
                    report.failed.push(Failure {
                        id: id.clone(),
                        cloud_id: task.step.cloud_id.clone(),
                        verb: task.verb,
                        error: error.to_string(),
                        class: error.class,
                    });
                }
            }
        }
        let mut not_started: Vec<LogicalId> =
            pending.into_iter().map(|t| t.step.id.clone()).collect();
        not_started.dedup();
        report.not_started.extend(not_started);
    }

    /// Resolve what the task needs before it starts: the desired node against the current
    /// outputs of its dependencies, and the resource as it exists.
    fn prepare(
        &self,
        task: &Task,
        node: Option<&Node>,
        state: &BTreeMap<LogicalId, Observed>,
    ) -> Result<Prepared, CloudError> {
        let kind = self
            .registry
            .get(task.step.kind)
            .cloned()
            .ok_or_else(|| CloudError::fatal(format!("unknown kind {}", task.step.kind)))?;
        let current = state.get(&task.step.id).cloned();
        let resolved = match (task.verb, node) {
            (Verb::Delete, _) => None,
            (_, Some(node)) => Some(resolve(node, state)?),
            (_, None) => {
                return Err(CloudError::fatal(format!(
                    "{} has no node to apply",
                    task.step.id
                )));
            }
        };
        Ok(Prepared {
            kind,
            current,
            resolved,
        })
    }

    async fn run_task<'a>(
        &self,
        task: Task<'a>,
        prepared: Result<Prepared, CloudError>,
    ) -> (Task<'a>, Result<Option<Observed>, CloudError>, u32) {
        let id = task.step.id.clone();
        self.emit(Event::Started {
            id: id.clone(),
            kind: task.step.kind,
            verb: task.verb,
        });
        let started = Instant::now();
        let events = self.events.clone();
        let progress: crate::resource::ProgressSink =
            Arc::new(move |id: &LogicalId, message: String| {
                if let Some(tx) = &events {
                    let _ = tx.send(Event::Progress {
                        id: id.clone(),
                        message,
                    });
                }
            });
        let deleting = task.verb == Verb::Delete;
        let timeout = match (&prepared, deleting) {
            (Ok(p), true) => p
                .kind
                .delete_deadline()
                .map_or(self.op_timeout, |d| d.max(self.op_timeout)),
            _ => self.op_timeout,
        };
        let cx = OpCtx::new(id.clone(), timeout, progress);
        let mut retries = 0;
        let result = match prepared {
            Err(e) => Err(e),
            Ok(p) => {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let outcome = match (task.verb, &p.current, &p.resolved) {
                        (Verb::Delete, Some(current), _) => {
                            p.kind.delete(current, &cx).await.map(|()| None)
                        }
                        (Verb::Delete, None, _) => Ok(None),
                        (Verb::Create, _, Some(node)) if attempt > 1 => {
                            create_again(p.kind.as_ref(), node, &cx).await.map(Some)
                        }
                        (Verb::Create, _, Some(node)) => p.kind.create(node, &cx).await.map(Some),
                        (Verb::Update, Some(current), Some(node)) => {
                            let changes = task.step.action.changes();
                            p.kind.update(node, current, changes, &cx).await.map(Some)
                        }
                        _ => Err(CloudError::fatal(
                            "nothing to update: the resource no longer exists; run again to recreate it",
                        )),
                    };
                    match outcome {
                        // Throttling and faults get a fixed number of attempts; a resource
                        // that is not ready yet, or still in use while deleting, is waited for
                        // until its deadline: AWS takes minutes to let go of some of them.
                        Err(error)
                            if error.is_retryable(deleting)
                                && (error.class != ErrorClass::Throttled
                                    || attempt < self.retry.max_attempts) =>
                        {
                            let delay = self.retry.delay(attempt);
                            if Instant::now() + delay > cx.deadline {
                                break Err(error);
                            }
                            retries += 1;
                            self.emit(Event::Retrying {
                                id: id.clone(),
                                attempt,
                                error: error.clone(),
                            });
                            tokio::time::sleep(delay).await;
                        }
                        other => break other,
                    }
                }
            }
        };
        match &result {
            Ok(_) => self.emit(Event::Finished {
                id,
                verb: task.verb,
                elapsed: started.elapsed(),
            }),
            Err(error) => self.emit(Event::Failed {
                id,
                error: error.clone(),
            }),
        }
        (task, result, retries)
    }
}

struct Prepared {
    kind: Arc<dyn crate::resource::Kind>,
    current: Option<Observed>,
    resolved: Option<Resolved>,
}

/// A create that failed may still have made the resource (a later call in it failed, or the
/// answer was lost): look before creating again, and converge what is there instead.
async fn create_again(
    kind: &dyn Kind,
    node: &Resolved,
    cx: &OpCtx,
) -> Result<Observed, CloudError> {
    let stack = match node.tags.get(TAG_STACK) {
        Some(stack) if kind.tagged() => stack,
        _ => return kind.create(node, cx).await, // untagged kinds: their create is a put
    };
    let found = kind
        .discover(stack)
        .await?
        .into_iter()
        .find(|o| o.id == node.id);
    match found {
        None => kind.create(node, cx).await,
        Some(current) => {
            let changes = crate::plan::resolved_diff(node, kind.tagged(), &current);
            if changes.is_empty() {
                Ok(current)
            } else {
                kind.update(node, &current, &changes, cx).await
            }
        }
    }
}

/// The node with every reference replaced by its dependency's current output.
pub fn resolve(node: &Node, state: &BTreeMap<LogicalId, Observed>) -> Result<Resolved, CloudError> {
    let lookup =
        |id: &LogicalId, key: &str| state.get(id).and_then(|o| o.outputs.get(key).cloned());
    let mut props = Props::new();
    let mut create_only = Vec::new();
    for (key, prop) in &node.props {
        if prop.on_change == OnChange::Ignore {
            create_only.push(*key);
        }
        let resolved = prop.value.resolve(&lookup).ok_or_else(|| {
            CloudError::fatal(format!(
                "`{key}` refers to an output that does not exist (a dependency is missing)"
            ))
        })?;
        props.insert(key.to_string(), resolved);
    }
    Ok(Resolved {
        id: node.id.clone(),
        props,
        create_only,
        tags: node.tags.clone(),
    })
}
