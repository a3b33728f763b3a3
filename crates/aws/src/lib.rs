//! AWS resource kinds for the berth engine, on the official AWS SDK for Rust.
//! One module per resource kind; each implements [`berth_engine::Kind`].

pub mod client;
pub mod eip;
pub mod error;
pub mod internet_gateway;
pub mod namespace;
pub mod nat_gateway;
pub mod route_table;
pub mod security_group;
pub mod stack;
pub mod stats;
pub mod subnet;
pub mod tags;
pub mod vpc;
pub mod vpc_endpoint;

pub use client::{Aws, ConnectError, ConnectOptions};
pub use stats::ApiStats;
