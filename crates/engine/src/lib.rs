//! Provider-neutral core of berth: resources as graph nodes, discovery by tags, diff into a
//! plan, and an executor that walks the graph in parallel with retries and deadlines.
//! No AWS types here: the `aws` crate implements [`Kind`] once per resource kind, and the
//! tests drive the engine with an in-memory fake cloud.

pub mod error;
pub mod resource;

pub use error::{CloudError, ErrorClass};
pub use resource::{
    FieldChange, Kind, LogicalId, Node, Observed, OpCtx, Props, Resolved, Tags, Value, stack_tags,
    TAG_ID, TAG_STACK,
};
