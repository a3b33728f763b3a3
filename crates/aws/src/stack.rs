//! The whole stack as a graph: a manifest in, resource nodes out. Edges are the references
//! between nodes, so the order of creation (and the reverse, of deletion) is never written down
//! here; the engine derives it.

use std::collections::BTreeSet;

use berth_engine::{Node, Value};
use berth_spec::{Capacity, Endpoint, Manifest, NatMode, Service};

use crate::{
    autoscaling_group, capacity_provider, cluster_capacity, discovery_service, ecr_repository,
    ecs_cluster, ecs_service, eip, iam_role, instance_profile, internet_gateway, launch_template,
    listener, listener_rule, load_balancer, log_group, namespace, nat_gateway, route_table,
    scaling_policy, scaling_target, security_group, subnet, target_group, task_definition, vpc,
    vpc_endpoint,
};

/// What the graph needs from AWS before it can be drawn: facts, not resources.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub region: String,
    /// The account the stack lives in: trust policies name it (confused-deputy guard).
    pub account: String,
    /// One per subnet pair, in order.
    pub azs: Vec<String>,
    /// The ECS-optimised AMI (EC2 capacity only).
    pub ami: Option<String>,
}

/// The SSM public parameter AWS keeps pointing at the current ECS-optimised Amazon Linux 2023 AMI.
pub const AMI_PARAMETER: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
/// The same for Graviton (arm64) instance types.
pub const AMI_PARAMETER_ARM64: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id";

/// The AMI parameter for the manifest's instance type.
pub fn ami_parameter(m: &Manifest) -> &'static str {
    if berth_spec::is_arm64_instance_type(&m.cluster.instance_type) {
        AMI_PARAMETER_ARM64
    } else {
        AMI_PARAMETER
    }
}

fn refer(id: impl Into<String>, output: &'static str) -> Value {
    Value::refer(id, output)
}

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
    let vpc_id = || refer("vpc", "id");
    let mut out = vec![
        vpc::node(stack, tags, &net.cidr.to_string()),
        internet_gateway::node(stack, tags, vpc_id()),
    ];
    for (i, az) in inputs.azs.iter().enumerate() {
        let l = zone_letter(az);
        let public = net.public_subnets[i].to_string();
        let private = net.private_subnets[i].to_string();
        out.push(subnet::node(
            stack,
            tags,
            &format!("public-{l}"),
            vpc_id(),
            &public,
            az,
            true,
        ));
        out.push(subnet::node(
            stack,
            tags,
            &format!("private-{l}"),
            vpc_id(),
            &private,
            az,
            false,
        ));
    }
    let letters: Vec<&str> = inputs.azs.iter().map(|az| zone_letter(az)).collect();
    // NAT gateways live in public subnets: one in the first zone, or one per zone.
    let nat_zones: Vec<&str> = match net.nat {
        NatMode::Single => letters[..1].to_vec(),
        NatMode::PerAz => letters.clone(),
        NatMode::None => vec![],
    };
    for l in &nat_zones {
        out.push(eip::node(stack, tags, &format!("nat-{l}")));
        // A public NAT gateway in a VPC without an attached internet gateway fails
        // (Gateway.NotAttached): order it after the gateway it never names.
        out.push(
            nat_gateway::node(
                stack,
                tags,
                l,
                refer(format!("subnet/public-{l}"), "id"),
                refer(format!("eip/nat-{l}"), "id"),
            )
            .after("igw"),
        );
    }
    let public_subnets = letters
        .iter()
        .map(|l| refer(format!("subnet/public-{l}"), "id"))
        .collect();
    out.push(route_table::node(
        stack,
        tags,
        "public",
        vpc_id(),
        Some(refer("igw", "id")),
        public_subnets,
    ));
    // One private table per zone whatever the NAT mode, so switching modes changes routes only.
    for l in &letters {
        let nat = match net.nat {
            NatMode::Single => Some(refer(format!("nat/{}", nat_zones[0]), "id")),
            NatMode::PerAz => Some(refer(format!("nat/{l}"), "id")),
            NatMode::None => None,
        };
        let subnets = vec![refer(format!("subnet/private-{l}"), "id")];
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
            .map(|l| refer(format!("rt/private-{l}"), "id"))
            .collect::<Vec<_>>()
    };
    let private_subnets = || {
        letters
            .iter()
            .map(|l| refer(format!("subnet/private-{l}"), "id"))
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
                refer("vpc", "id"),
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
            refer("vpc", "id"),
            "HTTPS from the VPC to its interface endpoints",
            vec![https_from_vpc],
        ));
        for service in interface {
            out.push(vpc_endpoint::node_interface(
                stack,
                tags,
                service,
                &inputs.region,
                refer("vpc", "id"),
                private_subnets(),
                refer("sg/endpoints", "id"),
            ));
        }
    }
    out
}

fn is_ec2(m: &Manifest) -> bool {
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
        let http = security_group::Ingress::Cidr {
            from: 80,
            to: 80,
            cidr: "0.0.0.0/0".into(),
        };
        out.push(security_group::node(
            stack,
            tags,
            "alb",
            refer("vpc", "id"),
            "HTTP from the internet to the load balancer",
            vec![http],
        ));
    }
    let task_ingress = if !any_public {
        vec![]
    } else if is_ec2(m) {
        let (from, to) = EPHEMERAL_PORTS;
        vec![security_group::Ingress::Group {
            from,
            to,
            group: refer("sg/alb", "id"),
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
                group: refer("sg/alb", "id"),
            })
            .collect()
    };
    out.push(security_group::node(
        stack,
        tags,
        "tasks",
        refer("vpc", "id"),
        "Traffic from the load balancer to the tasks",
        task_ingress,
    ));

    // IAM: separate, minimal roles. The execution role pulls from this stack's repository and
    // writes to this stack's log group, nothing else.
    out.push(iam_role::node(
        stack,
        tags,
        "execution",
        iam_role::Trust {
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
        iam_role::Trust {
            service: "ecs-tasks.amazonaws.com",
            source_account: Some(&inputs.account),
        },
        vec![],
        None,
    ));
    out.push(ecr_repository::node(stack, tags));
    out.push(log_group::node(stack, tags, 30));
    out.push(ecs_cluster::node(stack, tags));

    let providers = match m.cluster.capacity {
        Capacity::Ec2 => {
            out.extend(ec2_capacity(m, inputs));
            vec![refer("capacity/ec2", "name")]
        }
        Capacity::Fargate => vec![Value::from("FARGATE"), Value::from("FARGATE_SPOT")],
        Capacity::FargateSpot => vec![Value::from("FARGATE_SPOT"), Value::from("FARGATE")],
    };
    out.push(cluster_capacity::node(
        stack,
        tags,
        refer("cluster", "name"),
        providers,
    ));

    if any_public {
        let public_subnets = letters(inputs)
            .iter()
            .map(|l| refer(format!("subnet/public-{l}"), "id"))
            .collect();
        // An internet-facing load balancer needs the VPC's internet gateway attached
        // (InvalidSubnet: "VPC ... has no internet gateway").
        out.push(
            load_balancer::node(stack, tags, public_subnets, refer("sg/alb", "id")).after("igw"),
        );
        out.push(listener::node(stack, tags, refer("alb", "arn")));
    }
    out
}

/// The execution role's only permissions: pull from the stack's repository, write its logs,
/// and read exactly the secrets the services name. `ecr:GetAuthorizationToken` is
/// account-wide by AWS's design and cannot be scoped.
fn execution_policy(m: &Manifest, region: &str) -> Value {
    // Canonical JSON (keys sorted, no spaces), as IAM's copy is compared after normalising.
    Value::Concat(vec![
        Value::from(
            r#"{"Statement":[{"Action":"ecr:GetAuthorizationToken","Effect":"Allow","Resource":"*","Sid":"EcrLogin"},{"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Effect":"Allow","Resource":""#,
        ),
        refer("ecr", "arn"),
        Value::from(
            r#"","Sid":"PullStackImages"},{"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Effect":"Allow","Resource":""#,
        ),
        refer("logs", "arn"),
        Value::from(format!(
            r#":*","Sid":"WriteStackLogs"}}{}],"Version":"2012-10-17"}}"#,
            secret_statements(m, region)
        )),
    ])
}

/// `,{...}` statements that let ECS read the services' secrets, one per store, or nothing;
/// and decrypt them when they are under a customer-managed KMS key (AWS-managed keys need no
/// grant). The secret's ARN does not name its key, so the grant is on any key of the region,
/// only through the stores that hold the secrets (`kms:ViaService`): the role still reads
/// nothing but the secrets named above.
fn secret_statements(m: &Manifest, region: &str) -> String {
    let arns: BTreeSet<&str> = m
        .services
        .values()
        .flat_map(|s| s.secrets.values().map(String::as_str))
        .collect();
    let store = |service: &str, action: &str, sid: &str| {
        let resources: Vec<&str> = arns
            .iter()
            .copied()
            .filter(|a| a.split(':').nth(2) == Some(service))
            // A Secrets Manager reference may name a JSON key after the secret's own ARN.
            .map(|a| match a.match_indices(':').nth(6) {
                Some((end, _)) if service == "secretsmanager" => &a[..end],
                _ => a,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if resources.is_empty() {
            return String::new();
        }
        // Canonical JSON, like the rest of the document.
        let statement = serde_json::json!({
            "Action": action, "Effect": "Allow", "Resource": resources, "Sid": sid,
        });
        format!(",{statement}")
    };
    let reads = store("ssm", "ssm:GetParameters", "ReadServiceParameters")
        + &store(
            "secretsmanager",
            "secretsmanager:GetSecretValue",
            "ReadServiceSecrets",
        );
    let via: BTreeSet<String> = arns
        .iter()
        .filter_map(|a| a.split(':').nth(2))
        .map(|service| format!("{service}.{region}.amazonaws.com"))
        .collect();
    if via.is_empty() {
        return reads;
    }
    let decrypt = serde_json::json!({
        "Action": "kms:Decrypt",
        "Condition": {"StringEquals": {"kms:ViaService": via}},
        "Effect": "Allow",
        "Resource": format!("arn:aws:kms:{region}:*:key/*"),
        "Sid": "DecryptSecretsThroughTheirStore",
    });
    format!("{reads},{decrypt}")
}

fn ec2_capacity(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    let (stack, tags, c) = (m.name.as_str(), &m.tags, &m.cluster);
    let private_subnets = letters(inputs)
        .iter()
        .map(|l| refer(format!("subnet/private-{l}"), "id"))
        .collect();
    vec![
        iam_role::node(
            stack,
            tags,
            "instance",
            iam_role::Trust {
                service: "ec2.amazonaws.com",
                source_account: None,
            },
            vec![
                "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role".into(),
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore".into(),
            ],
            None,
        ),
        instance_profile::node(stack, tags, refer("role/instance", "name")),
        launch_template::node(
            stack,
            tags,
            refer("cluster", "name"),
            inputs.ami.as_deref().unwrap_or_default(),
            &c.instance_type,
            refer("profile/instance", "arn"),
            refer("sg/tasks", "id"),
            c.ssh_key.as_deref(),
        ),
        autoscaling_group::node(
            stack,
            tags,
            refer("launch-template", "id"),
            private_subnets,
            c.min,
            c.max,
            c.desired,
        ),
        capacity_provider::node(stack, tags, refer("asg", "arn")),
    ]
}

/// A bare image name (no registry) lives in the stack's own repository, under its tag.
pub fn image_ref(image: &str) -> Value {
    // `team/app:1`, `ghcr.io/x/y:1`, `123.dkr.ecr.../repo:1`: used as written.
    if image.contains('/') {
        return Value::from(image);
    }
    let tag = image
        .split_once('@')
        .map(|(_, d)| format!("@{d}"))
        .or_else(|| image.split_once(':').map(|(_, t)| format!(":{t}")));
    Value::Concat(vec![
        refer("ecr", "url"),
        Value::from(tag.unwrap_or_else(|| ":latest".into())),
    ])
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
            refer("vpc", "id"),
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
            refer("listener/http", "arn"),
            refer(format!("tg/{name}"), "arn"),
            &s.path,
            priority as u32 + 1,
        );
        // Renumbering moves existing rules: one at a time, in order, never two at once.
        if let Some(previous) = priority.checked_sub(1).map(|i| by_priority[i]) {
            rule = rule.after(format!("rule/{}", previous.name));
        }
        out.push(rule);
    }
    if m.network.private_zone.is_some() {
        out.push(discovery_service::node(
            stack,
            tags,
            name,
            refer("zone", "id"),
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
            env: s.env.clone(),
            secrets: s.secrets.clone(),
            health_path: s.health_check.clone(),
            launch: if ec2 { "ec2" } else { "fargate" },
            execution_role: refer("role/execution", "arn"),
            task_role: refer("role/task", "arn"),
            log_group: refer("logs", "name"),
            region: inputs.region.clone(),
        },
    ));
    let private_subnets = if ec2 {
        vec![]
    } else {
        letters(inputs)
            .iter()
            .map(|l| refer(format!("subnet/private-{l}"), "id"))
            .collect()
    };
    let mut service = ecs_service::node(
        stack,
        tags,
        name,
        ecs_service::ServiceSpec {
            cluster: refer("cluster", "name"),
            task_definition: refer(format!("task/{name}"), "arn"),
            count: s.count,
            launch: match m.cluster.capacity {
                Capacity::Ec2 => "ec2",
                Capacity::Fargate => "fargate",
                Capacity::FargateSpot => "fargate-spot",
            },
            capacity_provider: ec2.then(|| refer("capacity/ec2", "name")),
            target_group: s.public.then(|| refer(format!("tg/{name}"), "arn")),
            container_port: s.port,
            subnets: private_subnets,
            security_group: refer("sg/tasks", "id"),
            registry: m
                .network
                .private_zone
                .is_some()
                .then(|| refer(format!("discovery/{name}"), "arn")),
            autoscaled: s.autoscaling.is_some(),
        },
    )
    // ECS refuses a strategy naming a provider the cluster has not associated yet.
    .after(cluster_capacity::ID);
    if s.public {
        // ECS refuses a target group that no listener rule forwards to yet ("does not have
        // an associated load balancer"; Terraform users add depends_on for the same reason).
        service = service.after(format!("rule/{name}"));
    }
    out.push(service);
    if let Some(a) = &s.autoscaling {
        out.push(scaling_target::node(
            stack,
            name,
            refer("cluster", "name"),
            refer(format!("service/{name}"), "name"),
            a.min,
            a.max,
        ));
        if let Some(cpu) = a.cpu {
            out.push(scaling_policy::node(stack, name, "cpu", cpu as u32, None));
        }
        if let Some(requests) = a.requests_per_target {
            let label = Value::Concat(vec![
                refer("alb", "arn_suffix"),
                Value::from("/"),
                refer(format!("tg/{name}"), "arn_suffix"),
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

/// The public services in listener rule order: priorities 1, 2, 3, ... by specificity, so a
/// longer path is always matched before a shorter one that contains it (`/api/v2` before
/// `/api` before `/`) and no two rules share a number.
fn public_by_specificity(m: &Manifest) -> Vec<&Service> {
    let mut public: Vec<&Service> = m.services.values().filter(|s| s.public).collect();
    let segments = |s: &Service| s.path.split('/').filter(|p| !p.is_empty()).count();
    public.sort_by(|a, b| {
        segments(b)
            .cmp(&segments(a))
            .then(b.path.len().cmp(&a.path.len()))
            .then(a.name.cmp(&b.name))
    });
    public
}

/// A fact the graph needs is not what the manifest says: the zones or the AMI.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(
        "{region} offers {offered} availability zone(s) ({names}); the manifest asks for {wanted}. Lower `network.azs`"
    )]
    TooFewZones {
        region: String,
        offered: usize,
        names: String,
        wanted: usize,
    },
    #[error(
        "availability zone `{zone}` is not offered by {region} (it offers {names}). Fix `network.azs`"
    )]
    UnknownZone {
        zone: String,
        region: String,
        names: String,
    },
    #[error("reading the ECS-optimised AMI from SSM parameter {0}: {1}")]
    Ami(&'static str, berth_engine::CloudError),
    #[error("listing availability zones: {0}")]
    Zones(berth_engine::CloudError),
}

/// Look up the zones (one call) and, for EC2 capacity, the AMI: the one the instances run
/// (one call), or with `refresh_ami` (or none running yet) the current ECS-optimised one.
/// The recommended AMI moves with every AWS release; following it silently would plan an
/// instance refresh on any day, so berth moves only when asked.
pub async fn inputs(
    aws: &crate::Aws,
    m: &Manifest,
    refresh_ami: bool,
) -> Result<Inputs, InputError> {
    use crate::error::AwsResultExt;
    let offered = aws.availability_zones().await.map_err(InputError::Zones)?;
    let names = offered.join(", ");
    let azs = match &m.network.azs {
        berth_spec::Azs::Count(n) => {
            let wanted = *n as usize;
            if offered.len() < wanted {
                return Err(InputError::TooFewZones {
                    region: aws.region.clone(),
                    offered: offered.len(),
                    names,
                    wanted,
                });
            }
            offered[..wanted].to_vec()
        }
        berth_spec::Azs::Names(list) => {
            if let Some(zone) = list.iter().find(|z| !offered.contains(z)) {
                return Err(InputError::UnknownZone {
                    zone: zone.clone(),
                    region: aws.region.clone(),
                    names,
                });
            }
            list.clone()
        }
    };
    let running = if !m.services.is_empty() && is_ec2(m) && !refresh_ami {
        launch_template::current_ami(aws, &m.name, &m.cluster.instance_type)
            .await
            .map_err(|e| InputError::Ami(ami_parameter(m), e))?
    } else {
        None
    };
    let ami = if running.is_some() {
        running
    } else if !m.services.is_empty() && is_ec2(m) {
        let out = aws
            .ssm
            .get_parameter()
            .name(ami_parameter(m))
            .send()
            .await
            .aws()
            .map_err(|e| InputError::Ami(ami_parameter(m), e))?;
        out.parameter().and_then(|p| p.value()).map(str::to_string)
    } else {
        None
    };
    Ok(Inputs {
        region: aws.region.clone(),
        account: aws.account_id.clone(),
        azs,
        ami,
    })
}

/// Every resource kind berth manages, for discovery and for orphan clean-up.
pub fn registry(aws: &crate::Aws) -> berth_engine::Registry {
    use std::sync::Arc;
    let a = || aws.clone();
    let kinds: Vec<Arc<dyn berth_engine::Kind>> = vec![
        Arc::new(vpc::Vpc(a())),
        Arc::new(subnet::Subnet(a())),
        Arc::new(internet_gateway::InternetGateway(a())),
        Arc::new(eip::Eip(a())),
        Arc::new(nat_gateway::NatGateway(a())),
        Arc::new(route_table::RouteTable(a())),
        Arc::new(namespace::Namespace(a())),
        Arc::new(security_group::SecurityGroup(a())),
        Arc::new(vpc_endpoint::VpcEndpoint(a())),
        Arc::new(iam_role::IamRole(a())),
        Arc::new(instance_profile::InstanceProfile(a())),
        Arc::new(ecr_repository::EcrRepository(a())),
        Arc::new(log_group::LogGroup(a())),
        Arc::new(ecs_cluster::EcsCluster(a())),
        Arc::new(cluster_capacity::ClusterCapacity(a())),
        Arc::new(launch_template::LaunchTemplate(a())),
        Arc::new(autoscaling_group::AutoscalingGroup(a())),
        Arc::new(capacity_provider::CapacityProvider(a())),
        Arc::new(load_balancer::LoadBalancer(a())),
        Arc::new(target_group::TargetGroup(a())),
        Arc::new(listener::Listener(a())),
        Arc::new(listener_rule::ListenerRule(a())),
        Arc::new(task_definition::TaskDefinition(a())),
        Arc::new(ecs_service::EcsService(a())),
        Arc::new(discovery_service::DiscoveryService(a())),
        Arc::new(scaling_target::ScalingTarget(a())),
        Arc::new(scaling_policy::ScalingPolicy(a())),
    ];
    let mut registry = berth_engine::Registry::new();
    for kind in kinds {
        registry.register(kind);
    }
    registry
}
