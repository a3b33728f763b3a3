//! The validated, defaulted manifest. Every value in here has passed validation:
//! code downstream of [`crate::parse`] may rely on the documented invariants.

use std::collections::BTreeMap;
use std::fmt;

use ipnet::Ipv4Net;
use serde::Serialize;

/// A parsed and fully validated `berth.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Stack name: 1-20 chars of `[a-z0-9-]`, starts with a letter, no trailing `-`, no `--`.
    /// Becomes the `berth:stack` tag and the prefix of every resource name.
    pub name: String,
    /// The `[env.NAME]` this manifest was read for (its name ends `-NAME`); `None`: the base.
    pub environment: Option<String>,
    /// AWS region, e.g. `eu-west-2`. `None`: the region comes from the AWS environment.
    pub region: Option<String>,
    /// The stack's public name, served over HTTPS by the load balancer with a certificate
    /// berth requests from ACM (validated through DNS). `None`: plain HTTP on the load
    /// balancer's own name, unless `certificate` is set.
    pub domain: Option<String>,
    /// An ACM certificate the user already has (ARN, in the stack's region): used for
    /// HTTPS, never deleted. `None` with a `domain`: berth requests one.
    pub certificate: Option<String>,
    /// The user's tags, added to every resource. Never starts with `berth:` or `aws:`.
    pub tags: BTreeMap<String, String>,
    pub network: Network,
    pub cluster: Cluster,
    /// `[service.NAME]` tables, keyed by name. May be empty (a network-only stack).
    pub services: BTreeMap<String, Service>,
    /// `[ci]`: the repository whose workflows may deploy this stack. `None`: no CI role.
    pub ci: Option<Ci>,
    /// Where the services' alarms are sent; without it they still gate deployments.
    pub alerts: Option<Alerts>,
}

/// `[ci]`: GitHub Actions of one repository deploy through a role they assume with their
/// OIDC token: no long-lived keys anywhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ci {
    /// `owner/repo`.
    pub github: String,
    /// Only workflows running on this branch (`refs/heads/<branch>`).
    pub branch: Option<String>,
    /// Only jobs running in this GitHub environment.
    pub environment: Option<String>,
}

impl Ci {
    /// The token's `sub` claim the role's trust accepts (GitHub's documented formats; `*`
    /// when neither branch nor environment narrows it).
    pub fn subject(&self) -> String {
        match (&self.branch, &self.environment) {
            (Some(branch), _) => format!("repo:{}:ref:refs/heads/{branch}", self.github),
            (None, Some(env)) => format!("repo:{}:environment:{env}", self.github),
            (None, None) => format!("repo:{}:*", self.github),
        }
    }
}

/// `[network]`: the VPC and what hangs off it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    /// VPC CIDR. Default `172.24.0.0/16`. Prefix /16 to /24, host bits zero, inside a
    /// private (RFC 1918) range.
    pub cidr: Ipv4Net,
    /// How many / which availability zones. Default `Count(2)`.
    pub azs: Azs,
    /// NAT gateways for the private subnets. Default [`NatMode::Single`].
    pub nat: NatMode,
    /// Private DNS zone (a Cloud Map private DNS namespace) on the VPC.
    /// Default `Some("myorg.local")`; `private_zone = ""` gives `None`.
    pub private_zone: Option<String>,
    /// Let a new VPC overlap another berth stack's. Default `false`: overlapping stacks can
    /// never be peered or routed to each other, so `up` refuses unless this says they won't be.
    pub allow_overlap: bool,
    /// VPC endpoints to create. Default none. Unique.
    pub endpoints: Vec<Endpoint>,
    /// One public subnet per AZ, in AZ order. Always filled after parsing.
    ///
    /// When the manifest does not list subnets they are derived from the VPC CIDR:
    /// `new_prefix = min(vpc_prefix + 8, 28)`, the VPC is cut into blocks of that size,
    /// private subnet `i` is block `i` and public subnet `i` is block `azs + i`.
    /// The default `172.24.0.0/16` with 2 AZs gives private `172.24.0.0/24`,
    /// `172.24.1.0/24` and public `172.24.2.0/24`, `172.24.3.0/24`.
    pub public_subnets: Vec<Ipv4Net>,
    /// One private subnet per AZ, in AZ order. Always filled after parsing
    /// (see [`Network::public_subnets`] for the derivation).
    pub private_subnets: Vec<Ipv4Net>,
}

/// `azs = 2` (the first N zones the region reports) or `azs = ["eu-west-2a", ...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Azs {
    /// 1..=6
    Count(u8),
    /// 1..=6 unique zone names; each is `<region><letter>` when a region is given.
    Names(Vec<String>),
}

impl Azs {
    /// Number of availability zones the stack spans.
    pub fn count(&self) -> usize {
        match self {
            Azs::Count(n) => usize::from(*n),
            Azs::Names(names) => names.len(),
        }
    }
}

/// `nat = "single" | "per-az" | "none"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    /// One NAT gateway in the first public subnet, shared by all private subnets.
    Single,
    /// One NAT gateway per AZ: survives the loss of an AZ, costs more.
    PerAz,
    /// No NAT gateway: private subnets reach AWS only through VPC endpoints. With services,
    /// validation requires the ones they need: `s3`, `ecr`, `logs`; `ecs` with EC2 capacity;
    /// `ssm` / `secretsmanager` when `[service.X.secrets]` use that store.
    None,
}

impl NatMode {
    /// The spelling used in `berth.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            NatMode::Single => "single",
            NatMode::PerAz => "per-az",
            NatMode::None => "none",
        }
    }
}

impl fmt::Display for NatMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `endpoints = ["s3", "ecr", "logs"]`.
///
/// The variants are declared in the order berth writes them in suggestions
/// (`endpoints = ["s3", "ecr", "logs", "ecs"]`); `Ord` follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// S3 gateway endpoint on the private route tables. ECR serves image layers from S3,
    /// so pulling any ECR image without a NAT gateway needs it.
    S3,
    /// ECR interface endpoints (`ecr.api` for the registry API and login, `ecr.dkr` for
    /// the Docker registry protocol).
    Ecr,
    /// CloudWatch Logs interface endpoint (`logs`), where tasks ship their logs.
    Logs,
    /// ECS interface endpoints (`ecs`, `ecs-agent`, `ecs-telemetry`): the ECS container
    /// agent on EC2 instances registers, receives tasks and reports metrics through them.
    /// Fargate does not need them.
    Ecs,
    /// SSM interface endpoint (`ssm`): ECS reads `[service.X.secrets]` that are SSM
    /// Parameter Store parameters through it.
    Ssm,
    /// Secrets Manager interface endpoint (`secretsmanager`): ECS reads
    /// `[service.X.secrets]` that are Secrets Manager secrets through it.
    #[serde(rename = "secretsmanager")]
    SecretsManager,
}

impl Endpoint {
    /// Every endpoint, in declaration (suggestion) order. The manifest accepts exactly
    /// these spellings.
    pub const ALL: [Endpoint; 6] = [
        Endpoint::S3,
        Endpoint::Ecr,
        Endpoint::Logs,
        Endpoint::Ecs,
        Endpoint::Ssm,
        Endpoint::SecretsManager,
    ];

    /// The spelling used in `berth.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::S3 => "s3",
            Endpoint::Ecr => "ecr",
            Endpoint::Logs => "logs",
            Endpoint::Ecs => "ecs",
            Endpoint::Ssm => "ssm",
            Endpoint::SecretsManager => "secretsmanager",
        }
    }

    /// The AWS interface endpoint services this endpoint creates, as the suffix of
    /// `com.amazonaws.REGION.SERVICE`. Empty for [`Endpoint::S3`], which is a gateway
    /// endpoint (a route table entry, not a network interface).
    pub fn interface_services(self) -> &'static [&'static str] {
        match self {
            Endpoint::S3 => &[],
            Endpoint::Ecr => &["ecr.api", "ecr.dkr"],
            Endpoint::Logs => &["logs"],
            Endpoint::Ecs => &["ecs", "ecs-agent", "ecs-telemetry"],
            Endpoint::Ssm => &["ssm"],
            Endpoint::SecretsManager => &["secretsmanager"],
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[cluster]`: the ECS cluster and, for EC2 capacity, its Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Default [`Capacity::Ec2`].
    pub capacity: Capacity,
    /// EC2 instance type, `family.size`. Default `t3.small`. Meaningless for Fargate.
    pub instance_type: String,
    /// Auto Scaling group sizes (EC2 only). Defaults 1, 3, 1; `min <= desired <= max <= 100`.
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    /// EC2 key pair name. Not needed: SSM Session Manager works without one.
    pub ssh_key: Option<String>,
}

/// `capacity = "ec2" | "fargate" | "fargate-spot"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    Ec2,
    Fargate,
    FargateSpot,
}

impl Capacity {
    /// The spelling used in `berth.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Ec2 => "ec2",
            Capacity::Fargate => "fargate",
            Capacity::FargateSpot => "fargate-spot",
        }
    }

    /// Fargate or Fargate Spot: no instances, tasks sized by the Fargate cpu/memory table.
    pub fn is_fargate(self) -> bool {
        matches!(self, Capacity::Fargate | Capacity::FargateSpot)
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[service.NAME]`: one ECS service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// The table key: `[a-z][a-z0-9-]*`, at most 20 chars, no trailing `-`.
    pub name: String,
    /// Docker image reference, e.g. `hello:latest` or `registry/repo:tag@sha256:...`.
    /// `None` when the manifest does not set one.
    pub image: Option<String>,
    /// Container port. Default 8080. Passed to the container as `PORT`.
    pub port: u16,
    /// CPU units (1024 = 1 vCPU). Default 256.
    pub cpu: u32,
    /// Memory in MiB. Default 512.
    pub memory: u32,
    /// Desired task count. Default 2.
    pub count: u32,
    /// Load balancer health check path. Default `/healthz`.
    pub health_check: String,
    /// Behind the internet-facing load balancer. Default true.
    pub public: bool,
    /// Load balancer path prefix. Default `/`. Unique among public services on the same hosts.
    pub path: String,
    /// Host names this public service alone answers on (host-based routing), sorted; they
    /// join the certificate's names. Empty: any host (the stack's `domain`).
    pub hosts: Vec<String>,
    /// Plain environment variables (stored in plaintext in the task definition).
    pub env: BTreeMap<String, String>,
    /// Secrets by variable name: ARNs of SSM parameters or Secrets Manager secrets, resolved
    /// by ECS when a task starts; the execution role may read exactly these.
    pub secrets: BTreeMap<String, String>,
    /// Writable directories (sorted) on the container's read-only root filesystem, each a
    /// fresh empty volume per task. Default `["/tmp"]`; `[]` for none.
    pub scratch: Vec<String>,
    pub autoscaling: Option<Autoscaling>,
    /// Where `berth deploy --build` finds the Dockerfile, relative to the manifest's folder.
    /// `None`: the manifest's folder itself.
    pub build: Option<String>,
    /// A command run once, as a one-off task of the new task definition, before every
    /// rollout (migrations): the rollout goes ahead only if it exits 0. Empty: none.
    pub release: Vec<String>,
    /// The thresholds of the service's alarms (always on; they gate its deployments).
    pub alarms: Alarms,
    /// An AWS Distro for OpenTelemetry collector beside the service, which takes OTLP on
    /// localhost:4318 (and gRPC on 4317) and sends the traces to X-Ray. Default false.
    pub tracing: bool,
}

/// `[service.NAME.alarms]`: when a service's alarms fire. Public services get the load
/// balancer's (5xx share, p99 latency, unhealthy targets); every service CPU and memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarms {
    /// Percent of the service's requests answered 5xx, per minute. Default 5.
    pub errors_percent: u8,
    /// The 99th percentile of target response time, milliseconds. Default 2000.
    pub p99_ms: u32,
    /// Average CPU utilisation, percent of what the tasks reserve. Default 90.
    pub cpu_percent: u8,
    /// Average memory utilisation, percent. Default 90.
    pub memory_percent: u8,
}

impl Default for Alarms {
    fn default() -> Self {
        Alarms {
            errors_percent: 5,
            p99_ms: 2000,
            cpu_percent: 90,
            memory_percent: 90,
        }
    }
}

/// `alerts`: where alarms are sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alerts {
    /// A topic the stack owns, with this address subscribed (AWS mails a confirmation link).
    Email(String),
    /// A topic of the user's (its ARN).
    Topic(String),
}

/// `[service.NAME.autoscaling]`: target tracking on the service's task count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Autoscaling {
    /// `min <= count <= max`.
    pub min: u32,
    pub max: u32,
    /// Target average CPU utilisation, percent (1..=100).
    pub cpu: Option<u8>,
    /// Target load balancer requests per task (public services only).
    pub requests_per_target: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_all_is_complete_sorted_and_spelled_like_serde() {
        // Adding a variant breaks this match: add it to `Endpoint::ALL` too.
        match Endpoint::S3 {
            Endpoint::S3
            | Endpoint::Ecr
            | Endpoint::Logs
            | Endpoint::Ecs
            | Endpoint::Ssm
            | Endpoint::SecretsManager => {}
        }
        assert_eq!(Endpoint::ALL.len(), 6);
        assert!(Endpoint::ALL.windows(2).all(|w| w[0] < w[1]));
        for e in Endpoint::ALL {
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::Value::from(e.as_str())
            );
            assert_eq!(e.to_string(), e.as_str());
        }
    }

    #[test]
    fn interface_services() {
        assert!(Endpoint::S3.interface_services().is_empty());
        assert_eq!(Endpoint::Ecr.interface_services(), ["ecr.api", "ecr.dkr"]);
        assert_eq!(Endpoint::Logs.interface_services(), ["logs"]);
        assert_eq!(
            Endpoint::Ecs.interface_services(),
            ["ecs", "ecs-agent", "ecs-telemetry"]
        );
        assert_eq!(Endpoint::Ssm.interface_services(), ["ssm"]);
        assert_eq!(
            Endpoint::SecretsManager.interface_services(),
            ["secretsmanager"]
        );
    }
}
