//! The network: VPC, subnets, gateways, routes, security groups, endpoints.

pub mod eip;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;
