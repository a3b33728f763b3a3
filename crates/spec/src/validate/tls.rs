//! `domain` and `certificate`: HTTPS on the user's own name.

use std::collections::BTreeMap;

use super::reader::{Cx, Sp, Tbl};
use crate::types::Service;

/// `domain`: a plain DNS name, lower case, no wildcard.
pub(super) fn domain(cx: &mut Cx, top: &Tbl) -> Option<Sp<String>> {
    let d = cx.string(top, "domain", "\"app.example.com\"")?;
    match hostname_problem(&d.v) {
        None => Some(d),
        Some(why) => {
            let lower = d.v.trim().trim_end_matches('.').to_ascii_lowercase();
            let hint = if hostname_problem(&lower).is_none() {
                format!("write domain = \"{lower}\"")
            } else {
                "write e.g. domain = \"app.example.com\"".to_string()
            };
            cx.err(d.span, "domain", format!("`{}` {why}; {hint}", d.v));
            None
        }
    }
}

/// Why `name` is not a name berth can request a certificate for, if it is not.
pub(super) fn hostname_problem(name: &str) -> Option<String> {
    if name.starts_with("*.") {
        return Some(
            "is a wildcard: berth requests a certificate for the exact name it serves".into(),
        );
    }
    if name.len() > 253 {
        return Some("is longer than the 253 characters of a DNS name".into());
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Some("is not a full DNS name (it needs at least one dot)".into());
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return Some(
            "is not a DNS name berth accepts: dot-separated labels of 1-63 lower-case \
             letters, digits and `-`, not starting or ending with `-`"
                .into(),
        );
    }
    None
}

/// `certificate`: an ACM certificate ARN in the stack's region (a load balancer can only use
/// a certificate from its own region).
pub(super) fn certificate(cx: &mut Cx, top: &Tbl, region: Option<&str>) -> Option<String> {
    let c = cx.string(
        top,
        "certificate",
        "\"arn:aws:acm:eu-west-2:123456789012:certificate/...\"",
    )?;
    let parts: Vec<&str> = c.v.splitn(6, ':').collect();
    let shaped = matches!(
        parts.as_slice(),
        ["arn", partition, "acm", reg, account, resource]
            if partition.starts_with("aws")
                && !reg.is_empty()
                && account.len() == 12
                && account.chars().all(|ch| ch.is_ascii_digit())
                && resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty())
    );
    if !shaped {
        cx.err(
            c.span,
            "certificate",
            format!(
                "`{}` is not an ACM certificate ARN; write e.g. certificate = \
                 \"arn:aws:acm:eu-west-2:123456789012:certificate/1234abcd-...\" (ACM console, \
                 the certificate's ARN), or leave it out and set `domain` for berth to request one",
                c.v
            ),
        );
        return None;
    }
    if let Some(region) = region.filter(|r| *r != parts[3]) {
        cx.err(
            c.span,
            "certificate",
            format!(
                "the certificate is in {} but the stack is in {region}: a load balancer can only \
                 use a certificate from its own region; request or import one in {region}",
                parts[3]
            ),
        );
        return None;
    }
    Some(c.v)
}

/// HTTPS needs the load balancer, which only public services have; a service's host is
/// not the stack's domain (which serves every service without hosts).
pub(super) fn check_needs_public_service(
    cx: &mut Cx,
    domain: Option<&Sp<String>>,
    services: &BTreeMap<String, Service>,
) {
    let Some(d) = domain else { return };
    if let Some(s) = services.values().find(|s| s.hosts.contains(&d.v)) {
        cx.err(
            d.span.clone(),
            "domain",
            format!(
                "`{}` is both the stack's domain and a host of service `{}`: the domain serves \
                 every service without `hosts`; remove it from the service's hosts",
                d.v, s.name
            ),
        );
    }
    if !services.values().any(|s| s.public) {
        cx.err(
            d.span.clone(),
            "domain",
            "a domain is served by the load balancer, which only public services have: add a \
             service with public = true, or remove `domain`",
        );
    }
}
