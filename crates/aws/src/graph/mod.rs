//! The whole stack as a graph: a manifest in, resource nodes out. Edges are the references
//! between nodes, so the order of creation (and the reverse, of deletion) is never written down
//! here; the engine derives it.

use berth_engine::{LogicalId, Node, Value};
use berth_spec::{Capacity, Endpoint, Manifest, NatMode, Service};

use crate::names::{self, out};
use crate::{
    alarm, alias_record, autoscaling_group, capacity_provider, certificate, certificate_validation,
    cluster_capacity, dashboard, discovery_service, ecr_repository, ecs_cluster, ecs_service, eip,
    iam_role, instance_profile, internet_gateway, launch_template, listener, listener_rule,
    load_balancer, log_group, namespace, nat_gateway, oidc_provider, route_table, scaling_policy,
    scaling_target, security_group, subnet, target_group, task_definition, topic,
    validation_record, vpc, vpc_endpoint,
};

/// What the graph needs from AWS before it can be drawn: facts, not resources.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub region: String,
    /// The public Route 53 hosted zone of `domain` (its id), when this account has it: berth
    /// writes the certificate's validation records and the aliases to the load balancer
    /// there, for the domain and every service's hosts (which must be in it too).
    pub public_zone: Option<String>,
    /// With `[ci]`: the account already has GitHub's OIDC provider and this stack did not
    /// make it, so the graph uses it and never owns it.
    pub oidc_provider_elsewhere: bool,
    /// The account the stack lives in: trust policies name it (confused-deputy guard).
    pub account: String,
    /// One per subnet pair, in order.
    pub azs: Vec<String>,
    /// The ECS-optimised AMI (EC2 capacity only).
    pub ami: Option<String>,
}

pub(crate) fn refer(id: impl Into<LogicalId>, output: &'static str) -> Value {
    Value::refer(id, output)
}

mod images;
mod lookups;
mod policies;
#[cfg(test)]
pub(crate) mod tests;

use policies::execution_policy;

pub use images::image_ref;
pub use lookups::{AMI_PARAMETER, AMI_PARAMETER_ARM64, ami_parameter, inputs};

/// Every node the manifest asks for.
pub fn nodes(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    let mut out = network(m, inputs);
    if !m.services.is_empty() {
        out.extend(platform(m, inputs));
        for service in m.services.values() {
            out.extend(service_nodes(m, inputs, service));
        }
    }
    out
}

/// `eu-west-2a` -> `a`: subnet and NAT ids name their zone by its letter.
fn zone_letter(az: &str) -> &str {
    &az[az.len() - 1..]
}

fn network(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    let (stack, tags, net) = (m.name.as_str(), &m.tags, &m.network);
    let vpc_id = || refer(names::vpc(), out::ID);
    let mut out = vec![
        vpc::node(stack, tags, &net.cidr.to_string()),
        internet_gateway::node(stack, tags, vpc_id()),
    ];
    for (i, az) in inputs.azs.iter().enumerate() {
        let l = zone_letter(az);
        let public = net.public_subnets[i].to_string();
        let private = net.private_subnets[i].to_string();
        out.push(subnet::node(stack, tags, l, vpc_id(), &public, az, true));
        out.push(subnet::node(stack, tags, l, vpc_id(), &private, az, false));
    }
    let letters: Vec<&str> = inputs.azs.iter().map(|az| zone_letter(az)).collect();
    // NAT gateways live in public subnets: one in the first zone, or one per zone.
    let nat_zones: Vec<&str> = match net.nat {
        NatMode::Single => letters[..1].to_vec(),
        NatMode::PerAz => letters.clone(),
        NatMode::None => vec![],
    };
    for l in &nat_zones {
        out.push(eip::node(stack, tags, l));
        // A public NAT gateway in a VPC without an attached internet gateway fails
        // (Gateway.NotAttached): order it after the gateway it never names.
        out.push(
            nat_gateway::node(
                stack,
                tags,
                l,
                refer(names::subnet("public", l), out::ID),
                refer(names::nat_address(l), out::ID),
            )
            .after(names::internet_gateway()),
        );
    }
    let public_subnets = letters
        .iter()
        .map(|l| refer(names::subnet("public", l), out::ID))
        .collect();
    out.push(route_table::node(
        stack,
        tags,
        "public",
        vpc_id(),
        Some(route_table::Target::InternetGateway(refer(
            names::internet_gateway(),
            out::ID,
        ))),
        public_subnets,
    ));
    // One private table per zone whatever the NAT mode, so switching modes changes routes only.
    for l in &letters {
        let nat = match net.nat {
            NatMode::Single => Some(refer(names::nat_gateway(nat_zones[0]), out::ID)),
            NatMode::PerAz => Some(refer(names::nat_gateway(l), out::ID)),
            NatMode::None => None,
        }
        .map(route_table::Target::NatGateway);
        let subnets = vec![refer(names::subnet("private", l), out::ID)];
        out.push(route_table::node(
            stack,
            tags,
            &format!("private-{l}"),
            vpc_id(),
            nat,
            subnets,
        ));
    }
    if let Some(zone) = &net.private_zone {
        out.push(namespace::node(stack, tags, zone, vpc_id()));
    }
    out.extend(endpoints(m, inputs, &letters));
    out
}

fn endpoints(m: &Manifest, inputs: &Inputs, letters: &[&str]) -> Vec<Node> {
    let (stack, tags) = (m.name.as_str(), &m.tags);
    let private_tables = || {
        letters
            .iter()
            .map(|l| refer(names::route_table(&format!("private-{l}")), out::ID))
            .collect::<Vec<_>>()
    };
    let private_subnets = || {
        letters
            .iter()
            .map(|l| refer(names::subnet("private", l), out::ID))
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    let mut interface = Vec::new();
    for endpoint in &m.network.endpoints {
        match endpoint {
            Endpoint::S3 => out.push(vpc_endpoint::node_gateway(
                stack,
                tags,
                "s3",
                &inputs.region,
                refer(names::vpc(), out::ID),
                private_tables(),
            )),
            other => interface.extend(other.interface_services()),
        }
    }
    if !interface.is_empty() {
        // Interface endpoints answer HTTPS from inside the VPC only.
        let https_from_vpc = security_group::Ingress::Cidr {
            from: 443,
            to: 443,
            cidr: m.network.cidr.to_string(),
        };
        out.push(security_group::node(
            stack,
            tags,
            "endpoints",
            refer(names::vpc(), out::ID),
            "HTTPS from the VPC to its interface endpoints",
            vec![https_from_vpc],
        ));
        for service in interface {
            out.push(vpc_endpoint::node_interface(
                stack,
                tags,
                service,
                &inputs.region,
                refer(names::vpc(), out::ID),
                private_subnets(),
                refer(names::security_group("endpoints"), out::ID),
            ));
        }
    }
    out
}

pub(crate) fn is_ec2(m: &Manifest) -> bool {
    m.cluster.capacity == Capacity::Ec2
}

/// Bridge-mode tasks get host ports from the Linux ephemeral range on the instance.
const EPHEMERAL_PORTS: (u16, u16) = (32768, 65535);

fn letters(inputs: &Inputs) -> Vec<&str> {
    inputs.azs.iter().map(|az| zone_letter(az)).collect()
}

/// What every service shares: security groups, roles, registry, logs, cluster and capacity,
/// and the load balancer when any service is public.
fn platform(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    let (stack, tags) = (m.name.as_str(), &m.tags);
    let any_public = m.services.values().any(|s| s.public);
    let mut out = Vec::new();

    // Security groups: the internet reaches the load balancer only; tasks only from it.
    if any_public {
        let from_internet = |port| security_group::Ingress::Cidr {
            from: port,
            to: port,
            cidr: "0.0.0.0/0".into(),
        };
        // With TLS, 80 stays open only to answer with the redirect to 443.
        let (ingress, description) = if serves_https(m) {
            (
                vec![from_internet(80), from_internet(443)],
                "HTTP and HTTPS from the internet to the load balancer",
            )
        } else {
            (
                vec![from_internet(80)],
                "HTTP from the internet to the load balancer",
            )
        };
        out.push(security_group::node(
            stack,
            tags,
            "alb",
            refer(names::vpc(), out::ID),
            description,
            ingress,
        ));
    }
    let task_ingress = if !any_public {
        vec![]
    } else if is_ec2(m) {
        let (from, to) = EPHEMERAL_PORTS;
        vec![security_group::Ingress::Group {
            from,
            to,
            group: refer(names::security_group("alb"), out::ID),
        }]
    } else {
        let mut ports: Vec<u16> = m
            .services
            .values()
            .filter(|s| s.public)
            .map(|s| s.port)
            .collect();
        ports.sort();
        ports.dedup();
        ports
            .into_iter()
            .map(|p| security_group::Ingress::Group {
                from: p,
                to: p,
                group: refer(names::security_group("alb"), out::ID),
            })
            .collect()
    };
    out.push(security_group::node(
        stack,
        tags,
        "tasks",
        refer(names::vpc(), out::ID),
        "Traffic from the load balancer to the tasks",
        task_ingress,
    ));

    // IAM: separate, minimal roles. The execution role pulls from this stack's repository and
    // writes to this stack's log group, nothing else.
    out.push(iam_role::node(
        stack,
        tags,
        "execution",
        iam_role::Trust::Service {
            service: "ecs-tasks.amazonaws.com",
            source_account: None,
        },
        vec![],
        Some(execution_policy(m, &inputs.region)),
    ));
    out.push(iam_role::node(
        stack,
        tags,
        "task",
        // Only ECS acting for this account may hand the task role out.
        iam_role::Trust::Service {
            service: "ecs-tasks.amazonaws.com",
            source_account: Some(&inputs.account),
        },
        vec![],
        policies::task_policy(m),
    ));
    if let Some(ci) = &m.ci {
        out.extend(ci_role(m, inputs, ci));
    }
    out.push(ecr_repository::node(stack, tags));
    out.push(log_group::node(stack, tags, 30));
    if let Some(berth_spec::Alerts::Email(address)) = &m.alerts {
        out.push(topic::node(stack, tags, address));
    }
    if !m.services.is_empty() {
        let rows: Vec<_> = m.services.values().map(metric_sources).collect();
        out.push(dashboard::node(stack, &inputs.region, &rows));
    }
    out.push(ecs_cluster::node(stack, tags));

    let providers = match m.cluster.capacity {
        Capacity::Ec2 => {
            out.extend(ec2_capacity(m, inputs));
            vec![refer(names::capacity_provider(), out::NAME)]
        }
        Capacity::Fargate => vec![Value::from("FARGATE"), Value::from("FARGATE_SPOT")],
        Capacity::FargateSpot => vec![Value::from("FARGATE_SPOT"), Value::from("FARGATE")],
    };
    out.push(cluster_capacity::node(
        stack,
        tags,
        refer(names::cluster(), out::NAME),
        providers,
    ));

    if any_public {
        let public_subnets = letters(inputs)
            .iter()
            .map(|l| refer(names::subnet("public", l), out::ID))
            .collect();
        // An internet-facing load balancer needs the VPC's internet gateway attached
        // (InvalidSubnet: "VPC ... has no internet gateway").
        out.push(
            load_balancer::node(
                stack,
                tags,
                public_subnets,
                refer(names::security_group("alb"), out::ID),
            )
            .after(names::internet_gateway()),
        );
        out.extend(listeners(m, inputs));
    }
    out
}

/// The role GitHub Actions of `ci.github` assume to deploy, and the OIDC provider they
/// come through when the account has none yet.
fn ci_role(m: &Manifest, inputs: &Inputs, ci: &berth_spec::Ci) -> Vec<Node> {
    let (stack, tags) = (m.name.as_str(), &m.tags);
    let mut out = Vec::new();
    let provider = oidc_provider::arn(&inputs.account);
    let subject = ci.subject();
    let mut role = iam_role::node(
        stack,
        tags,
        "deploy",
        iam_role::Trust::GitHub {
            provider: &provider,
            subject: &subject,
        },
        vec![],
        Some(policies::ci_policy(m, &inputs.region, &inputs.account)),
    );
    if !inputs.oidc_provider_elsewhere {
        out.push(oidc_provider::node(stack, tags));
        role = role.after(names::oidc_provider());
    }
    out.push(role);
    out
}

/// Every public service's hosts, sorted, each once: the certificate's other names.
pub(crate) fn service_hosts(m: &Manifest) -> Vec<String> {
    let mut hosts: Vec<String> = m
        .services
        .values()
        .filter(|s| s.public)
        .flat_map(|s| s.hosts.iter().cloned())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Whether the load balancer serves HTTPS: a domain berth gets a certificate for, or the
/// user's own certificate.
fn serves_https(m: &Manifest) -> bool {
    m.domain.is_some() || m.certificate.is_some()
}

/// The listener the services' rules hang off: HTTPS when there is TLS, else HTTP.
pub(crate) fn serving_listener(m: &Manifest) -> LogicalId {
    if serves_https(m) {
        names::https_listener()
    } else {
        names::listener()
    }
}

/// The listeners, and with a domain the certificate, its validation and the DNS records.
fn listeners(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    let (stack, tags) = (m.name.as_str(), &m.tags);
    let alb = || refer(names::load_balancer(), out::ARN);
    let mut out = Vec::new();
    let certificate = match (&m.certificate, &m.domain) {
        (Some(arn), _) => Value::from(arn.as_str()),
        (None, Some(domain)) => {
            let zone = inputs.public_zone.as_deref();
            let hosts = service_hosts(m);
            let cert = certificate::id(domain, &hosts);
            out.push(certificate::node(stack, tags, domain, &hosts, zone));
            let mut records = Vec::new();
            for name in zone.map_or(vec![], |_| std::iter::once(domain).chain(&hosts).collect()) {
                let zone = zone.unwrap_or_default();
                let record =
                    validation_record::node(stack, refer(cert.clone(), out::ARN), name, zone);
                records.push(record.id.clone());
                out.push(record);
                out.push(alias_record::node(
                    stack,
                    zone,
                    name,
                    refer(names::load_balancer(), out::DNS_NAME),
                    refer(names::load_balancer(), out::ZONE_ID),
                ));
            }
            out.push(certificate_validation::node(
                stack,
                &cert,
                zone.is_some(),
                records,
            ));
            refer(names::certificate_validation(&cert), out::ARN)
        }
        (None, None) => {
            out.push(listener::node(
                stack,
                tags,
                names::listener(),
                alb(),
                listener::Role::Http,
            ));
            return out;
        }
    };
    out.push(listener::node(
        stack,
        tags,
        names::listener(),
        alb(),
        listener::Role::RedirectToHttps,
    ));
    out.push(listener::node(
        stack,
        tags,
        names::https_listener(),
        alb(),
        listener::Role::Https { certificate },
    ));
    out
}

fn ec2_capacity(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    let (stack, tags, c) = (m.name.as_str(), &m.tags, &m.cluster);
    let private_subnets = letters(inputs)
        .iter()
        .map(|l| refer(names::subnet("private", l), out::ID))
        .collect();
    vec![
        iam_role::node(
            stack,
            tags,
            "instance",
            iam_role::Trust::Service {
                service: "ec2.amazonaws.com",
                source_account: None,
            },
            vec![
                "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role".into(),
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore".into(),
            ],
            None,
        ),
        instance_profile::node(stack, tags, refer(names::role("instance"), out::NAME)),
        launch_template::node(
            stack,
            tags,
            refer(names::cluster(), out::NAME),
            inputs.ami.as_deref().unwrap_or_default(),
            &c.instance_type,
            refer(names::instance_profile(), out::ARN),
            refer(names::security_group("tasks"), out::ID),
            c.ssh_key.as_deref(),
        ),
        autoscaling_group::node(
            stack,
            tags,
            refer(names::launch_template(), out::ID),
            private_subnets,
            c.min,
            c.max,
            c.desired,
        ),
        capacity_provider::node(stack, tags, refer(names::autoscaling_group(), out::ARN)),
    ]
}

fn service_nodes(m: &Manifest, inputs: &Inputs, s: &Service) -> Vec<Node> {
    let (stack, tags) = (m.name.as_str(), &m.tags);
    let name = s.name.as_str();
    let ec2 = is_ec2(m);
    let mut out = Vec::new();

    if s.public {
        let target_type = if ec2 { "instance" } else { "ip" };
        out.push(target_group::node(
            stack,
            tags,
            name,
            refer(names::vpc(), out::ID),
            s.port,
            target_type,
            &s.health_check,
        ));
        let by_priority = public_by_specificity(m);
        let priority = by_priority
            .iter()
            .position(|p| p.name == s.name)
            .expect("a public service");
        let mut rule = listener_rule::node(
            stack,
            tags,
            name,
            refer(serving_listener(m), out::ARN),
            refer(names::target_group(name), out::ARN),
            listener_rule::Route {
                path: &s.path,
                hosts: &s.hosts,
            },
            priority as u32 + 1,
        );
        // Renumbering moves existing rules: one at a time, in order, never two at once.
        if let Some(previous) = priority.checked_sub(1).map(|i| by_priority[i]) {
            rule = rule.after(names::listener_rule(&previous.name));
        }
        out.push(rule);
    }
    if m.network.private_zone.is_some() {
        out.push(discovery_service::node(
            stack,
            tags,
            name,
            refer(names::private_zone(), out::ID),
            if ec2 { "SRV" } else { "A" },
        ));
    }
    out.push(task_definition::node(
        stack,
        tags,
        name,
        task_definition::TaskSpec {
            image: s.image.as_deref().map(image_ref),
            port: s.port,
            cpu: s.cpu,
            memory: s.memory,
            env: traced_env(s, ec2),
            secrets: s.secrets.clone(),
            health_path: s.health_check.clone(),
            scratch: s.scratch.clone(),
            launch: if ec2 { "ec2" } else { "fargate" },
            tracing: s.tracing,
            execution_role: refer(names::role("execution"), out::ARN),
            task_role: refer(names::role("task"), out::ARN),
            log_group: refer(names::log_group(), out::NAME),
            region: inputs.region.clone(),
        },
    ));
    let private_subnets = if ec2 {
        vec![]
    } else {
        letters(inputs)
            .iter()
            .map(|l| refer(names::subnet("private", l), out::ID))
            .collect()
    };
    let alarms = service_alarms(m, s);
    let alarm_names = alarms
        .iter()
        .map(|a| refer(a.id.clone(), out::NAME))
        .collect();
    out.extend(alarms);
    let mut service = ecs_service::node(
        stack,
        tags,
        name,
        ecs_service::ServiceSpec {
            cluster: refer(names::cluster(), out::NAME),
            task_definition: refer(names::task_definition(name), out::ARN),
            count: s.count,
            launch: match m.cluster.capacity {
                Capacity::Ec2 => "ec2",
                Capacity::Fargate => "fargate",
                Capacity::FargateSpot => "fargate-spot",
            },
            capacity_provider: ec2.then(|| refer(names::capacity_provider(), out::NAME)),
            target_group: s.public.then(|| refer(names::target_group(name), out::ARN)),
            container_port: s.port,
            subnets: private_subnets,
            security_group: refer(names::security_group("tasks"), out::ID),
            registry: m
                .network
                .private_zone
                .is_some()
                .then(|| refer(names::discovery(name), out::ARN)),
            autoscaled: s.autoscaling.is_some(),
            release: s.release.clone(),
            alarms: alarm_names,
        },
    )
    // ECS refuses a strategy naming a provider the cluster has not associated yet.
    .after(names::cluster_capacity());
    if s.public {
        // ECS refuses a target group that no listener rule forwards to yet ("does not have
        // an associated load balancer"; Terraform users add depends_on for the same reason).
        service = service.after(names::listener_rule(name));
    }
    out.push(service);
    if let Some(a) = &s.autoscaling {
        out.push(scaling_target::node(
            stack,
            name,
            refer(names::cluster(), out::NAME),
            refer(names::service(name), out::NAME),
            a.min,
            a.max,
        ));
        if let Some(cpu) = a.cpu {
            out.push(scaling_policy::node(stack, name, "cpu", cpu as u32, None));
        }
        if let Some(requests) = a.requests_per_target {
            let label = Value::Concat(vec![
                refer(names::load_balancer(), out::ARN_SUFFIX),
                Value::from("/"),
                refer(names::target_group(name), out::ARN_SUFFIX),
            ]);
            out.push(scaling_policy::node(
                stack,
                name,
                "requests",
                requests,
                Some(label),
            ));
        }
    }
    out
}

/// The service's variables, and with tracing where OpenTelemetry SDKs find the collector.
fn traced_env(s: &Service, ec2: bool) -> std::collections::BTreeMap<String, String> {
    let mut env = s.env.clone();
    if s.tracing {
        let launch = if ec2 { "ec2" } else { "fargate" };
        env.insert(
            "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
            task_definition::collector_endpoint(launch),
        );
        env.insert("OTEL_EXPORTER_OTLP_PROTOCOL".into(), "http/protobuf".into());
        env.insert("OTEL_SERVICE_NAME".into(), s.name.clone());
    }
    env
}

/// Where the alarms and the dashboard find a service's metrics.
fn metric_sources(s: &Service) -> crate::monitoring::Sources {
    crate::monitoring::Sources {
        service: s.name.clone(),
        load_balancer: s
            .public
            .then(|| refer(names::load_balancer(), out::ARN_SUFFIX)),
        target_group: s
            .public
            .then(|| refer(names::target_group(&s.name), out::ARN_SUFFIX)),
        cluster: refer(names::cluster(), out::NAME),
    }
}

/// A service's alarms, by its thresholds: the load balancer's for a public service, CPU and
/// memory for every one. They notify `alerts`, when set.
fn service_alarms(m: &Manifest, s: &Service) -> Vec<Node> {
    use alarm::Watch;
    let (stack, tags) = (m.name.as_str(), &m.tags);
    let sources = metric_sources(s);
    let actions = Value::List(match &m.alerts {
        Some(berth_spec::Alerts::Email(_)) => vec![refer(names::alerts_topic(), out::ARN)],
        Some(berth_spec::Alerts::Topic(arn)) => vec![Value::from(arn.as_str())],
        None => vec![],
    });
    let t = &s.alarms;
    let mut watches = vec![
        (Watch::Cpu, f64::from(t.cpu_percent)),
        (Watch::Memory, f64::from(t.memory_percent)),
    ];
    if s.public {
        watches.extend([
            (Watch::Errors, f64::from(t.errors_percent)),
            // CloudWatch reports TargetResponseTime in seconds.
            (Watch::Latency, f64::from(t.p99_ms) / 1000.0),
            // More than none.
            (Watch::Unhealthy, 0.0),
        ]);
    }
    watches
        .into_iter()
        .map(|(watch, threshold)| {
            alarm::node(stack, tags, watch, threshold, &sources, actions.clone())
        })
        .collect()
}

/// The public services in listener rule order: priorities 1, 2, 3, ... by specificity, so a
/// longer path is always matched before a shorter one that contains it (`/api/v2` before
/// `/api` before `/`) and no two rules share a number.
fn public_by_specificity(m: &Manifest) -> Vec<&Service> {
    let mut public: Vec<&Service> = m.services.values().filter(|s| s.public).collect();
    let segments = |s: &Service| s.path.split('/').filter(|p| !p.is_empty()).count();
    // A rule on hosts of its own is more specific than any rule for every host.
    public.sort_by(|a, b| {
        (a.hosts.is_empty().cmp(&b.hosts.is_empty()))
            .then(segments(b).cmp(&segments(a)))
            .then(b.path.len().cmp(&a.path.len()))
            .then(a.name.cmp(&b.name))
    });
    public
}
