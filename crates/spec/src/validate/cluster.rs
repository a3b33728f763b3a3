//! `[cluster]`: the ECS cluster and, for EC2 capacity, its Auto Scaling group.

use super::reader::{Cx, Sp, Tbl};
use crate::types::{Capacity, Cluster};

/// Default EC2 instance type (the seed's).
pub const DEFAULT_INSTANCE_TYPE: &str = "t3.small";

/// The keys of `[cluster]`: exactly [`Cluster`]'s fields.
pub(super) const KEYS: &[&str] = &[
    "capacity",
    "instance_type",
    "min",
    "max",
    "desired",
    "ssh_key",
];

/// Shaped like an EC2 instance type: `family.size`, e.g. `t3.small`.
fn is_instance_type(s: &str) -> bool {
    let Some((family, size)) = s.split_once('.') else {
        return false;
    };
    family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !size.is_empty()
        && size
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// `[cluster]`.
pub(super) fn cluster(cx: &mut Cx, t: Tbl) -> Cluster {
    let t = &cx.check_keys(t, KEYS);
    let capacity = cx
        .string(t, "capacity", "\"ec2\"")
        .and_then(|sp| {
            cx.choice(
                &sp,
                "cluster.capacity",
                "capacity",
                &[
                    ("ec2", Capacity::Ec2),
                    ("fargate", Capacity::Fargate),
                    ("fargate-spot", Capacity::FargateSpot),
                ],
            )
        })
        .unwrap_or(Capacity::Ec2);
    let fargate = capacity.is_fargate();

    // EC2-only settings make no sense with Fargate: say so rather than ignore them.
    if fargate {
        for key in ["instance_type", "min", "max", "desired", "ssh_key"] {
            if let Some((k, _)) = t.get(key) {
                cx.err(
                    k.span(),
                    t.field(key),
                    format!(
                        "{key} applies to EC2 capacity only: with capacity = \"{capacity}\" \
                         there are no instances to configure; remove it or write \
                         capacity = \"ec2\""
                    ),
                );
            }
        }
    }

    let instance_type = match cx.string(t, "instance_type", "\"t3.small\"") {
        None => DEFAULT_INSTANCE_TYPE.to_string(),
        Some(sp) => {
            if !fargate && !is_instance_type(&sp.v) {
                let lower = sp.v.trim().to_ascii_lowercase();
                let hint = if is_instance_type(&lower) {
                    format!("write instance_type = \"{lower}\"")
                } else {
                    "write e.g. instance_type = \"t3.small\"".to_string()
                };
                cx.err(
                    sp.span.clone(),
                    "cluster.instance_type",
                    format!(
                        "`{}` is not an EC2 instance type (family.size, like t3.small or \
                         m7g.large); {hint}",
                        sp.v
                    ),
                );
            }
            sp.v
        }
    };

    let why = "the Auto Scaling group holds 0 to 100 instances";
    let min = cx.int(t, "min", 0, 100, why, 1);
    let max = cx.int(t, "max", 0, 100, why, 3);
    let desired = cx.int(t, "desired", 0, 100, why, 1);
    let bad = |k: &str| t.has(k);
    let (min_v, max_v, desired_v) = (
        min.as_ref().map_or(1, |s| s.v),
        max.as_ref().map_or(3, |s| s.v),
        desired.as_ref().map_or(1, |s| s.v),
    );
    // Only compare sizes that were read successfully (or defaulted), and only for EC2.
    let all_read = ["min", "max", "desired"]
        .iter()
        .zip([min.is_some(), max.is_some(), desired.is_some()])
        .all(|(k, ok)| ok || !bad(k));
    if !fargate && all_read {
        let span_of = |s: &Option<Sp<u32>>| s.as_ref().map(|s| s.span.clone());
        if min_v > max_v {
            let span = span_of(&min).or(span_of(&max)).unwrap_or(t.span.clone());
            cx.err(
                span,
                "cluster.min",
                format!(
                    "min = {min_v} is greater than max = {max_v}; write e.g. min = {max_v} \
                     or max = {min_v}"
                ),
            );
        } else if desired_v < min_v || desired_v > max_v {
            let span = span_of(&desired)
                .or(span_of(&min))
                .or(span_of(&max))
                .unwrap_or(t.span.clone());
            cx.err(
                span,
                "cluster.desired",
                format!(
                    "desired = {desired_v} is outside min = {min_v} to max = {max_v}; \
                     write e.g. desired = {}",
                    desired_v.clamp(min_v, max_v)
                ),
            );
        }
    }

    let ssh_key = match cx.string(t, "ssh_key", "\"my-key\"") {
        Some(sp) if !sp.v.is_empty() => {
            if sp.v.len() > 255 || !sp.v.is_ascii() {
                cx.err(
                    sp.span.clone(),
                    "cluster.ssh_key",
                    "EC2 key pair names are 1-255 ASCII characters; write the name of an \
                     existing key pair, or \"\" for none (SSM Session Manager needs no key)",
                );
            }
            Some(sp.v)
        }
        _ => None,
    };

    Cluster {
        capacity,
        instance_type,
        min: min_v,
        max: max_v,
        desired: desired_v,
        ssh_key,
    }
}
