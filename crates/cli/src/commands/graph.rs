//! `berth graph`: the resource graph as Graphviz DOT, drawn offline from the manifest.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};

use crate::args::{Global, GraphFormat};
use crate::session::{load_manifest, offline_nodes};

pub fn run(global: &Global, format: GraphFormat) -> Result<ExitCode> {
    let manifest = load_manifest(global)?;
    let dot = to_dot(&manifest.name, &offline_nodes(&manifest));
    match format {
        GraphFormat::Dot => print!("{dot}"),
        GraphFormat::Svg => {
            let mut child = Command::new("dot")
                .arg("-Tsvg")
                .stdin(Stdio::piped())
                .spawn()
                .context(
                    "`--format svg` needs Graphviz's `dot` on PATH (apt-get install graphviz)",
                )?;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(dot.as_bytes())?;
            if !child.wait()?.success() {
                bail!("graphviz `dot` failed");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Nodes clustered by kind; an edge points from a resource to what it needs.
pub fn to_dot(stack: &str, nodes: &[berth_engine::Node]) -> String {
    let mut out = format!(
        "digraph \"{stack}\" {{\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
    );
    for node in nodes {
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\\n({})\"];\n",
            node.id, node.id, node.kind
        ));
    }
    for node in nodes {
        for dep in node.deps() {
            out.push_str(&format!("  \"{}\" -> \"{dep}\";\n", node.id));
        }
    }
    out.push_str("}\n");
    out
}
