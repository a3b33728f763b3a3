//! The wait for the certificate to be issued, as a node of its own (like Terraform's
//! `aws_acm_certificate_validation`): the HTTPS listener refers to it, so nothing uses the
//! certificate before ACM has issued it, while everything that does not need it goes ahead.
//!
//! It exists, as far as `discover` is concerned, once the certificate is ISSUED. When berth
//! wrote the validation records itself it waits for that; when they are the user's to
//! write it does not wait: it prints them and the run ends "waiting on you"
//! ([`berth_engine::ErrorClass::AwaitingUser`]), to carry on at the next `up`.

use async_trait::async_trait;
use aws_sdk_acm::types::CertificateStatus;
use berth_engine::{
    CloudError, FieldChange, Kind, LogicalId, Node, Observed, OpCtx, Owner, PropsExt, Resolved,
    Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::certificate::{stack_certificates, validation_records};
use crate::names::{self, out};

pub const KIND: &str = "certificate_validation";

/// `records_in_route53`: berth writes the validation records (so it waits for ACM);
/// otherwise the user does. `after`: the validation records' nodes.
pub fn node(
    stack: &str,
    certificate: &LogicalId,
    records_in_route53: bool,
    after: impl IntoIterator<Item = LogicalId>,
) -> Node {
    // No tags: it is the certificate's state, not a resource.
    let mut node = Node::new(
        KIND,
        names::certificate_validation(certificate),
        stack,
        &Tags::new(),
    )
    .immutable("certificate", Value::refer(certificate.clone(), out::ARN))
    .prop("records_in_route53", records_in_route53);
    for id in after {
        node = node.after(id);
    }
    node
}

/// A validation's properties, as create reads them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    certificate: String,
    records_in_route53: bool,
}

pub struct CertificateValidation(pub Aws);

#[async_trait]
impl Kind for CertificateValidation {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["certificate", "validation_record"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        Ok(stack_certificates(&self.0, stack)
            .await?
            .into_iter()
            .filter(|(_, _, cert)| cert.status() == Some(&CertificateStatus::Issued))
            .filter_map(|(owner, tags, cert)| match owner {
                Owner::Managed(id) => Some((id, tags, cert)),
                Owner::Unmanaged => None,
            })
            .map(|(certificate, tags, cert)| {
                let arn = cert.certificate_arn().unwrap_or_default();
                let props = Props {
                    certificate: arn.to_string(),
                    records_in_route53: tags.contains_key(crate::certificate::ZONE_TAG),
                };
                Observed::new(KIND, names::certificate_validation(&certificate), arn)
                    .output(out::ARN, arn)
                    .with_props(&props)
            })
            .collect())
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let arn = props.certificate.as_str();
        let what = if props.records_in_route53 {
            "ACM to issue the certificate (its DNS records are written; this usually takes a few minutes)"
        } else {
            "ACM to issue the certificate"
        };
        cx.wait_until(what, || async {
            let cert = crate::certificate::describe(&self.0, arn).await?;
            match cert.status() {
                Some(CertificateStatus::Issued) => Ok((Some(()), "ISSUED".to_string())),
                Some(CertificateStatus::PendingValidation) if props.records_in_route53 => {
                    Ok((None, "PENDING_VALIDATION".to_string()))
                }
                Some(CertificateStatus::PendingValidation) => {
                    Err(CloudError::awaiting_user(awaiting_dns(&cert)))
                }
                other => Err(CloudError::fatal(format!(
                    "certificate {arn} is {} ({}): ACM will not issue it. Delete it (`aws acm \
                     delete-certificate --certificate-arn {arn}`, or the ACM console) and run \
                     `berth up` again for a new one",
                    other.map_or("?", |s| s.as_str()),
                    cert.failure_reason()
                        .map_or("no reason given", |r| r.as_str()),
                ))),
            }
        })
        .await?;
        Ok(Observed::applied(KIND, node, arn).output(out::ARN, arn))
    }

    async fn update(
        &self,
        node: &Resolved,
        _current: &Observed,
        _changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        self.create(node, cx).await
    }

    /// Nothing to delete: deleting the certificate ends it.
    async fn delete(&self, _current: &Observed, _cx: &OpCtx) -> Result<(), CloudError> {
        Ok(())
    }
}

/// What the user must do, exactly.
fn awaiting_dns(cert: &aws_sdk_acm::types::CertificateDetail) -> String {
    let mut text = format!(
        "certificate {} is waiting for DNS validation. Create these records at your DNS \
         provider (they stay: ACM renews through them):",
        cert.domain_name().unwrap_or_default()
    );
    let mut records = validation_records(cert).unwrap_or_default();
    // Names that share a record (a name and its wildcard) show it once.
    records.sort_by(|a, b| a.name.cmp(&b.name));
    records.dedup_by(|a, b| a.name == b.name);
    for r in records {
        text.push_str(&format!("\n    {}  CNAME  {}", r.name, r.value));
    }
    text.push_str(
        "\n  ACM checks every few minutes; `berth status` shows where it stands, and `berth up` \
         carries on once it is issued.",
    );
    text
}
