//! Route 53 record sets, shared by the two kinds that write them (the certificate's
//! validation records and the domain's alias to the load balancer). Records carry no tags:
//! those kinds find theirs through the stack's certificate, which names the zone.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord,
    ResourceRecordSet, RrType,
};
use berth_engine::{CloudError, OpCtx};

use crate::Aws;
use crate::error::AwsResultExt;

/// What a record points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Cname(String),
    /// An alias A record to a load balancer: its DNS name and canonical hosted zone.
    Alias {
        dns_name: String,
        zone_id: String,
    },
}

fn build_err(e: impl std::fmt::Display) -> CloudError {
    CloudError::fatal(e.to_string())
}

fn record_set(name: &str, target: &Target) -> Result<ResourceRecordSet, CloudError> {
    let set = ResourceRecordSet::builder().name(name);
    let set = match target {
        Target::Cname(value) => set.r#type(RrType::Cname).ttl(300).resource_records(
            ResourceRecord::builder()
                .value(value)
                .build()
                .map_err(build_err)?,
        ),
        Target::Alias { dns_name, zone_id } => set.r#type(RrType::A).alias_target(
            AliasTarget::builder()
                .dns_name(dns_name)
                .hosted_zone_id(zone_id)
                .evaluate_target_health(true)
                .build()
                .map_err(build_err)?,
        ),
    };
    set.build().map_err(build_err)
}

/// `name` with the trailing dot Route 53 answers with, lower case.
pub fn fqdn(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    if name.ends_with('.') {
        name
    } else {
        format!("{name}.")
    }
}

/// UPSERT or DELETE one record and wait until every Route 53 server has it (INSYNC; the
/// Terraform AWS provider waits the same way, `waitChangeInsync`).
pub async fn change(
    aws: &Aws,
    zone: &str,
    action: ChangeAction,
    name: &str,
    target: &Target,
    cx: &OpCtx,
) -> Result<(), CloudError> {
    let change = Change::builder()
        .action(action)
        .resource_record_set(record_set(name, target)?)
        .build()
        .map_err(build_err)?;
    let batch = ChangeBatch::builder()
        .changes(change)
        .build()
        .map_err(build_err)?;
    let out = aws
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .aws()?;
    let Some(id) = out.change_info().map(|c| c.id().to_string()) else {
        return Ok(());
    };
    cx.wait_until(&format!("Route 53 to publish {name}"), || async {
        let out = aws.route53.get_change().id(&id).send().await.aws()?;
        let status = out.change_info().map(|c| c.status().clone());
        let done = status == Some(ChangeStatus::Insync);
        Ok((done.then_some(()), format!("{status:?}")))
    })
    .await
}

/// The record of type CNAME (`alias`: false) or alias A (`alias`: true) at `name`, if any.
pub async fn find(
    aws: &Aws,
    zone: &str,
    name: &str,
    alias: bool,
) -> Result<Option<Target>, CloudError> {
    let kind = if alias { RrType::A } else { RrType::Cname };
    let out = aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .start_record_type(kind.clone())
        .max_items(1)
        .send()
        .await
        .aws()?;
    let found = out
        .resource_record_sets()
        .iter()
        .find(|s| fqdn(s.name()) == fqdn(name) && *s.r#type() == kind);
    Ok(found.and_then(|s| match s.alias_target() {
        Some(a) => Some(Target::Alias {
            dns_name: a.dns_name().trim_end_matches('.').to_string(),
            zone_id: a.hosted_zone_id().to_string(),
        }),
        None => s
            .resource_records()
            .first()
            .map(|r| Target::Cname(r.value().to_string())),
    }))
}

/// Delete the record if it is still what berth wrote (Route 53 deletes only an exact
/// match); a record already gone is fine.
pub async fn delete(
    aws: &Aws,
    zone: &str,
    name: &str,
    target: &Target,
    cx: &OpCtx,
) -> Result<(), CloudError> {
    match change(aws, zone, ChangeAction::Delete, name, target, cx).await {
        // "Tried to delete resource record set [...] but it was not found"
        Err(e)
            if e.code.as_deref() == Some("InvalidChangeBatch")
                && e.message.contains("not found") =>
        {
            Ok(())
        }
        Err(e) if e.code.as_deref() == Some("NoSuchHostedZone") => Ok(()),
        other => other,
    }
}
