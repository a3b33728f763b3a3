//! Concurrent runs: a lock in AWS (an SSM parameter) keeps two `up`/`down` of one stack from
//! interleaving, names its holder, is taken over when stale, and `unlock --force` clears it.

use std::process::Stdio;

use crate::common::*;
use aws_sdk_ssm::types::ParameterType;

/// Each test its own address range (`octet`): they run side by side.
fn manifest(stack: &str, octet: u8) -> String {
    format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n[network]\ncidr = \"172.{octet}.0.0/16\"\nazs = 2\nnat = \"single\"\nprivate_zone = \"\"\n"
    )
}

/// A lock as another run writes it. `since` is that run's own clock: a day off, as a badly
/// set laptop may be, to show expiry is judged by AWS's timestamp and the lease alone.
async fn put_lock(aws: &berth_aws::Aws, stack: &str, host: &str, pid: u32, lease: u64) {
    let skewed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 86_400;
    let holder = serde_json::json!({"owner": "ci", "host": host, "pid": pid, "command": "berth up", "since": skewed, "lease": lease});
    let name = berth_aws::lock::parameter_name(stack);
    aws.ssm
        .put_parameter()
        .name(name)
        .value(holder.to_string())
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_live_lock_stops_up_and_down_until_unlocked() {
    let aws = aws().await;
    let stack = unique_stack("lck");
    let m = Manifest::new(&manifest(&stack, 20));
    berth(&m.path, &["up", "--yes"]).success();
    put_lock(&aws, &stack, "ci-runner-7", 4242, 600).await;

    // A change to apply, and someone else holds the stack: refused, nothing touched.
    m.rewrite(&manifest(&stack, 20).replace("nat = \"single\"", "nat = \"none\""));
    let up = berth(&m.path, &["up", "--yes"]);
    assert_eq!(up.code, 1);
    assert!(
        up.stderr
            .contains("is locked by ci on ci-runner-7 (pid 4242, `berth up`"),
        "{}",
        up.stderr
    );
    assert!(up.stderr.contains("berth unlock --force"), "{}", up.stderr);
    let plan = berth(&m.path, &["plan"]).success();
    assert!(
        plan.stdout.contains("- nat/a"),
        "plan takes no lock, and the NAT is still there: {}",
        plan.stdout
    );
    assert_eq!(berth(&m.path, &["down", "--yes"]).code, 1);

    assert_eq!(
        berth(&m.path, &["unlock"]).code,
        1,
        "unlock without --force refuses"
    );
    let unlock = berth(&m.path, &["unlock", "--force"]).success();
    assert!(
        unlock.stderr.contains("held by ci on ci-runner-7"),
        "{}",
        unlock.stderr
    );
    berth(&m.path, &["up", "--yes"]).success();
    berth(&m.path, &["down", "--yes"]).success();
    // Released after each run.
    assert!(
        aws.ssm
            .get_parameter()
            .name(berth_aws::lock::parameter_name(&stack))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn stale_locks_are_taken_over() {
    let aws = aws().await;
    let stack = unique_stack("stl");
    let m = Manifest::new(&manifest(&stack, 21));
    put_lock(&aws, &stack, "gone-laptop", 1, 0).await; // its lease ran out
    berth(&m.path, &["up", "--yes"]).success();
    // A dead process on this machine (a SIGKILLed run) holds it: taken over too.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    put_lock(&aws, &stack, &host, 999_999_999, 600).await;
    berth(&m.path, &["down", "--yes"]).success();
}

#[tokio::test]
async fn two_concurrent_ups_never_interleave() {
    let aws = aws().await;
    let mut tally = Tally::default();
    for _ in 0..knob("BERTH_CONCURRENT_RUNS", 1) {
        tally.runs += 1;
        let stack = unique_stack("two");
        let m = Manifest::new(&manifest(&stack, 22));
        let spawn = || {
            berth_command(&m.path, &["up", "--yes"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let runs: Vec<Run> = [a, b]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap().into())
            .collect();
        tally.retries += runs.iter().map(Run::retries).sum::<u64>();
        let ok = runs.iter().filter(|r| r.code == 0).count();
        let locked = runs
            .iter()
            .filter(|r| r.stderr.contains("is locked by"))
            .count();
        // Either one ran while the other was refused, or they ran one after the other; and
        // then there is one of everything.
        let plan = berth(&m.path, &["plan"]);
        let down = berth(&m.path, &["down", "--yes"]);
        tally.leaked += leaked(&aws, &stack).await.len();
        if (ok == 2 || (ok == 1 && locked == 1))
            && plan.stdout.contains("No changes")
            && down.code == 0
        {
            tally.converged += 1;
        } else {
            tally.problems.push(format!(
                "{:?}\n{}",
                runs.iter().map(|r| &r.stderr).collect::<Vec<_>>(),
                plan.stdout
            ));
        }
    }
    tally.finish("two concurrent ups on one stack");
}

#[tokio::test]
async fn a_held_lock_is_renewed_while_its_run_lives() {
    let aws = aws().await;
    let stack = unique_stack("rnw");
    let lease = std::time::Duration::from_secs(4);
    let lock = berth_aws::lock::StackLock::acquire(&aws, &stack, "berth up", lease)
        .await
        .unwrap();
    // Twice the lease later it is still held: renewed, not expired.
    tokio::time::sleep(lease * 2).await;
    let second = berth_aws::lock::StackLock::acquire(&aws, &stack, "berth up", lease).await;
    assert!(
        matches!(second, Err(berth_aws::lock::LockError::Held { .. })),
        "a live run's lock was taken over"
    );
    lock.release().await.unwrap();
    let third = berth_aws::lock::StackLock::acquire(&aws, &stack, "berth up", lease)
        .await
        .expect("free after release");
    third.release().await.unwrap();
}
