//! The hello service: the Rust rewrite of the seed's Flask `hello_world.py`.
//!
//! `GET /` answers `Hello World!`, `GET /healthz` answers `ok`, anything else is a 404.
//! The binary (`main.rs`) adds the listener, signals, logging and `--healthcheck`.

pub mod export;
pub mod log_writer;
pub mod trace;

use std::future::{Future, poll_fn};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};

/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 8080;

/// Upper bound on any request: a stuck handler must not hold a connection (or a
/// graceful shutdown) forever. ECS waits 30 s by default between SIGTERM and SIGKILL.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Env var that enables the `GET /sleep?ms=N` test route.
///
/// Why: the process test must prove that SIGTERM lets an *in-flight* request finish,
/// which needs a request that is reliably still running when the signal lands. The
/// route is off unless this is exactly `1`, which nothing but the tests sets; even
/// when on, it is bounded by [`REQUEST_TIMEOUT`].
pub const SLOW_ROUTE_ENV: &str = "HELLO_TEST_SLOW_ROUTE";

/// The production router.
pub fn app() -> Router {
    router(false)
}

/// The router, optionally with the `/sleep` test route (see [`SLOW_ROUTE_ENV`]).
pub fn router(slow_route: bool) -> Router {
    let mut r = Router::new()
        .route("/", get(|| async { "Hello World!" }))
        .route("/healthz", get(|| async { "ok" }));
    if slow_route {
        r = r.route("/sleep", get(sleep));
    }
    r.fallback(|| async { StatusCode::NOT_FOUND })
        // Outermost, so the access log also sees 404s, 405s and timeouts.
        .layer(middleware::from_fn(access_log_and_timeout))
}

/// `GET /sleep?ms=N`: sleeps N ms (test hook, see [`SLOW_ROUTE_ENV`]). Parsed by hand
/// because axum's `Query` extractor would pull in serde_urlencoded just for a test route.
async fn sleep(uri: Uri) -> Result<&'static str, StatusCode> {
    let ms = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("ms=")))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or(StatusCode::BAD_REQUEST)?;
    tracing::info!(ms, "sleep started");
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok("slept")
}

/// Around every route: bounds the request by [`REQUEST_TIMEOUT`] (503, not 408: a slow
/// handler is the server's fault, not a slow client's), then writes its access line. The
/// request joins the caller's W3C trace (`traceparent`), or starts one; the response carries
/// this server's span of it, and the access line its trace id.
async fn access_log_and_timeout(req: Request, next: Next) -> Response {
    let start = tokio::time::Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let span = trace::Span::continuing(
        req.headers()
            .get(trace::HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    // The wall clock only when a span will be sent: most requests need the monotonic one only.
    let started_at = export::enabled().then(std::time::SystemTime::now);
    let mut res = within(start + REQUEST_TIMEOUT, next.run(req)).await;
    let took = start.elapsed();
    access_line(method.as_str(), uri.path(), res.status(), took, &span);
    if let Some(started_at) = started_at {
        export::record(export::Finished {
            span,
            method: method.to_string(),
            path: uri.path().to_string(),
            status: res.status().as_u16(),
            start: started_at,
            duration: took,
        });
    }
    if let Ok(value) = HeaderValue::from_bytes(&span.traceparent_bytes()) {
        res.headers_mut().insert(trace::HEADER, value);
    }
    res
}

/// `res`, or a 503 once `deadline` passes. The timer is only set up when `res` is not ready
/// at its first poll, which only `/sleep` is not. Why not `tokio::time::timeout` or
/// tower-http's `TimeoutLayer`: dropping a tokio timer takes the runtime's timer lock even
/// when it never started, about 1.5 µs of CPU of a request's 11 (measured under wrk).
async fn within(deadline: tokio::time::Instant, res: impl Future<Output = Response>) -> Response {
    let mut res = pin!(res);
    match poll_fn(|cx| Poll::Ready(res.as_mut().poll(cx))).await {
        Poll::Ready(res) => res,
        Poll::Pending => tokio::time::timeout_at(deadline, res)
            .await
            .unwrap_or_else(|_elapsed| StatusCode::SERVICE_UNAVAILABLE.into_response()),
    }
}

/// One JSON line per request (method, path, status, latency), shaped like the tracing events'
/// lines. The path only: query strings can carry tokens, which do not belong in logs.
///
/// Serialized with serde_json rather than logged as a tracing event: tracing-subscriber's JSON
/// formatter, which feeds serde's many tiny writes through a UTF-8-checking adaptor, cost
/// about 1.8 µs of CPU more per request, a sixth of it (measured under wrk).
fn access_line(
    method: &str,
    path: &str,
    status: StatusCode,
    latency: Duration,
    span: &trace::Span,
) {
    #[derive(serde::Serialize)]
    struct AccessLine<'a> {
        timestamp: &'a str,
        level: &'a str,
        message: &'a str,
        method: &'a str,
        path: &'a str,
        status: u16,
        latency_us: u64,
        trace_id: &'a str,
        target: &'a str,
    }
    if !tracing::enabled!(tracing::Level::INFO) {
        return; // RUST_LOG filters these lines too
    }
    let trace_id = span.trace_id();
    let mut timestamp = String::with_capacity(32);
    let _ = SystemTime.format_time(&mut Writer::new(&mut timestamp));
    let mut line = Vec::with_capacity(256);
    let _ = serde_json::to_writer(
        &mut line,
        &AccessLine {
            timestamp: &timestamp,
            level: "INFO",
            message: "request",
            method,
            path,
            status: status.as_u16(),
            latency_us: latency.as_micros() as u64,
            trace_id: &trace_id,
            target: module_path!(),
        },
    );
    line.push(b'\n');
    let _ = log_writer::Line.write_all(&line);
}

/// Parses the `PORT` env value (`None` = unset).
pub fn parse_port(value: Option<&str>) -> Result<u16, String> {
    let Some(v) = value else {
        return Ok(DEFAULT_PORT);
    };
    match v.trim().parse::<u16>() {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(format!(
            "invalid PORT {v:?}: expected an integer between 1 and 65535"
        )),
    }
}

/// True when `127.0.0.1:port` answers `GET /healthz` with 200 within `timeout`.
///
/// A blocking HTTP/1.0 request over a plain socket: no runtime, no DNS, and it works in an
/// image that has no shell or curl.
pub fn healthcheck(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let check = || -> std::io::Result<bool> {
        let mut s = TcpStream::connect_timeout(&addr, left())?;
        s.set_write_timeout(Some(left()))?;
        s.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        // HTTP/1.0: the server closes after the response, so read to EOF (bounded).
        let mut buf = Vec::new();
        let mut chunk = [0u8; 512];
        loop {
            s.set_read_timeout(Some(left()))?;
            match s.read(&mut chunk)? {
                0 => break,
                n => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 16 * 1024 || Instant::now() >= deadline {
                break;
            }
        }
        let status_line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
        let mut parts = status_line.split(|&b| b == b' ');
        Ok(parts.next().is_some_and(|v| v.starts_with(b"HTTP/1.")) && parts.next() == Some(b"200"))
    };
    check().unwrap_or(false)
}
