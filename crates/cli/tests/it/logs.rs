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
        (
            "hello/hello/9f8e7d6c5b4a",
            r#"{"timestamp":"2026-11-25T04:00:01Z","level":"INFO","message":"request","method":"GET","path":"/slow","status":200,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#,
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
        out.stdout.lines().next().unwrap(),
        "2026-11-25T04:00:00Z 0a1b2c3d INFO  request method=GET path=/ status=200"
    );
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    // One trace's lines only, by its W3C id or its X-Ray spelling.
    for id in [
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "1-4bf92f35-77b34da6a3ce929d0e0e4736",
    ] {
        let traced = berth(&m.path, &["logs", "hello", "--trace", id]).success();
        let lines: Vec<&str> = traced.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{}", traced.stdout);
        assert!(lines[0].contains("path=/slow"), "{}", lines[0]);
    }
    let bad = berth(&m.path, &["logs", "hello", "--trace", "xyz"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
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
