//! The command line, as clap derive types. `--help` is the first documentation users read, so
//! every flag says what it does and what the default is.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "berth",
    version,
    about = "Deploy a containerised web service to AWS ECS from one small manifest",
    long_about = "berth stands up, inspects, updates and tears down a complete, secure ECS service \
(network, cluster, capacity, load balancer, IAM, DNS, logs, scaling) from one berth.toml.\n\n\
There is no state file: AWS is the state. Every resource berth owns carries the tags \
berth:stack=<name> and berth:id=<logical id>, so any machine can pick up where another stopped.\n\n\
Every change is planned first and shown as + create, ~ update, -/+ replace, - delete.",
    after_help = "Typical session:\n  berth init            write a commented berth.toml\n  berth validate        check it offline\n  berth plan            see what would change\n  berth up              apply (asks first; --yes in CI)\n  berth status          what exists, and any drift\n  berth down            delete everything the stack owns\n\nCredentials and region come from the standard AWS chain (AWS_PROFILE, environment, SSO, \
instance roles); AWS_ENDPOINT_URL points berth at an emulator."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The manifest to read
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "berth.toml",
        value_name = "PATH"
    )]
    pub file: PathBuf,
    /// The environment to act on: one of the manifest's [env.NAME] tables, whose keys
    /// override the rest of the file. Each environment is its own stack, named
    /// <name>-<NAME>. Required when the manifest declares environments
    #[arg(
        long,
        short = 'e',
        global = true,
        env = "BERTH_ENV",
        value_name = "NAME"
    )]
    pub env: Option<String>,
    /// AWS region; overrides the manifest's `region` and AWS_REGION
    #[arg(long, global = true, env = "BERTH_REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config; overrides AWS_PROFILE
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// How results on stdout are written (progress always goes to stderr)
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Human)]
    pub output: Output,
    /// Never colour the output (also: NO_COLOR=1)
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a commented example berth.toml to start from
    Init {
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Check the manifest offline (no AWS call) and show what it derives (subnets, AZs, ...)
    Validate,
    /// Show what `up` would change, without changing anything
    Plan {
        /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on error
        #[arg(long)]
        detailed_exitcode: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Create or update the stack to match the manifest (shows the plan and asks first)
    Up {
        /// Apply without asking (required when stdin is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Every resource of the stack: logical id, AWS id, state and drift from the manifest
    Status {
        /// Refresh every few seconds until interrupted (Ctrl-C)
        #[arg(long, short = 'w')]
        watch: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Delete every resource the stack owns, in dependency order, and prove nothing is left
    Down {
        /// Delete without asking (required when stdin is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Roll a new image out to one service: the CI entry point. A new task definition revision
    /// that differs only in the image, the service's `release` command run with it (the
    /// rollout goes ahead only if it exits 0), the service updated, the rollout waited for.
    /// Nothing else in the stack is touched, and `up` keeps this image while the manifest
    /// names none. e.g. `berth deploy web --build` or `berth deploy web --image web:1.4`
    Deploy {
        /// The service, as named in [service.NAME]
        service: String,
        /// The image; a bare `name:tag` means this stack's ECR repository
        #[arg(long, required_unless_present = "build", conflicts_with = "build")]
        image: Option<String>,
        /// Build the image with the local Docker engine from the Dockerfile in DIR (default:
        /// the service's `build` folder, else the manifest's), tag it with the git commit
        /// (`-dirty-<image id>` with uncommitted changes), push it to the stack's repository
        /// unless it is there already, and deploy it pinned by digest
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        build: Option<Option<PathBuf>>,
        /// Give up on the rollout after this long (e.g. 90s, 15m)
        #[arg(long, default_value = "15m", value_parser = parse_duration)]
        timeout: Duration,
    },
    /// Run the service's task once with another command (a migration, a one-off job): same
    /// image, network, roles and secrets; its logs streamed; berth exits with its exit code.
    /// e.g. `berth run web -- ./migrate --yes`
    Run {
        /// The service, as named in [service.NAME]
        service: String,
        /// Stop following after this long (the task goes on; e.g. 90s, 15m, 1h)
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        timeout: Duration,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Roll one service back to an earlier task definition revision: the one before the
    /// running one, or --to REVISION (`berth status` lists them). Shown and asked first, the
    /// rollout waited for like `deploy`; like a deployed image, `up` keeps it while the
    /// manifest names no image
    Rollback {
        /// The service, as named in [service.NAME]
        service: String,
        /// The revision number to go back (or forward) to
        #[arg(long, value_name = "REVISION")]
        to: Option<i32>,
        /// Roll back without asking (required when stdin is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
        /// Give up on the rollout after this long (e.g. 90s, 15m)
        #[arg(long, default_value = "15m", value_parser = parse_duration)]
        timeout: Duration,
    },
    /// A service's logs from CloudWatch, one readable row per line, with the task it came from
    Logs {
        /// The service, as named in [service.NAME]
        service: String,
        /// How far back to start (e.g. 90s, 10m, 2h)
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        since: Duration,
        /// Keep printing new lines as they arrive (Ctrl-C to stop)
        #[arg(long, short = 'F')]
        follow: bool,
        /// Print the raw lines as the service wrote them
        #[arg(long)]
        json: bool,
        /// Only the lines of one W3C trace: the trace id hello logs (32 hex digits), or an
        /// X-Ray id (1-5759e988-bd862e3fe1be46a994272793)
        #[arg(long, value_name = "TRACE_ID", value_parser = parse_trace_id)]
        trace: Option<String>,
    },
    /// Remove the stack's lock, left by a run that died on another machine (a dead run on this
    /// machine, or an expired lock, is taken over automatically)
    Unlock {
        /// Required: removing a live run's lock lets two runs interleave
        #[arg(long)]
        force: bool,
    },
    /// The list prices `plan` and `status` estimate monthly costs with, for the region
    /// (--region, else the manifest's, else AWS_REGION), with their date and source. Offline,
    /// unless --refresh
    Prices {
        /// Read the region's current prices (and every instance type's) from the AWS Price List
        /// API and keep them on this machine for `plan` and `status`. Needs credentials allowed
        /// pricing:GetProducts; what the Price List lacks keeps the shipped figure, and is named
        #[arg(long)]
        refresh: bool,
    },
    /// The resource graph as Graphviz DOT: what will be built, and in what order
    Graph {
        /// `dot` prints DOT; `svg` runs Graphviz's `dot -Tsvg` (must be installed)
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Svg,
}

/// Flags shared by every command that talks to AWS.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// How many resources to work on at once
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Give up on one resource after this long (e.g. 90s, 15m, 1h)
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print the AWS API calls made, per service and operation
    #[arg(long)]
    pub stats: bool,
    /// Move EC2 instances to the newest ECS-optimised AMI (an instance refresh). Without it
    /// berth keeps the AMI they run, so a new AWS release never shows up as a change
    #[arg(long)]
    pub refresh_ami: bool,
}

/// A trace id as hello logs it: 32 lowercase hex digits. X-Ray's `1-<8 hex>-<24 hex>` is
/// the same id in another spelling.
pub fn parse_trace_id(text: &str) -> Result<String, String> {
    let id: String = match text.trim().strip_prefix("1-") {
        Some(xray) => xray.split('-').collect(),
        None => text.trim().to_string(),
    }
    .to_ascii_lowercase();
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(format!(
            "`{text}` is not a trace id: 32 hex digits (e.g. 4bf92f3577b34da6a3ce929d0e0e4736), \
             or an X-Ray id (1-5759e988-bd862e3fe1be46a994272793)"
        ))
    }
}

/// `90s`, `15m`, `1h` or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 90s, 15m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("unknown unit `{unit}` in `{text}`; use s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("5d").unwrap_err().contains("unknown unit"));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn trace_ids() {
        let w3c = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(parse_trace_id(w3c).as_deref(), Ok(w3c));
        assert_eq!(
            parse_trace_id("1-5759e988-BD862E3FE1BE46A994272793").as_deref(),
            Ok("5759e988bd862e3fe1be46a994272793")
        );
        assert!(
            parse_trace_id("abc")
                .unwrap_err()
                .contains("not a trace id")
        );
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
