//! Identity: roles, the instance profile, and GitHub's OIDC provider for CI.

pub mod iam_role;
pub mod instance_profile;
pub mod oidc_provider;
pub(crate) mod tags;
