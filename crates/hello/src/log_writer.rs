//! The log's writer: one buffer for all threads, written out in batches.
//!
//! Why not write each line to stdout: that is a `write(2)` per request under stdout's lock,
//! about 2 µs of a request that otherwise costs about 10 µs (measured with scripts/bench-hello).
//! Why not `tracing-appender`'s non-blocking writer: below saturation it wakes its thread for
//! nearly every line, which measured slower than writing directly.
//!
//! Here lines go into one [`BufWriter`] under a mutex, and whoever fills it writes it out
//! (one `write(2)` per few hundred lines under load); a thread writes out the rest every
//! [`FLUSH_EVERY`], and [`FlushGuard`] at exit. Lossless, with a bounded backlog: when stdout
//! is slow, the writer that fills the buffer blocks in `write(2)`, the others on the mutex.

use std::io::{self, BufWriter, Write};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How long a line may wait in the buffer on a quiet server.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

type Buffer = BufWriter<Box<dyn Write + Send>>;

static LOG: OnceLock<Mutex<Buffer>> = OnceLock::new();

/// Sends the log to `out` (stdout in the binary). Once per process.
pub fn init(out: impl Write + Send + 'static) -> FlushGuard {
    // 64 KiB: about 300 access lines.
    let buf: Buffer = BufWriter::with_capacity(64 * 1024, Box::new(out));
    assert!(LOG.set(Mutex::new(buf)).is_ok(), "the log is set up once");
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(FLUSH_EVERY);
            with_log(|log| log.flush());
        }
    });
    FlushGuard(())
}

/// An unwritable stdout must not stop the service: its lines are lost, as `println!`'s are.
fn with_log(f: impl FnOnce(&mut Buffer) -> io::Result<()>) {
    if let Some(log) = LOG.get() {
        let _ = f(&mut log.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// Keep alive until exit: dropping it writes out every line logged so far.
pub struct FlushGuard(());

impl Drop for FlushGuard {
    fn drop(&mut self) {
        with_log(|log| log.flush());
    }
}

/// Writes each `write` whole into the log, so lines from different threads never interleave:
/// `write_all` one line, or give tracing-subscriber `.with_writer(|| Line)`, which does.
/// Before [`init`] (and in the router tests, which never call it), lines are dropped.
pub struct Line;

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        with_log(|log| log.write_all(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writes [`Sink`] received.
    static WRITES: Mutex<Vec<String>> = Mutex::new(Vec::new());
    struct Sink;

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let write = String::from_utf8(buf.into()).unwrap();
            WRITES.lock().unwrap().push(write);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_show_up_when_quiet_arrive_whole_in_batches_and_the_guard_flushes() {
        let guard = init(Sink);
        Line.write_all(b"first\n").unwrap();
        while WRITES.lock().unwrap().is_empty() {
            std::thread::sleep(Duration::from_millis(1)); // until the flusher's turn
        }
        let line = |t: usize, i: usize| format!("thread {t} line {i} {}\n", "x".repeat(i % 50));
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || {
                    (0..5_000).for_each(|i| Line.write_all(line(t, i).as_bytes()).unwrap())
                });
            }
        });
        drop(guard);
        let writes = WRITES.lock().unwrap().clone();
        let text = writes.concat();
        assert!(text.starts_with("first\n"));
        for t in 0..4 {
            let prefix = format!("thread {t} ");
            let mine = text
                .split_inclusive('\n')
                .filter(|l| l.starts_with(&prefix));
            assert!(mine.eq((0..5_000).map(|i| line(t, i))), "thread {t}");
        }
        let n = writes.len();
        assert!(n < 2_000, "{n} writes for 20,000 lines");
    }
}
