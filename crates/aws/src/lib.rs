//! AWS resource kinds for the berth engine, on the official AWS SDK for Rust.
//! One file per resource kind, grouped by area; each implements [`berth_engine::Kind`].

// Resource kinds, grouped by area; each file is one kind.
pub mod compute;
pub mod cost;
pub mod dns;
pub mod ecs;
pub mod elb;
pub mod iam;
pub mod monitoring;
pub mod network;
pub mod registry;
pub mod scaling;
pub mod tls;

// What the kinds share, and the graph built from a manifest.
pub mod client;
pub mod error;
#[cfg(feature = "faults")]
pub mod faults;
pub mod graph;
pub mod lock;
pub mod names;
pub mod overlap;
pub mod service_status;
pub mod stats;
pub mod tags;

// Each kind by its own name (`berth_aws::vpc`), wherever its area puts it.
pub use compute::{autoscaling_group, launch_template};
pub use dns::{alias_record, discovery_service, namespace, route53};
pub use ecs::{
    capacity_provider, cluster_capacity, ecs_cluster, ecs_service, log_group, one_off,
    task_definition,
};
pub use elb::{listener, listener_rule, load_balancer, target_group};
pub use iam::{iam_role, instance_profile, oidc_provider};
pub use monitoring::{alarm, dashboard, metrics, topic};
pub use network::{
    eip, internet_gateway, nat_gateway, route_table, security_group, subnet, vpc, vpc_endpoint,
};
pub use registry::{ecr_repository, images};
pub use scaling::{scaling_policy, scaling_target};
pub use tls::{certificate, certificate_validation, validation_record};

pub use client::{Aws, ConnectError, ConnectOptions};

/// How long AWS may keep a security group, subnet, internet gateway, VPC or address in use
/// after the load balancer, NAT gateway or task that used it is gone: their network
/// interfaces are released minutes later. The Terraform AWS provider waits up to 20 minutes
/// to delete a security group and its subnet/VPC deletes retry DependencyViolation as long
/// (`internal/service/ec2/vpc_security_group.go`, `vpc_subnet.go`); berth gives 25.
pub(crate) const NETWORK_RELEASE: std::time::Duration = std::time::Duration::from_secs(25 * 60);
pub use stats::ApiStats;

/// Every resource kind berth manages, in one list: the registry, discovery and orphan
/// clean-up are all built from it.
pub fn kinds(aws: &Aws) -> Vec<std::sync::Arc<dyn berth_engine::Kind>> {
    use std::sync::Arc;
    let a = || aws.clone();
    vec![
        Arc::new(vpc::Vpc(a())),
        Arc::new(subnet::Subnet(a())),
        Arc::new(internet_gateway::InternetGateway(a())),
        Arc::new(eip::Eip(a())),
        Arc::new(nat_gateway::NatGateway(a())),
        Arc::new(route_table::RouteTable(a())),
        Arc::new(security_group::SecurityGroup(a())),
        Arc::new(vpc_endpoint::VpcEndpoint(a())),
        Arc::new(iam_role::IamRole(a())),
        Arc::new(instance_profile::InstanceProfile(a())),
        Arc::new(oidc_provider::OidcProvider(a())),
        Arc::new(ecs_cluster::EcsCluster(a())),
        Arc::new(cluster_capacity::ClusterCapacity(a())),
        Arc::new(capacity_provider::CapacityProvider(a())),
        Arc::new(task_definition::TaskDefinition(a())),
        Arc::new(ecs_service::EcsService(a())),
        Arc::new(log_group::LogGroup(a())),
        Arc::new(launch_template::LaunchTemplate(a())),
        Arc::new(autoscaling_group::AutoscalingGroup(a())),
        Arc::new(load_balancer::LoadBalancer(a())),
        Arc::new(certificate::Certificate(a())),
        Arc::new(certificate_validation::CertificateValidation(a())),
        Arc::new(validation_record::ValidationRecord(a())),
        Arc::new(alias_record::AliasRecord(a())),
        Arc::new(listener::Listener(a())),
        Arc::new(listener_rule::ListenerRule(a())),
        Arc::new(target_group::TargetGroup(a())),
        Arc::new(ecr_repository::EcrRepository(a())),
        Arc::new(scaling_target::ScalingTarget(a())),
        Arc::new(scaling_policy::ScalingPolicy(a())),
        Arc::new(namespace::Namespace(a())),
        Arc::new(discovery_service::DiscoveryService(a())),
        Arc::new(topic::Topic(a())),
        Arc::new(alarm::Alarm(a())),
        Arc::new(dashboard::Dashboard(a())),
    ]
}

/// The engine's registry of [`kinds`].
pub fn registry(aws: &Aws) -> berth_engine::Registry {
    let mut registry = berth_engine::Registry::new();
    for kind in kinds(aws) {
        registry.register(kind);
    }
    registry
}
