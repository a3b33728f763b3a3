//! The command line itself: bad input never reaches AWS, `init` writes a manifest that
//! validates, and a non-interactive `up` without --yes changes nothing.

use std::process::Command;

use crate::common::*;

fn berth_offline(dir: &std::path::Path, args: &[&str]) -> Run {
    // A closed port: any AWS call would fail loudly instead of reaching anything.
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .env("AWS_REGION", "eu-west-2")
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", NO_CACHE)
        .output()
        .unwrap()
        .into()
}

#[test]
fn invalid_manifests_exit_2_with_positions_and_send_nothing() {
    let m = Manifest::new("name = \"x\"\n[network]\nnta = \"single\"\ncidr = \"10.0.0.0/8\"\n");
    for args in [
        &["validate"][..],
        &["plan"],
        &["up", "--yes"],
        &["down", "--yes"],
    ] {
        let command = args[0];
        let out = berth_offline(m.dir.path(), args);
        assert_eq!(out.code, 2, "{command}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("berth.toml:3:1: network.nta: unknown field `nta`, did you mean `nat`?"),
            "{command}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("berth.toml:4:8: network.cidr"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("nothing was sent to AWS"),
            "{}",
            out.stderr
        );
    }
    let missing = berth_offline(m.dir.path(), &["plan", "-f", "nope.toml"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read nope.toml") && missing.stderr.contains("berth init"),
        "{}",
        missing.stderr
    );
}

#[test]
fn init_writes_a_manifest_that_validates_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    berth_offline(dir.path(), &["init"]).success();
    let valid = berth_offline(dir.path(), &["validate"]).success();
    assert!(
        valid.stdout.contains("is valid: stack `hello`"),
        "{}",
        valid.stdout
    );
    let again = berth_offline(dir.path(), &["init"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already exists; pass --force"),
        "{}",
        again.stderr
    );
}

#[test]
fn prices_show_the_table_with_its_date_offline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("berth.toml"),
        "name = \"p\"\nregion = \"eu-west-2\"\n",
    )
    .unwrap();
    let table = berth_offline(dir.path(), &["prices"]).success();
    assert!(
        table
            .stdout
            .starts_with("List prices in eu-west-2 (USD, on demand), as of 20")
            && table.stdout.contains("Source: AWS public pricing pages"),
        "the manifest's region, dated and sourced\n{}",
        table.stdout
    );
    let nat = table
        .stdout
        .lines()
        .find(|l| l.starts_with("NAT gateway "))
        .unwrap();
    assert!(nat.ends_with("0.05          36.50"), "{nat}");
    // No home to keep refreshed prices in: the table, not an error.
    let homeless: Run = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["prices", "--region", "eu-west-2"])
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .output()
        .unwrap()
        .into();
    let homeless = homeless.success();
    assert!(
        homeless.stdout.contains("as of 2025-01"),
        "{}",
        homeless.stdout
    );
    let unknown = berth_offline(dir.path(), &["prices", "--region", "xx-east-9"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("no prices for xx-east-9: `berth prices --refresh` reads them from the AWS Price List; berth's own table has us-east-1,"),
        "{}",
        unknown.stderr
    );
}

/// `berth prices | head -1`: the reader goes away; berth ends on SIGPIPE like any Unix tool,
/// without a panic's backtrace.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_berth_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["prices", "--region", "eu-west-2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // closed before berth writes a line
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(13), "SIGPIPE: {:?}", out.status);
}

#[test]
fn help_teaches_the_workflow() {
    let help = berth_offline(std::path::Path::new("."), &["--help"]).success();
    for word in [
        "init",
        "validate",
        "plan",
        "up",
        "status",
        "down",
        "deploy",
        "rollback",
        "run",
        "logs",
        "graph",
        "unlock",
        "AWS is the state",
    ] {
        assert!(
            help.stdout.contains(word),
            "--help lacks {word}: {}",
            help.stdout
        );
    }
}

#[tokio::test]
async fn up_without_yes_and_without_a_terminal_changes_nothing() {
    let aws = aws().await;
    let stack = unique_stack("nty");
    let m = Manifest::new(&format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n[network]\nnat = \"none\"\nprivate_zone = \"\"\n"
    ));
    let out = berth_command(&m.path, &["up"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let out: Run = out.into();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("--yes was not given. Nothing was changed"),
        "{}",
        out.stderr
    );
    assert!(vpc_ids(&aws, &stack).await.is_empty());
}

/// A broken environment is one sentence on stderr, exit 1, and nothing created.
#[tokio::test]
async fn broken_credentials_or_network_give_one_sentence_and_create_nothing() {
    let aws = aws().await;
    let stack = unique_stack("env");
    let m = Manifest::new(&format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n[network]\nnat = \"none\"\nprivate_zone = \"\"\n"
    ));
    // (case, variables set, variables removed, the sentence expected)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: [Case; 3] = [
        (
            "expired credentials",
            &[("BERTH_FAULTS", "expired")],
            &[],
            "ExpiredToken: The security token included in the request is expired. They are temporary credentials that have run out: run `aws sso login`",
        ),
        (
            "no credentials",
            &[
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
                ("AWS_CONFIG_FILE", "/nonexistent"),
            ],
            &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            "no credentials found in chain. Set AWS_PROFILE",
        ),
        (
            "AWS unreachable",
            &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")],
            &[],
            "cannot reach AWS in eu-west-2: Connection refused",
        ),
    ];
    for (case, set, unset, expected) in cases {
        let mut cmd = berth_command(&m.path, &["up", "--yes"]);
        cmd.envs(set.iter().copied());
        for var in unset {
            cmd.env_remove(var);
        }
        let out: Run = cmd.output().unwrap().into();
        assert_eq!(out.code, 1, "{case}: {}", out.stderr);
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{case}: {}", out.stderr);
        assert!(
            errors[0].contains(expected) && !errors[0].contains('\n'),
            "{case}: {}",
            out.stderr
        );
    }
    assert!(
        vpc_ids(&aws, &stack).await.is_empty(),
        "nothing was created"
    );
}
