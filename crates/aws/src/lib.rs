//! AWS resource kinds for the berth engine, on the official AWS SDK for Rust.
//! One module per resource kind; each implements [`berth_engine::Kind`].

pub mod client;
pub mod error;
pub mod stats;
pub mod tags;
pub mod vpc;

pub use client::{Aws, ConnectError, ConnectOptions};
pub use stats::ApiStats;
