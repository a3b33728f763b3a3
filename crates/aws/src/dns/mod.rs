//! DNS: the private namespace and each service's records (Cloud Map), and the public
//! records of the stack's domain (Route 53).

pub mod alias_record;
pub mod discovery_service;
pub mod namespace;
pub mod route53;
