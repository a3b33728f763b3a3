//! Watching the services: alarms, and where they send their alerts.

pub mod alarm;
pub mod topic;
