//! An in-memory cloud for the engine's tests and for faults the emulator can't produce:
//! throttling storms, pending states, a run that dies right after a create.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{CloudError, ErrorClass};
use crate::resource::{
    FieldChange, Json, Kind, Observed, OpCtx, Owner, Resolved, TAG_ID, TAG_STACK,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Discover,
    Create,
    Update,
    Delete,
}

/// A planned failure: the next `times` calls of `op` (for `id`, or any) fail with `class`.
#[derive(Clone, Debug)]
struct Fault {
    op: Op,
    id: Option<String>,
    class: ErrorClass,
    times: u32,
}

#[derive(Default)]
struct State {
    /// cloud id -> resource
    resources: BTreeMap<String, Observed>,
    next: u64,
    faults: Vec<Fault>,
    /// Logical ids whose create "crashes" the run right after the resource exists.
    crash_after_create: Vec<(String, ErrorClass)>,
    calls: HashMap<(&'static str, Op), u32>,
    in_flight: usize,
    max_in_flight: usize,
    /// (logical id, op) in the order calls started.
    log: Vec<(String, Op)>,
    /// Each kind's properties whose references hold their target (a NAT gateway's subnet),
    /// as AWS refuses to delete a subnet a NAT gateway is in.
    holding: HashMap<&'static str, &'static [&'static str]>,
}

/// The shared fake cloud. `kind()` makes a [`Kind`] backed by it.
#[derive(Clone, Default)]
pub struct FakeCloud {
    state: Arc<Mutex<State>>,
    latency: Arc<Mutex<HashMap<String, Duration>>>,
}

pub struct FakeKind {
    cloud: FakeCloud,
    name: &'static str,
    after: &'static [&'static str],
    volatile: &'static [&'static str],
}

impl FakeCloud {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn kind(
        &self,
        name: &'static str,
        after: &'static [&'static str],
        holding: &'static [&'static str],
    ) -> Arc<dyn Kind> {
        self.state.lock().unwrap().holding.insert(name, holding);
        Arc::new(FakeKind {
            cloud: self.clone(),
            name,
            after,
            volatile: &[],
        })
    }
    /// A kind whose update changes its `arn` output (like a task definition revision).
    pub fn versioned_kind(
        &self,
        name: &'static str,
        after: &'static [&'static str],
    ) -> Arc<dyn Kind> {
        Arc::new(FakeKind {
            cloud: self.clone(),
            name,
            after,
            volatile: &["arn"],
        })
    }
    /// Every call for logical id `id` takes this long.
    pub fn set_latency(&self, id: &str, latency: Duration) {
        self.latency.lock().unwrap().insert(id.to_string(), latency);
    }
    /// The next `times` calls of `op` (for logical id `id`, or any when None) fail with `class`.
    pub fn fail(&self, op: Op, id: Option<&str>, class: ErrorClass, times: u32) {
        self.state.lock().unwrap().faults.push(Fault {
            op,
            id: id.map(str::to_string),
            class,
            times,
        });
    }
    /// Create `id`, then report a failure as if the run had died right after.
    pub fn crash_after_create(&self, id: &str) {
        self.fail_after_create(id, ErrorClass::Fatal);
    }
    /// Create `id`, then fail the call anyway with `class` (a follow-up call throttled, or the
    /// answer lost): a retry must find the resource rather than make a second one.
    pub fn fail_after_create(&self, id: &str, class: ErrorClass) {
        let mut s = self.state.lock().unwrap();
        s.crash_after_create.push((id.to_string(), class));
    }
    pub fn calls(&self, kind: &str, op: Op) -> u32 {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|((k, o), _)| *k == kind && *o == op)
            .map(|(_, n)| *n)
            .sum()
    }
    /// Create, update and delete calls of every kind.
    pub fn mutations(&self) -> u32 {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|((_, op), _)| *op != Op::Discover)
            .map(|(_, n)| *n)
            .sum()
    }
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }
    pub fn log(&self) -> Vec<(String, Op)> {
        self.state.lock().unwrap().log.clone()
    }
    /// Resources per logical id (a correct run never has more than one).
    pub fn count_by_id(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for o in self.state.lock().unwrap().resources.values() {
            *out.entry(o.id.0.clone()).or_default() += 1;
        }
        out
    }
    pub fn len(&self) -> usize {
        self.state.lock().unwrap().resources.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Remove a resource behind the engine's back (drift).
    pub fn remove(&self, id: &str) {
        self.state
            .lock()
            .unwrap()
            .resources
            .retain(|_, o| o.id.0 != id);
    }
    /// Put a resource in place as if created by hand, with the stack's tags.
    pub fn insert(&self, kind: &'static str, id: &str, stack: &str) -> String {
        self.insert_owned(kind, Owner::from(id), stack)
    }

    /// A resource someone made by hand and tagged with the stack, but not with `berth:id`.
    pub fn insert_by_hand(&self, kind: &'static str, stack: &str) -> String {
        self.insert_owned(kind, Owner::Unmanaged, stack)
    }

    fn insert_owned(&self, kind: &'static str, owner: Owner, stack: &str) -> String {
        let mut s = self.state.lock().unwrap();
        s.next += 1;
        let cloud_id = format!("{kind}-{}", s.next);
        let mut o =
            Observed::new(kind, owner.clone(), &cloud_id).output("arn", format!("arn:{cloud_id}"));
        o.tags.insert(TAG_STACK.into(), stack.into());
        match owner {
            Owner::Managed(id) => o.tags.insert(TAG_ID.into(), id.0),
            Owner::Unmanaged => o.tags.insert("Name".into(), "made-by-hand".into()),
        };
        s.resources.insert(cloud_id.clone(), o);
        cloud_id
    }

    /// Count the call, apply a planned fault, and track concurrency.
    async fn enter(&self, kind: &'static str, op: Op, id: &str) -> Result<(), CloudError> {
        let latency = self.latency.lock().unwrap().get(id).copied();
        {
            let mut s = self.state.lock().unwrap();
            *s.calls.entry((kind, op)).or_default() += 1;
            s.log.push((id.to_string(), op));
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
        }
        if let Some(latency) = latency {
            tokio::time::sleep(latency).await;
        }
        let mut s = self.state.lock().unwrap();
        s.in_flight -= 1;
        let fault = s
            .faults
            .iter_mut()
            .find(|f| f.op == op && f.times > 0 && f.id.as_deref().is_none_or(|i| i == id));
        if let Some(f) = fault {
            f.times -= 1;
            return Err(CloudError::new(
                f.class,
                Some(format!("Fake{:?}", f.class)),
                format!("injected {:?} on {id}", f.class),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Kind for FakeKind {
    fn name(&self) -> &'static str {
        self.name
    }
    fn after(&self) -> &'static [&'static str] {
        self.after
    }
    fn volatile_outputs(&self) -> &'static [&'static str] {
        self.volatile
    }
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        self.cloud.enter(self.name, Op::Discover, "*").await?;
        let s = self.cloud.state.lock().unwrap();
        Ok(s.resources
            .values()
            .filter(|o| {
                o.kind == self.name && o.tags.get(TAG_STACK).map(String::as_str) == Some(stack)
            })
            .cloned()
            .collect())
    }
    async fn create(&self, node: &Resolved, _cx: &OpCtx) -> Result<Observed, CloudError> {
        self.cloud
            .enter(self.name, Op::Create, node.id.as_str())
            .await?;
        let mut s = self.cloud.state.lock().unwrap();
        s.next += 1;
        let cloud_id = format!("{}-{}", self.name, s.next);
        let observed = Observed::applied(self.name, node, &cloud_id)
            .output("arn", format!("arn:{cloud_id}:1"));
        s.resources.insert(cloud_id, observed.clone());
        if let Some(pos) = s
            .crash_after_create
            .iter()
            .position(|(i, _)| i == node.id.as_str())
        {
            let (_, class) = s.crash_after_create.remove(pos);
            return Err(CloudError::new(
                class,
                None,
                "the call failed after the resource was made",
            ));
        }
        Ok(observed)
    }
    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.cloud
            .enter(self.name, Op::Update, node.id.as_str())
            .await?;
        let mut s = self.cloud.state.lock().unwrap();
        let stored = s
            .resources
            .get_mut(&current.cloud_id)
            .ok_or_else(|| CloudError::not_ready("gone"))?;
        let revision = stored
            .outputs
            .get("arn")
            .and_then(|a| a.rsplit(':').next()?.parse::<u32>().ok())
            .unwrap_or(1);
        let arn = if self.volatile.is_empty() {
            format!("arn:{}:1", current.cloud_id)
        } else {
            format!("arn:{}:{}", current.cloud_id, revision + 1)
        };
        *stored = Observed::applied(self.name, node, &current.cloud_id).output("arn", arn);
        Ok(stored.clone())
    }
    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        self.cloud
            .enter(self.name, Op::Delete, current.id.as_str())
            .await?;
        let mut s = self.cloud.state.lock().unwrap();
        // Like AWS: a resource can't go while another is built on it (a NAT gateway in its
        // subnet); references that can change in place (a route) don't hold it.
        let in_use = s.resources.values().any(|o| {
            let hard = s.holding.get(o.kind).copied().unwrap_or_default();
            o.cloud_id != current.cloud_id
                && o.props
                    .iter()
                    .any(|(k, v)| hard.contains(&k.as_str()) && refers_to(v, &current.cloud_id))
        });
        if in_use {
            return Err(CloudError::new(
                ErrorClass::DependencyViolation,
                Some("DependencyViolation".into()),
                format!("{} is in use", current.cloud_id),
            ));
        }
        s.resources.remove(&current.cloud_id);
        Ok(())
    }
}

/// Whether a property value (an id, or an array of them) names `cloud_id`.
fn refers_to(value: &Json, cloud_id: &str) -> bool {
    crate::resource::any_string(value, &|s| s == cloud_id)
}
