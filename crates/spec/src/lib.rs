//! berth.toml: types, defaults, validation. Pure: no AWS, no IO but reading text.
//!
//! [`parse`] turns the text of a `berth.toml` into a [`Manifest`] whose every value has
//! been validated offline (DESIGN.md principle 5: bad input never reaches AWS), or into a
//! [`SpecError`] listing *every* problem found, each with its line and column.
//!
//! Defaults are filled in by [`parse`]; in particular the subnets are always present.
//! When `network.public_subnets` / `network.private_subnets` are not given they are
//! derived from the VPC CIDR: `new_prefix = min(vpc_prefix + 8, 28)`, private subnet `i`
//! is block `i` and public subnet `i` is block `azs + i`, so the default
//! `172.24.0.0/16` with 2 AZs gives private `172.24.0.0/24`, `172.24.1.0/24` and public
//! `172.24.2.0/24`, `172.24.3.0/24`.

mod error;
mod facts;
mod types;
mod validate;

pub use error::{Problem, SpecError};
pub use facts::{is_arm64_instance_type, unsupported_region};
pub use types::{
    Alarms, Alerts, Autoscaling, Azs, Capacity, Ci, Cluster, Endpoint, Manifest, NatMode, Network,
    Service,
};
pub use validate::{DEFAULT_CIDR, DEFAULT_INSTANCE_TYPE, DEFAULT_PRIVATE_ZONE};

/// Parse and fully validate the text of a manifest, without any environment (`[env.*]`
/// tables are checked but not applied). `file_name` is used in messages only.
///
/// On failure the error holds all problems found (not just the first), sorted by line.
pub fn parse(file_name: &str, text: &str) -> Result<Manifest, SpecError> {
    validate::parse(file_name, text, None)
}

/// Parse and validate the manifest of one environment: the `[env.<env>]` table's keys
/// override the rest of the file, and the stack is named `<name>-<env>`. An environment
/// the file does not declare is an error listing the ones it does.
pub fn parse_env(file_name: &str, text: &str, env: Option<&str>) -> Result<Manifest, SpecError> {
    validate::parse(file_name, text, env)
}

/// Every stack the manifest describes: one per environment, or the base alone when it
/// declares none. A problem is reported once, naming the environments it is in unless it
/// is in all of them.
pub fn parse_all(file_name: &str, text: &str) -> Result<Vec<Manifest>, SpecError> {
    validate::parse_all(file_name, text)
}

/// The environments (`[env.NAME]` tables) a manifest declares, sorted by name. Reads
/// what it can of a broken file; [`parse_env`] reports the problems.
pub fn environments(text: &str) -> Vec<String> {
    validate::environment_names(text)
}

/// A commented example `berth.toml` (what `berth init` writes). It parses.
pub fn example() -> &'static str {
    include_str!("example.toml")
}

/// Valid memory sizes (MiB) for a Fargate task with `cpu` units, or `None` when Fargate
/// has no task size with that many units.
pub fn fargate_memory_options(cpu: u32) -> Option<Vec<u32>> {
    validate::fargate_memory(cpu)
}

/// The subnets berth derives for a VPC when the manifest lists none:
/// `(private, public)`, one of each per AZ (see the crate docs).
pub fn derive_subnets(
    vpc: ipnet::Ipv4Net,
    azs: usize,
) -> (Vec<ipnet::Ipv4Net>, Vec<ipnet::Ipv4Net>) {
    validate::derive_subnets(vpc, azs)
}
