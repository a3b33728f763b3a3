//! Parsing and validation.
//!
//! The text is parsed into toml's spanned document model (`DeTable`: every key and value
//! carries its byte range), then walked by hand: each table is checked for unknown keys,
//! each field is read with its span, validated, and converted into the public types.
//! Walking by hand instead of `#[derive(Deserialize)]` means one bad field does not stop
//! the walk: every problem in the file is collected and reported together.
//!
//! [`reader`] does the generic reading; each other module holds the rules of one table
//! (`stack` for the top level, then `tags`, `network` with `addresses`, `cluster`,
//! `service` with `env` and `autoscaling`). This module only runs them in order.
//!
//! # Keys are declared once
//!
//! Each table with a fixed schema declares its keys in one `KEYS` constant beside its
//! rules. [`reader::Cx::check_keys`] reports every other key as unknown, and the table it
//! returns refuses (in debug builds) to read a key missing from `KEYS`. The test
//! `keys_are_the_struct_fields` below serialises a parsed manifest and checks that each
//! struct in `types.rs` has exactly its table's `KEYS` as fields, so a field added to
//! one and not the other fails `cargo test`. `KEYS` keeps the order of the messages
//! ("valid fields ... are: ...") and of ties between typo suggestions.

mod addresses;
mod alarms;
mod autoscaling;
mod ci;
mod cluster;
mod env;
mod environments;
mod network;
mod reader;
mod service;
mod stack;
mod tags;
mod tls;

use toml::de::DeTable;

use crate::error::{Problem, SpecError};
use crate::types::Manifest;
use reader::{Cx, Tbl};

pub use addresses::DEFAULT_CIDR;
pub(crate) use addresses::derive_subnets;
pub use cluster::DEFAULT_INSTANCE_TYPE;
pub use network::DEFAULT_PRIVATE_ZONE;
pub(crate) use service::fargate_memory;

/// The environments a manifest declares; see [`crate::environments`].
pub(crate) fn environment_names(text: &str) -> Vec<String> {
    let (root, _) = DeTable::parse_recoverable(text);
    environments::names(root.get_ref())
}

/// Every environment (or the base, when there are none); see [`crate::parse_all`].
pub(crate) fn parse_all(file_name: &str, text: &str) -> Result<Vec<Manifest>, SpecError> {
    let envs = environment_names(text);
    if envs.is_empty() {
        return parse(file_name, text, None).map(|m| vec![m]);
    }
    let mut manifests = Vec::new();
    // Each problem once, with the environments it shows up in.
    let mut problems: Vec<(Problem, Vec<&str>)> = Vec::new();
    for env in &envs {
        match parse(file_name, text, Some(env)) {
            Ok(m) => manifests.push(m),
            Err(e) => {
                for p in e.problems() {
                    match problems.iter_mut().find(|(q, _)| q == p) {
                        Some((_, seen_in)) => seen_in.push(env),
                        None => problems.push((p.clone(), vec![env])),
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(manifests);
    }
    let problems = problems
        .into_iter()
        .map(|(mut p, seen_in)| {
            // A problem of the base shows up in every environment: no need to say so.
            if seen_in.len() < envs.len() {
                p.message = format!("{} (in environment {})", p.message, seen_in.join(", "));
            }
            p
        })
        .collect();
    Err(SpecError::new(file_name, text, problems))
}

/// Parse and validate; see [`crate::parse_env`].
pub(crate) fn parse(file_name: &str, text: &str, env: Option<&str>) -> Result<Manifest, SpecError> {
    let mut cx = Cx {
        text,
        problems: Vec::new(),
    };
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let msg = format!(
                "TOML syntax error: {}; see https://toml.io for the syntax",
                e.message().trim()
            );
            cx.err(span, "toml", msg);
        }
        return Err(SpecError::new(file_name, text, cx.problems));
    }
    let doc = environments::select(&mut cx, root.get_ref(), env);
    let manifest = manifest(&mut cx, &doc, env);
    if cx.problems.is_empty() {
        Ok(manifest)
    } else {
        Err(SpecError::new(file_name, text, cx.problems))
    }
}

/// Every table in turn; later tables depend on earlier ones (zones on the region,
/// service sizes on the capacity, required endpoints on the services).
fn manifest(cx: &mut Cx, root: &DeTable, env: Option<&str>) -> Manifest {
    let top = cx.check_keys(Tbl::root(root), stack::KEYS);

    let name = stack::name(cx, &top, env);
    let region = stack::region(cx, &top);
    let domain = tls::domain(cx, &top);
    let certificate = tls::certificate(cx, &top, region.as_deref());
    let tags = tags::tags(cx, &top);

    let net_t = cx
        .table(&top, "network", "{ cidr = \"172.24.0.0/16\" }")
        .unwrap_or_else(|| Tbl::absent("network"));
    let (network, nat_span) = network::network(cx, net_t, region.as_deref());

    let cl_t = cx
        .table(&top, "cluster", "{ capacity = \"ec2\" }")
        .unwrap_or_else(|| Tbl::absent("cluster"));
    let cluster = cluster::cluster(cx, cl_t);

    let services = service::services(cx, &top, cluster.capacity);

    network::check_endpoints(cx, &network, nat_span, cluster.capacity, &services);
    tls::check_needs_public_service(cx, domain.as_ref(), &services);
    let ci = ci::ci(cx, &top);
    let alerts = alarms::alerts(cx, &top, region.as_deref());

    Manifest {
        name,
        environment: env.map(str::to_string),
        region,
        domain: domain.map(|d| d.v),
        certificate,
        tags,
        network,
        cluster,
        services,
        ci,
        alerts,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::Serialize;

    use super::*;

    /// The field names `value` (a struct) serialises with.
    fn fields(value: &impl Serialize) -> BTreeSet<String> {
        match serde_json::to_value(value).expect("types serialise") {
            serde_json::Value::Object(map) => map.into_iter().map(|(k, _)| k).collect(),
            other => panic!("expected a struct, got {other}"),
        }
    }

    /// `keys` as a set, checking none is listed twice.
    fn keys(keys: &[&str]) -> BTreeSet<String> {
        let set: BTreeSet<String> = keys.iter().map(|k| k.to_string()).collect();
        assert_eq!(set.len(), keys.len(), "a key is listed twice in {keys:?}");
        set
    }

    #[test]
    fn keys_are_the_struct_fields() {
        let text = "name = \"t\"\n[service.web.autoscaling]\nmin = 1\nmax = 3\ncpu = 50\n\
                    [ci]\ngithub = \"acme/shop\"\nbranch = \"main\"\n";
        let m = parse("t.toml", text, None).expect("parses");
        let web = &m.services["web"];
        let scaling = web.autoscaling.as_ref().expect("autoscaling is set");

        // The deliberate differences: the top-level `[service.NAME]` tables land in
        // `Manifest::services`, `[env.NAME]` in `Manifest::environment` (the chosen one),
        // and `Service::name` is the table's own key.
        let mut top = fields(&m);
        assert!(top.remove("services"));
        top.insert("service".to_string());
        assert!(top.remove("environment"));
        top.insert("env".to_string());
        let mut service = fields(web);
        assert!(service.remove("name"));

        assert_eq!(top, keys(stack::KEYS), "Manifest vs stack::KEYS");
        assert_eq!(fields(&m.network), keys(network::KEYS), "Network");
        assert_eq!(fields(&m.cluster), keys(cluster::KEYS), "Cluster");
        assert_eq!(service, keys(service::KEYS), "Service");
        assert_eq!(fields(scaling), keys(autoscaling::KEYS), "Autoscaling");
        assert_eq!(fields(m.ci.as_ref().unwrap()), keys(ci::KEYS), "Ci");
        assert_eq!(fields(&web.alarms), keys(alarms::KEYS), "Alarms");
    }
}
