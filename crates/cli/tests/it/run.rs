//! `berth run`: the service's task once with another command; its log lines on stdout and
//! its exit code as berth's.

use crate::common::*;

/// `berth run SERVICE -f MANIFEST -- COMMAND...`: the command goes last.
fn run(m: &Manifest, service: &str, command: &[&str]) -> Run {
    let mut cmd = berth_command(&m.path, &["run", service]);
    cmd.arg("--").args(command);
    cmd.output().unwrap().into()
}

#[tokio::test]
async fn run_streams_the_tasks_logs_and_exits_with_its_code() {
    let aws = aws().await;
    let stack = unique_stack("run");
    let m = Manifest::new(&fargate_web(&stack, 37, ""));
    berth(&m.path, &["up", "--yes"]).success();

    let failed = run(&m, "web", &["sh", "-c", "./migrate; exit 3"]);
    assert_eq!(
        failed.code, 3,
        "berth exits with the task's code\n{}",
        failed.stderr
    );
    assert_eq!(
        failed.stdout.trim(),
        "sh -c ./migrate; exit 3",
        "its log line"
    );
    assert!(failed.stderr.contains("Task exited 3"), "{}", failed.stderr);

    let ok = run(&m, "web", &["./migrate", "--yes"]).success();
    assert_eq!(ok.stdout.trim(), "./migrate --yes");

    // The task ran in the service's network, as the service's task definition.
    let tasks = aws
        .ecs
        .list_tasks()
        .cluster(&stack)
        .started_by("berth run")
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.task_arns().len(), 2, "{tasks:?}");

    let unknown = run(&m, "nope", &["true"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no service `nope`"),
        "{}",
        unknown.stderr
    );

    berth(&m.path, &["down", "--yes"]).success();
    assert!(leaked(&aws, &stack).await.is_empty());
}
