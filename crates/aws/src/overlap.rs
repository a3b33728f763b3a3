//! A new stack's VPC must not overlap another berth stack's: two stacks on the same addresses
//! can never be peered or routed to each other, and finding out after the fact means
//! rebuilding one of them. Checked before the VPC is created (DescribeVpcs, all pages), never
//! after, since a VPC's range can't change.

use ipnet::Ipv4Net;

use crate::Aws;
use crate::error::AllPages;
use berth_engine::{CloudError, TAG_STACK};

/// Another stack's VPC in the way, and a free range to use instead.
#[derive(Debug, thiserror::Error)]
#[error(
    "network.cidr {cidr} overlaps {vpc_id} ({vpc_cidr}) of stack `{other}`: stacks on overlapping addresses can never be peered or routed to each other. Write a free range, e.g. cidr = \"{free}\", or allow_overlap = true under [network] if they never will be; nothing was changed"
)]
pub struct Overlap {
    pub cidr: Ipv4Net,
    pub vpc_id: String,
    pub vpc_cidr: Ipv4Net,
    pub other: String,
    pub free: Ipv4Net,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Overlap(Box<Overlap>),
    #[error("listing VPCs to check network.cidr: {0}")]
    Aws(#[from] CloudError),
}

/// Refuse `cidr` for `stack` when it overlaps the VPC of another berth stack in the region.
pub async fn check(aws: &Aws, stack: &str, cidr: Ipv4Net) -> Result<(), CheckError> {
    // Every VPC, tagged or not: the suggested free range must avoid them all.
    let all = aws
        .ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    let vpcs: Vec<(String, Ipv4Net, Option<String>)> = all
        .iter()
        .filter_map(|v| {
            let range = v.cidr_block()?.parse().ok()?;
            let owner = v
                .tags()
                .iter()
                .find(|t| t.key() == Some(TAG_STACK))
                .and_then(|t| t.value().map(str::to_string));
            Some((v.vpc_id()?.to_string(), range, owner))
        })
        .collect();
    let clash = vpcs.iter().find(|(_, range, owner)| {
        owner.as_deref().is_some_and(|o| o != stack) && overlaps(*range, cidr)
    });
    let Some((vpc_id, vpc_cidr, Some(other))) = clash else {
        return Ok(());
    };
    let taken: Vec<Ipv4Net> = vpcs.iter().map(|(_, range, _)| *range).collect();
    Err(CheckError::Overlap(Box::new(Overlap {
        cidr,
        vpc_id: vpc_id.clone(),
        vpc_cidr: *vpc_cidr,
        other: other.clone(),
        free: free_range(cidr.prefix_len(), &taken),
    })))
}

fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The first block of `prefix` in 10.0.0.0/8 that overlaps none of `taken` (10.0.0.0/8 has
/// room for 256 /16s; a region holds at most a few dozen VPCs).
fn free_range(prefix: u8, taken: &[Ipv4Net]) -> Ipv4Net {
    let ten: Ipv4Net = "10.0.0.0/8".parse().expect("valid");
    ten.subnets(prefix.max(9))
        .expect("a prefix longer than /8")
        .find(|candidate| taken.iter().all(|t| !overlaps(*t, *candidate)))
        .unwrap_or(ten)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn overlap_is_containment_either_way() {
        assert!(overlaps(net("10.0.0.0/16"), net("10.0.4.0/24")));
        assert!(overlaps(net("10.0.4.0/24"), net("10.0.0.0/16")));
        assert!(!overlaps(net("10.0.0.0/16"), net("10.1.0.0/16")));
    }

    #[test]
    fn suggests_the_first_free_block_of_the_same_size() {
        let taken = [net("10.0.0.0/16"), net("10.1.0.0/20"), net("172.24.0.0/16")];
        assert_eq!(free_range(16, &taken), net("10.2.0.0/16"));
        assert_eq!(free_range(20, &taken), net("10.1.16.0/20"));
    }
}
