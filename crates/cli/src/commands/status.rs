//! `berth status`: every resource of the stack, its AWS id, whether it exists and any drift.

use std::process::ExitCode;

use anyhow::Result;
use berth_engine::{Action, plan};

use crate::args::{Global, Output, RunArgs};
use crate::session::Session;

#[derive(serde::Serialize)]
struct Row {
    id: String,
    kind: String,
    cloud_id: String,
    state: &'static str,
    drift: Vec<String>,
}

pub async fn run(global: &Global, run: &RunArgs) -> Result<ExitCode> {
    let session = Session::open(global).await?;
    let inventory = session.discover(run.parallelism.into()).await?;
    let plan = plan(&session.nodes, &inventory, &session.registry)?;
    let rows: Vec<Row> = plan
        .steps
        .iter()
        .map(|step| {
            let (state, drift) = match &step.action {
                Action::NoOp => ("ok", vec![]),
                Action::Create => ("missing", vec![]),
                Action::Update(c) | Action::Replace(c) => {
                    ("drifted", c.iter().map(|c| c.field.clone()).collect())
                }
                Action::Delete => ("not in manifest", vec![]),
            };
            Row {
                id: step.id.to_string(),
                kind: step.kind.to_string(),
                cloud_id: step.cloud_id.clone().unwrap_or_else(|| "-".into()),
                state,
                drift,
            }
        })
        .collect();
    if global.output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!(
            "{:<24} {:<20} {:<26} {:<16} DRIFT",
            "RESOURCE", "KIND", "AWS ID", "STATE"
        );
        for r in &rows {
            println!(
                "{:<24} {:<20} {:<26} {:<16} {}",
                r.id,
                r.kind,
                r.cloud_id,
                r.state,
                r.drift.join(", ")
            );
        }
        let ok = rows.iter().filter(|r| r.state == "ok").count();
        println!("\n{ok} of {} resources match the manifest.", rows.len());
    }
    Ok(ExitCode::SUCCESS)
}
