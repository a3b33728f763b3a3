//! `berth validate`: the manifest checked offline, and what it derives.

use std::process::ExitCode;

use anyhow::Result;
use berth_spec::{Azs, Manifest};

use crate::args::{Global, Output};
use crate::session::{invalid, load_manifest, read_manifest};

/// The environment `--env` names, or every one the manifest declares (or the base).
pub fn run(global: &Global) -> Result<ExitCode> {
    let manifests = if global.env.is_some() {
        vec![load_manifest(global)?]
    } else {
        let (name, text) = read_manifest(&global.file)?;
        berth_spec::parse_all(&name, &text).map_err(invalid)?
    };
    if global.output == Output::Json {
        // One object without environments (as before they existed), else one per stack.
        let json = match manifests.as_slice() {
            [m] if m.environment.is_none() => serde_json::to_string_pretty(m)?,
            all => serde_json::to_string_pretty(all)?,
        };
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }
    for (i, m) in manifests.iter().enumerate() {
        if i > 0 {
            println!();
        }
        summary(global, m);
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(global: &Global, m: &Manifest) {
    let net = &m.network;
    match &m.environment {
        Some(env) => println!(
            "{} is valid for environment `{env}`: stack `{}`",
            global.file.display(),
            m.name
        ),
        None => println!("{} is valid: stack `{}`", global.file.display(), m.name),
    }
    println!(
        "  region          {}",
        m.region
            .as_deref()
            .unwrap_or("(from --region / AWS_REGION)")
    );
    let azs = match &net.azs {
        Azs::Count(n) => format!("the first {n} the region offers"),
        Azs::Names(names) => names.join(", "),
    };
    println!("  zones           {azs}");
    println!("  vpc             {}", net.cidr);
    let list = |v: &[ipnet::Ipv4Net]| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("  public subnets  {}", list(&net.public_subnets));
    println!("  private subnets {}", list(&net.private_subnets));
    println!("  nat             {}", net.nat);
    if !m.services.is_empty() {
        println!("  capacity        {}", m.cluster.capacity);
    }
    println!(
        "  private zone    {}",
        net.private_zone.as_deref().unwrap_or("(none)")
    );
    for s in m.services.values() {
        let exposure = if s.public {
            format!("public at {}", s.path)
        } else {
            "private".into()
        };
        println!(
            "  service {:<8} {} x{} on port {}, {}",
            s.name,
            s.image.as_deref().unwrap_or("(image kept)"),
            s.count,
            s.port,
            exposure
        );
    }
}
