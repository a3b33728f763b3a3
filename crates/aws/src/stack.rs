//! The whole stack as a graph: a manifest in, resource nodes out. Edges are the references
//! between nodes, so the order of creation (and the reverse, of deletion) is never written down
//! here; the engine derives it.

use berth_engine::{Node, Value};
use berth_spec::{Capacity, Endpoint, Manifest, NatMode};

use crate::{
    eip, internet_gateway, namespace, nat_gateway, route_table, security_group, subnet, vpc,
    vpc_endpoint,
};

/// What the graph needs from AWS before it can be drawn: facts, not resources.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub region: String,
    /// One per subnet pair, in order.
    pub azs: Vec<String>,
    /// The ECS-optimised AMI (EC2 capacity only).
    pub ami: Option<String>,
}

/// The SSM public parameter AWS keeps pointing at the current ECS-optimised Amazon Linux 2023 AMI.
pub const AMI_PARAMETER: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

fn refer(id: impl Into<String>, output: &'static str) -> Value {
    Value::refer(id, output)
}

/// Every node the manifest asks for.
pub fn nodes(m: &Manifest, inputs: &Inputs) -> Vec<Node> {
    network(m, inputs)
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
        out.push(nat_gateway::node(
            stack,
            tags,
            l,
            refer(format!("subnet/public-{l}"), "id"),
            refer(format!("eip/nat-{l}"), "id"),
        ));
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
            Endpoint::Ecr => interface.extend(["ecr.api", "ecr.dkr"]),
            Endpoint::Logs => interface.push("logs"),
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
    #[error("reading the ECS-optimised AMI from SSM parameter {AMI_PARAMETER}: {0}")]
    Ami(berth_engine::CloudError),
    #[error("listing availability zones: {0}")]
    Zones(berth_engine::CloudError),
}

/// Look up the zones (one call) and, for EC2 capacity, the current ECS-optimised AMI (one call).
pub async fn inputs(aws: &crate::Aws, m: &Manifest) -> Result<Inputs, InputError> {
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
    let ami = if !m.services.is_empty() && is_ec2(m) {
        let out = aws
            .ssm
            .get_parameter()
            .name(AMI_PARAMETER)
            .send()
            .await
            .aws()
            .map_err(InputError::Ami)?;
        out.parameter().and_then(|p| p.value()).map(str::to_string)
    } else {
        None
    };
    Ok(Inputs {
        region: aws.region.clone(),
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
    ];
    let mut registry = berth_engine::Registry::new();
    for kind in kinds {
        registry.register(kind);
    }
    registry
}
