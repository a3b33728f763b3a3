//! The hello service: the Rust rewrite of the seed's Flask `hello_world.py`.
//!
//! `GET /` answers `Hello World!`, `GET /healthz` answers `ok`, anything else is a 404.
//! The binary (`main.rs`) adds the listener, signals, logging and `--healthcheck`.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;

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
        // 503, not 408: a slow handler is the server's fault, not a slow client's.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // Outermost, so the access log also sees 404s, 405s and timeouts.
        .layer(middleware::from_fn(access_log))
}

/// `GET /sleep?ms=N`: sleeps N ms (test hook, see [`SLOW_ROUTE_ENV`]). Parsed by hand
/// because axum's `Query` extractor would pull in serde just for a test route.
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

/// One JSON line per request: method, path, status, latency. The path only: query
/// strings can carry tokens, which do not belong in logs.
async fn access_log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        latency_us = start.elapsed().as_micros() as u64,
        "request"
    );
    res
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
