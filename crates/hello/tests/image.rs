//! The container image end to end: build it with scripts/image, run two containers, check
//! size, user, health and a graceful `docker stop`. Skipped (with the reason printed) only
//! where no Docker engine answers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run docker")
}

/// Runs docker and returns its trimmed stdout, failing the test on a non-zero exit.
fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET / over HTTP/1.0; `None` while the container (or docker's port proxy) is not ready.
fn get_root(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    (head.split(' ').nth(1) == Some("200")).then(|| body.to_owned())
}

/// A container removed on drop, so a failing assertion never leaves one behind.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn image_builds_small_runs_twice_and_stops_gracefully() {
    let engine = Command::new("docker").arg("version").output();
    if !engine.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: no Docker engine answers `docker version`");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // scripts/image honours CARGO_TARGET_DIR, so a custom target dir is reused as is.
    let out = Command::new(root.join("scripts/image"))
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/image: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let image = stdout
        .lines()
        .last()
        .expect("scripts/image prints the tag")
        .to_owned();
    assert!(image.starts_with("hello:"), "{image}");

    let size: u64 = docker_ok(&["image", "inspect", "--format", "{{.Size}}", &image])
        .parse()
        .unwrap();
    assert!(size < 10_000_000, "image is {size} bytes, want < 10 MB");
    let user = docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", &image]);
    assert_eq!(user, "10001:10001");

    let unique = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let containers: Vec<(Container, u16)> = (0..2)
        .map(|i| {
            let name = format!("hello-test-{}-{unique}-{i}", std::process::id());
            let port = free_port();
            let publish = format!("127.0.0.1:{port}:8080");
            // The guard exists before `run`, so even a half-started container is removed.
            let c = Container(name);
            docker_ok(&["run", "-d", "--name", &c.0, "-p", &publish, &image]);
            (c, port)
        })
        .collect();

    for (c, port) in &containers {
        wait_for(
            &format!("{} to answer", c.0),
            Duration::from_secs(15),
            || get_root(*port).is_some(),
        );
        assert_eq!(get_root(*port).as_deref(), Some("Hello World!"));
    }
    // The image's HEALTHCHECK (`/hello --healthcheck`, no shell needed) turns healthy.
    for (c, _) in &containers {
        wait_for(
            &format!("{} to be healthy", c.0),
            Duration::from_secs(30),
            || docker_ok(&["inspect", "--format", "{{.State.Health.Status}}", &c.0]) == "healthy",
        );
    }
    // SIGTERM must stop it well before docker's 2 s SIGKILL, with exit code 0.
    for (c, _) in &containers {
        let start = Instant::now();
        docker_ok(&["stop", "-t", "2", &c.0]);
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{} took {took:?} to stop",
            c.0
        );
        let code = docker_ok(&["inspect", "--format", "{{.State.ExitCode}}", &c.0]);
        assert_eq!(code, "0", "{} exit code", c.0);
    }
}
