//! `berth validate`: the manifest checked offline, and what it derives.

use std::process::ExitCode;

use anyhow::Result;
use berth_spec::Azs;

use crate::args::{Global, Output};
use crate::session::load_manifest;

pub fn run(global: &Global) -> Result<ExitCode> {
    let m = load_manifest(&global.file)?;
    if global.output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(ExitCode::SUCCESS);
    }
    let net = &m.network;
    println!("{} is valid: stack `{}`", global.file.display(), m.name);
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
    Ok(ExitCode::SUCCESS)
}
