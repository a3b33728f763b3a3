//! What every emulator test needs, in one place (the aws and cli crates' harnesses had drifted
//! apart): where the emulator is, SDK clients pointed at it with dummy credentials, and stack
//! names no other test uses. Tests share one emulator, so each filters by its own stack.

use std::sync::atomic::{AtomicU32, Ordering};

use berth_aws::{Aws, ConnectOptions};

/// The emulator's endpoint: `AWS_ENDPOINT_URL` (make test) or `target/emulator.env`, which
/// `scripts/emulator start` writes. Panics with the command to run when there is none: a test
/// that silently skipped would prove nothing.
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

/// Point this process (and the `berth` processes it starts) at the emulator, with dummy
/// credentials only: never real AWS.
pub fn use_emulator() {
    // SAFETY: every test sets the same values, before any client reads them.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL", endpoint());
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    }
}

/// SDK clients on the emulator, in eu-west-2, knowing their account as `berth` does after
/// it has proved its credentials (ARNs the graph builds name it).
pub async fn emulator() -> Aws {
    use_emulator();
    let mut aws = Aws::connect(&ConnectOptions {
        region: Some("eu-west-2".into()),
        profile: None,
    })
    .await
    .expect("connect");
    aws.account().await.expect("the emulator's account");
    aws
}

/// A stack name no other test, and no earlier run against the same emulator, uses; short and
/// plain enough for every AWS name berth derives from it.
pub fn unique_stack(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A public hosted zone named `name` (a test's own domain), by id.
pub async fn public_zone(aws: &Aws, name: &str) -> String {
    let made = aws
        .route53
        .create_hosted_zone()
        .name(name)
        .caller_reference(name)
        .send()
        .await
        .expect("create hosted zone");
    made.hosted_zone().expect("a zone").id().to_string()
}
