//! Service autoscaling (Application Auto Scaling).

pub mod scaling_policy;
pub mod scaling_target;
