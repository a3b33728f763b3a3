//! The aws crate's integration tests in one binary (each file was its own, and each linked
//! the whole AWS SDK): one build, one link.

mod common;

mod iam_lint;
mod oidc;
mod round_trips;
