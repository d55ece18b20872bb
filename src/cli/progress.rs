//! A status line on standard error for long runs: what rung is doing, the
//! step it is on, the rows read so far, and for how long. Shown only when standard error is a terminal, so logs,
//! pipes and tests see nothing of it.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Redraws "message … 12s" about four times a second until dropped.
pub struct Status {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Status {
    /// Starts the status line (a no-op unless standard error is a terminal).
    pub fn start(message: String) -> Status {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::io::stderr().is_terminal().then(|| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut err = std::io::stderr();
                // Stay quiet for quick runs.
                let mut shown = false;
                while !stop.load(Ordering::Relaxed) {
                    let elapsed = started.elapsed();
                    if elapsed > Duration::from_millis(700) {
                        let (step, rows) = rung::progress::snapshot();
                        let mut doing = String::new();
                        if !step.is_empty() {
                            doing = format!(" {step}");
                        }
                        if rows > 0 {
                            doing += &format!(" ({})", rung::progress::describe_rows(rows));
                        }
                        let _ = write!(
                            err,
                            "\r\x1b[2K{message}{doing} {:.0}s",
                            elapsed.as_secs_f64()
                        );
                        let _ = err.flush();
                        shown = true;
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                if shown {
                    let _ = write!(
                        err,
                        "\r\x1b[2K{message} done in {:.1}s\n",
                        started.elapsed().as_secs_f64()
                    );
                }
            })
        });
        Status { stop, thread }
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Total size of some files, for the status line ("312 MB").
pub fn describe_size<'a>(paths: impl Iterator<Item = &'a std::path::Path>) -> String {
    let bytes: u64 = paths
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    if bytes >= 1 << 30 {
        format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MB", (bytes as f64 / (1u64 << 20) as f64).max(1.0))
    }
}
