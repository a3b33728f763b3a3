//! Facts about AWS that berth depends on: which regions it can work in, and which EC2
//! instance types are ARM (Graviton).

/// Regions outside the standard `aws` partition, by name prefix:
/// (prefix, partition, what it is).
const OTHER_PARTITIONS: &[(&str, &str, &str)] = &[
    ("cn-", "aws-cn", "the AWS China regions"),
    ("us-gov-", "aws-us-gov", "AWS GovCloud (US)"),
    ("us-isob-", "aws-iso-b", "an isolated AWS partition"),
    ("us-isof-", "aws-iso-f", "an isolated AWS partition"),
    ("us-iso-", "aws-iso", "an isolated AWS partition"),
    ("eu-isoe-", "aws-iso-e", "an isolated AWS partition"),
];

/// Why berth cannot work in `region`, or `None` when the region is (or may be) in the
/// standard `aws` partition.
///
/// berth builds ARNs (`arn:aws:...`), VPC endpoint service names
/// (`com.amazonaws.REGION.SERVICE`) and managed policy ARNs of the `aws` partition, so a
/// region of another partition (`cn-*`: aws-cn, `us-gov-*`: aws-us-gov, `us-iso*`,
/// `us-isob*`, `eu-isoe*`: the isolated partitions) would fail half-way through `up`.
/// Only the name's shape is checked (`<prefix><area>-<number>`, any case); a name that is
/// not a region at all gives `None`.
pub fn unsupported_region(region: &str) -> Option<String> {
    let r = region.trim().to_ascii_lowercase();
    let (prefix, partition, what) = OTHER_PARTITIONS
        .iter()
        .find(|(prefix, _, _)| r.starts_with(prefix))?;
    // What follows the prefix: `north-1` in `cn-north-1`, `west-1` in `us-gov-west-1`.
    let shape_ok = r[prefix.len()..].split_once('-').is_some_and(|(area, n)| {
        !area.is_empty()
            && area.chars().all(|c| c.is_ascii_lowercase())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    });
    if !shape_ok {
        return None;
    }
    Some(format!(
        "{r} is in the {partition} partition ({what}), and berth supports the standard aws \
         partition only (the ARNs, endpoint names and managed policies it creates are the aws \
         partition's); choose a region like eu-west-2"
    ))
}

/// Is `instance_type` (`family.size`, or just the family) an ARM (AWS Graviton) type?
///
/// Graviton families have a `g` right after the generation digit: `t4g`, `m6g`, `m6gd`,
/// `c6gn`, `c7g`, `c7gn`, `m7g`, `r7g`, `r8g`, `x2gd`, `im4gn`, `is4gen`, `g5g`,
/// `hpc7g`; and `a1` is Graviton (1). Everything else is x86, including GPU families
/// such as `g5` and `p4d`. (EC2 Mac instances are not Linux hosts and are not
/// considered.)
pub fn is_arm64_instance_type(instance_type: &str) -> bool {
    let t = instance_type.trim().to_ascii_lowercase();
    let family = t.split('.').next().unwrap_or_default();
    if family == "a1" {
        return true;
    }
    // `<letters><generation digits>g...`
    let letters = family
        .find(|c: char| !c.is_ascii_lowercase())
        .unwrap_or(family.len());
    if letters == 0 {
        return false;
    }
    let after_letters = &family[letters..];
    let digits = after_letters
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after_letters.len());
    digits > 0 && after_letters[digits..].starts_with('g')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_types() {
        for t in [
            "t4g.small",
            "t4g.nano",
            "m6g.large",
            "m6gd.xlarge",
            "c6g.medium",
            "c6gd.large",
            "c6gn.large",
            "c7g.large",
            "c7gd.large",
            "c7gn.large",
            "m7g.large",
            "m7gd.large",
            "r6g.large",
            "r7g.large",
            "r8g.large",
            "m8g.large",
            "c8g.large",
            "x2gd.large",
            "im4gn.large",
            "is4gen.large",
            "i4g.large",
            "g5g.xlarge",
            "hpc7g.4xlarge",
            "a1.medium",
            "a1.metal",
            "m6g.metal",
            "T4G.SMALL",
            "t4g",
        ] {
            assert!(is_arm64_instance_type(t), "{t} is Graviton");
        }
    }

    #[test]
    fn x86_types() {
        for t in [
            "t3.small",
            "t3a.small",
            "t2.micro",
            "m5.large",
            "m5a.large",
            "m6i.large",
            "m6a.large",
            "m7i.large",
            "m7i-flex.large",
            "c5.large",
            "c6i.large",
            "c6in.large",
            "r5.large",
            "g4dn.xlarge",
            "g4ad.xlarge",
            "g5.xlarge",
            "g6.xlarge",
            "gr6.4xlarge",
            "p3.2xlarge",
            "p4d.24xlarge",
            "p5.48xlarge",
            "inf2.xlarge",
            "trn1.2xlarge",
            "x2iedn.xlarge",
            "z1d.large",
            "u-6tb1.metal",
            "a2.large",
            "",
            ".",
            "g.large",
            "4g.large",
        ] {
            assert!(!is_arm64_instance_type(t), "{t} is not Graviton");
        }
    }

    #[test]
    fn regions_outside_the_aws_partition() {
        for (region, partition) in [
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-iso-west-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("CN-North-1", "aws-cn"),
        ] {
            let msg = unsupported_region(region).unwrap_or_else(|| panic!("{region}"));
            assert!(
                msg.contains(&format!("the {partition} partition")),
                "{region}: {msg}"
            );
            assert!(
                msg.contains("berth supports the standard aws partition only"),
                "{msg}"
            );
            assert!(msg.contains("eu-west-2"), "{msg}");
        }
        assert_eq!(
            unsupported_region("cn-north-1").unwrap(),
            "cn-north-1 is in the aws-cn partition (the AWS China regions), and berth \
             supports the standard aws partition only (the ARNs, endpoint names and managed \
             policies it creates are the aws partition's); choose a region like eu-west-2"
        );
    }

    #[test]
    fn regions_of_the_aws_partition() {
        for region in [
            "eu-west-2",
            "us-east-1",
            "us-west-2",
            "ap-southeast-5",
            "ca-west-1",
            "il-central-1",
            "mx-central-1",
            "",
            "cn",
            "cn-",
            "cn-north",
            "us-gov",
            "us-gov-west",
            "us-iso-1",
            "us-isoxyz-east-1",
        ] {
            assert_eq!(unsupported_region(region), None, "{region}");
        }
    }
}
