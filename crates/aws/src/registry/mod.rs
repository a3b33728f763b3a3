//! The container registry.

pub mod ecr_repository;
pub mod images;
