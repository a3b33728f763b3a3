//! The prices `berth prices --refresh` read, kept on this machine one file per region
//! (`$XDG_CACHE_HOME/berth/prices/REGION.json`, else `~/.cache/berth/prices/`), and the prices
//! every estimate uses: that copy, else the table shipped in the binary.

use std::path::PathBuf;

use anyhow::{Context, Result};
use berth_aws::cost::Prices;

fn dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("berth").join("prices"))
}

/// Where `region`'s refreshed prices are kept, when there is a home to keep them in.
pub fn path(region: &str) -> Option<PathBuf> {
    Some(dir()?.join(format!("{region}.json")))
}

/// The prices estimates in `region` use; `None` when neither a refresh nor the table has the
/// region. A kept copy that cannot be read is named on stderr and passed over.
pub fn current(region: &str) -> Option<Prices> {
    let Some(path) = path(region) else {
        return Prices::shipped(region);
    };
    let kept = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<Prices>(&text)
            .map_err(|e| e.to_string())
            .and_then(|prices| match prices.region == region {
                true => Ok(prices),
                false => Err(format!("it holds {}'s prices", prices.region)),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Prices::shipped(region),
        Err(e) => Err(e.to_string()),
    };
    match kept {
        Ok(prices) => Some(prices),
        Err(why) => {
            eprintln!(
                "warning: passing over {} ({why}): estimating with the prices shipped with \
                 berth; `berth prices --refresh` rewrites it",
                path.display()
            );
            Prices::shipped(region)
        }
    }
}

/// Keep `prices` for later runs: written aside, then renamed over the old copy, so a run that
/// dies halfway leaves the old copy whole.
pub fn save(prices: &Prices) -> Result<PathBuf> {
    let path = path(&prices.region).context("no HOME or XDG_CACHE_HOME to keep prices in")?;
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing in {}", dir.display()))?;
    serde_json::to_writer_pretty(&mut file, prices)?;
    file.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
