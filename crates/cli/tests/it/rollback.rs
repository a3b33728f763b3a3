//! `berth rollback`: back to the previous revision, or any named one, shown first.

use crate::common::*;

#[tokio::test]
async fn rollback_goes_back_a_revision_or_to_a_named_one() {
    let aws = aws().await;
    let stack = unique_stack("rb");
    // The manifest names an image: rollback says `up` would bring that one back.
    let m = Manifest::new(&fargate_web(&stack, 36, ""));
    berth(&m.path, &["up", "--yes"]).success();
    berth(&m.path, &["deploy", "web", "--image", "hello:2"]).success();
    assert_eq!(running_revision(&aws, &stack).await, "2");

    let status = berth(&m.path, &["status"]).success();
    let revisions: Vec<&str> = status
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("revision "))
        .collect();
    assert_eq!(revisions.len(), 2, "{}", status.stdout);
    assert!(
        revisions[0].contains(&format!("/{stack}:2 (running)"))
            && revisions[1].contains(&format!("/{stack}:1")),
        "{revisions:?}"
    );

    // Without --yes and without a terminal: shown, not done.
    let refused: Run = berth_command(&m.path, &["rollback", "web"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
        .into();
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stdout.contains("revision 2 -> 1"),
        "{}",
        refused.stdout
    );
    assert_eq!(running_revision(&aws, &stack).await, "2");

    let back = berth(&m.path, &["rollback", "web", "--yes"]).success();
    assert!(
        back.stdout.contains(&format!("/{stack}:2 -> ")),
        "{}",
        back.stdout
    );
    assert_eq!(running_revision(&aws, &stack).await, "1");
    assert!(
        back.stderr.contains("the manifest names an image"),
        "the manifest's image would come back with up: {}",
        back.stderr
    );

    berth(&m.path, &["rollback", "web", "--to", "2", "--yes"]).success();
    assert_eq!(running_revision(&aws, &stack).await, "2");
    let unknown = berth(&m.path, &["rollback", "web", "--to", "9", "--yes"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no revision 9; it has 2, 1"),
        "{}",
        unknown.stderr
    );

    berth(&m.path, &["down", "--yes"]).success();
    assert!(leaked(&aws, &stack).await.is_empty());
}
