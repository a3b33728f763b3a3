//! Identity: roles and the instance profile.

pub mod iam_role;
pub mod instance_profile;
mod tags;
