//! Whole stacks against the emulator's realistic mode (`scripts/emulator start --realistic`):
//! NAT gateways and load balancers that take their time, network interfaces that outlive
//! their owners, IAM that propagates, ECS that checks associations and reaches steady state
//! late, pages of two, EC2 ids not found right after their create. One `up` must converge,
//! the next plan must be empty, and one `down` must leave nothing.

// Its own binary: it points the process at the realistic emulator, which must never leak
// into the plain tests running beside it.
#[path = "it/common/mod.rs"]
mod common;

use common::*;

/// The realistic emulator's endpoint: `BERTH_REALISTIC_ENDPOINT` (make test) or
/// `target/emulator-realistic.env` (`scripts/emulator start --realistic`).
fn realistic_endpoint() -> String {
    if let Ok(url) = std::env::var("BERTH_REALISTIC_ENDPOINT") {
        return url;
    }
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/emulator-realistic.env"
    );
    let text = std::fs::read_to_string(file).unwrap_or_else(|_| {
        panic!("no realistic emulator: run `scripts/emulator start --realistic` (or `make test`)")
    });
    text.lines()
        .find_map(|l| l.strip_prefix("AWS_ENDPOINT_URL=").map(str::to_string))
        .expect("AWS_ENDPOINT_URL in target/emulator-realistic.env")
}

/// Every test in this binary talks to the realistic emulator only.
fn use_realistic() {
    // SAFETY: every test sets the same value, before any client reads it.
    unsafe { std::env::set_var("AWS_ENDPOINT_URL", realistic_endpoint()) };
}

/// `up`, an empty plan, `down`, nothing left: the first real run, on the realistic mode.
async fn converges_and_leaves_nothing(text: &str, stack: &str) {
    use_realistic();
    let aws = aws().await;
    let m = Manifest::new(text);
    let up = berth(&m.path, &["up", "--yes"]);
    assert_eq!(
        up.code, 0,
        "the first up must converge on its own\n{}",
        up.stderr
    );
    let plan = berth(&m.path, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "a converged stack plans nothing\n{}\n{}",
        plan.stdout, plan.stderr
    );
    let down = berth(&m.path, &["down", "--yes"]);
    assert_eq!(down.code, 0, "one down must finish\n{}", down.stderr);
    assert_eq!(leaked(&aws, stack).await, Vec::<String>::new());
}

/// A private service beside the example's public one.
fn with_private_service(text: &str, cpu_memory: &str) -> String {
    format!(
        "{text}\n[service.worker]\nimage = \"hello:latest\"\nport = 9000\n{cpu_memory}\ncount = 1\npublic = false\n"
    )
}

#[tokio::test]
async fn seed_ec2_stack_with_a_private_service_on_realistic_aws() {
    let stack = unique_stack("rec");
    let text = in_range(&example("seed-ec2.toml", &stack), 17);
    let text = with_private_service(&text, "cpu = 128\nmemory = 128");
    converges_and_leaves_nothing(&text, &stack).await;
}

/// With HTTPS on a domain whose public zone is in the account: records that ACM assigns
/// late, issuance minutes after the CNAME, a certificate in use after its listener is gone.
#[tokio::test]
async fn fargate_stack_with_a_private_service_and_https_on_realistic_aws() {
    use_realistic();
    let stack = unique_stack("rfg");
    let zone = format!("{stack}.test");
    let aws = aws().await;
    let zone_id = berth_testkit::public_zone(&aws, &zone).await;
    let text = in_range(&example("fargate.toml", &stack), 18);
    let text = text.replacen(
        "region = ",
        &format!("domain = \"app.{zone}\"\nregion = "),
        1,
    );
    let text = with_private_service(&text, "cpu = 256\nmemory = 512");
    converges_and_leaves_nothing(&text, &stack).await;
    // Only its NS and SOA are left: deleting it fails otherwise.
    aws.route53
        .delete_hosted_zone()
        .id(&zone_id)
        .send()
        .await
        .unwrap();
}

/// Twelve services: ListServices and DescribeServices past their page and batch sizes, eight
/// listener rules numbered by specificity, four private services.
#[tokio::test]
async fn twelve_services_on_realistic_aws() {
    let stack = unique_stack("r12");
    let mut text = format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n[network]\ncidr = \"172.19.0.0/16\"\nazs = 2\nnat = \"single\"\nprivate_zone = \"r12.local\"\n[cluster]\ncapacity = \"fargate\"\n"
    );
    let paths = [
        "/", "/api", "/apix", "/api/v2", "/admin", "/static", "/a", "/b",
    ];
    for (i, path) in paths.iter().enumerate() {
        text.push_str(&format!(
            "[service.web{i}]\nimage = \"hello:latest\"\nport = 8080\ncpu = 256\nmemory = 512\ncount = 1\npublic = true\npath = \"{path}\"\n"
        ));
    }
    for i in 0..4 {
        text.push_str(&format!(
            "[service.job{i}]\nimage = \"hello:latest\"\nport = 9000\ncpu = 256\nmemory = 512\ncount = 1\npublic = false\n"
        ));
    }
    converges_and_leaves_nothing(&text, &stack).await;
}
