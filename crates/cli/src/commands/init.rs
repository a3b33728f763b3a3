//! `berth init`: a commented manifest to start from.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::args::Global;

pub fn run(global: &Global, force: bool) -> Result<ExitCode> {
    let path = &global.file;
    if path.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        );
    }
    std::fs::write(path, berth_spec::example())?;
    eprintln!(
        "Wrote {}. Next: edit it, then `berth validate` and `berth plan`.",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
