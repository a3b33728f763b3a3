//! The contract between the engine and a resource kind.
//!
//! A [`Node`] is one logical resource the manifest asks for: its kind, its desired properties
//! (structured values, or references to a dependency's outputs) and its tags. A [`Kind`] knows
//! how to find every resource of its kind that belongs to a stack (one call, by tag), and how
//! to create, update and delete one. Dependencies are never declared by hand: they are the
//! [`Value::Ref`]s in a node's properties.
//!
//! Property values are JSON values: a number stays a number, a set a sorted array, a document a
//! document, so a kind reads them back typed ([`Resolved::str`], [`Resolved::decode`], ...) and a
//! value of the wrong shape is an error naming the property, never a silent default.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};

use crate::error::CloudError;

/// The tag that marks a resource as owned by a stack.
pub const TAG_STACK: &str = "berth:stack";
/// The tag that names a resource's logical id within its stack.
pub const TAG_ID: &str = "berth:id";

/// A property value as the cloud and the plan see it.
pub type Json = serde_json::Value;
pub type Tags = BTreeMap<String, String>;
/// Resolved properties: every reference replaced by the dependency's output.
pub type Props = BTreeMap<String, Json>;
/// What a resource offers its dependants (`id`, `arn`, ...): always plain strings.
pub type Outputs = BTreeMap<String, String>;

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
impl From<String> for LogicalId {
    fn from(s: String) -> Self {
        Self(s)
    }
}
impl From<&LogicalId> for LogicalId {
    fn from(id: &LogicalId) -> Self {
        id.clone()
    }
}
impl From<&String> for LogicalId {
    fn from(s: &String) -> Self {
        Self(s.clone())
    }
}

/// Who a discovered resource belongs to within its stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Made by berth: its `berth:id` tag names the logical id.
    Managed(LogicalId),
    /// Tagged with the stack but without `berth:id`: made outside berth. `up` reports it and
    /// leaves it alone; only `down` deletes it.
    Unmanaged,
}

macro_rules! managed_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Owner {
            fn from(id: $t) -> Self {
                Owner::Managed(id.into())
            }
        }
    )*};
}
managed_from!(&str, String, &String, LogicalId, &LogicalId);

/// A desired property value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Lit(Json),
    /// An output of another resource (`id`, `arn`, ...): known once that resource exists.
    Ref(LogicalId, &'static str),
    /// An unordered set: resolves to an array of its members, sorted and without repeats.
    Set(Vec<Value>),
    /// An ordered list: resolves to an array.
    List(Vec<Value>),
    /// A JSON object whose fields may hold references.
    Object(Vec<(&'static str, Value)>),
    /// Strings joined with nothing between them: an ARN built around a reference.
    Concat(Vec<Value>),
}

impl Value {
    pub fn refer(id: impl Into<LogicalId>, output: &'static str) -> Self {
        Value::Ref(id.into(), output)
    }
    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a LogicalId>) {
        match self {
            Value::Lit(_) => {}
            Value::Ref(id, _) => out.push(id),
            Value::Set(items) | Value::List(items) | Value::Concat(items) => {
                items.iter().for_each(|v| v.collect_refs(out))
            }
            Value::Object(fields) => fields.iter().for_each(|(_, v)| v.collect_refs(out)),
        }
    }
    /// The value with references looked up in `outputs`; `None` while any is unknown.
    pub fn resolve(&self, outputs: &dyn Fn(&LogicalId, &str) -> Option<String>) -> Option<Json> {
        let all = |items: &[Value]| -> Option<Vec<Json>> {
            items.iter().map(|v| v.resolve(outputs)).collect()
        };
        match self {
            Value::Lit(v) => Some(v.clone()),
            Value::Ref(id, key) => outputs(id, key).map(Json::String),
            Value::List(items) => all(items).map(Json::Array),
            Value::Set(items) => all(items).map(sorted_set).map(Json::Array),
            Value::Object(fields) => fields
                .iter()
                .map(|(k, v)| Some((k.to_string(), v.resolve(outputs)?)))
                .collect::<Option<serde_json::Map<_, _>>>()
                .map(Json::Object),
            Value::Concat(items) => all(items)
                .map(|parts| Json::String(parts.iter().map(text).collect::<Vec<_>>().concat())),
        }
    }
}

/// A desired value as people read it in `berth graph` and in snapshots: references as
/// `${id.output}`, literals as JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, open: &str, items: &[Value], close: &str| {
            f.write_str(open)?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(close)
        };
        match self {
            Value::Lit(v) => write!(f, "{v}"),
            Value::Ref(id, output) => write!(f, "${{{id}.{output}}}"),
            Value::Set(items) => list(f, "set[", items, "]"),
            Value::List(items) => list(f, "[", items, "]"),
            Value::Concat(items) => list(f, "concat(", items, ")"),
            Value::Object(fields) => {
                f.write_str("{")?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key:?}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A JSON value as text: a string without its quotes, anything else as JSON.
pub fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

macro_rules! literal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Lit(v.into())
            }
        }
    )*};
}
literal_from!(
    &str,
    String,
    bool,
    u16,
    u32,
    i32,
    i64,
    u64,
    Json,
    Vec<String>
);

/// What a change to a property does to the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnChange {
    /// Changed in place.
    Update,
    /// Cannot change in place: a change replaces the resource.
    Replace,
    /// Used when the resource is created and never compared after (a service's task count,
    /// once autoscaling owns it).
    Ignore,
}

/// A desired property and what changing it means.
#[derive(Clone, Debug, PartialEq)]
pub struct Prop {
    pub value: Value,
    pub on_change: OnChange,
}

/// One logical resource the manifest asks for.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: LogicalId,
    pub kind: &'static str,
    pub props: BTreeMap<&'static str, Prop>,
    pub tags: Tags,
    /// Resources that must exist before this one although no property names them: AWS
    /// checks something about them at create time (a service's target group must already be
    /// behind a listener rule; a NAT gateway needs the internet gateway attached).
    pub after: Vec<LogicalId>,
}

impl Node {
    /// A node carrying the stack's ownership tags, `Name` and the user's extra tags.
    pub fn new(
        kind: &'static str,
        id: impl Into<LogicalId>,
        stack: &str,
        extra_tags: &Tags,
    ) -> Self {
        let id = id.into();
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
    pub fn after(mut self, id: impl Into<LogicalId>) -> Self {
        self.after.push(id.into());
        self
    }
    fn with(mut self, key: &'static str, value: Value, on_change: OnChange) -> Self {
        self.props.insert(key, Prop { value, on_change });
        self
    }
    /// A property changed in place.
    pub fn prop(self, key: &'static str, value: impl Into<Value>) -> Self {
        self.with(key, value.into(), OnChange::Update)
    }
    /// A property AWS cannot change in place: a change replaces the resource.
    pub fn immutable(self, key: &'static str, value: impl Into<Value>) -> Self {
        self.with(key, value.into(), OnChange::Replace)
    }
    /// A property used at create time only and never compared after.
    pub fn create_only(self, key: &'static str, value: impl Into<Value>) -> Self {
        self.with(key, value.into(), OnChange::Ignore)
    }
    /// The logical ids this node references or is ordered after, each once, in order.
    pub fn deps(&self) -> Vec<LogicalId> {
        let mut refs = Vec::new();
        self.props
            .values()
            .for_each(|p| p.value.collect_refs(&mut refs));
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
    /// Properties used at create time only ([`OnChange::Ignore`]).
    pub create_only: Vec<&'static str>,
    pub tags: Tags,
}

/// Typed reads of a resource's properties, desired ([`Resolved`]) or found ([`Observed`]).
/// A value of the wrong shape is an error naming the resource and the property: a bug in
/// berth, reported as one rather than replaced by a default.
pub trait PropsExt {
    fn owner_id(&self) -> &LogicalId;
    fn props(&self) -> &Props;

    fn malformed(&self, key: &str, want: &str) -> CloudError {
        CloudError::fatal(format!(
            "{}: property `{key}` should be {want}, found {} (a bug in berth: please report it)",
            self.owner_id(),
            self.props()
                .get(key)
                .map_or_else(|| "nothing".to_string(), |v| v.to_string())
        ))
    }
    /// A string property, empty or absent as `None`.
    fn opt_str(&self, key: &str) -> Result<Option<&str>, CloudError> {
        match self.props().get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.is_empty())),
            Some(_) => Err(self.malformed(key, "a string")),
        }
    }
    /// A string property the kind always sets.
    fn str(&self, key: &str) -> Result<&str, CloudError> {
        match self.props().get(key) {
            Some(Json::String(s)) => Ok(s),
            _ => Err(self.malformed(key, "a string")),
        }
    }
    fn bool(&self, key: &str) -> Result<bool, CloudError> {
        self.props()
            .get(key)
            .and_then(Json::as_bool)
            .ok_or_else(|| self.malformed(key, "true or false"))
    }
    /// An integer property, checked against `T`'s range.
    fn int<T: TryFrom<i64>>(&self, key: &str) -> Result<T, CloudError> {
        self.props()
            .get(key)
            .and_then(Json::as_i64)
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| self.malformed(key, "an integer in range"))
    }
    fn float(&self, key: &str) -> Result<f64, CloudError> {
        self.props()
            .get(key)
            .and_then(Json::as_f64)
            .ok_or_else(|| self.malformed(key, "a number"))
    }
    /// An array of strings (a [`Value::Set`] or [`Value::List`]); absent as empty.
    fn strs(&self, key: &str) -> Result<Vec<&str>, CloudError> {
        match self.props().get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|v| v.as_str().ok_or_else(|| self.malformed(key, "strings")))
                .collect(),
            Some(_) => Err(self.malformed(key, "an array of strings")),
        }
    }
    /// A JSON document (a policy) as the text an API takes; absent or null as `None`.
    fn document(&self, key: &str) -> Result<Option<String>, CloudError> {
        match self.props().get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(doc @ Json::Object(_)) => Ok(Some(doc.to_string())),
            Some(_) => Err(self.malformed(key, "a JSON document")),
        }
    }
    /// A structured property decoded into the kind's own type.
    fn decode<T: DeserializeOwned>(&self, key: &str) -> Result<T, CloudError> {
        let value = self.props().get(key).cloned().unwrap_or(Json::Null);
        serde_json::from_value(value).map_err(|e| self.malformed(key, &e.to_string()))
    }
    /// Every property at once, decoded into the kind's properties struct. Declared with
    /// `#[serde(deny_unknown_fields)]`, a key the node builder wrote and the struct does not
    /// know is an error too, so the builder, the struct and `discover` cannot drift apart.
    fn typed<T: DeserializeOwned>(&self) -> Result<T, CloudError> {
        let all = Json::Object(self.props().clone().into_iter().collect());
        serde_json::from_value(all).map_err(|e| {
            CloudError::fatal(format!(
                "{}: properties do not decode: {e} (a bug in berth: please report it)",
                self.owner_id()
            ))
        })
    }
}

impl PropsExt for Resolved {
    fn owner_id(&self) -> &LogicalId {
        &self.id
    }
    fn props(&self) -> &Props {
        &self.props
    }
}

impl PropsExt for Observed {
    fn owner_id(&self) -> &LogicalId {
        &self.id
    }
    fn props(&self) -> &Props {
        &self.props
    }
}

/// Whether any string anywhere in `value` (inside arrays and objects too) passes `found`:
/// how a resource's properties are searched for another's id or ARN.
pub(crate) fn any_string(value: &Json, found: &impl Fn(&str) -> bool) -> bool {
    match value {
        Json::String(s) => found(s),
        Json::Array(items) => items.iter().any(|v| any_string(v, found)),
        Json::Object(fields) => fields.values().any(|v| any_string(v, found)),
        _ => false,
    }
}

/// A set as found in the cloud, in the shape a [`Value::Set`] resolves to.
pub fn json_set<T: Into<Json>>(items: impl IntoIterator<Item = T>) -> Json {
    Json::Array(sorted_set(items.into_iter().map(Into::into).collect()))
}

/// Members sorted by their text and without repeats: one order for desired and found sets.
fn sorted_set(mut members: Vec<Json>) -> Vec<Json> {
    members.sort_by_key(text);
    members.dedup();
    members
}

/// A resource as found in the cloud.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Observed {
    /// From the `berth:id` tag; `unmanaged/<kind>/<cloud id>` for an unmanaged resource.
    pub id: LogicalId,
    pub kind: &'static str,
    /// The provider's id, e.g. `vpc-0abc123`.
    pub cloud_id: String,
    /// Current values of the properties the kind manages, same keys as the node's.
    pub props: Props,
    pub tags: Tags,
    /// What dependants may reference; always holds `id` (= `cloud_id`).
    pub outputs: Outputs,
    /// See [`Owner::Unmanaged`].
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unmanaged: bool,
}

impl Observed {
    pub fn new(kind: &'static str, owner: impl Into<Owner>, cloud_id: impl Into<String>) -> Self {
        let cloud_id = cloud_id.into();
        let mut outputs = Outputs::new();
        outputs.insert("id".into(), cloud_id.clone());
        let (id, unmanaged) = match owner.into() {
            Owner::Managed(id) => (id, false),
            // Named by its provider id, which is unique: it has no logical id of its own.
            Owner::Unmanaged => (LogicalId(format!("unmanaged/{kind}/{cloud_id}")), true),
        };
        Observed {
            id,
            kind,
            cloud_id,
            props: Props::new(),
            tags: Tags::new(),
            outputs,
            unmanaged,
        }
    }
    /// What a successful create or update leaves: the node's own values under the provider's
    /// id. Kinds add the outputs dependants read.
    pub fn applied(kind: &'static str, node: &Resolved, cloud_id: impl Into<String>) -> Self {
        let mut observed = Observed::new(kind, &node.id, cloud_id).with_tags(node.tags.clone());
        observed.props = node.props.clone();
        observed
    }
    pub fn prop(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.props.insert(key.into(), value.into());
        self
    }
    /// Every property from the kind's properties struct (what `discover` read back).
    pub fn with_props(mut self, props: &impl Serialize) -> Self {
        match serde_json::to_value(props) {
            Ok(Json::Object(fields)) => self.props.extend(fields),
            other => panic!("a properties struct serialises to a JSON object, not {other:?}"),
        }
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

/// What a change is about: one property, or one tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Prop(String),
    Tag(String),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Prop(key) => f.write_str(key),
            Field::Tag(key) => write!(f, "tags.{key}"),
        }
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One property or tag that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<Json>,
    /// `None` when the new value is only known after apply (a dependency is being created),
    /// or for a tag, when it is removed.
    pub new: Option<Json>,
    /// The property cannot change in place: this change replaces the resource.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replaces: bool,
}

impl FieldChange {
    /// The tags to set and the keys to remove among `changes`.
    pub fn tag_changes(changes: &[FieldChange]) -> (Tags, Vec<String>) {
        let mut set = Tags::new();
        let mut unset = Vec::new();
        for c in changes {
            if let Field::Tag(key) = &c.field {
                match &c.new {
                    Some(v) => {
                        set.insert(key.clone(), text(v));
                    }
                    None => unset.push(key.clone()),
                }
            }
        }
        (set, unset)
    }
    /// Whether any change concerns property `key`.
    pub fn touches(changes: &[FieldChange], key: &str) -> bool {
        changes
            .iter()
            .any(|c| matches!(&c.field, Field::Prop(k) if k == key))
    }
    pub fn is_tag(&self) -> bool {
        matches!(self.field, Field::Tag(_))
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
    /// Whether the API keeps tags on this kind. An untagged kind (a scaling policy, a
    /// cluster's capacity association) is found through the resources it belongs to, and
    /// its create is a put.
    fn tagged(&self) -> bool {
        true
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
    /// One tagged with the stack but without `berth:id` comes back as [`Owner::Unmanaged`];
    /// the inventory names it and keeps it out of `up`'s way.
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
