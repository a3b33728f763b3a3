//! `berth unlock --force`: remove a stale stack lock, and say whose it was.

use std::process::ExitCode;

use anyhow::{Result, bail};
use berth_aws::lock::force_unlock;

use crate::args::Global;
use crate::session::{connect, load_manifest};

pub async fn run(global: &Global, force: bool) -> Result<ExitCode> {
    if !force {
        bail!(
            "unlocking lets two runs change the stack at once; make sure the holder is dead, then pass --force"
        );
    }
    let manifest = load_manifest(global)?;
    let aws = connect(global, &manifest).await?;
    match force_unlock(&aws, &manifest.name).await? {
        Some(h) => eprintln!(
            "Removed the lock of stack {} held by {} on {} (pid {}, `{}`).",
            manifest.name, h.owner, h.host, h.pid, h.command
        ),
        None => eprintln!("Stack {} was not locked.", manifest.name),
    }
    Ok(ExitCode::SUCCESS)
}
