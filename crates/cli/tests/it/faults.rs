//! Resilience of the whole seed stack against the emulator, with the real binary:
//! - with a fifth of all AWS requests answered by throttling errors, 500s, timeouts and (EC2
//!   deletes) DependencyViolation (BERTH_FAULTS), `up` and `down` still converge, with exactly
//!   one of each resource, and nothing is left after `down`;
//! - `berth up` SIGKILLed right after its N-th mutating call (a real crash: no clean-up, the
//!   lock left behind) is finished by the next `up`, and `down` then leaves nothing.
//!
//! `make test` runs a few seeds and positions; `make reliability` runs many (the variables
//! below) and prints each scenario's row: runs, converged, leaked resources, retries.

use crate::common::*;

fn with_faults(m: &Manifest, args: &[&str], faults: &str) -> Run {
    berth_command(&m.path, args)
        .env("BERTH_FAULTS", faults)
        .output()
        .expect("run berth")
        .into()
}

/// Faults berth's footer reports (0 when it never got that far).
fn injected(run: &Run) -> u64 {
    run.stderr
        .lines()
        .find(|l| l.ends_with("faults injected (BERTH_FAULTS)"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn whole_stack_converges_through_a_fifth_of_requests_failing() {
    let aws = aws().await;
    let mut tally = Tally::default();
    for seed in 1..=knob("BERTH_FAULT_SEEDS", 2) {
        tally.runs += 1;
        let stack = unique_stack("flt");
        let m = Manifest::new(&in_range(&example("seed-ec2.toml", &stack), 29));
        let up = with_faults(&m, &["up", "--yes"], &format!("rate=0.2,seed={seed}"));
        assert!(
            injected(&up) > 10,
            "the faults really happened: {}",
            up.stderr
        );
        tally.retries += up.retries();
        // A clean look (no faults): exactly what the manifest asks for, once each.
        let plan = berth(&m.path, &["plan"]);
        let down = with_faults(
            &m,
            &["down", "--yes"],
            &format!("rate=0.2,seed={}", seed + 1000),
        );
        tally.retries += down.retries();
        let left = leaked(&aws, &stack).await;
        tally.leaked += left.len();
        if up.code == 0 && plan.stdout.contains("No changes") && down.code == 0 {
            tally.converged += 1;
            assert!(down.stderr.contains("Verified"), "{}", down.stderr);
        } else {
            tally.problems.push(format!(
                "seed {seed}: up {}, plan {}, down {}, left {left:?}\n{}\n{}",
                up.code, plan.stdout, down.code, up.stderr, down.stderr
            ));
        }
    }
    tally.finish("up+down, 20% of calls faulted");
}

#[tokio::test]
async fn up_killed_after_any_mutating_call_is_finished_by_the_next_up() {
    let aws = aws().await;
    // `BERTH_KILL_POSITIONS=0` means every position of a full `up`.
    let every = knob("BERTH_KILL_POSITIONS", 3) == 0;
    let positions: Vec<u64> = if every {
        let stack = unique_stack("cnt");
        let m = Manifest::new(&in_range(&example("seed-ec2.toml", &stack), 30));
        let total = berth(&m.path, &["up", "--yes"]).success().mutating_calls();
        berth(&m.path, &["down", "--yes"]).success();
        (1..=total).collect()
    } else {
        // Early (the VPC), the middle (IAM, ALB, cluster), and late (services, scaling).
        [1, 27, 52]
            .into_iter()
            .take(knob("BERTH_KILL_POSITIONS", 3))
            .collect()
    };
    let mut tally = Tally::default();
    for position in positions {
        tally.runs += 1;
        let stack = unique_stack("sigkill");
        let m = Manifest::new(&in_range(&example("seed-ec2.toml", &stack), 30));
        let killed = with_faults(&m, &["up", "--yes"], &format!("kill_after={position}"));
        assert_eq!(
            killed.code, -1,
            "position {position}: SIGKILLed, not exited: {}",
            killed.stderr
        );
        // The lock the dead process held is stale (its pid is gone): the next up takes it over.
        let resumed = berth(&m.path, &["up", "--yes"]);
        tally.retries += resumed.retries();
        let plan = berth(&m.path, &["plan"]);
        let down = berth(&m.path, &["down", "--yes"]);
        let left = leaked(&aws, &stack).await;
        tally.leaked += left.len();
        if resumed.code == 0 && plan.stdout.contains("No changes") && down.code == 0 {
            tally.converged += 1;
        } else {
            tally.problems.push(format!(
                "killed after call {position}: up {}, plan {}, down {}, left {left:?}\n{}",
                resumed.code, plan.stdout, down.code, resumed.stderr
            ));
        }
    }
    tally.finish("SIGKILL after mutating call N, then up");
}
