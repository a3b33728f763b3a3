//! AWS resource kinds for the berth engine, on the official AWS SDK for Rust.
//! One module per resource kind; each implements [`berth_engine::Kind`].

pub mod autoscaling_group;
pub mod capacity_provider;
pub mod client;
pub mod cluster_capacity;
pub mod discovery_service;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod eip;
pub mod elb;
pub mod error;
pub mod faults;
pub mod iam_role;
pub mod instance_profile;
pub mod internet_gateway;
pub mod launch_template;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod lock;
pub mod log_group;
pub mod namespace;
pub mod nat_gateway;
pub mod overlap;
pub mod route_table;
pub mod scaling_policy;
pub mod scaling_target;
pub mod security_group;
pub mod service_status;
pub mod stack;
pub mod stats;
pub mod subnet;
pub mod tags;
pub mod target_group;
pub mod task_definition;
pub mod vpc;
pub mod vpc_endpoint;

pub use client::{Aws, ConnectError, ConnectOptions};

/// How long AWS may keep a security group, subnet, internet gateway, VPC or address in use
/// after the load balancer, NAT gateway or task that used it is gone: their network
/// interfaces are released minutes later. The Terraform AWS provider waits up to 20 minutes
/// to delete a security group and its subnet/VPC deletes retry DependencyViolation as long
/// (`internal/service/ec2/vpc_security_group.go`, `vpc_subnet.go`); berth gives 25.
pub(crate) const NETWORK_RELEASE: std::time::Duration = std::time::Duration::from_secs(25 * 60);
pub use stats::ApiStats;
