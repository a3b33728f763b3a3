//! The stack's public TLS certificate, from ACM, validated through DNS: one certificate for
//! the stack's domain and every other name its services answer to. ACM assigns one CNAME
//! per name ([`validation_records`]); berth writes them itself when the account has the
//! domain's public hosted zone ([`crate::validation_record`]), and prints them for the user
//! otherwise ([`crate::certificate_validation`]).

use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateDetail, Tag, ValidationMethod};
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, Owner, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::error::{AllPages, AwsResultExt, ignore_not_found, is_not_found};
use crate::names::{self, out};
use crate::tags::{TagApi, key_value_tags, owned_id, read_each};

pub const KIND: &str = "certificate";

/// The tag that remembers which hosted zone holds the records (`discover` of
/// [`crate::validation_record`] and [`crate::alias_record`] reads it: Route 53 records carry
/// no tags of their own).
pub const ZONE_TAG: &str = "berth:zone";

/// Eight hex digits that tell one set of names from another (FNV-1a: stable across builds,
/// unlike std's hasher), for the certificate's logical id.
pub fn key(domain: &str, names: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in std::iter::once(domain)
        .chain(names.iter().map(String::as_str))
        .flat_map(|n| n.bytes().chain([0]))
    {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

/// The logical id of the certificate for these names.
pub fn id(domain: &str, names: &[String]) -> berth_engine::LogicalId {
    names::certificate(&key(domain, names))
}

/// `domain` first; `names` the other names (SANs). `zone`: the public hosted zone berth
/// writes the records to, `None` when the user's DNS is elsewhere.
pub fn node(stack: &str, tags: &Tags, domain: &str, names: &[String], zone: Option<&str>) -> Node {
    Node::new(KIND, id(domain, names), stack, tags)
        .immutable("domain", domain)
        .immutable(
            "names",
            Value::Set(names.iter().map(|n| Value::from(n.as_str())).collect()),
        )
        .prop(
            "zone",
            zone.map_or(Value::from(serde_json::Value::Null), Value::from),
        )
}

/// A certificate's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    domain: String,
    /// The other names, sorted.
    names: Vec<String>,
    zone: Option<String>,
}

/// One validation record: what ACM wants to find at `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationRecord {
    pub domain: String,
    pub name: String,
    pub value: String,
}

/// The validation records of a certificate, once ACM has assigned them all (`None` before).
pub fn validation_records(cert: &CertificateDetail) -> Option<Vec<ValidationRecord>> {
    cert.domain_validation_options()
        .iter()
        .map(|v| {
            v.resource_record().map(|r| ValidationRecord {
                domain: v.domain_name().to_string(),
                name: r.name().to_string(),
                value: r.value().to_string(),
            })
        })
        .collect()
}

/// Where the stack's certificate stands, for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct TlsStatus {
    pub domain: String,
    /// ACM's status: PENDING_VALIDATION, ISSUED, FAILED, ...
    pub status: String,
    /// Whether berth writes the records (the domain's zone is in this account).
    pub records_in_route53: bool,
    pub records: Vec<ValidationRecord>,
}

/// The stack's certificate, if it has one.
pub async fn tls_status(aws: &Aws, stack: &str) -> Result<Option<TlsStatus>, CloudError> {
    let certs = stack_certificates(aws, stack).await?;
    Ok(certs.into_iter().next().map(|(_, tags, cert)| {
        let mut records = validation_records(&cert).unwrap_or_default();
        records.sort_by(|a, b| a.name.cmp(&b.name));
        records.dedup_by(|a, b| a.name == b.name);
        TlsStatus {
            domain: cert.domain_name().unwrap_or_default().to_string(),
            status: cert.status().map_or("UNKNOWN", |s| s.as_str()).to_string(),
            records_in_route53: tags.contains_key(ZONE_TAG),
            records,
        }
    }))
}

/// A stack's certificates with their tags, and each one's details.
pub(crate) async fn stack_certificates(
    aws: &Aws,
    stack: &str,
) -> Result<Vec<(Owner, Tags, CertificateDetail)>, CloudError> {
    // ACM filters neither by tag nor in ListCertificates' answer: one ListTags per
    // certificate in the region, then one Describe per certificate of the stack.
    let summaries = aws
        .acm
        .list_certificates()
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    read_each(summaries, |summary| async move {
        let Some(arn) = summary.certificate_arn() else {
            return Ok(None);
        };
        let tags = match aws
            .acm
            .list_tags_for_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .aws()
        {
            Ok(out) => from_acm(out.tags()),
            Err(e) if is_not_found(&e) => return Ok(None), // deleted meanwhile
            Err(e) => return Err(e),
        };
        let Some(owner) = owned_id(&tags, stack) else {
            return Ok(None);
        };
        let described = aws
            .acm
            .describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .aws();
        match described {
            Ok(out) => Ok(out.certificate().cloned().map(|c| (owner, tags, c))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
}

fn from_acm(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

key_value_tags!(acm_tags, Tag);

/// What `discover` and `create` report.
fn observed(owner: Owner, mut tags: Tags, cert: &CertificateDetail) -> Observed {
    let arn = cert.certificate_arn().unwrap_or_default();
    let domain = cert.domain_name().unwrap_or_default().to_string();
    let mut names: Vec<String> = cert
        .subject_alternative_names()
        .iter()
        .filter(|n| **n != domain)
        .cloned()
        .collect();
    names.sort();
    let zone = tags.remove(ZONE_TAG);
    let props = Props {
        domain,
        names,
        zone,
    };
    Observed::new(KIND, owner, arn)
        .output(out::ARN, arn)
        .with_props(&props)
        .with_tags(tags)
}

/// The tags the certificate carries: the stack's, and the zone berth writes its records to.
fn with_zone(tags: &Tags, zone: Option<&str>) -> Tags {
    let mut tags = tags.clone();
    if let Some(zone) = zone {
        tags.insert(ZONE_TAG.to_string(), zone.to_string());
    }
    tags
}

pub struct Certificate(pub Aws);

/// One certificate's details; not ready while ACM has none to give yet.
pub(crate) async fn describe(aws: &Aws, arn: &str) -> Result<CertificateDetail, CloudError> {
    let out = aws
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .aws()?;
    out.certificate()
        .cloned()
        .ok_or_else(|| CloudError::not_ready(format!("certificate {arn} not described yet")))
}

impl Certificate {
    async fn describe(&self, arn: &str) -> Result<CertificateDetail, CloudError> {
        describe(&self.0, arn).await
    }
}

#[async_trait]
impl Kind for Certificate {
    fn name(&self) -> &'static str {
        KIND
    }
    fn after(&self) -> &'static [&'static str] {
        &[]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        Ok(stack_certificates(&self.0, stack)
            .await?
            .into_iter()
            .map(|(owner, tags, cert)| observed(owner, tags, &cert))
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let tags = with_zone(&node.tags, props.zone.as_deref());
        // The same token for the same stack and names: a retried request within the hour
        // ACM keeps tokens for returns the first certificate instead of a second one
        // (ACM RequestCertificate reference, IdempotencyToken).
        let token = idempotency_token(&node.tags, &props);
        let requested = self
            .0
            .acm
            .request_certificate()
            .domain_name(&props.domain)
            .set_subject_alternative_names((!props.names.is_empty()).then(|| {
                std::iter::once(props.domain.clone())
                    .chain(props.names.iter().cloned())
                    .collect()
            }))
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(token)
            .set_tags(Some(acm_tags(&tags)?))
            .send()
            .await
            .aws()?;
        let arn = requested.certificate_arn().unwrap_or_default().to_string();
        // ACM assigns the validation records a few seconds after the request; until then
        // DomainValidationOptions has no ResourceRecord (the Terraform AWS provider waits
        // for them too: waitCertificateDomainValidationsAvailable, 5 minutes).
        let cert = cx
            .wait_until("ACM to assign the DNS validation records", || async {
                let cert = self.describe(&arn).await?;
                let ready = validation_records(&cert).is_some_and(|r| !r.is_empty());
                Ok((ready.then(|| cert.clone()), "assigning".to_string()))
            })
            .await?;
        Ok(observed(Owner::from(&node.id), tags, &cert))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        changes: &[FieldChange],
        _cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let acm = &self.0.acm;
        if FieldChange::touches(changes, "zone") {
            match &props.zone {
                Some(zone) => {
                    acm.tag(
                        &current.cloud_id,
                        &Tags::from([(ZONE_TAG.to_string(), zone.clone())]),
                    )
                    .await?
                }
                None => {
                    acm.untag(&current.cloud_id, vec![ZONE_TAG.to_string()])
                        .await?
                }
            }
        }
        acm.apply_tags(&current.cloud_id, changes).await?;
        let cert = self.describe(&current.cloud_id).await?;
        let tags = with_zone(&node.tags, props.zone.as_deref());
        Ok(observed(Owner::from(&node.id), tags, &cert))
    }

    async fn delete(&self, current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        let deleted = self
            .0
            .acm
            .delete_certificate()
            .certificate_arn(&current.cloud_id)
            .send()
            .await
            .aws();
        // A listener just deleted still holds the certificate for a while: ACM answers
        // ResourceInUseException until the load balancer lets go, which the one error
        // classification already retries as in use (as the Terraform AWS provider does:
        // resourceCertificateDelete).
        ignore_not_found(deleted.map(drop))
    }
}

/// At most 32 word characters, the same for the same stack and names.
fn idempotency_token(tags: &Tags, props: &Props) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        tags.get(berth_engine::TAG_STACK),
        &props.domain,
        &props.names,
    )
        .hash(&mut hasher);
    format!("berth{:016x}", hasher.finish())
}

#[async_trait]
impl TagApi for aws_sdk_acm::Client {
    async fn tag(&self, arn: &str, tags: &Tags) -> Result<(), CloudError> {
        self.add_tags_to_certificate()
            .certificate_arn(arn)
            .set_tags(Some(acm_tags(tags)?))
            .send()
            .await
            .aws()
            .map(drop)
    }
    async fn untag(&self, arn: &str, keys: Vec<String>) -> Result<(), CloudError> {
        let tags = keys
            .into_iter()
            .map(|k| {
                Tag::builder()
                    .key(k)
                    .build()
                    .map_err(|e| CloudError::fatal(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.remove_tags_from_certificate()
            .certificate_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .aws()
            .map(drop)
    }
}
