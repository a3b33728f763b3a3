//! ECS: the cluster and its capacity, task definitions, services, their log group.

pub mod capacity_provider;
pub mod cluster_capacity;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod log_group;
pub mod one_off;
pub mod task_definition;
