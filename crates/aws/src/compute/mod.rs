//! EC2 capacity: the launch template and the Auto Scaling group.

pub mod autoscaling_group;
pub mod launch_template;
