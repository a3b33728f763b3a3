//! Provider-neutral core of berth: resources as graph nodes, discovery by tags, diff into a
//! plan, and an executor that walks the graph in parallel with retries and deadlines.
//! No AWS types here: the `aws` crate implements [`Kind`] once per resource kind, and the
//! tests drive the engine with an in-memory fake cloud.

pub mod error;
pub mod exec;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod plan;
pub mod resource;
pub mod retry;

pub use error::{CloudError, ErrorClass};
pub use exec::{Event, Executor, Failure, Report, Verb};
pub use plan::{
    Action, DiscoverError, Inventory, Plan, PlanError, Registry, Step, Summary, Unmanaged,
    discover, plan, plan_destroy,
};
pub use resource::{
    Field, FieldChange, Json, Kind, LogicalId, Node, Observed, OnChange, OpCtx, Outputs, Owner,
    Prop, Props, PropsExt, Resolved, TAG_ID, TAG_STACK, Tags, Value, json_set, stack_tags, text,
};
pub use retry::RetryPolicy;
