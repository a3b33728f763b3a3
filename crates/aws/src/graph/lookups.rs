//! The facts the graph needs from AWS before it can be drawn: zones, AMI, account.

use berth_spec::Manifest;

use super::{Inputs, is_ec2};
use crate::launch_template;

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
    #[error("looking for the domain's public hosted zone in Route 53: {0}")]
    Zone(berth_engine::CloudError),
    #[error("looking for the account's GitHub OIDC provider in IAM: {0}")]
    OidcProvider(berth_engine::CloudError),
    #[error(
        "host `{host}` is not in {zone}, the public hosted zone berth writes the domain's records to. Use hosts under {zone}, or a certificate = \"arn:...\" of your own that covers them"
    )]
    HostOutsideZone { host: String, zone: String },
}

/// The id and name of the public hosted zone that holds `domain`: the most specific one this
/// account has (`app.example.com`, then `example.com`), one ListHostedZonesByName call per
/// level. `None`: the domain's DNS is elsewhere, and the user writes the validation records.
pub async fn public_zone(
    aws: &crate::Aws,
    domain: &str,
) -> Result<Option<(String, String)>, berth_engine::CloudError> {
    use crate::error::AwsResultExt;
    let labels: Vec<&str> = domain.split('.').collect();
    // Down to the registrable part; a zone for a bare TLD is not the user's.
    for start in 0..labels.len().saturating_sub(1) {
        let candidate = format!("{}.", labels[start..].join("."));
        let out = aws
            .route53
            .list_hosted_zones_by_name()
            .dns_name(&candidate)
            .max_items(5)
            .send()
            .await
            .aws()?;
        let public = out
            .hosted_zones()
            .iter()
            .find(|z| z.name() == candidate && !z.config().is_some_and(|c| c.private_zone()));
        if let Some(zone) = public {
            let id = zone.id().trim_start_matches("/hostedzone/").to_string();
            return Ok(Some((id, candidate.trim_end_matches('.').to_string())));
        }
    }
    Ok(None)
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
    let public_zone = match &m.domain {
        Some(domain) if m.certificate.is_none() => {
            match public_zone(aws, domain).await.map_err(InputError::Zone)? {
                Some((id, zone)) => {
                    // berth writes every name's records into the one zone it found.
                    let outside = super::service_hosts(m)
                        .into_iter()
                        .find(|h| !(h == &zone || h.ends_with(&format!(".{zone}"))));
                    if let Some(host) = outside {
                        return Err(InputError::HostOutsideZone { host, zone });
                    }
                    Some(id)
                }
                None => None,
            }
        }
        _ => None,
    };
    // An OIDC provider berth did not make for this stack is used, never owned.
    let oidc_provider_elsewhere = match &m.ci {
        Some(_) => crate::oidc_provider::find(aws)
            .await
            .map_err(InputError::OidcProvider)?
            .is_some_and(|(_, tags)| {
                crate::tags::owned_id(&tags, &m.name)
                    .is_none_or(|o| o == berth_engine::Owner::Unmanaged)
            }),
        None => false,
    };
    Ok(Inputs {
        public_zone,
        oidc_provider_elsewhere,
        region: aws.region.clone(),
        account: aws.account_id.clone(),
        azs,
        ami,
    })
}
