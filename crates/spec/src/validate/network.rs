//! `[network]`: the VPC, its zones, NAT and endpoints. The address plan (CIDR, subnets)
//! is in [`super::addresses`].

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::DeValue;

use super::addresses;
use super::reader::{Cx, Tbl, join};
use super::stack::is_region;
use crate::types::{Azs, Capacity, Endpoint, NatMode, Network, Service};

/// Default private DNS zone (the seed's).
pub const DEFAULT_PRIVATE_ZONE: &str = "myorg.local";

/// The keys of `[network]`: exactly [`Network`]'s fields.
pub(super) const KEYS: &[&str] = &[
    "cidr",
    "azs",
    "nat",
    "private_zone",
    "endpoints",
    "public_subnets",
    "private_subnets",
    "allow_overlap",
];

/// Shaped like an availability zone name: a region name plus a letter.
fn is_az_name(s: &str) -> bool {
    let Some(last) = s.chars().last() else {
        return false;
    };
    last.is_ascii_lowercase() && is_region(&s[..s.len() - 1])
}

/// A DNS zone name: dot-joined labels of `[a-z0-9-]`, no trailing dot.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// `[network]`, and the span a problem with `nat` points at (for [`check_endpoints`]).
pub(super) fn network(cx: &mut Cx, t: Tbl, region: Option<&str>) -> (Network, Range<usize>) {
    let t = &cx.check_keys(t, KEYS);

    let (vpc, cidr_ok) = addresses::vpc_cidr(cx, t);

    let allow_overlap = cx.boolean(t, "allow_overlap").is_some_and(|b| b.v);

    // azs
    let before = cx.problems.len();
    let azs = azs(cx, t, region);
    let azs_ok = cx.problems.len() == before;

    // nat
    let nat_sp = cx.string(t, "nat", "\"single\"");
    let nat = nat_sp
        .as_ref()
        .and_then(|sp| {
            cx.choice(
                sp,
                "network.nat",
                "nat mode",
                &[
                    ("single", NatMode::Single),
                    ("per-az", NatMode::PerAz),
                    ("none", NatMode::None),
                ],
            )
        })
        .unwrap_or(NatMode::Single);
    let nat_span = nat_sp.map_or(t.span.clone(), |s| s.span);

    // private_zone
    let private_zone = match cx.string(t, "private_zone", "\"myorg.local\"") {
        None => Some(DEFAULT_PRIVATE_ZONE.to_string()),
        Some(sp) if sp.v.is_empty() => None,
        Some(sp) => {
            if !is_dns_name(&sp.v) {
                let fixed = sp.v.trim().trim_end_matches('.').to_ascii_lowercase();
                let hint = if is_dns_name(&fixed) {
                    format!("write private_zone = \"{fixed}\"")
                } else {
                    "write e.g. private_zone = \"myorg.local\", or \"\" for no zone".to_string()
                };
                cx.err(
                    sp.span.clone(),
                    "network.private_zone",
                    format!(
                        "`{}` is not a DNS zone name: labels of a-z, 0-9 and `-` (not at either \
                         end), 1-63 characters, joined by dots, no trailing dot; {hint}",
                        sp.v
                    ),
                );
            }
            Some(sp.v)
        }
    };

    // endpoints
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let known: Vec<(&str, Endpoint)> = Endpoint::ALL.iter().map(|e| (e.as_str(), *e)).collect();
    if let Some(arr) = cx.array(t, "endpoints", "[\"s3\", \"ecr\", \"logs\"]") {
        for (i, sp) in cx
            .strings("network.endpoints", arr.v, "\"s3\"")
            .into_iter()
            .enumerate()
        {
            let field = format!("network.endpoints[{i}]");
            let Some(e) = cx.choice(&sp, &field, "endpoint", &known) else {
                continue;
            };
            if endpoints.contains(&e) {
                cx.err(
                    sp.span,
                    field,
                    format!("duplicate endpoint `{e}`; list each endpoint once"),
                );
            } else {
                endpoints.push(e);
            }
        }
    }

    let (private_subnets, public_subnets) =
        addresses::subnets(cx, t, (vpc, cidr_ok), (azs.count(), azs_ok));

    (
        Network {
            cidr: vpc,
            azs,
            nat,
            private_zone,
            allow_overlap,
            endpoints,
            public_subnets,
            private_subnets,
        },
        nat_span,
    )
}

/// `azs`: a count, or zone names (checked against `region` when it is known).
fn azs(cx: &mut Cx, t: &Tbl, region: Option<&str>) -> Azs {
    let Some((_, v)) = t.get("azs") else {
        return Azs::Count(2);
    };
    match v.get_ref() {
        DeValue::Integer(_) => {
            match cx.int(t, "azs", 1, 6, "berth spans 1 to 6 availability zones", 2) {
                Some(n) => Azs::Count(n.v as u8),
                None => Azs::Count(2),
            }
        }
        DeValue::Array(arr) => {
            let names = cx.strings("network.azs", arr, "\"eu-west-2a\"");
            if arr.is_empty() || arr.len() > 6 {
                cx.err(
                    v.span(),
                    "network.azs",
                    format!(
                        "{} availability zones listed: berth spans 1 to 6; write e.g. \
                         azs = [\"eu-west-2a\", \"eu-west-2b\"]",
                        arr.len()
                    ),
                );
            }
            let mut out: Vec<String> = Vec::new();
            for (i, sp) in names.into_iter().enumerate() {
                let field = format!("network.azs[{i}]");
                let shape_ok = match region {
                    Some(r) => {
                        sp.v.len() == r.len() + 1
                            && sp.v.starts_with(r)
                            && sp.v.ends_with(|c: char| c.is_ascii_lowercase())
                    }
                    None => is_az_name(&sp.v),
                };
                if !shape_ok {
                    let msg = match region {
                        Some(r) => format!(
                            "`{}` is not an availability zone of region {r}: zones are the \
                             region name plus a letter; write e.g. \"{r}a\"",
                            sp.v
                        ),
                        None => format!(
                            "`{}` is not an availability zone name (a region name plus a \
                             letter); write e.g. \"eu-west-2a\"",
                            sp.v
                        ),
                    };
                    cx.err(sp.span.clone(), field, msg);
                } else if out.contains(&sp.v) {
                    cx.err(
                        sp.span.clone(),
                        field,
                        format!(
                            "duplicate availability zone `{}`; list each zone once",
                            sp.v
                        ),
                    );
                    continue;
                }
                out.push(sp.v);
            }
            if out.is_empty() {
                Azs::Count(2)
            } else {
                Azs::Names(out)
            }
        }
        _ => {
            cx.type_err(
                t,
                "azs",
                v,
                "a number of zones or a list of zone names",
                "2 or azs = [\"eu-west-2a\", \"eu-west-2b\"]",
            );
            Azs::Count(2)
        }
    }
}

/// Without NAT, private tasks reach AWS only through VPC endpoints: with services,
/// `nat = "none"` needs every endpoint they use. `nat_span` is from [`network`].
pub(super) fn check_endpoints(
    cx: &mut Cx,
    network: &Network,
    nat_span: Range<usize>,
    capacity: Capacity,
    services: &BTreeMap<String, Service>,
) {
    if network.nat != NatMode::None || services.is_empty() {
        return;
    }
    if let Some(traced) = services.values().find(|s| s.tracing) {
        cx.err(
            nat_span.clone(),
            "network.nat",
            format!(
                "nat = \"none\", but service `{}` has tracing = true: its collector's image \
                 comes from public.ecr.aws, which no VPC endpoint reaches; write nat = \
                 \"single\", or leave tracing out",
                traced.name
            ),
        );
        return;
    }
    let needed = needed_endpoints(capacity, services);
    let missing: Vec<&(Endpoint, String)> = needed
        .iter()
        .filter(|(e, _)| !network.endpoints.contains(e))
        .collect();
    if missing.is_empty() {
        return;
    }
    let mut all: Vec<Endpoint> = needed.iter().map(|(e, _)| *e).collect();
    all.extend(&network.endpoints);
    all.sort();
    all.dedup();
    let line = all
        .iter()
        .map(|e| format!("\"{e}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let reasons = missing
        .iter()
        .map(|(e, why)| format!("\"{e}\" ({why})"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.err(
        nat_span,
        "network.nat",
        format!(
            "nat = \"none\" leaves the private subnets no way to AWS but VPC endpoints, \
             and {} missing: {reasons}; write endpoints = [{line}] or nat = \"single\"",
            if missing.len() == 1 {
                "this one is"
            } else {
                "these are"
            }
        ),
    );
}

/// The endpoints a stack with services needs when it has no NAT gateway, each with why,
/// in [`Endpoint`] order.
fn needed_endpoints(
    capacity: Capacity,
    services: &BTreeMap<String, Service>,
) -> Vec<(Endpoint, String)> {
    let mut out = vec![
        (Endpoint::S3, "ECR serves image layers from S3".to_string()),
        (
            Endpoint::Ecr,
            "tasks pull their images from ECR".to_string(),
        ),
        (
            Endpoint::Logs,
            "tasks send their logs to CloudWatch Logs".to_string(),
        ),
    ];
    if capacity == Capacity::Ec2 {
        out.push((
            Endpoint::Ecs,
            "the ECS agent on the EC2 instances must reach ECS".to_string(),
        ));
    }
    // The first service whose secrets use each store (secrets are valid ARNs by now).
    let user = |store: &str| {
        services.values().find(|s| {
            s.secrets
                .values()
                .any(|arn| arn.split(':').nth(2) == Some(store))
        })
    };
    if let Some(s) = user("ssm") {
        out.push((
            Endpoint::Ssm,
            format!(
                "[{}.secrets] names an SSM parameter",
                join("service", &s.name)
            ),
        ));
    }
    if let Some(s) = user("secretsmanager") {
        out.push((
            Endpoint::SecretsManager,
            format!(
                "[{}.secrets] names a Secrets Manager secret",
                join("service", &s.name)
            ),
        ));
    }
    out
}
