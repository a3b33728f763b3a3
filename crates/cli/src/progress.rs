//! The live view on stderr: one spinner per resource in flight with its elapsed time and latest
//! news, a line per finished resource. Without a terminal, plain lines only.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use berth_engine::{Event, LogicalId};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

/// Whether to colour: a terminal, no --no-color, no NO_COLOR.
pub fn color_enabled(stream_is_tty: bool, no_color: bool) -> bool {
    stream_is_tty && !no_color && std::env::var_os("NO_COLOR").is_none()
}

pub fn stderr_color() -> bool {
    color_enabled(std::io::stderr().is_terminal(), false)
}

pub fn error_line(message: &str) -> String {
    if stderr_color() {
        format!("\x1b[1;31merror:\x1b[0m {message}")
    } else {
        format!("error: {message}")
    }
}

/// Render the executor's events until the channel closes.
pub fn spawn(mut events: UnboundedReceiver<Event>) -> JoinHandle<()> {
    let tty = std::io::stderr().is_terminal();
    tokio::spawn(async move {
        let multi = MultiProgress::with_draw_target(if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style =
            ProgressStyle::with_template("{spinner:.cyan} {prefix:<9} {wide_msg} {elapsed:>4}")
                .expect("valid template");
        let mut bars: HashMap<LogicalId, ProgressBar> = HashMap::new();
        let say = |line: String| {
            if tty {
                let _ = multi.println(line);
            } else {
                eprintln!("{line}");
            }
        };
        while let Some(event) = events.recv().await {
            match event {
                Event::Started { id, verb, .. } => {
                    let bar = multi.add(ProgressBar::new_spinner().with_style(style.clone()));
                    bar.set_prefix(verb.to_string());
                    bar.set_message(id.to_string());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bars.insert(id, bar);
                }
                Event::Progress { id, message } => {
                    if let Some(bar) = bars.get(&id) {
                        bar.set_message(format!("{id}: {message}"));
                    } else if !tty {
                        say(format!("  {id}: {message}"));
                    }
                }
                Event::Retrying { id, attempt, error } => {
                    let line = format!("{id}: retry {attempt} after: {error}");
                    match bars.get(&id) {
                        Some(bar) => bar.set_message(line),
                        None => say(format!("  {line}")),
                    }
                }
                Event::Finished { id, verb, elapsed } => {
                    if let Some(bar) = bars.remove(&id) {
                        bar.finish_and_clear();
                    }
                    say(format!(
                        "  ✓ {verb:<8} {id} ({:.1}s)",
                        elapsed.as_secs_f64()
                    ));
                }
                Event::Failed { id, error } => {
                    if let Some(bar) = bars.remove(&id) {
                        bar.finish_and_clear();
                    }
                    say(format!("  ✗ {id}: {error}"));
                }
            }
        }
        let _ = multi.clear();
    })
}
