//! AWS on-demand price table used to show the monthly cost of each resource in a plan.
//!
//! All figures are list prices in USD, Linux, on-demand (no Savings Plans, reservations or free
//! tier), for the resources berth creates: NAT gateways, Application Load Balancers, in-use public
//! IPv4 addresses, interface VPC endpoints, Fargate tasks, CloudWatch Logs, ECR storage, Route 53
//! hosted zones, gp3 EBS volumes and EC2 instances. Monthly figures assume [`HOURS_PER_MONTH`].
//!
//! Source: AWS's public pricing pages — <https://aws.amazon.com/fargate/pricing/>,
//! <https://aws.amazon.com/vpc/pricing/>, <https://aws.amazon.com/elasticloadbalancing/pricing/>,
//! <https://aws.amazon.com/ec2/pricing/on-demand/>, <https://aws.amazon.com/cloudwatch/pricing/>,
//! <https://aws.amazon.com/route53/pricing/>, <https://aws.amazon.com/ecr/pricing/> and
//! <https://aws.amazon.com/ebs/pricing/> — and the AWS Price List API.
//!
//! Provenance, honestly: the us-east-1 EC2 instance prices were checked against a copy of the AWS
//! Price List API data generated on 2026-07-20 (the `zz_generated.pricing_aws.go` table in
//! aws/karpenter-provider-aws), and the us-east-1 Fargate (0.04048 per vCPU-h, 0.004445 per GB-h),
//! NAT gateway (0.045 per hour and per GB), public IPv4 (0.005 per hour), interface endpoint
//! (0.01 per hour and per GB) and CloudWatch Logs (0.50 per GB ingested, 0.03 per GB-month)
//! figures, the ap-northeast-1 CloudWatch Logs and ALB figures and the ap-southeast-1 NAT gateway
//! figure were checked against third-party write-ups of AWS's 2026 pricing pages, not the AWS pages
//! themselves; every other figure (all other regions' instance, Fargate, ALB, NAT, endpoint, logs
//! and EBS prices, plus the global ECR and Route 53 prices) comes from the author's own knowledge
//! of AWS's pricing as of [`AS_OF`], and several Graviton and 7th-generation instance prices
//! outside us-east-1 (m6g, m7g, m7i, c6g, c7g, r6g, r7g) are estimates derived from the region's
//! older-generation price by the us-east-1 ratio, so expect small errors there.
//!
//! Fargate Spot prices vary with supply and demand; the table uses a typical figure of 30% of the
//! on-demand price (AWS advertises "up to 70% off"), so treat Spot costs as rough.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Month (`YYYY-MM`) the figures were read or, where not verified, are known to be from.
pub const AS_OF: &str = "2025-01";

/// Where the figures come from.
pub const SOURCE: &str = "AWS public pricing pages (fargate, vpc, elasticloadbalancing, \
ec2/on-demand, cloudwatch, route53, ecr, ebs) and the AWS Price List API; us-east-1 rechecked \
against 2026 copies, other regions partly from knowledge";

/// Hours in a month, per AWS's own pricing convention (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A region's flat on-demand rates (everything but instances), in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// NAT gateway, USD per gateway-hour.
    pub nat_gateway_hour: f64,
    /// NAT gateway data processed, USD per GB.
    pub nat_gateway_gb: f64,
    /// Application Load Balancer, USD per ALB-hour.
    pub alb_hour: f64,
    /// Application Load Balancer capacity, USD per LCU-hour.
    pub alb_lcu_hour: f64,
    /// In-use public IPv4 address (charged since Feb 2024), USD per address-hour.
    pub public_ipv4_hour: f64,
    /// Interface VPC endpoint, USD per endpoint per AZ per hour.
    pub interface_endpoint_hour: f64,
    /// Interface VPC endpoint data processed (first PB), USD per GB.
    pub interface_endpoint_gb: f64,
    /// Fargate Linux/x86 on-demand, USD per vCPU-hour.
    pub fargate_vcpu_hour: f64,
    /// Fargate Linux/x86 on-demand, USD per GB of memory per hour.
    pub fargate_gb_hour: f64,
    /// Fargate Spot Linux/x86, typical (varies), USD per vCPU-hour.
    pub fargate_spot_vcpu_hour: f64,
    /// Fargate Spot Linux/x86, typical (varies), USD per GB of memory per hour.
    pub fargate_spot_gb_hour: f64,
    /// CloudWatch Logs standard-class ingestion, USD per GB.
    pub log_ingest_gb: f64,
    /// CloudWatch Logs storage (archival), USD per GB-month.
    pub log_storage_gb_month: f64,
    /// ECR private repository storage, USD per GB-month.
    pub ecr_storage_gb_month: f64,
    /// Route 53 hosted zone (first 25 zones), USD per zone-month.
    pub hosted_zone_month: f64,
    /// EBS gp3 storage (baseline IOPS and throughput), USD per GB-month.
    pub ebs_gp3_gb_month: f64,
}

impl Rates {
    /// The value of one of [`RATES`].
    pub fn get(&self, rate: &Rate) -> f64 {
        let mut copy = *self;
        *(rate.field)(&mut copy)
    }
}

/// One flat rate: what it is called, and where the AWS Price List API publishes it.
pub struct Rate {
    pub label: &'static str,
    /// Charged by the hour whether used or not (else by use, or by the month).
    pub hourly: bool,
    pub field: fn(&mut Rates) -> &mut f64,
    pub listed: Listed,
}

/// Where a rate is in the Price List: the service's products in the region (or, for a global
/// service, everywhere) narrowed by `filters`, the one whose usage type is `usagetype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Listed {
    pub service: &'static str,
    pub regional: bool,
    pub filters: &'static [(&'static str, &'static str)],
    /// Without the region prefix the Price List puts before most usage types (`EUW2-`).
    pub usagetype: &'static str,
}

const fn listed(
    service: &'static str,
    filters: &'static [(&'static str, &'static str)],
    usagetype: &'static str,
) -> Listed {
    Listed {
        service,
        regional: true,
        filters,
        usagetype,
    }
}

const NAT: &[(&str, &str)] = &[("productFamily", "NAT Gateway")];
const ALB: &[(&str, &str)] = &[("productFamily", "Load Balancer-Application")];

/// Every flat rate, in the order `berth prices` prints them. Usage types as AWS bills them
/// (Cost and Usage Reports name the same ones).
pub const RATES: [Rate; 16] = [
    Rate {
        label: "NAT gateway",
        hourly: true,
        field: |r| &mut r.nat_gateway_hour,
        listed: listed("AmazonEC2", NAT, "NatGateway-Hours"),
    },
    Rate {
        label: "Application Load Balancer",
        hourly: true,
        field: |r| &mut r.alb_hour,
        listed: listed("AWSELB", ALB, "LoadBalancerUsage"),
    },
    Rate {
        label: "public IPv4 address",
        hourly: true,
        field: |r| &mut r.public_ipv4_hour,
        listed: listed("AmazonVPC", &[], "PublicIPv4:InUseAddress"),
    },
    Rate {
        label: "interface endpoint, per zone",
        hourly: true,
        field: |r| &mut r.interface_endpoint_hour,
        listed: listed("AmazonVPC", &[], "VpcEndpoint-Hours"),
    },
    Rate {
        label: "Fargate, per vCPU",
        hourly: true,
        field: |r| &mut r.fargate_vcpu_hour,
        listed: listed("AmazonECS", &[], "Fargate-vCPU-Hours:perCPU"),
    },
    Rate {
        label: "Fargate, per GB of memory",
        hourly: true,
        field: |r| &mut r.fargate_gb_hour,
        listed: listed("AmazonECS", &[], "Fargate-GB-Hours"),
    },
    Rate {
        label: "Fargate Spot, per vCPU (typical)",
        hourly: true,
        field: |r| &mut r.fargate_spot_vcpu_hour,
        listed: listed("AmazonECS", &[], "SpotUsage-Fargate-vCPU-Hours:perCPU"),
    },
    Rate {
        label: "Fargate Spot, per GB (typical)",
        hourly: true,
        field: |r| &mut r.fargate_spot_gb_hour,
        listed: listed("AmazonECS", &[], "SpotUsage-Fargate-GB-Hours"),
    },
    Rate {
        label: "NAT gateway data, per GB",
        hourly: false,
        field: |r| &mut r.nat_gateway_gb,
        listed: listed("AmazonEC2", NAT, "NatGateway-Bytes"),
    },
    Rate {
        label: "load balancer capacity, per LCU-hour",
        hourly: false,
        field: |r| &mut r.alb_lcu_hour,
        listed: listed("AWSELB", ALB, "LCUUsage"),
    },
    Rate {
        label: "interface endpoint data, per GB",
        hourly: false,
        field: |r| &mut r.interface_endpoint_gb,
        listed: listed("AmazonVPC", &[], "VpcEndpoint-Bytes"),
    },
    Rate {
        label: "logs ingested, per GB",
        hourly: false,
        field: |r| &mut r.log_ingest_gb,
        listed: listed(
            "AmazonCloudWatch",
            &[("productFamily", "Data Payload")],
            "DataProcessing-Bytes",
        ),
    },
    Rate {
        label: "logs kept, per GB-month",
        hourly: false,
        field: |r| &mut r.log_storage_gb_month,
        listed: listed(
            "AmazonCloudWatch",
            &[("productFamily", "Storage Snapshot")],
            "TimedStorage-ByteHrs",
        ),
    },
    Rate {
        label: "images kept (ECR), per GB-month",
        hourly: false,
        field: |r| &mut r.ecr_storage_gb_month,
        listed: listed("AmazonECR", &[], "TimedStorage-ByteHrs"),
    },
    Rate {
        label: "hosted zone, per month",
        hourly: false,
        field: |r| &mut r.hosted_zone_month,
        // Route 53 is global: its prices carry no region.
        listed: Listed {
            regional: false,
            ..listed("AmazonRoute53", &[], "HostedZone")
        },
    },
    Rate {
        label: "gp3 volume, per GB-month",
        hourly: false,
        field: |r| &mut r.ebs_gp3_gb_month,
        listed: listed(
            "AmazonEC2",
            &[("productFamily", "Storage"), ("volumeApiName", "gp3")],
            "EBS:VolumeUsage.gp3",
        ),
    },
];

/// The prices estimates use for one region: the shipped table's, or those `berth prices
/// --refresh` read from the Price List API (see [`super::price_list`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    /// Region code, e.g. `us-east-1`.
    pub region: String,
    /// When the figures were read: [`AS_OF`] for the table, the day of a refresh.
    pub as_of: String,
    pub source: String,
    pub rates: Rates,
    /// EC2 Linux on-demand, USD per instance-hour, by instance type; types not offered in the
    /// region (or not in the table) are absent.
    pub instances: BTreeMap<String, f64>,
    /// Labels of the rates a refresh did not find and kept from the table.
    #[serde(default)]
    pub kept: Vec<String>,
}

impl Prices {
    /// On-demand Linux hourly price of `instance_type` in this region, if known.
    pub fn instance_hour(&self, instance_type: &str) -> Option<f64> {
        self.instances.get(instance_type).copied()
    }

    /// The shipped table's prices for `region`, or `None` if the region is not in the table.
    pub fn shipped(region: &str) -> Option<Prices> {
        let row = REGIONS.iter().find(|p| p.region == region)?;
        Some(Prices {
            region: row.region.to_string(),
            as_of: AS_OF.to_string(),
            source: SOURCE.to_string(),
            rates: row.rates,
            instances: row
                .instances
                .iter()
                .map(|(kind, rate)| (kind.to_string(), *rate))
                .collect(),
            kept: Vec::new(),
        })
    }
}

/// A region's row in the table shipped in the binary.
struct Shipped {
    region: &'static str,
    rates: Rates,
    /// Sorted by instance type.
    instances: &'static [(&'static str, f64)],
}

/// Region codes covered by the table, in table order.
pub fn regions() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|p| p.region)
}

static REGIONS: &[Shipped] = &[
    Shipped {
        region: "us-east-1",
        rates: Rates {
            nat_gateway_hour: 0.045,
            nat_gateway_gb: 0.045,
            alb_hour: 0.0225,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.01,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04048,
            fargate_gb_hour: 0.004445,
            fargate_spot_vcpu_hour: 0.012144,
            fargate_spot_gb_hour: 0.0013335,
            log_ingest_gb: 0.5,
            log_storage_gb_month: 0.03,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.08,
        },
        instances: &[
            ("c5.large", 0.085),
            ("c6g.large", 0.068),
            ("c6i.large", 0.085),
            ("c7g.large", 0.0725),
            ("m5.large", 0.096),
            ("m5.xlarge", 0.192),
            ("m6g.large", 0.077),
            ("m6g.xlarge", 0.154),
            ("m6i.large", 0.096),
            ("m6i.xlarge", 0.192),
            ("m7g.large", 0.0816),
            ("m7g.xlarge", 0.1632),
            ("m7i.large", 0.1008),
            ("r5.large", 0.126),
            ("r6g.large", 0.1008),
            ("r6i.large", 0.126),
            ("r7g.large", 0.1071),
            ("t3.large", 0.0832),
            ("t3.medium", 0.0416),
            ("t3.micro", 0.0104),
            ("t3.small", 0.0208),
            ("t3.xlarge", 0.1664),
            ("t3a.large", 0.0752),
            ("t3a.medium", 0.0376),
            ("t3a.small", 0.0188),
            ("t4g.large", 0.0672),
            ("t4g.medium", 0.0336),
            ("t4g.micro", 0.0084),
            ("t4g.small", 0.0168),
            ("t4g.xlarge", 0.1344),
        ],
    },
    Shipped {
        region: "us-east-2",
        rates: Rates {
            nat_gateway_hour: 0.045,
            nat_gateway_gb: 0.045,
            alb_hour: 0.0225,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.01,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04048,
            fargate_gb_hour: 0.004445,
            fargate_spot_vcpu_hour: 0.012144,
            fargate_spot_gb_hour: 0.0013335,
            log_ingest_gb: 0.5,
            log_storage_gb_month: 0.03,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.08,
        },
        instances: &[
            ("c5.large", 0.085),
            ("c6g.large", 0.068),
            ("c6i.large", 0.085),
            ("c7g.large", 0.0725),
            ("m5.large", 0.096),
            ("m5.xlarge", 0.192),
            ("m6g.large", 0.077),
            ("m6g.xlarge", 0.154),
            ("m6i.large", 0.096),
            ("m6i.xlarge", 0.192),
            ("m7g.large", 0.0816),
            ("m7g.xlarge", 0.1632),
            ("m7i.large", 0.1008),
            ("r5.large", 0.126),
            ("r6g.large", 0.1008),
            ("r6i.large", 0.126),
            ("r7g.large", 0.1071),
            ("t3.large", 0.0832),
            ("t3.medium", 0.0416),
            ("t3.micro", 0.0104),
            ("t3.small", 0.0208),
            ("t3.xlarge", 0.1664),
            ("t3a.large", 0.0752),
            ("t3a.medium", 0.0376),
            ("t3a.small", 0.0188),
            ("t4g.large", 0.0672),
            ("t4g.medium", 0.0336),
            ("t4g.micro", 0.0084),
            ("t4g.small", 0.0168),
            ("t4g.xlarge", 0.1344),
        ],
    },
    Shipped {
        region: "us-west-1",
        rates: Rates {
            nat_gateway_hour: 0.048,
            nat_gateway_gb: 0.048,
            alb_hour: 0.0252,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.011,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04656,
            fargate_gb_hour: 0.00511,
            fargate_spot_vcpu_hour: 0.013968,
            fargate_spot_gb_hour: 0.001533,
            log_ingest_gb: 0.5,
            log_storage_gb_month: 0.03,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.096,
        },
        instances: &[
            ("c5.large", 0.106),
            ("c6g.large", 0.0848),
            ("c6i.large", 0.106),
            ("c7g.large", 0.0904),
            ("m5.large", 0.112),
            ("m5.xlarge", 0.224),
            ("m6g.large", 0.0896),
            ("m6g.xlarge", 0.1792),
            ("m6i.large", 0.112),
            ("m6i.xlarge", 0.224),
            ("m7g.large", 0.095),
            ("m7g.xlarge", 0.1899),
            ("m7i.large", 0.1176),
            ("r5.large", 0.14),
            ("r6g.large", 0.112),
            ("r6i.large", 0.14),
            ("r7g.large", 0.119),
            ("t3.large", 0.0992),
            ("t3.medium", 0.0496),
            ("t3.micro", 0.0124),
            ("t3.small", 0.0248),
            ("t3.xlarge", 0.1984),
            ("t3a.large", 0.0896),
            ("t3a.medium", 0.0448),
            ("t3a.small", 0.0224),
            ("t4g.large", 0.08),
            ("t4g.medium", 0.04),
            ("t4g.micro", 0.01),
            ("t4g.small", 0.02),
            ("t4g.xlarge", 0.16),
        ],
    },
    Shipped {
        region: "us-west-2",
        rates: Rates {
            nat_gateway_hour: 0.045,
            nat_gateway_gb: 0.045,
            alb_hour: 0.0225,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.01,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04048,
            fargate_gb_hour: 0.004445,
            fargate_spot_vcpu_hour: 0.012144,
            fargate_spot_gb_hour: 0.0013335,
            log_ingest_gb: 0.5,
            log_storage_gb_month: 0.03,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.08,
        },
        instances: &[
            ("c5.large", 0.085),
            ("c6g.large", 0.068),
            ("c6i.large", 0.085),
            ("c7g.large", 0.0725),
            ("m5.large", 0.096),
            ("m5.xlarge", 0.192),
            ("m6g.large", 0.077),
            ("m6g.xlarge", 0.154),
            ("m6i.large", 0.096),
            ("m6i.xlarge", 0.192),
            ("m7g.large", 0.0816),
            ("m7g.xlarge", 0.1632),
            ("m7i.large", 0.1008),
            ("r5.large", 0.126),
            ("r6g.large", 0.1008),
            ("r6i.large", 0.126),
            ("r7g.large", 0.1071),
            ("t3.large", 0.0832),
            ("t3.medium", 0.0416),
            ("t3.micro", 0.0104),
            ("t3.small", 0.0208),
            ("t3.xlarge", 0.1664),
            ("t3a.large", 0.0752),
            ("t3a.medium", 0.0376),
            ("t3a.small", 0.0188),
            ("t4g.large", 0.0672),
            ("t4g.medium", 0.0336),
            ("t4g.micro", 0.0084),
            ("t4g.small", 0.0168),
            ("t4g.xlarge", 0.1344),
        ],
    },
    Shipped {
        region: "ca-central-1",
        rates: Rates {
            nat_gateway_hour: 0.05,
            nat_gateway_gb: 0.05,
            alb_hour: 0.02475,
            alb_lcu_hour: 0.0088,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.011,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04456,
            fargate_gb_hour: 0.00489,
            fargate_spot_vcpu_hour: 0.013368,
            fargate_spot_gb_hour: 0.001467,
            log_ingest_gb: 0.55,
            log_storage_gb_month: 0.033,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.088,
        },
        instances: &[
            ("c5.large", 0.093),
            ("c6g.large", 0.0744),
            ("c6i.large", 0.093),
            ("c7g.large", 0.0793),
            ("m5.large", 0.107),
            ("m5.xlarge", 0.214),
            ("m6g.large", 0.0856),
            ("m6g.xlarge", 0.1712),
            ("m6i.large", 0.107),
            ("m6i.xlarge", 0.214),
            ("m7g.large", 0.0907),
            ("m7g.xlarge", 0.1814),
            ("m7i.large", 0.1124),
            ("r5.large", 0.138),
            ("r6g.large", 0.1104),
            ("r6i.large", 0.138),
            ("r7g.large", 0.1173),
            ("t3.large", 0.0928),
            ("t3.medium", 0.0464),
            ("t3.micro", 0.0116),
            ("t3.small", 0.0232),
            ("t3.xlarge", 0.1856),
            ("t3a.large", 0.0832),
            ("t3a.medium", 0.0416),
            ("t3a.small", 0.0208),
            ("t4g.large", 0.0736),
            ("t4g.medium", 0.0368),
            ("t4g.micro", 0.0092),
            ("t4g.small", 0.0184),
            ("t4g.xlarge", 0.1472),
        ],
    },
    Shipped {
        region: "eu-west-1",
        rates: Rates {
            nat_gateway_hour: 0.048,
            nat_gateway_gb: 0.048,
            alb_hour: 0.0252,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.011,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04048,
            fargate_gb_hour: 0.004445,
            fargate_spot_vcpu_hour: 0.012144,
            fargate_spot_gb_hour: 0.0013335,
            log_ingest_gb: 0.57,
            log_storage_gb_month: 0.03,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.088,
        },
        instances: &[
            ("c5.large", 0.096),
            ("c6g.large", 0.0768),
            ("c6i.large", 0.096),
            ("c7g.large", 0.0819),
            ("m5.large", 0.107),
            ("m5.xlarge", 0.214),
            ("m6g.large", 0.086),
            ("m6g.xlarge", 0.172),
            ("m6i.large", 0.107),
            ("m6i.xlarge", 0.214),
            ("m7g.large", 0.0911),
            ("m7g.xlarge", 0.1823),
            ("m7i.large", 0.1124),
            ("r5.large", 0.141),
            ("r6g.large", 0.1128),
            ("r6i.large", 0.141),
            ("r7g.large", 0.1198),
            ("t3.large", 0.0912),
            ("t3.medium", 0.0456),
            ("t3.micro", 0.0114),
            ("t3.small", 0.0228),
            ("t3.xlarge", 0.1824),
            ("t3a.large", 0.0816),
            ("t3a.medium", 0.0408),
            ("t3a.small", 0.0204),
            ("t4g.large", 0.0736),
            ("t4g.medium", 0.0368),
            ("t4g.micro", 0.0092),
            ("t4g.small", 0.0184),
            ("t4g.xlarge", 0.1472),
        ],
    },
    Shipped {
        region: "eu-west-2",
        rates: Rates {
            nat_gateway_hour: 0.05,
            nat_gateway_gb: 0.05,
            alb_hour: 0.02646,
            alb_lcu_hour: 0.0084,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.011,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04656,
            fargate_gb_hour: 0.00511,
            fargate_spot_vcpu_hour: 0.013968,
            fargate_spot_gb_hour: 0.001533,
            log_ingest_gb: 0.5985,
            log_storage_gb_month: 0.0315,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0928,
        },
        instances: &[
            ("c5.large", 0.101),
            ("c6g.large", 0.0808),
            ("c6i.large", 0.101),
            ("c7g.large", 0.0861),
            ("m5.large", 0.111),
            ("m5.xlarge", 0.222),
            ("m6g.large", 0.0888),
            ("m6g.xlarge", 0.1776),
            ("m6i.large", 0.111),
            ("m6i.xlarge", 0.222),
            ("m7g.large", 0.0941),
            ("m7g.xlarge", 0.1882),
            ("m7i.large", 0.1166),
            ("r5.large", 0.148),
            ("r6g.large", 0.1184),
            ("r6i.large", 0.148),
            ("r7g.large", 0.1258),
            ("t3.large", 0.0944),
            ("t3.medium", 0.0472),
            ("t3.micro", 0.0118),
            ("t3.small", 0.0236),
            ("t3.xlarge", 0.1888),
            ("t3a.large", 0.0848),
            ("t3a.medium", 0.0424),
            ("t3a.small", 0.0212),
            ("t4g.large", 0.0752),
            ("t4g.medium", 0.0376),
            ("t4g.micro", 0.0094),
            ("t4g.small", 0.0188),
            ("t4g.xlarge", 0.1504),
        ],
    },
    Shipped {
        region: "eu-west-3",
        rates: Rates {
            nat_gateway_hour: 0.05,
            nat_gateway_gb: 0.05,
            alb_hour: 0.02646,
            alb_lcu_hour: 0.0084,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.012,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04656,
            fargate_gb_hour: 0.00511,
            fargate_spot_vcpu_hour: 0.013968,
            fargate_spot_gb_hour: 0.001533,
            log_ingest_gb: 0.5985,
            log_storage_gb_month: 0.0315,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0928,
        },
        instances: &[
            ("c5.large", 0.101),
            ("c6g.large", 0.0808),
            ("c6i.large", 0.101),
            ("c7g.large", 0.0861),
            ("m5.large", 0.112),
            ("m5.xlarge", 0.224),
            ("m6g.large", 0.0896),
            ("m6g.xlarge", 0.1792),
            ("m6i.large", 0.112),
            ("m6i.xlarge", 0.224),
            ("m7g.large", 0.095),
            ("m7g.xlarge", 0.1899),
            ("m7i.large", 0.1176),
            ("r5.large", 0.148),
            ("r6g.large", 0.1184),
            ("r6i.large", 0.148),
            ("r7g.large", 0.1258),
            ("t3.large", 0.0944),
            ("t3.medium", 0.0472),
            ("t3.micro", 0.0118),
            ("t3.small", 0.0236),
            ("t3.xlarge", 0.1888),
            ("t3a.large", 0.0848),
            ("t3a.medium", 0.0424),
            ("t3a.small", 0.0212),
            ("t4g.large", 0.0752),
            ("t4g.medium", 0.0376),
            ("t4g.micro", 0.0094),
            ("t4g.small", 0.0188),
            ("t4g.xlarge", 0.1504),
        ],
    },
    Shipped {
        region: "eu-central-1",
        rates: Rates {
            nat_gateway_hour: 0.052,
            nat_gateway_gb: 0.052,
            alb_hour: 0.027,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.012,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04656,
            fargate_gb_hour: 0.00511,
            fargate_spot_vcpu_hour: 0.013968,
            fargate_spot_gb_hour: 0.001533,
            log_ingest_gb: 0.63,
            log_storage_gb_month: 0.0324,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0952,
        },
        instances: &[
            ("c5.large", 0.097),
            ("c6g.large", 0.0776),
            ("c6i.large", 0.097),
            ("c7g.large", 0.0827),
            ("m5.large", 0.115),
            ("m5.xlarge", 0.23),
            ("m6g.large", 0.092),
            ("m6g.xlarge", 0.184),
            ("m6i.large", 0.115),
            ("m6i.xlarge", 0.23),
            ("m7g.large", 0.0975),
            ("m7g.xlarge", 0.195),
            ("m7i.large", 0.1208),
            ("r5.large", 0.152),
            ("r6g.large", 0.1216),
            ("r6i.large", 0.152),
            ("r7g.large", 0.1292),
            ("t3.large", 0.096),
            ("t3.medium", 0.048),
            ("t3.micro", 0.012),
            ("t3.small", 0.024),
            ("t3.xlarge", 0.192),
            ("t3a.large", 0.0864),
            ("t3a.medium", 0.0432),
            ("t3a.small", 0.0216),
            ("t4g.large", 0.0768),
            ("t4g.medium", 0.0384),
            ("t4g.micro", 0.0096),
            ("t4g.small", 0.0192),
            ("t4g.xlarge", 0.1536),
        ],
    },
    Shipped {
        region: "eu-north-1",
        rates: Rates {
            nat_gateway_hour: 0.046,
            nat_gateway_gb: 0.046,
            alb_hour: 0.02394,
            alb_lcu_hour: 0.0076,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.011,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04456,
            fargate_gb_hour: 0.00489,
            fargate_spot_vcpu_hour: 0.013368,
            fargate_spot_gb_hour: 0.001467,
            log_ingest_gb: 0.57,
            log_storage_gb_month: 0.0315,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0836,
        },
        instances: &[
            ("c5.large", 0.091),
            ("c6g.large", 0.0728),
            ("c6i.large", 0.091),
            ("c7g.large", 0.0776),
            ("m5.large", 0.102),
            ("m5.xlarge", 0.204),
            ("m6g.large", 0.0816),
            ("m6g.xlarge", 0.1632),
            ("m6i.large", 0.102),
            ("m6i.xlarge", 0.204),
            ("m7g.large", 0.0865),
            ("m7g.xlarge", 0.1729),
            ("m7i.large", 0.1071),
            ("r5.large", 0.134),
            ("r6g.large", 0.1072),
            ("r6i.large", 0.134),
            ("r7g.large", 0.1139),
            ("t3.large", 0.0864),
            ("t3.medium", 0.0432),
            ("t3.micro", 0.0108),
            ("t3.small", 0.0216),
            ("t3.xlarge", 0.1728),
            ("t3a.large", 0.0778),
            ("t3a.medium", 0.0389),
            ("t3a.small", 0.0194),
            ("t4g.large", 0.0688),
            ("t4g.medium", 0.0344),
            ("t4g.micro", 0.0086),
            ("t4g.small", 0.0172),
            ("t4g.xlarge", 0.1376),
        ],
    },
    Shipped {
        region: "eu-south-1",
        rates: Rates {
            nat_gateway_hour: 0.052,
            nat_gateway_gb: 0.052,
            alb_hour: 0.02646,
            alb_lcu_hour: 0.0084,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.012,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04856,
            fargate_gb_hour: 0.00533,
            fargate_spot_vcpu_hour: 0.014568,
            fargate_spot_gb_hour: 0.001599,
            log_ingest_gb: 0.5985,
            log_storage_gb_month: 0.0315,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0924,
        },
        instances: &[
            ("c5.large", 0.101),
            ("c6g.large", 0.0808),
            ("c6i.large", 0.101),
            ("c7g.large", 0.0861),
            ("m5.large", 0.112),
            ("m5.xlarge", 0.224),
            ("m6g.large", 0.0896),
            ("m6g.xlarge", 0.1792),
            ("m6i.large", 0.112),
            ("m6i.xlarge", 0.224),
            ("m7g.large", 0.095),
            ("m7g.xlarge", 0.1899),
            ("m7i.large", 0.1176),
            ("r5.large", 0.148),
            ("r6g.large", 0.1184),
            ("r6i.large", 0.148),
            ("r7g.large", 0.1258),
            ("t3.large", 0.0944),
            ("t3.medium", 0.0472),
            ("t3.micro", 0.0118),
            ("t3.small", 0.0236),
            ("t3.xlarge", 0.1888),
            ("t3a.large", 0.0848),
            ("t3a.medium", 0.0424),
            ("t3a.small", 0.0212),
            ("t4g.large", 0.0752),
            ("t4g.medium", 0.0376),
            ("t4g.micro", 0.0094),
            ("t4g.small", 0.0188),
            ("t4g.xlarge", 0.1504),
        ],
    },
    Shipped {
        region: "ap-northeast-1",
        rates: Rates {
            nat_gateway_hour: 0.062,
            nat_gateway_gb: 0.062,
            alb_hour: 0.0243,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.014,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.05056,
            fargate_gb_hour: 0.00553,
            fargate_spot_vcpu_hour: 0.015168,
            fargate_spot_gb_hour: 0.001659,
            log_ingest_gb: 0.76,
            log_storage_gb_month: 0.033,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.096,
        },
        instances: &[
            ("c5.large", 0.107),
            ("c6g.large", 0.0856),
            ("c6i.large", 0.107),
            ("c7g.large", 0.0913),
            ("m5.large", 0.124),
            ("m5.xlarge", 0.248),
            ("m6g.large", 0.099),
            ("m6g.xlarge", 0.198),
            ("m6i.large", 0.124),
            ("m6i.xlarge", 0.248),
            ("m7g.large", 0.1049),
            ("m7g.xlarge", 0.2098),
            ("m7i.large", 0.1302),
            ("r5.large", 0.152),
            ("r6g.large", 0.1216),
            ("r6i.large", 0.152),
            ("r7g.large", 0.1292),
            ("t3.large", 0.1088),
            ("t3.medium", 0.0544),
            ("t3.micro", 0.0136),
            ("t3.small", 0.0272),
            ("t3.xlarge", 0.2176),
            ("t3a.large", 0.098),
            ("t3a.medium", 0.049),
            ("t3a.small", 0.0245),
            ("t4g.large", 0.0864),
            ("t4g.medium", 0.0432),
            ("t4g.micro", 0.0108),
            ("t4g.small", 0.0216),
            ("t4g.xlarge", 0.1728),
        ],
    },
    Shipped {
        region: "ap-northeast-2",
        rates: Rates {
            nat_gateway_hour: 0.059,
            nat_gateway_gb: 0.059,
            alb_hour: 0.0225,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.013,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04946,
            fargate_gb_hour: 0.00541,
            fargate_spot_vcpu_hour: 0.014838,
            fargate_spot_gb_hour: 0.001623,
            log_ingest_gb: 0.76,
            log_storage_gb_month: 0.033,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0912,
        },
        instances: &[
            ("c5.large", 0.096),
            ("c6g.large", 0.0768),
            ("c6i.large", 0.096),
            ("c7g.large", 0.0819),
            ("m5.large", 0.118),
            ("m5.xlarge", 0.236),
            ("m6g.large", 0.094),
            ("m6g.xlarge", 0.188),
            ("m6i.large", 0.118),
            ("m6i.xlarge", 0.236),
            ("m7g.large", 0.0996),
            ("m7g.xlarge", 0.1992),
            ("m7i.large", 0.1239),
            ("r5.large", 0.152),
            ("r6g.large", 0.1216),
            ("r6i.large", 0.152),
            ("r7g.large", 0.1292),
            ("t3.large", 0.104),
            ("t3.medium", 0.052),
            ("t3.micro", 0.013),
            ("t3.small", 0.026),
            ("t3.xlarge", 0.208),
            ("t3a.large", 0.0936),
            ("t3a.medium", 0.0468),
            ("t3a.small", 0.0234),
            ("t4g.large", 0.0832),
            ("t4g.medium", 0.0416),
            ("t4g.micro", 0.0104),
            ("t4g.small", 0.0208),
            ("t4g.xlarge", 0.1664),
        ],
    },
    Shipped {
        region: "ap-southeast-1",
        rates: Rates {
            nat_gateway_hour: 0.059,
            nat_gateway_gb: 0.059,
            alb_hour: 0.0252,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.013,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.05056,
            fargate_gb_hour: 0.00553,
            fargate_spot_vcpu_hour: 0.015168,
            fargate_spot_gb_hour: 0.001659,
            log_ingest_gb: 0.7,
            log_storage_gb_month: 0.033,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.096,
        },
        instances: &[
            ("c5.large", 0.098),
            ("c6g.large", 0.0784),
            ("c6i.large", 0.098),
            ("c7g.large", 0.0836),
            ("m5.large", 0.12),
            ("m5.xlarge", 0.24),
            ("m6g.large", 0.096),
            ("m6g.xlarge", 0.192),
            ("m6i.large", 0.12),
            ("m6i.xlarge", 0.24),
            ("m7g.large", 0.1017),
            ("m7g.xlarge", 0.2035),
            ("m7i.large", 0.126),
            ("r5.large", 0.152),
            ("r6g.large", 0.1216),
            ("r6i.large", 0.152),
            ("r7g.large", 0.1292),
            ("t3.large", 0.1056),
            ("t3.medium", 0.0528),
            ("t3.micro", 0.0132),
            ("t3.small", 0.0264),
            ("t3.xlarge", 0.2112),
            ("t3a.large", 0.0944),
            ("t3a.medium", 0.0472),
            ("t3a.small", 0.0236),
            ("t4g.large", 0.0848),
            ("t4g.medium", 0.0424),
            ("t4g.micro", 0.0106),
            ("t4g.small", 0.0212),
            ("t4g.xlarge", 0.1696),
        ],
    },
    Shipped {
        region: "ap-southeast-2",
        rates: Rates {
            nat_gateway_hour: 0.059,
            nat_gateway_gb: 0.059,
            alb_hour: 0.0252,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.013,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04856,
            fargate_gb_hour: 0.00532,
            fargate_spot_vcpu_hour: 0.014568,
            fargate_spot_gb_hour: 0.001596,
            log_ingest_gb: 0.7,
            log_storage_gb_month: 0.033,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.096,
        },
        instances: &[
            ("c5.large", 0.111),
            ("c6g.large", 0.0888),
            ("c6i.large", 0.111),
            ("c7g.large", 0.0947),
            ("m5.large", 0.12),
            ("m5.xlarge", 0.24),
            ("m6g.large", 0.096),
            ("m6g.xlarge", 0.192),
            ("m6i.large", 0.12),
            ("m6i.xlarge", 0.24),
            ("m7g.large", 0.1017),
            ("m7g.xlarge", 0.2035),
            ("m7i.large", 0.126),
            ("r5.large", 0.151),
            ("r6g.large", 0.1208),
            ("r6i.large", 0.151),
            ("r7g.large", 0.1283),
            ("t3.large", 0.1056),
            ("t3.medium", 0.0528),
            ("t3.micro", 0.0132),
            ("t3.small", 0.0264),
            ("t3.xlarge", 0.2112),
            ("t3a.large", 0.095),
            ("t3a.medium", 0.0475),
            ("t3a.small", 0.0238),
            ("t4g.large", 0.0848),
            ("t4g.medium", 0.0424),
            ("t4g.micro", 0.0106),
            ("t4g.small", 0.0212),
            ("t4g.xlarge", 0.1696),
        ],
    },
    Shipped {
        region: "ap-south-1",
        rates: Rates {
            nat_gateway_hour: 0.056,
            nat_gateway_gb: 0.056,
            alb_hour: 0.0239,
            alb_lcu_hour: 0.008,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.011,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.04256,
            fargate_gb_hour: 0.00467,
            fargate_spot_vcpu_hour: 0.012768,
            fargate_spot_gb_hour: 0.001401,
            log_ingest_gb: 0.63,
            log_storage_gb_month: 0.033,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.0912,
        },
        instances: &[
            ("c5.large", 0.085),
            ("c6g.large", 0.068),
            ("c6i.large", 0.085),
            ("c7g.large", 0.0725),
            ("m5.large", 0.101),
            ("m5.xlarge", 0.202),
            ("m6g.large", 0.0808),
            ("m6g.xlarge", 0.1616),
            ("m6i.large", 0.101),
            ("m6i.xlarge", 0.202),
            ("m7g.large", 0.0856),
            ("m7g.xlarge", 0.1713),
            ("m7i.large", 0.1061),
            ("r5.large", 0.127),
            ("r6g.large", 0.1016),
            ("r6i.large", 0.127),
            ("r7g.large", 0.1079),
            ("t3.large", 0.0896),
            ("t3.medium", 0.0448),
            ("t3.micro", 0.0112),
            ("t3.small", 0.0224),
            ("t3.xlarge", 0.1792),
            ("t3a.large", 0.0806),
            ("t3a.medium", 0.0403),
            ("t3a.small", 0.0202),
            ("t4g.large", 0.072),
            ("t4g.medium", 0.036),
            ("t4g.micro", 0.009),
            ("t4g.small", 0.018),
            ("t4g.xlarge", 0.144),
        ],
    },
    Shipped {
        region: "sa-east-1",
        rates: Rates {
            nat_gateway_hour: 0.093,
            nat_gateway_gb: 0.093,
            alb_hour: 0.034,
            alb_lcu_hour: 0.011,
            public_ipv4_hour: 0.005,
            interface_endpoint_hour: 0.0175,
            interface_endpoint_gb: 0.01,
            fargate_vcpu_hour: 0.0696,
            fargate_gb_hour: 0.0076,
            fargate_spot_vcpu_hour: 0.02088,
            fargate_spot_gb_hour: 0.00228,
            log_ingest_gb: 0.9,
            log_storage_gb_month: 0.04,
            ecr_storage_gb_month: 0.1,
            hosted_zone_month: 0.5,
            ebs_gp3_gb_month: 0.152,
        },
        instances: &[
            ("c5.large", 0.131),
            ("c6g.large", 0.1048),
            ("c6i.large", 0.131),
            ("c7g.large", 0.1117),
            ("m5.large", 0.153),
            ("m5.xlarge", 0.306),
            ("m6g.large", 0.1224),
            ("m6g.xlarge", 0.2448),
            ("m6i.large", 0.153),
            ("m6i.xlarge", 0.306),
            ("m7g.large", 0.1297),
            ("m7g.xlarge", 0.2594),
            ("m7i.large", 0.1607),
            ("r5.large", 0.2),
            ("r6g.large", 0.16),
            ("r6i.large", 0.2),
            ("r7g.large", 0.17),
            ("t3.large", 0.1344),
            ("t3.medium", 0.0672),
            ("t3.micro", 0.0168),
            ("t3.small", 0.0336),
            ("t3.xlarge", 0.2688),
            ("t3a.large", 0.121),
            ("t3a.medium", 0.0605),
            ("t3a.small", 0.0302),
            ("t4g.large", 0.1072),
            ("t4g.medium", 0.0536),
            ("t4g.micro", 0.0134),
            ("t4g.small", 0.0268),
            ("t4g.xlarge", 0.2144),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_is_complete_and_sorted() {
        let expected = [
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-north-1",
            "eu-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-south-1",
            "sa-east-1",
        ];
        let got: Vec<&str> = regions().collect();
        assert_eq!(got, expected);

        for p in REGIONS {
            let r = p.region;
            for rate in &RATES {
                let v = p.rates.get(rate);
                assert!(v > 0.0 && v.is_finite(), "{r}: {} = {v}", rate.label);
            }
            assert!(
                p.rates.fargate_spot_vcpu_hour < p.rates.fargate_vcpu_hour
                    && p.rates.fargate_spot_gb_hour < p.rates.fargate_gb_hour,
                "{r}: Fargate Spot must be cheaper than on-demand"
            );
            assert!(!p.instances.is_empty(), "{r}: no instances");
            for (name, price) in p.instances {
                assert!(*price > 0.0 && price.is_finite(), "{r}: {name} = {price}");
            }
            for w in p.instances.windows(2) {
                assert!(w[0].0 < w[1].0, "{r}: {} !< {}", w[0].0, w[1].0);
            }
            let prices = Prices::shipped(r).unwrap();
            for (name, price) in p.instances {
                assert_eq!(
                    prices.instance_hour(name),
                    Some(*price),
                    "{r}: lookup {name}"
                );
            }
        }
    }

    #[test]
    fn us_east_1_well_known_figures() {
        let p = Prices::shipped("us-east-1").unwrap();
        assert_eq!(p.rates.nat_gateway_hour, 0.045);
        assert_eq!(p.rates.nat_gateway_gb, 0.045);
        assert_eq!(p.rates.public_ipv4_hour, 0.005);
        assert_eq!(p.rates.fargate_vcpu_hour, 0.04048);
        assert_eq!(p.rates.fargate_gb_hour, 0.004445);
        assert_eq!(p.rates.alb_hour, 0.0225);
        assert_eq!(p.rates.alb_lcu_hour, 0.008);
        assert_eq!(p.rates.interface_endpoint_hour, 0.01);
        assert_eq!(p.rates.log_ingest_gb, 0.50);
        assert_eq!(p.rates.hosted_zone_month, 0.50);
        assert_eq!(p.rates.ebs_gp3_gb_month, 0.08);
        assert_eq!(p.instance_hour("t3.small"), Some(0.0208));
        assert_eq!(p.instance_hour("t3.micro"), Some(0.0104));
        assert_eq!(p.instance_hour("m5.large"), Some(0.096));
        assert_eq!(p.instance_hour("t4g.small"), Some(0.0168));
    }

    #[test]
    fn covers_requested_instance_types_in_us_east_1() {
        let p = Prices::shipped("us-east-1").unwrap();
        for t in [
            "t3.micro",
            "t3.small",
            "t3.medium",
            "t3.large",
            "t3.xlarge",
            "t3a.small",
            "t3a.medium",
            "t3a.large",
            "t4g.micro",
            "t4g.small",
            "t4g.medium",
            "t4g.large",
            "t4g.xlarge",
            "m5.large",
            "m5.xlarge",
            "m6i.large",
            "m6i.xlarge",
            "m6g.large",
            "m6g.xlarge",
            "m7g.large",
            "m7g.xlarge",
            "m7i.large",
            "c5.large",
            "c6i.large",
            "c6g.large",
            "c7g.large",
            "r5.large",
            "r6g.large",
            "r6i.large",
            "r7g.large",
        ] {
            assert!(p.instance_hour(t).is_some(), "missing {t}");
        }
    }

    #[test]
    fn every_rate_names_its_own_field() {
        let mut rates = Prices::shipped("us-east-1").unwrap().rates;
        for (i, rate) in RATES.iter().enumerate() {
            *(rate.field)(&mut rates) = i as f64;
        }
        for (i, rate) in RATES.iter().enumerate() {
            assert_eq!(rates.get(rate), i as f64, "{} shares a field", rate.label);
        }
    }

    #[test]
    fn unknown_region_is_none() {
        assert!(Prices::shipped("xx-nowhere-1").is_none());
        assert!(Prices::shipped("").is_none());
        assert!(Prices::shipped("US-EAST-1").is_none());
    }

    #[test]
    fn unknown_instance_type_is_none() {
        let p = Prices::shipped("eu-west-2").unwrap();
        assert_eq!(p.instance_hour("t3.nonexistent"), None);
        assert_eq!(p.instance_hour(""), None);
        assert_eq!(p.instance_hour("zz.large"), None);
    }

    #[test]
    fn monthly_convention() {
        let p = Prices::shipped("us-east-1").unwrap();
        let nat_month = p.rates.nat_gateway_hour * HOURS_PER_MONTH;
        assert!((nat_month - 32.85).abs() < 1e-9);
    }
}
