//! The contract between the engine and a resource kind.
//!
//! A [`Node`] is one logical resource the manifest asks for: its kind, its desired properties
//! (plain strings, or references to a dependency's outputs) and its tags. A [`Kind`] knows how
//! to find every resource of its kind that belongs to a stack (one call, by tag), and how to
//! create, update and delete one. Dependencies are never declared by hand: they are the
//! [`Value::Ref`]s in a node's properties.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;

use crate::error::CloudError;

/// The tag that marks a resource as owned by a stack.
pub const TAG_STACK: &str = "berth:stack";
/// The tag that names a resource's logical id within its stack.
pub const TAG_ID: &str = "berth:id";
/// The logical id a kind's `discover` gives a resource that carries the stack's tag but no
/// `berth:id`: someone made it by hand.
pub const UNMANAGED: &str = "";

pub type Tags = BTreeMap<String, String>;
/// Resolved properties: every reference replaced by the dependency's output.
pub type Props = BTreeMap<String, String>;

/// A resource's stable name within its stack, e.g. `vpc` or `subnet/private-a`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LogicalId(pub String);

impl LogicalId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for LogicalId {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

/// A desired property value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    /// An output of another resource (`id`, `arn`, ...): known once that resource exists.
    Ref(LogicalId, &'static str),
    /// An unordered set; resolves to its members sorted and joined with `,`.
    Set(Vec<Value>),
    /// Parts joined with nothing between them: an ARN or a document built around references.
    Concat(Vec<Value>),
}

impl Value {
    pub fn refer(id: impl Into<String>, output: &'static str) -> Self {
        Value::Ref(LogicalId::new(id), output)
    }
    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a LogicalId>) {
        match self {
            Value::Str(_) => {}
            Value::Ref(id, _) => out.push(id),
            Value::Set(items) | Value::Concat(items) => {
                items.iter().for_each(|v| v.collect_refs(out))
            }
        }
    }
    /// The value with references looked up in `outputs`; `None` while any is unknown.
    pub fn resolve(&self, outputs: &dyn Fn(&LogicalId, &str) -> Option<String>) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Ref(id, key) => outputs(id, key),
            Value::Set(items) => {
                let mut parts = items
                    .iter()
                    .map(|v| v.resolve(outputs))
                    .collect::<Option<Vec<_>>>()?;
                parts.sort();
                Some(parts.join(","))
            }
            Value::Concat(items) => items.iter().map(|v| v.resolve(outputs)).collect(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Str(b.to_string())
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Str(n.to_string())
    }
}

/// One logical resource the manifest asks for.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: LogicalId,
    pub kind: &'static str,
    pub props: BTreeMap<&'static str, Value>,
    pub tags: Tags,
    /// Resources that must exist before this one although no property names them: AWS
    /// checks something about them at create time (a service's target group must already be
    /// behind a listener rule; a NAT gateway needs the internet gateway attached).
    pub after: Vec<LogicalId>,
}

impl Node {
    /// A node carrying the stack's ownership tags, `Name` and the user's extra tags.
    pub fn new(kind: &'static str, id: impl Into<String>, stack: &str, extra_tags: &Tags) -> Self {
        let id = LogicalId::new(id);
        let tags = stack_tags(stack, &id, extra_tags);
        Node {
            id,
            kind,
            props: BTreeMap::new(),
            tags,
            after: Vec::new(),
        }
    }
    /// Order this node after `id` without referencing any of its outputs.
    pub fn after(mut self, id: impl Into<String>) -> Self {
        self.after.push(LogicalId::new(id));
        self
    }
    pub fn prop(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.props.insert(key, value.into());
        self
    }
    /// The logical ids this node references or is ordered after, each once, in order.
    pub fn deps(&self) -> Vec<LogicalId> {
        let mut refs = Vec::new();
        self.props.values().for_each(|v| v.collect_refs(&mut refs));
        let mut out: Vec<LogicalId> = refs.into_iter().cloned().collect();
        out.extend(self.after.iter().cloned());
        out.sort();
        out.dedup();
        out
    }
}

/// The tags every owned resource carries: `berth:stack`, `berth:id`, `Name` (`<stack>-<id>` with
/// `/` as `-`) and the manifest's `[tags]` (which cannot override berth's own).
pub fn stack_tags(stack: &str, id: &LogicalId, extra: &Tags) -> Tags {
    let mut tags = extra.clone();
    tags.insert("Name".into(), format!("{stack}-{}", id.0.replace('/', "-")));
    tags.insert(TAG_STACK.into(), stack.into());
    tags.insert(TAG_ID.into(), id.0.clone());
    tags
}

/// A node with every reference resolved, handed to [`Kind::create`] and [`Kind::update`].
#[derive(Clone, Debug)]
pub struct Resolved {
    pub id: LogicalId,
    pub props: Props,
    pub tags: Tags,
}

impl Resolved {
    /// A property the kind always sets. Panics only on a bug in the kind's own node builder.
    pub fn get(&self, key: &str) -> &str {
        self.props
            .get(key)
            .unwrap_or_else(|| panic!("{}: property `{key}` missing from its node", self.id))
    }
    pub fn opt(&self, key: &str) -> Option<&str> {
        self.props
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
    /// A [`Value::Set`] property as its members.
    pub fn list(&self, key: &str) -> Vec<&str> {
        self.opt(key)
            .map(|s| s.split(',').collect())
            .unwrap_or_default()
    }
}

/// A resource as found in the cloud.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// From the `berth:id` tag.
    pub id: LogicalId,
    pub kind: &'static str,
    /// The provider's id, e.g. `vpc-0abc123`.
    pub cloud_id: String,
    /// Current values of the properties the kind manages, same keys as the node's.
    pub props: Props,
    pub tags: Tags,
    /// What dependants may reference; always holds `id` (= `cloud_id`).
    pub outputs: Props,
    /// Tagged with the stack but not with `berth:id`: made outside berth. `up` reports it and
    /// leaves it alone; only `down` deletes it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unmanaged: bool,
}

impl Observed {
    pub fn new(kind: &'static str, id: impl Into<String>, cloud_id: impl Into<String>) -> Self {
        let cloud_id = cloud_id.into();
        let mut outputs = Props::new();
        outputs.insert("id".into(), cloud_id.clone());
        Observed {
            id: LogicalId::new(id.into()),
            kind,
            cloud_id,
            props: Props::new(),
            tags: Tags::new(),
            outputs,
            unmanaged: false,
        }
    }
    /// What a successful create or update leaves: the node's own values under the provider's
    /// id. Kinds add the outputs dependants read.
    pub fn applied(kind: &'static str, node: &Resolved, cloud_id: impl Into<String>) -> Self {
        let mut observed =
            Observed::new(kind, node.id.as_str(), cloud_id).with_tags(node.tags.clone());
        observed.props = node.props.clone();
        observed
    }
    pub fn prop(mut self, key: &str, value: impl ToString) -> Self {
        self.props.insert(key.into(), value.to_string());
        self
    }
    pub fn output(mut self, key: &str, value: impl ToString) -> Self {
        self.outputs.insert(key.into(), value.to_string());
        self
    }
    pub fn with_tags(mut self, tags: Tags) -> Self {
        self.tags = tags;
        self
    }
}

/// One property that differs: `tags.<key>` for a tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    /// `None` when the new value is only known after apply (a dependency is being created).
    pub new: Option<String>,
}

impl FieldChange {
    /// The tags to set and the keys to remove among `changes`.
    pub fn tag_changes(changes: &[FieldChange]) -> (Tags, Vec<String>) {
        let mut set = Tags::new();
        let mut unset = Vec::new();
        for c in changes {
            if let Some(key) = c.field.strip_prefix("tags.") {
                match &c.new {
                    Some(v) => {
                        set.insert(key.to_string(), v.clone());
                    }
                    None => unset.push(key.to_string()),
                }
            }
        }
        (set, unset)
    }
    /// Whether any change concerns `field`.
    pub fn touches(changes: &[FieldChange], field: &str) -> bool {
        changes.iter().any(|c| c.field == field)
    }
}

/// A resource kind: one file in the provider crate answers these questions for one kind.
#[async_trait]
pub trait Kind: Send + Sync {
    /// The kind's name, e.g. `vpc`; a node's `kind` names it.
    fn name(&self) -> &'static str;
    /// Kinds whose resources this kind's resources may reference. Orders the deletion of
    /// resources no node describes (removed from the manifest, or `down` without one).
    fn after(&self) -> &'static [&'static str];
    /// Properties that cannot change in place: a change to one replaces the resource.
    fn immutable(&self) -> &'static [&'static str] {
        &[]
    }
    /// Outputs that change when the resource is updated in place (a task definition's
    /// revision ARN). Dependants referencing them are planned as updates too.
    fn volatile_outputs(&self) -> &'static [&'static str] {
        &[]
    }
    /// How long a delete may keep meeting "still in use" before berth gives up, when AWS is
    /// known to hold on longer than the run's own deadline: network interfaces of a deleted
    /// load balancer, NAT gateway or task keep their security group, subnet and public
    /// addresses busy for minutes (the Terraform AWS provider waits 20 minutes for a security
    /// group, `internal/service/ec2/vpc_security_group.go`). `None`: the run's deadline.
    fn delete_deadline(&self) -> Option<Duration> {
        None
    }
    /// Every resource of this kind tagged with `stack`, in one call where the API allows.
    /// One tagged with the stack but without `berth:id` comes back with an empty logical id
    /// ([`UNMANAGED`]); the inventory names it and keeps it out of `up`'s way.
    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError>;
    /// Create the resource with its tags in the same call where the API allows, and wait
    /// until it is usable by dependants.
    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError>;
    /// Bring `current` to `node` by changing `changes` in place (none is immutable).
    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError>;
    /// Delete the resource and wait until it is gone. Deleting what is already gone is Ok.
    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError>;
}

/// Where an operation's progress messages go (the executor forwards them as events).
pub type ProgressSink = Arc<dyn Fn(&LogicalId, String) + Send + Sync>;

/// What an operation may use while it runs: a deadline and a way to report progress.
#[derive(Clone)]
pub struct OpCtx {
    pub id: LogicalId,
    pub deadline: Instant,
    progress: ProgressSink,
}

impl OpCtx {
    pub fn new(id: LogicalId, timeout: Duration, progress: ProgressSink) -> Self {
        OpCtx {
            id,
            deadline: Instant::now() + timeout,
            progress,
        }
    }
    /// A context with no progress sink, for tests and one-off calls.
    pub fn detached(id: impl Into<String>, timeout: Duration) -> Self {
        Self::new(LogicalId::new(id), timeout, Arc::new(|_, _| {}))
    }
    pub fn progress(&self, message: impl Into<String>) {
        (self.progress)(&self.id, message.into())
    }

    /// Run `op`, a call on a resource this very create has just made, retrying while it is
    /// not ready (EC2 and IAM don't see a new id everywhere for seconds). Retried here, where
    /// the id is known, rather than by the executor: its retry would look the resource up by
    /// tag, which is just as eventually consistent, and create a second one.
    pub async fn on_fresh<T, F, Fut>(&self, mut op: F) -> Result<T, CloudError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        let mut delay = crate::retry::scaled(Duration::from_millis(250));
        loop {
            match op().await {
                Err(e)
                    if e.class == crate::error::ErrorClass::NotReady
                        && Instant::now() + delay < self.deadline =>
                {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(crate::retry::scaled(Duration::from_secs(5)));
                }
                other => return other,
            }
        }
    }

    /// Poll `check` until it yields `Some`, backing off from 0.5 s to 15 s, until the deadline.
    /// `check` returns the current state's name for progress and for the timeout message.
    pub async fn wait_until<T, F, Fut>(&self, what: &str, mut check: F) -> Result<T, CloudError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(Option<T>, String), CloudError>>,
    {
        let started = Instant::now();
        let (first, cap) = (
            crate::retry::scaled(Duration::from_millis(500)),
            crate::retry::scaled(Duration::from_secs(15)),
        );
        let mut delay = first;
        loop {
            let (ready, state) = check().await?;
            if let Some(value) = ready {
                return Ok(value);
            }
            let now = Instant::now();
            if now + delay > self.deadline {
                return Err(CloudError::timed_out(what, now - started, &state));
            }
            self.progress(format!(
                "waiting for {what}: {state} ({}s)",
                (now - started).as_secs()
            ));
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(cap);
        }
    }
}
