//! Spans over OTLP/HTTP, JSON encoding, to the collector `OTEL_EXPORTER_OTLP_ENDPOINT` names
//! (`berth` sets it for `tracing = true`); off when it is unset. One SERVER span per request,
//! batched (up to [`BATCH`] spans or a second) and posted by one background task, so a
//! request only pays for handing its span over, and a slow or absent collector never slows a
//! request: spans that do not fit in the queue are dropped.
//!
//! Written out rather than taken from opentelemetry-otlp: its HTTP exporters bring prost and
//! reqwest, which would double this image, and this is one POST of a JSON document over plain
//! HTTP to a collector beside the task (no TLS, no resolver: an address, or `localhost`).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::trace::Span;

/// Spans per POST, and how many may wait for one.
const BATCH: usize = 512;
const QUEUE: usize = 4 * BATCH;
/// The longest a span waits to be sent.
const LINGER: Duration = Duration::from_secs(1);

/// A request's span, finished.
pub struct Finished {
    pub span: Span,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub start: SystemTime,
    pub duration: Duration,
}

static QUEUE_TX: OnceLock<mpsc::Sender<Finished>> = OnceLock::new();

/// Whether spans are exported (checked before doing any work for them).
pub fn enabled() -> bool {
    QUEUE_TX.get().is_some()
}

/// Hand a finished span to the exporter; dropped if the queue is full or export is off.
pub fn record(finished: Finished) {
    if let Some(tx) = QUEUE_TX.get() {
        let _ = tx.try_send(finished);
    }
}

/// Start exporting to `endpoint` (`http://ADDRESS:PORT`, path optional), as `service`.
/// Must run inside the runtime. An endpoint hello cannot use (https, a host name) is an
/// error for the caller to report; the service runs on without exporting.
pub fn start(endpoint: &str, service: &str) -> Result<(), String> {
    let target = Target::parse(endpoint)?;
    let (tx, rx) = mpsc::channel(QUEUE);
    if QUEUE_TX.set(tx).is_err() {
        return Ok(()); // already started
    }
    tokio::spawn(send_batches(rx, target, service.to_string()));
    Ok(())
}

/// Where the spans go.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    addr: SocketAddr,
    host: String,
    /// The signal path, `/v1/traces` after the endpoint's own path (OTLP exporter spec).
    path: String,
}

impl Target {
    fn parse(endpoint: &str) -> Result<Target, String> {
        let rest = endpoint.trim().strip_prefix("http://").ok_or_else(|| {
            format!(
                "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}: hello exports over plain http:// to a \
                 collector beside it"
            )
        })?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| format!("OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}: no port"))?;
        let ip = match host {
            "localhost" => "127.0.0.1".to_string(),
            _ if host.parse::<std::net::IpAddr>().is_ok() => host.to_string(),
            // A linked container (EC2's bridge network) is in /etc/hosts, which needs no
            // resolver library to read.
            _ => hosts_entry(
                &std::fs::read_to_string("/etc/hosts").unwrap_or_default(),
                host,
            )
            .ok_or_else(|| {
                format!(
                    "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}: `{host}` is not in /etc/hosts, \
                         and a static binary has no resolver: write an address, e.g. \
                         http://127.0.0.1:4318"
                )
            })?,
        };
        let addr = format!("{ip}:{port}")
            .parse()
            .map_err(|_| format!("OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}: a bad port"))?;
        let base = path.trim_end_matches('/');
        Ok(Target {
            addr,
            host: authority.to_string(),
            path: if base.is_empty() {
                "/v1/traces".into()
            } else {
                format!("/{base}/v1/traces")
            },
        })
    }
}

/// The address `/etc/hosts` (its text) gives `name`.
fn hosts_entry(hosts: &str, name: &str) -> Option<String> {
    hosts.lines().find_map(|line| {
        let mut words = line.split('#').next()?.split_whitespace();
        let address = words.next()?;
        words.any(|w| w == name).then(|| address.to_string())
    })
}

async fn send_batches(mut rx: mpsc::Receiver<Finished>, target: Target, service: String) {
    let mut warned = false;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(f)) => batch.push(f),
                _ => break,
            }
        }
        let body = document(&service, &batch).to_string();
        match post(&target, &body).await {
            Ok(()) => warned = false,
            // Once per outage, not once per batch.
            Err(e) if !warned => {
                tracing::warn!(error = %e, spans = batch.len(), "could not export spans");
                warned = true;
            }
            Err(_) => {}
        }
    }
}

/// One HTTP/1.1 POST, `Connection: close`; Ok on a 2xx.
async fn post(target: &Target, body: &str) -> std::io::Result<()> {
    let mut stream = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(target.addr),
    )
    .await??;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        target.path,
        target.host,
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await??;
    let status = String::from_utf8_lossy(&answer);
    let code = status.split(' ').nth(1).unwrap_or_default();
    if code.starts_with('2') {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the collector answered {}",
            status.lines().next().unwrap_or("nothing")
        )))
    }
}

/// The OTLP/JSON document for `spans` (ids in hex, 64-bit integers as strings, per the OTLP
/// JSON mapping).
fn document(service: &str, spans: &[Finished]) -> Value {
    let nanos = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_string()
    };
    let spans: Vec<Value> = spans
        .iter()
        .map(|f| {
            let mut span = json!({
                "traceId": f.span.trace_id(),
                "spanId": f.span.span_id(),
                "name": format!("{} {}", f.method, f.path),
                "kind": 2,
                "startTimeUnixNano": nanos(f.start),
                "endTimeUnixNano": nanos(f.start + f.duration),
                "attributes": [
                    {"key": "http.request.method", "value": {"stringValue": f.method}},
                    {"key": "url.path", "value": {"stringValue": f.path}},
                    {"key": "http.response.status_code", "value": {"intValue": f.status.to_string()}},
                ],
                // ERROR for 5xx (a server span's own failure), else unset.
                "status": if f.status >= 500 { json!({"code": 2}) } else { json!({}) },
            });
            if let Some(parent) = f.span.parent_id() {
                span["parentSpanId"] = parent.into();
            }
            span
        })
        .collect();
    json!({
        "resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": service}},
            ]},
            "scopeSpans": [{"scope": {"name": "hello"}, "spans": spans}],
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_addresses_with_the_signal_path() {
        let t = Target::parse("http://127.0.0.1:4318").unwrap();
        assert_eq!(
            (t.addr.to_string(), t.path.as_str()),
            ("127.0.0.1:4318".into(), "/v1/traces")
        );
        let t = Target::parse("http://localhost:4318/otlp/").unwrap();
        assert_eq!(
            (t.addr.to_string(), t.path.as_str()),
            ("127.0.0.1:4318".into(), "/otlp/v1/traces")
        );
        assert!(
            Target::parse("https://127.0.0.1:4318")
                .unwrap_err()
                .contains("plain http")
        );
        assert!(
            Target::parse("http://no-such-collector:4318")
                .unwrap_err()
                .contains("not in /etc/hosts")
        );
    }

    #[test]
    fn linked_containers_are_found_in_etc_hosts() {
        let hosts =
            "127.0.0.1\tlocalhost\n# a comment otel-collector\n172.17.0.3\totel-collector abc123\n";
        assert_eq!(
            hosts_entry(hosts, "otel-collector").as_deref(),
            Some("172.17.0.3")
        );
        assert_eq!(hosts_entry(hosts, "comment"), None);
    }
}
