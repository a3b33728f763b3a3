//! Every logical id and output name that the graph, the kinds and the CLI share, in one place
//! (as kops keeps its `pkg/model/names.go`): a typo is a compile error, not a reference that
//! dangles until `plan`.

use berth_engine::LogicalId;

/// The names of resources' outputs, what [`berth_engine::Value::Ref`]s point at.
pub mod out {
    pub const ID: &str = "id";
    pub const ARN: &str = "arn";
    /// An ARN's resource part (`app/name/id`), as CloudWatch metrics and scaling labels use it.
    pub const ARN_SUFFIX: &str = "arn_suffix";
    pub const NAME: &str = "name";
    pub const URL: &str = "url";
    pub const VERSION: &str = "version";
    pub const REVISION: &str = "revision";
    pub const FAMILY: &str = "family";
    pub const RESOURCE_ID: &str = "resource_id";
    pub const CIDR: &str = "cidr";
    pub const AZ: &str = "az";
    pub const PUBLIC_IP: &str = "public_ip";
    pub const DNS_NAME: &str = "dns_name";
    pub const ZONE_ID: &str = "zone_id";
    pub const HOSTED_ZONE_ID: &str = "hosted_zone_id";
    /// A DNS record's value.
    pub const VALUE: &str = "value";
}

fn id(text: impl Into<String>) -> LogicalId {
    LogicalId::new(text)
}

// The network.
pub fn vpc() -> LogicalId {
    id("vpc")
}
pub fn internet_gateway() -> LogicalId {
    id("igw")
}
/// A subnet of `tier` (`public` or `private`) in the zone whose letter is `zone`.
pub fn subnet(tier: &str, zone: &str) -> LogicalId {
    id(format!("subnet/{tier}-{zone}"))
}
pub fn nat_gateway(zone: &str) -> LogicalId {
    id(format!("nat/{zone}"))
}
pub fn nat_address(zone: &str) -> LogicalId {
    id(format!("eip/nat-{zone}"))
}
/// `public`, or `private-<zone>`.
pub fn route_table(name: &str) -> LogicalId {
    id(format!("rt/{name}"))
}
/// `alb`, `tasks` or `endpoints`.
pub fn security_group(name: &str) -> LogicalId {
    id(format!("sg/{name}"))
}
/// An endpoint by its AWS service name (`ecr.api` as `endpoint/ecr-api`).
pub fn endpoint(service: &str) -> LogicalId {
    id(format!("endpoint/{}", service.replace('.', "-")))
}
pub fn private_zone() -> LogicalId {
    id("zone")
}

// Identity.
/// `execution`, `task` or `instance`.
pub fn role(name: &str) -> LogicalId {
    id(format!("role/{name}"))
}
pub fn instance_profile() -> LogicalId {
    id("profile/instance")
}
/// The account's GitHub Actions OIDC provider, when this stack made it.
pub fn oidc_provider() -> LogicalId {
    id("oidc/github")
}

// The platform every service shares.
pub fn repository() -> LogicalId {
    id("ecr")
}
pub fn log_group() -> LogicalId {
    id("logs")
}
pub fn cluster() -> LogicalId {
    id("cluster")
}
pub fn cluster_capacity() -> LogicalId {
    id("cluster/capacity")
}
pub fn capacity_provider() -> LogicalId {
    id("capacity/ec2")
}
pub fn launch_template() -> LogicalId {
    id("launch-template")
}
pub fn autoscaling_group() -> LogicalId {
    id("asg")
}
pub fn load_balancer() -> LogicalId {
    id("alb")
}
pub fn listener() -> LogicalId {
    id("listener/http")
}
pub fn https_listener() -> LogicalId {
    id("listener/https")
}

// TLS and public DNS.
/// The certificate for one set of names (`key`: [`crate::certificate::key`]). New names are a
/// new certificate, issued before the listener moves to it and the old one goes: a
/// replacement in place would delete the old one first, which its listener still holds.
pub fn certificate(key: &str) -> LogicalId {
    id(format!("certificate/{key}"))
}
pub fn certificate_validation(certificate: &LogicalId) -> LogicalId {
    id(format!("{certificate}/issued"))
}
/// The certificates' validation record for `domain` (one per name: ACM reuses it).
pub fn validation_record(domain: &str) -> LogicalId {
    id(format!("dns/validation-{domain}"))
}
/// The alias record of `name` (with or without its trailing dot).
pub fn alias_record(name: &str) -> LogicalId {
    id(format!("dns/alias-{}", name.trim_end_matches('.')))
}

// One of each per service.
pub fn target_group(service: &str) -> LogicalId {
    id(format!("tg/{service}"))
}
pub fn listener_rule(service: &str) -> LogicalId {
    id(format!("rule/{service}"))
}
pub fn task_definition(service: &str) -> LogicalId {
    id(format!("task/{service}"))
}
pub fn service(service: &str) -> LogicalId {
    id(format!("service/{service}"))
}
pub fn discovery(service: &str) -> LogicalId {
    id(format!("discovery/{service}"))
}
/// One of a service's alarms: `errors`, `latency`, `unhealthy`, `cpu`, `memory`.
pub fn alarm(service: &str, watch: &str) -> LogicalId {
    id(format!("alarm/{service}-{watch}"))
}
/// The stack's CloudWatch dashboard.
pub fn dashboard() -> LogicalId {
    id("dashboard")
}
/// The SNS topic the alarms notify, when `alerts` is an address.
pub fn alerts_topic() -> LogicalId {
    id("alerts")
}
pub fn scaling_target(service: &str) -> LogicalId {
    id(format!("scaling/{service}"))
}
/// `metric`: `cpu` or `requests`.
pub fn scaling_policy(service: &str, metric: &str) -> LogicalId {
    id(format!("scaling/{service}-{metric}"))
}
