//! Watching the services: alarms, where they send their alerts, the stack's dashboard, and the
//! metrics `berth status` shows.

pub mod alarm;
pub mod dashboard;
pub mod metrics;
pub mod topic;
