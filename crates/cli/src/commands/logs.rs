//! `berth logs SERVICE`: the service's CloudWatch logs, JSON lines (hello's format: tracing's
//! JSON) turned into readable rows, each with the task that wrote it.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use berth_aws::log_group;

use crate::args::Global;
use crate::session::{connect, load_manifest};

pub async fn run(
    global: &Global,
    service: &str,
    since: Duration,
    follow: bool,
    json: bool,
    trace: Option<&str>,
) -> Result<ExitCode> {
    let manifest = load_manifest(global)?;
    if !manifest.services.contains_key(service) {
        bail!("no service `{service}` in {}", global.file.display());
    }
    let aws = connect(global, &manifest).await?;
    let group = log_group::name(&manifest.name);
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
    let mut start = now_ms - since.as_millis() as i64;
    let prefix = format!("{service}/");
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let mut pages = aws
            .logs
            .filter_log_events()
            .log_group_name(&group)
            // awslogs streams are `<prefix>/<container>/<task id>`; berth's prefix is the service.
            .log_stream_name_prefix(&prefix)
            .start_time(start)
            // A quoted term: the lines that contain the trace id (hello's `trace_id` field).
            .set_filter_pattern(trace.map(|id| format!("\"{id}\"")))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            // The prefix is checked here too: other services' lines must never mix in.
            let page = page?;
            let ours = page
                .events()
                .iter()
                .filter(|e| e.log_stream_name().is_some_and(|s| s.starts_with(&prefix)))
                .filter(|e| trace.is_none_or(|id| e.message().is_some_and(|m| m.contains(id))));
            for e in ours {
                if !seen.insert(e.event_id().unwrap_or_default().to_string()) {
                    continue;
                }
                let task = e
                    .log_stream_name()
                    .and_then(|s| s.rsplit('/').next())
                    .unwrap_or("-");
                let message = e.message().unwrap_or_default();
                println!(
                    "{}",
                    if json {
                        message.to_string()
                    } else {
                        row(task, message)
                    }
                );
                start = start.max(e.timestamp().unwrap_or(start));
            }
        }
        if !follow {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `{"timestamp":..,"level":..,"fields":{"message":..,..}}` -> `time task level message k=v`;
/// anything else is shown as it is.
pub fn row(task: &str, line: &str) -> String {
    let short_task: String = task.chars().take(8).collect();
    let Ok(serde_json::Value::Object(v)) = serde_json::from_str::<serde_json::Value>(line) else {
        return format!("{short_task}  {line}");
    };
    let text = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    // tracing's JSON nests the event under `fields`; hello's access lines are flat.
    let fields = v.get("fields").and_then(|f| f.as_object()).unwrap_or(&v);
    let message = fields
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    let extra: Vec<String> = fields
        .iter()
        .filter(|(k, _)| {
            !["message", "timestamp", "level", "target", "fields"].contains(&k.as_str())
        })
        .map(|(k, x)| {
            format!(
                "{k}={}",
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            )
        })
        .collect();
    format!(
        "{} {short_task} {:<5} {message} {}",
        text("timestamp"),
        text("level"),
        extra.join(" ")
    )
    .trim_end()
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::row;

    #[test]
    fn rows_from_hellos_flat_access_lines() {
        let line = r#"{"timestamp":"2026-11-25T04:00:01Z","level":"INFO","message":"request","method":"GET","path":"/","status":200,"latency_us":41,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","target":"hello"}"#;
        assert_eq!(
            row("0123456789abcdef", line),
            "2026-11-25T04:00:01Z 01234567 INFO  request latency_us=41 method=GET path=/ status=200 trace_id=4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }

    #[test]
    fn rows_from_hello_json_lines() {
        let line = r#"{"timestamp":"2026-11-25T04:00:00Z","level":"INFO","fields":{"message":"request","method":"GET","path":"/","status":200,"latency_ms":0.2},"target":"hello"}"#;
        assert_eq!(
            row("0123456789abcdef", line),
            "2026-11-25T04:00:00Z 01234567 INFO  request latency_ms=0.2 method=GET path=/ status=200"
        );
        assert_eq!(row("abc", "plain text"), "abc  plain text");
    }
}
