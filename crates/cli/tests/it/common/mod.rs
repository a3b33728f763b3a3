//! Running the real `berth` binary against the moto emulator, and looking at what it built
//! through the AWS SDK. Each test uses its own stack name, so tests sharing one emulator never
//! see each other's resources.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use berth_aws::Aws;

pub use berth_testkit::unique_stack;

/// SDK clients on the emulator, to check what berth did.
pub async fn aws() -> Aws {
    berth_testkit::emulator().await
}

/// A shipped example with its stack renamed.
pub fn example(file: &str, stack: &str) -> String {
    let text = std::fs::read_to_string(format!(
        "{}/../../examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.lines()
        .map(|l| {
            if l.starts_with("name = ") {
                format!("name = \"{stack}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` moved from 172.24.0.0/16 to 172.`octet`.0.0/16: tests that run side by side use
/// separate ranges, as berth asks of any two stacks (`network.allow_overlap`).
pub fn in_range(text: &str, octet: u8) -> String {
    let text = if text.contains("cidr = ") {
        text.to_string()
    } else {
        text.replace("[network]\n", "[network]\ncidr = \"172.24.0.0/16\"\n")
    };
    text.replace("172.24.", &format!("172.{octet}."))
}

/// A small Fargate stack in 10.`octet`.0.0/16 with one service, `web`; `top` goes at the
/// top of the file (e.g. a `domain`).
pub fn fargate_web(stack: &str, octet: u8, top: &str) -> String {
    format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n{top}\
         [network]\ncidr = \"10.{octet}.0.0/16\"\nazs = 2\nnat = \"none\"\n\
         endpoints = [\"s3\", \"ecr\", \"logs\"]\nprivate_zone = \"\"\n\
         [cluster]\ncapacity = \"fargate\"\n\
         [service.web]\nimage = \"hello:1\"\ncpu = 256\nmemory = 512\ncount = 1\n"
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
    /// Retries berth reported: the SDK's (footer) and the engine's (apply summary).
    pub fn retries(&self) -> u64 {
        let number_before = |line: &str, words: &str| -> u64 {
            line.split(words)
                .next()
                .and_then(|head| head.rsplit([' ', '(']).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        self.stderr
            .lines()
            .map(|l| {
                let sdk = if l.contains(" retried by the SDK") {
                    number_before(l, " retried by the SDK")
                } else {
                    0
                };
                let engine = if l.contains(" retries)") {
                    number_before(l, " retries)")
                } else {
                    0
                };
                sdk + engine
            })
            .sum()
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
    berth_testkit::use_emulator();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_berth"));
    cmd.args(args)
        .arg("-f")
        .arg(manifest)
        .env("AWS_REGION", "eu-west-2")
        .env("NO_COLOR", "1")
        // Never prices a developer refreshed: the table's (tests/it/prices.rs sets its own).
        .env("XDG_CACHE_HOME", NO_CACHE);
    cmd
}

/// A cache directory that is never written.
pub const NO_CACHE: &str = "/nonexistent/berth-tests";

/// Run `berth ARGS -f MANIFEST` against the emulator.
pub fn berth(manifest: &Path, args: &[&str]) -> Run {
    berth_command(manifest, args)
        .output()
        .expect("run berth")
        .into()
}

// Reliability scenarios: short in `make test`, long in `make reliability`.

/// A number from the environment (`make reliability` raises them), or the default.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resources still tagged with the stack, found by berth's own sweep of every kind (the
/// sweep `down` must leave empty).
pub async fn leaked(aws: &berth_aws::Aws, stack: &str) -> Vec<String> {
    let registry = berth_aws::registry(aws);
    let left = berth_engine::discover(&registry, stack, 8)
        .await
        .expect("sweep");
    left.iter()
        .map(|(id, o)| format!("{} {id} {}", o.kind, o.cloud_id))
        .collect()
}

/// The stack's VPCs, by id.
pub async fn vpc_ids(aws: &berth_aws::Aws, stack: &str) -> Vec<String> {
    let out = aws
        .ec2
        .describe_vpcs()
        .filters(berth_aws::tags::stack_filter(stack))
        .send()
        .await
        .unwrap();
    out.vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect()
}

/// One scenario's results, printed as a row of the reliability table.
#[derive(Default)]
pub struct Tally {
    pub runs: usize,
    pub converged: usize,
    pub leaked: usize,
    pub retries: u64,
    pub problems: Vec<String>,
}

impl Tally {
    pub fn finish(self, scenario: &str) {
        println!(
            "RELIABILITY\t{scenario}\t{}\t{}\t{}\t{}",
            self.runs, self.converged, self.leaked, self.retries
        );
        assert!(
            self.problems.is_empty() && self.converged == self.runs && self.leaked == 0,
            "{scenario}: {} of {} runs converged, {} resources leaked:\n{}",
            self.converged,
            self.runs,
            self.leaked,
            self.problems.join("\n")
        );
    }
}

/// The task definition revision service `web` of `stack` runs, e.g. "2".
pub async fn running_revision(aws: &berth_aws::Aws, stack: &str) -> String {
    let out = aws
        .ecs
        .describe_services()
        .cluster(stack)
        .services("web")
        .send()
        .await
        .unwrap();
    let td = out.services()[0].task_definition().unwrap();
    td.rsplit(':').next().unwrap().to_string()
}
