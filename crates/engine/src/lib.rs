//! Provider-neutral core of berth: resources as graph nodes, discovery by tags, diff into a
//! plan, and an executor that walks the graph in parallel with retries and deadlines.
//! No AWS types here: the `aws` crate implements [`Kind`] once per resource kind, and the
//! tests drive the engine with an in-memory fake cloud.

pub mod error;
pub mod exec;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod plan;
pub mod render;
pub mod resource;
pub mod retry;

pub use error::{CloudError, ErrorClass};
pub use exec::{Event, Executor, Failure, Report, Verb};
pub use plan::{
    Action, DiscoverError, Inventory, Plan, PlanError, Registry, Step, Summary, Unmanaged,
    discover, plan, plan_destroy,
};
pub use render::render_plan;
pub use resource::{
    FieldChange, Kind, LogicalId, Node, Observed, OpCtx, Props, Resolved, TAG_ID, TAG_STACK, Tags,
    UNMANAGED, Value, stack_tags,
};
pub use retry::RetryPolicy;
