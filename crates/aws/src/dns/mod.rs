//! Service discovery: the private DNS namespace and each service's records.

pub mod discovery_service;
pub mod namespace;
