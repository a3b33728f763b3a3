//! `[network]`'s address plan: the VPC CIDR and the subnets carved out of it.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use toml::de::DeArray;

use super::reader::{Cx, Sp, Tbl};

/// Default VPC CIDR (the seed's).
pub const DEFAULT_CIDR: &str = "172.24.0.0/16";

const PRIVATE_RANGES: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];

/// Inside an RFC 1918 range.
fn is_private(net: &Ipv4Net) -> bool {
    PRIVATE_RANGES.iter().any(|(a, p)| {
        Ipv4Net::new(*a, *p)
            .map(|r| r.contains(net))
            .unwrap_or(false)
    })
}

/// Parse a CIDR string; problems are reported under `field` with `key = "..."`
/// suggestions (just `"..."` when `key` is empty, for list elements).
pub(super) fn cidr(
    cx: &mut Cx,
    sp: &Sp<String>,
    field: &str,
    key: &str,
    min_prefix: u8,
    max_prefix: u8,
    eg: &str,
) -> Option<Ipv4Net> {
    let write = |v: &dyn std::fmt::Display| {
        if key.is_empty() {
            format!("\"{v}\"")
        } else {
            format!("{key} = \"{v}\"")
        }
    };
    let s = sp.v.trim();
    let net: Ipv4Net = match s.parse() {
        Ok(n) => n,
        Err(_) => {
            let msg = if let Ok(addr) = s.parse::<Ipv4Addr>() {
                format!(
                    "`{s}` has no prefix length; write e.g. {}",
                    write(&format!("{addr}/{min_prefix}"))
                )
            } else {
                format!("`{s}` is not an IPv4 CIDR block; write e.g. {}", write(&eg))
            };
            cx.err(sp.span.clone(), field, msg);
            return None;
        }
    };
    let p = net.prefix_len();
    if p < min_prefix {
        let fixed = Ipv4Net::new(net.addr(), min_prefix)
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| eg.to_string());
        cx.err(
            sp.span.clone(),
            field,
            format!(
                "{net} is too large: berth supports /{min_prefix} to /{max_prefix}{}. \
                 Write e.g. {}",
                if min_prefix == 16 {
                    " (AWS allows at most /16 for a VPC or subnet)"
                } else {
                    ""
                },
                write(&fixed)
            ),
        );
        return None;
    }
    if p > max_prefix {
        let fixed = Ipv4Net::new(net.addr(), max_prefix)
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| eg.to_string());
        cx.err(
            sp.span.clone(),
            field,
            format!(
                "{net} is too small: berth supports /{min_prefix} to /{max_prefix}. \
                 Write e.g. {}",
                write(&fixed)
            ),
        );
        return None;
    }
    if net.trunc() != net {
        cx.err(
            sp.span.clone(),
            field,
            format!(
                "{net} has host bits set: the network address of this /{p} is {}. \
                 Write {}",
                net.network(),
                write(&net.trunc())
            ),
        );
        return None;
    }
    Some(net)
}

/// `cidr`: the VPC's block, and whether subnets may be checked against it (`false` when
/// the user's value was unusable and the default stands in).
pub(super) fn vpc_cidr(cx: &mut Cx, t: &Tbl) -> (Ipv4Net, bool) {
    let default_cidr: Ipv4Net = DEFAULT_CIDR.parse().expect("default CIDR is valid");
    let Some(sp) = cx.string(t, "cidr", "\"172.24.0.0/16\"") else {
        // Absent, or not a string (already reported).
        return (default_cidr, !t.has("cidr"));
    };
    let Some(net) = cidr(cx, &sp, "network.cidr", "cidr", 16, 24, DEFAULT_CIDR) else {
        return (default_cidr, false);
    };
    if !is_private(&net) {
        cx.err(
            sp.span.clone(),
            "network.cidr",
            format!(
                "{net} is not a private address range: a VPC on public addresses \
                 would hide the real internet hosts that use them from your tasks. \
                 Use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918); \
                 write e.g. cidr = \"{DEFAULT_CIDR}\""
            ),
        );
        return (default_cidr, false);
    }
    (net, true)
}

/// `private_subnets` and `public_subnets`: both listed, one per AZ (`azs` is the count and
/// whether `azs` itself was valid), or neither and derived from the VPC.
/// Returns (private, public).
pub(super) fn subnets(
    cx: &mut Cx,
    t: &Tbl,
    (vpc, cidr_ok): (Ipv4Net, bool),
    (n, azs_ok): (usize, bool),
) -> (Vec<Ipv4Net>, Vec<Ipv4Net>) {
    let pub_arr = cx.array(
        t,
        "public_subnets",
        "[\"172.24.2.0/24\", \"172.24.3.0/24\"]",
    );
    let priv_arr = cx.array(
        t,
        "private_subnets",
        "[\"172.24.0.0/24\", \"172.24.1.0/24\"]",
    );
    let (derived_priv, derived_pub) = derive_subnets(vpc, n);
    match (priv_arr, pub_arr) {
        (None, None) => (derived_priv, derived_pub),
        (Some(one), None) | (None, Some(one)) => {
            let (set, unset) = if t.has("private_subnets") {
                ("private_subnets", "public_subnets")
            } else {
                ("public_subnets", "private_subnets")
            };
            // A present key of the wrong type is already reported; only flag a lone list.
            if !t.has(unset) {
                cx.err(
                    one.span,
                    format!("network.{set}"),
                    format!(
                        "{set} is set but {unset} is not: list both (one subnet per AZ each), \
                         or neither to let berth derive them from the VPC CIDR"
                    ),
                );
            }
            (derived_priv, derived_pub)
        }
        (Some(pv), Some(pb)) => {
            let mut seen: Vec<(String, Ipv4Net)> = Vec::new();
            let private = subnet_list(
                cx,
                "private_subnets",
                &pv,
                (n, azs_ok),
                vpc,
                cidr_ok,
                &mut seen,
            );
            let public = subnet_list(
                cx,
                "public_subnets",
                &pb,
                (n, azs_ok),
                vpc,
                cidr_ok,
                &mut seen,
            );
            (private, public)
        }
    }
}

/// Default subnets: blocks of `/min(vpc_prefix + 8, 28)`; private `i` = block `i`,
/// public `i` = block `azs + i`. Returns (private, public).
pub(crate) fn derive_subnets(vpc: Ipv4Net, azs: usize) -> (Vec<Ipv4Net>, Vec<Ipv4Net>) {
    let new_prefix = (vpc.prefix_len() + 8).min(28);
    let Ok(mut blocks) = vpc.subnets(new_prefix) else {
        return (Vec::new(), Vec::new());
    };
    let private: Vec<Ipv4Net> = blocks.by_ref().take(azs).collect();
    let public: Vec<Ipv4Net> = blocks.take(azs).collect();
    (private, public)
}

/// One subnet list; `seen` holds the subnets of lists already read, for the overlap check.
fn subnet_list(
    cx: &mut Cx,
    key: &str,
    arr: &Sp<&DeArray>,
    (azs, azs_ok): (usize, bool),
    vpc: Ipv4Net,
    cidr_ok: bool,
    seen: &mut Vec<(String, Ipv4Net)>,
) -> Vec<Ipv4Net> {
    let field = format!("network.{key}");
    // With a bad `azs` the count is unknown: don't report a mismatch against a guess.
    if azs_ok && arr.v.len() != azs {
        cx.err(
            arr.span.clone(),
            &field,
            format!(
                "{} subnet{} listed for {azs} availability zone{}: list exactly one subnet per AZ",
                arr.v.len(),
                if arr.v.len() == 1 { "" } else { "s" },
                if azs == 1 { "" } else { "s" },
            ),
        );
    }
    let mut out = Vec::new();
    for (i, sp) in cx
        .strings(&field, arr.v, "\"172.24.0.0/24\"")
        .into_iter()
        .enumerate()
    {
        let f = format!("{field}[{i}]");
        let Some(net) = cidr(cx, &sp, &f, "", 16, 28, "172.24.0.0/24") else {
            continue;
        };
        if cidr_ok && !vpc.contains(&net) {
            cx.err(
                sp.span.clone(),
                &f,
                format!(
                    "subnet {net} is outside the VPC {vpc}: every subnet must be inside \
                     network.cidr; pick a block inside {vpc}"
                ),
            );
        } else if let Some((other, o)) = seen
            .iter()
            .find(|(_, o)| o.contains(&net) || net.contains(o))
        {
            cx.err(
                sp.span.clone(),
                &f,
                format!(
                    "subnet {net} overlaps {other} ({o}): subnets must not share addresses; \
                     pick a separate block"
                ),
            );
        }
        seen.push((f, net));
        out.push(net);
    }
    out
}
