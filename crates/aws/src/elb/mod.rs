//! The load balancer: the ALB, its listener, rules and target groups.

pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
mod tags;
pub mod target_group;

pub(crate) use tags::{arn_resource, elb_tags, stack_load_balancer, tags_of};
