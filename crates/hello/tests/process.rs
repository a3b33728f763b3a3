//! The built binary as a process: real sockets, real signals, real exit codes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hello");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Minimal HTTP/1.0 GET: (status, body). The server closes after one response.
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_owned()))
}

/// The server process, killed on drop if a test fails before it exits.
struct Server {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(slow_route: bool) -> Server {
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.env("PORT", port.to_string()).env_remove("RUST_LOG");
        if slow_route {
            cmd.env("HELLO_TEST_SLOW_ROUTE", "1");
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        // Log lines go through a channel so tests can wait for a given event.
        let (tx, lines) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        thread::spawn(move || {
            out.lines()
                .map_while(Result::ok)
                .try_for_each(|l| tx.send(l))
        });
        let mut server = Server { child, port, lines };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(get(port, "/healthz"), Ok((200, _))) {
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "server exited early"
            );
            assert!(Instant::now() < deadline, "server did not become ready");
            thread::sleep(Duration::from_millis(10));
        }
        server
    }

    /// Waits for a log line containing `needle`, returning it.
    fn wait_log(&self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .expect(needle);
            if line.contains(needle) {
                return line;
            }
        }
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit within {within:?}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn healthcheck(port: u16) -> i32 {
    let out = Command::new(BIN)
        .arg("--healthcheck")
        .env("PORT", port.to_string())
        .output()
        .unwrap();
    out.status.code().unwrap()
}

#[test]
fn serves_both_routes_and_logs_json() {
    let mut s = Server::start(false);
    assert_eq!(get(s.port, "/").unwrap(), (200, "Hello World!".into()));
    assert_eq!(get(s.port, "/healthz").unwrap(), (200, "ok".into()));
    assert_eq!(get(s.port, "/missing").unwrap().0, 404);
    let line = s.wait_log(r#""path":"/missing""#);
    for field in [
        r#""method":"GET""#,
        r#""status":404"#,
        r#""latency_us":"#,
        r#""level":"INFO""#,
        // The request's W3C trace id (a new trace: the request carried none).
        r#""trace_id":""#,
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    s.signal("-INT");
    assert_eq!(s.wait_exit(Duration::from_secs(5)).code(), Some(0));
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let mut s = Server::start(true);
    let port = s.port;
    let slow = thread::spawn(move || get(port, "/sleep?ms=1500"));
    s.wait_log("sleep started"); // the request is now in flight
    s.signal("-TERM");
    s.wait_log("shutting down");
    // New connections are refused while the old request is still running.
    thread::sleep(Duration::from_millis(100));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still accepting after SIGTERM"
    );
    assert!(!slow.is_finished());
    assert_eq!(slow.join().unwrap().unwrap(), (200, "slept".into()));
    assert_eq!(s.wait_exit(Duration::from_secs(5)).code(), Some(0));
    // The log is written by a background thread: its last line still makes it out.
    let line = s.wait_log(r#""path":"/sleep""#);
    assert!(line.contains(r#""status":200"#), "{line}");
    s.wait_log(r#""message":"stopped""#);
}

#[test]
fn every_request_has_its_access_line_when_the_server_stops() {
    let mut s = Server::start(false);
    const N: usize = 300;
    let port = s.port;
    let clients: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                (0..N / 4).for_each(|_| assert_eq!(get(port, "/").unwrap().0, 200))
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().unwrap());
    s.signal("-TERM");
    assert_eq!(s.wait_exit(Duration::from_secs(5)).code(), Some(0));
    // stdout is closed now: the channel holds every line the server wrote.
    let lines: Vec<String> = s.lines.iter().collect();
    let access = lines
        .iter()
        .filter(|l| l.contains(r#""path":"/","status":200"#))
        .count();
    assert_eq!(access, N, "access lines for GET /");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains(r#""message":"stopped""#)),
        "{lines:?}"
    );
}

#[test]
fn healthcheck_exit_codes() {
    let s = Server::start(false);
    assert_eq!(healthcheck(s.port), 0);
    assert_eq!(healthcheck(free_port()), 1, "nothing listens there");
}

#[test]
fn bad_port_exits_2_with_a_clear_message() {
    for bad in ["abc", "70000", "0", ""] {
        let out = Command::new(BIN).env("PORT", bad).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "PORT={bad:?}: {err}");
        assert!(
            err.contains("invalid PORT") && err.contains("1 and 65535"),
            "{err}"
        );
    }
}

#[test]
fn help_and_unknown_arguments() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--healthcheck"));
    let out = Command::new(BIN).arg("--nope").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));
}

/// A collector stand-in: accepts one OTLP/HTTP POST, answers 200, hands over its path and body.
fn collector() -> (u16, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            .unwrap();
        let path = request_line
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_string();
        tx.send((path, String::from_utf8(body).unwrap())).unwrap();
    });
    (port, rx)
}

#[test]
fn spans_go_to_the_collector_when_one_is_configured() {
    let (collector_port, received) = collector();
    let port = free_port();
    let mut child = Command::new(BIN)
        .env("PORT", port.to_string())
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{collector_port}"),
        )
        .env("OTEL_SERVICE_NAME", "web")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(get(port, "/healthz"), Ok((200, _))) {
        assert!(Instant::now() < deadline, "server did not become ready");
        thread::sleep(Duration::from_millis(10));
    }
    // A request in the caller's trace.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET / HTTP/1.0\r\nHost: localhost\r\n\
         traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");

    let (path, body) = received
        .recv_timeout(Duration::from_secs(10))
        .expect("a POST within the linger time");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(path, "/v1/traces");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let resource = &doc["resourceSpans"][0];
    assert_eq!(
        resource["resource"]["attributes"][0]["value"]["stringValue"],
        "web"
    );
    let spans = resource["scopeSpans"][0]["spans"].as_array().unwrap();
    let ours = spans
        .iter()
        .find(|s| s["name"] == "GET /")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(ours["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(ours["parentSpanId"], "00f067aa0ba902b7");
    assert_eq!(ours["kind"], 2, "a server span");
    assert!(
        ours["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "http.response.status_code" && a["value"]["intValue"] == "200"),
        "{ours}"
    );
}

#[test]
fn an_endpoint_hello_cannot_use_is_said_and_the_service_runs_on() {
    let port = free_port();
    let mut child = Command::new(BIN)
        .env("PORT", port.to_string())
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://no-such-collector:4318",
        )
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(get(port, "/"), Ok((200, _))) {
        assert!(child.try_wait().unwrap().is_none(), "hello exited");
        assert!(Instant::now() < deadline, "server did not become ready");
        thread::sleep(Duration::from_millis(10));
    }
    // SIGTERM, so the batched log lines are written out.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stdout);
    assert!(
        logs.contains("not exporting spans") && logs.contains("not in /etc/hosts"),
        "{logs}"
    );
}
