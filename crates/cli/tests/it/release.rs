//! A service's `release` command: run once as a one-off task of each new version before it
//! rolls out, by `up` and `deploy` alike; the rollout goes ahead only if it exits 0.

use crate::common::*;

async fn release_tasks(aws: &berth_aws::Aws, stack: &str) -> usize {
    let tasks = aws
        .ecs
        .list_tasks()
        .cluster(stack)
        .started_by("berth release")
        .send()
        .await
        .unwrap();
    tasks.task_arns().len()
}

fn with_release(stack: &str, image: &str, release: &str) -> String {
    fargate_web(stack, 38, "").replace("hello:1", image) + &format!("release = {release}\n")
}

#[tokio::test]
async fn a_release_gates_every_rollout() {
    let aws = aws().await;
    let stack = unique_stack("rel");
    let migrate = r#"["./migrate", "--yes"]"#;
    let m = Manifest::new(&with_release(&stack, "hello:1", migrate));
    let up = berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(release_tasks(&aws, &stack).await, 1, "{}", up.stderr);
    assert_eq!(running_revision(&aws, &stack).await, "1");

    // Nothing new: nothing released again.
    berth(&m.path, &["up", "--yes"]).success();
    assert_eq!(release_tasks(&aws, &stack).await, 1);

    let deployed = berth(&m.path, &["deploy", "web", "--image", "hello:2"]).success();
    assert!(
        deployed.stderr.contains("release: ./migrate --yes"),
        "the task's log streamed\n{}",
        deployed.stderr
    );
    assert_eq!(release_tasks(&aws, &stack).await, 2);
    assert_eq!(running_revision(&aws, &stack).await, "2");

    // A failing release: the new revision is registered but never rolled out, and berth
    // exits with the task's code, quoting its last lines.
    m.rewrite(&with_release(
        &stack,
        "hello:1",
        r#"["sh", "-c", "exit 4"]"#,
    ));
    let failed = berth(&m.path, &["deploy", "web", "--image", "hello:3"]);
    assert_eq!(failed.code, 4, "{}", failed.stderr);
    assert!(
        failed
            .stderr
            .contains("the release command `sh -c exit 4` exited 4")
            && failed.stderr.contains("keeps its current version")
            && failed.stderr.contains("    sh -c exit 4"),
        "{}",
        failed.stderr
    );
    assert_eq!(running_revision(&aws, &stack).await, "2");

    // `up` with a new image and the failing release: the service keeps revision 2.
    m.rewrite(&with_release(
        &stack,
        "hello:4",
        r#"["sh", "-c", "exit 4"]"#,
    ));
    let refused = berth(&m.path, &["up", "--yes"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("exited 4") && refused.stderr.contains("service/web"),
        "{}",
        refused.stderr
    );
    assert_eq!(running_revision(&aws, &stack).await, "2");

    // Fixed: the next `up` releases and rolls out what the last one could not.
    m.rewrite(&with_release(&stack, "hello:4", migrate));
    berth(&m.path, &["up", "--yes"]).success();
    let now = running_revision(&aws, &stack).await;
    assert!(now.parse::<u32>().unwrap() > 3, "revision {now}");

    berth(&m.path, &["down", "--yes"]).success();
    assert!(leaked(&aws, &stack).await.is_empty());
}
