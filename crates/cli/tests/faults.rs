//! Resilience: with a fifth of all AWS requests answered by throttling errors, 500s, timeouts
//! and (EC2 deletes) DependencyViolation (BERTH_FAULTS), `up` and `down` of the whole seed
//! stack still converge, with exactly one of each resource, and nothing is left after `down`.

mod common;

use common::*;

fn seed_manifest(stack: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/seed-ec2.toml"
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

fn with_faults(m: &Manifest, args: &[&str], seed: u32) -> Run {
    berth_command(&m.path, args)
        .env("BERTH_FAULTS", format!("rate=0.2,seed={seed}"))
        .output()
        .expect("run berth")
        .into()
}

fn injected(run: &Run) -> u64 {
    let line = run
        .stderr
        .lines()
        .find(|l| l.ends_with("faults injected (BERTH_FAULTS)"))
        .expect("fault count line");
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn whole_stack_converges_through_a_fifth_of_requests_failing() {
    let aws = aws().await;
    for seed in [1, 2] {
        let stack = unique_stack("flt");
        let m = Manifest::new(&seed_manifest(&stack));
        let up = with_faults(&m, &["up", "--yes"], seed).success();
        assert!(
            injected(&up) > 10,
            "the faults really happened: {}",
            up.stderr
        );
        assert!(
            up.stderr.contains("retried by the SDK"),
            "the summary counts retries: {}",
            up.stderr
        );
        // A clean look (no faults): exactly what the manifest asks for, once each.
        let plan = berth(&m.path, &["plan"]).success();
        assert!(
            plan.stdout.contains("No changes"),
            "seed {seed}: {}",
            plan.stdout
        );
        let down = with_faults(&m, &["down", "--yes"], seed + 100).success();
        assert!(down.stderr.contains("Verified"), "{}", down.stderr);
        let registry = berth_aws::stack::registry(&aws);
        let left = berth_engine::discover(&registry, &stack, 8).await.unwrap();
        assert!(
            left.is_empty(),
            "seed {seed} left {:?}",
            left.iter()
                .map(|(id, _)| id.to_string())
                .collect::<Vec<_>>()
        );
    }
}
