//! Running the real `berth` binary against the moto emulator, and looking at what it built
//! through the AWS SDK. Each test uses its own stack name, so tests sharing one emulator never
//! see each other's resources.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use berth_aws::{Aws, ConnectOptions};

/// The emulator's endpoint: `AWS_ENDPOINT_URL` (make test) or `target/emulator.env`.
pub fn endpoint() -> String {
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        return url;
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/emulator.env");
    let text = std::fs::read_to_string(file).unwrap_or_else(|_| {
        panic!("no emulator: run `scripts/emulator start` (or `make test`) first")
    });
    text.lines()
        .find_map(|l| l.strip_prefix("AWS_ENDPOINT_URL=").map(str::to_string))
        .expect("AWS_ENDPOINT_URL in target/emulator.env")
}

fn set_env() {
    // SAFETY: tests set the same values every time, before any client reads them.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL", endpoint());
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    }
}

/// SDK clients on the emulator, to check what berth did.
pub async fn aws() -> Aws {
    set_env();
    Aws::connect(&ConnectOptions {
        region: Some("eu-west-2".into()),
        profile: None,
    })
    .await
    .expect("connect")
}

/// A stack name unique to this test run.
pub fn unique_stack(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A manifest in its own temporary directory.
pub struct Manifest {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Manifest {
    pub fn new(text: &str) -> Manifest {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("berth.toml");
        std::fs::write(&path, text).expect("write manifest");
        Manifest { dir, path }
    }
    pub fn rewrite(&self, text: &str) {
        std::fs::write(&self.path, text).expect("rewrite manifest");
    }
}

/// The result of one `berth` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The number of mutating AWS calls berth reported in its footer.
    pub fn mutating_calls(&self) -> u64 {
        let line = self
            .stderr
            .lines()
            .rev()
            .find(|l| l.contains("AWS API calls"))
            .expect("footer line");
        let inner = line.split('(').nth(1).expect("(n mutating)");
        inner.split_whitespace().next().unwrap().parse().unwrap()
    }
    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code, 0,
            "berth failed\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

pub fn berth_command(manifest: &Path, args: &[&str]) -> Command {
    set_env();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_berth"));
    cmd.args(args)
        .arg("-f")
        .arg(manifest)
        .env("AWS_REGION", "eu-west-2")
        .env("NO_COLOR", "1");
    cmd
}

/// Run `berth ARGS -f MANIFEST` against the emulator.
pub fn berth(manifest: &Path, args: &[&str]) -> Run {
    berth_command(manifest, args)
        .output()
        .expect("run berth")
        .into()
}
