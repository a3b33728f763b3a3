//! The stack's domain (and every other name of its certificate) as an alias A record to the
//! load balancer, in the domain's public hosted zone when the account has it.
//!
//! Route 53 records carry no tags, so a record is the stack's when it is at one of the
//! names of the stack's certificate, in the zone the certificate names, and points at the
//! stack's own load balancer (`<stack>-<digits>.<region>.elb.amazonaws.com`). A record the
//! user made by hand at that name, pointing elsewhere, is never touched: `up` fails on it
//! with Route 53's own "already exists" instead.

use async_trait::async_trait;
use aws_sdk_route53::types::ChangeAction;
use berth_engine::{
    CloudError, FieldChange, Kind, Node, Observed, OpCtx, PropsExt, Resolved, Tags, Value,
};
use serde::{Deserialize, Serialize};

use crate::Aws;
use crate::certificate::{ZONE_TAG, stack_certificates};
use crate::names;
use crate::route53::{self, Target};

pub const KIND: &str = "alias_record";

/// `dns_name` and `zone_id`: the load balancer's outputs.
pub fn node(stack: &str, zone: &str, name: &str, dns_name: Value, zone_id: Value) -> Node {
    // No tags: Route 53 records have none.
    Node::new(KIND, names::alias_record(name), stack, &Tags::new())
        .immutable("zone", zone)
        .immutable("name", route53::fqdn(name))
        .prop(
            "target",
            Value::Object(vec![("dns_name", dns_name), ("zone_id", zone_id)]),
        )
}

/// An alias record's properties, as create and update read them and discover writes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Props {
    zone: String,
    name: String,
    target: AliasTo,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasTo {
    dns_name: String,
    zone_id: String,
}

impl Props {
    fn target(&self) -> Target {
        Target::Alias {
            dns_name: self.target.dns_name.to_ascii_lowercase(),
            zone_id: self.target.zone_id.clone(),
        }
    }
}

/// Whether `dns_name` is the load balancer of `stack` (named after it), not of a stack
/// whose name merely starts the same (`shop` vs `shop-prod`).
fn is_stack_load_balancer(dns_name: &str, stack: &str) -> bool {
    let host = dns_name.trim_start_matches("dualstack.");
    host.strip_prefix(stack)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.split('.').next())
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
}

pub struct AliasRecord(pub Aws);

#[async_trait]
impl Kind for AliasRecord {
    fn name(&self) -> &'static str {
        KIND
    }
    fn tagged(&self) -> bool {
        false
    }
    fn after(&self) -> &'static [&'static str] {
        &["load_balancer", "certificate"]
    }

    async fn discover(&self, stack: &str) -> Result<Vec<Observed>, CloudError> {
        let mut found = Vec::new();
        for (_, tags, cert) in stack_certificates(&self.0, stack).await? {
            let Some(zone) = tags.get(ZONE_TAG) else {
                continue;
            };
            let domain = cert.domain_name().into_iter().map(str::to_string);
            let names = domain.chain(cert.subject_alternative_names().iter().cloned());
            let mut seen = std::collections::BTreeSet::new();
            for name in names.map(|n| route53::fqdn(&n)) {
                if !seen.insert(name.clone()) {
                    continue;
                }
                let Some(Target::Alias { dns_name, zone_id }) =
                    route53::find(&self.0, zone, &name, true).await?
                else {
                    continue;
                };
                if !is_stack_load_balancer(&dns_name, stack) {
                    continue;
                }
                let props = Props {
                    zone: zone.clone(),
                    name: name.clone(),
                    target: AliasTo { dns_name, zone_id },
                };
                found.push(
                    Observed::new(KIND, names::alias_record(&name), &name).with_props(&props),
                );
            }
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved, cx: &OpCtx) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        // CREATE, not UPSERT: a record someone else made at this name is theirs.
        route53::change(
            &self.0,
            &props.zone,
            ChangeAction::Create,
            &props.name,
            &props.target(),
            cx,
        )
        .await?;
        Ok(Observed::applied(KIND, node, &props.name))
    }

    async fn update(
        &self,
        node: &Resolved,
        _current: &Observed,
        _changes: &[FieldChange],
        cx: &OpCtx,
    ) -> Result<Observed, CloudError> {
        let props: Props = node.typed()?;
        route53::change(
            &self.0,
            &props.zone,
            ChangeAction::Upsert,
            &props.name,
            &props.target(),
            cx,
        )
        .await?;
        Ok(Observed::applied(KIND, node, &props.name))
    }

    async fn delete(&self, current: &Observed, cx: &OpCtx) -> Result<(), CloudError> {
        let props: Props = current.typed()?;
        route53::delete(&self.0, &props.zone, &props.name, &props.target(), cx).await
    }
}

#[cfg(test)]
mod tests {
    use super::is_stack_load_balancer;

    #[test]
    fn a_load_balancer_is_the_stacks_only_by_its_whole_name() {
        let ours = "shop-1234567890.eu-west-2.elb.amazonaws.com";
        assert!(is_stack_load_balancer(ours, "shop"));
        assert!(is_stack_load_balancer(&format!("dualstack.{ours}"), "shop"));
        let prod = "shop-prod-1234567890.eu-west-2.elb.amazonaws.com";
        assert!(!is_stack_load_balancer(prod, "shop"));
        assert!(is_stack_load_balancer(prod, "shop-prod"));
        assert!(!is_stack_load_balancer("example.com", "shop"));
    }
}
