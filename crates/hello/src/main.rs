//! `hello`: serve on 0.0.0.0:$PORT, or `--healthcheck` the local server.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
hello: the hello service (GET / -> Hello World!, GET /healthz -> ok)

Usage:
  hello                 serve on 0.0.0.0:$PORT until SIGTERM or SIGINT
  hello --healthcheck   exit 0 if 127.0.0.1:$PORT/healthz answers 200 within 2s, else 1
  hello --help          print this help

Environment:
  PORT       port to listen on / to check (default 8080)
  RUST_LOG   log filter for the JSON logs on stdout (default info)
  OTEL_EXPORTER_OTLP_ENDPOINT  export a span per request over OTLP/HTTP (JSON) to this
             collector, e.g. http://127.0.0.1:4318 (default: off)
  OTEL_SERVICE_NAME  the spans' service.name (default hello)
";

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let port = std::env::var("PORT").ok();
    match arg.as_deref() {
        None => serve(port.as_deref()),
        Some("--healthcheck") => {
            // Docker reads 0 as healthy, 1 as unhealthy (2 is reserved): any failure is 1.
            let ok = hello::parse_port(port.as_deref())
                .map_err(|e| eprintln!("hello: {e}"))
                .is_ok_and(|p| hello::healthcheck(p, Duration::from_secs(2)));
            ExitCode::from(if ok { 0 } else { 1 })
        }
        Some("-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprint!("hello: unknown argument {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve(port: Option<&str>) -> ExitCode {
    let port = match hello::parse_port(port) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("hello: {e}");
            return ExitCode::from(2);
        }
    };
    // One JSON line per event on stdout, batched (see log_writer). The guard outlives the
    // runtime (locals drop in reverse order), so the lines of the last requests and of the
    // shutdown are written out before exit.
    let _flush_logs_on_exit = hello::log_writer::init(std::io::stdout());
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(|| hello::log_writer::Line)
        .init();

    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hello: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "fatal");
            eprintln!("hello: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(port: u16) -> std::io::Result<()> {
    // Numeric address: no DNS, which a static glibc binary could not do anyway.
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    if let Ok(endpoint) = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "hello".into());
        // Telemetry never stops the service: an endpoint it cannot use is said, and skipped.
        match hello::export::start(&endpoint, &service) {
            Ok(()) => tracing::info!(%endpoint, %service, "exporting spans"),
            Err(e) => tracing::warn!(error = %e, "not exporting spans"),
        }
    }
    let slow_route = std::env::var(hello::SLOW_ROUTE_ENV).is_ok_and(|v| v == "1");
    tracing::info!(%addr, slow_route, "listening");
    axum::serve(listener, hello::router(slow_route))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM (ECS stops tasks with it on every deploy and scale-in) or SIGINT.
/// Graceful shutdown then stops accepting and waits for in-flight requests.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("install SIGINT handler");
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutting down: finishing in-flight requests");
}
