//! `berth logs`: CloudWatch events of one service, decoded, with their task ids. The emulator
//! runs no containers, so the test writes the events hello would have written.

use crate::common::*;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;

#[tokio::test]
async fn shows_one_services_lines_decoded_with_task_ids() {
    let aws = aws().await;
    let stack = unique_stack("log");
    let m = Manifest::new(&format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n[service.hello]\nimage = \"hello:1\"\n[service.other]\nimage = \"other:1\"\npath = \"/other\"\n"
    ));
    let group = format!("/berth/{stack}");
    aws.logs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for (stream, line) in [
        (
            "hello/hello/0a1b2c3d4e5f",
            r#"{"timestamp":"2026-11-25T04:00:00Z","level":"INFO","fields":{"message":"request","method":"GET","path":"/","status":200},"target":"hello"}"#,
        ),
        ("other/other/ffff0000", "not hello's"),
    ] {
        aws.logs
            .create_log_stream()
            .log_group_name(&group)
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
        let event = InputLogEvent::builder()
            .timestamp(now)
            .message(line)
            .build()
            .unwrap();
        aws.logs
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(stream)
            .log_events(event)
            .send()
            .await
            .unwrap();
    }
    let out = berth(&m.path, &["logs", "hello"]).success();
    assert_eq!(
        out.stdout.trim(),
        "2026-11-25T04:00:00Z 0a1b2c3d INFO  request method=GET path=/ status=200"
    );
    let raw = berth(&m.path, &["logs", "hello", "--json"]).success();
    assert!(raw.stdout.starts_with("{\"timestamp\""), "{}", raw.stdout);
    let missing = berth(&m.path, &["logs", "nope"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no service `nope`"),
        "{}",
        missing.stderr
    );
    aws.logs
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
}
