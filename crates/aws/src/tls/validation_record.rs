//! One DNS validation record, written to the domain's public hosted zone when the account
//! has it. ACM keeps checking it to renew the certificate, so it lives as long as the stack
//! serves the name.
//!
//! Its identity is the name, not the certificate: ACM gives every certificate of an account
//! the same CNAME for the same name, so when the certificate is replaced (a name added) the
//! record stays as it is, and the new certificate validates through it at once.

use async_trait::async_trait;
use aws_sdk_route53::types::ChangeAction;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::certificate::{stack_certificates, validation_records};
use crate::names::{self, out};
use crate::route53::{self, Target};

pub const KIND: &str = "validation_record";

/// `certificate`: where create reads the record from (ACM); never compared after.
pub fn node(stack: &str, certificate: Value, domain: &str, zone: &str) -> Node {
    // No tags: Route 53 records have none (the certificate names the zone).
    Node::new(KIND, names::validation_record(domain), stack, &Tags::new())
        .create_only("certificate", certificate)
        .immutable("domain", domain)
        .immutable("zone", zone)
}

/// A validation record's properties, as create reads them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    /// Create-only: discover does not say which certificate (they share the record).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    certificate: String,
    domain: String,
    zone: String,
}

pub struct ValidationRecord(pub Aws);

fn observed(props: &Props, name: &str, value: &str) -> Observed {
    Observed::new(KIND, names::validation_record(&props.domain), name)
        .output(out::NAME, name)
        .output(out::VALUE, value)
        .with_props(props)
}

#[async_trait]
impl Kind for ValidationRecord {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["certificate"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let mut found: Vec<Observed> = Vec::new();
        for (_, tags, cert) in stack_certificates(&self.0, stack).await? {
            let Some(zone) = tags.get(crate::certificate::ZONE_TAG) else {
                continue; // the user's DNS: their records, not berth's
            };
            for record in validation_records(&cert).unwrap_or_default() {
                // Two certificates (old and new, while one replaces the other) share it.
                if found.iter().any(|o| o.cloud_id == record.name) {
                    continue;
                }
                let target = route53::find(&self.0, zone, &record.name, false).await?;
                if target == Some(Target::Cname(record.value.clone())) {
                    let props = Props {
                        certificate: String::new(),
                        domain: record.domain,
                        zone: zone.clone(),
                    };
                    found.push(observed(&props, &record.name, &record.value));
                }
            }
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        let cert = crate::certificate::describe(&self.0, &props.certificate).await?;
        let record = validation_records(&cert)
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.domain == props.domain)
            .ok_or_else(|| {
                CloudError::not_ready(format!(
                    "ACM has not assigned the validation record of {} yet",
                    props.domain
                ))
            })?;
        let target = Target::Cname(record.value.clone());
        route53::change(
            &self.0,
            &props.zone,
            ChangeAction::Upsert,
            &record.name,
            &target,
            cx,
        )
        .await?;
        Ok(observed(&props, &record.name, &record.value))
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

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let props: Props = current.typed()?;
        let value = current.outputs.get(out::VALUE).cloned().unwrap_or_default();
        route53::delete(
            &self.0,
            &props.zone,
            &current.cloud_id,
            &Target::Cname(value),
            cx,
        )
        .await
    }
}
