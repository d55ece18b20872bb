//! What a long run is doing, for the terminal's status line: the current
//! step ("reading stage values", "counting, slice 2 of 4") and the rows
//! read so far. The counting pass writes it; `rung`'s status line reads it
//! a few times a second. Nothing here changes a result.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude::*;

static ROWS_READ: AtomicU64 = AtomicU64::new(0);
static STEP: Mutex<String> = Mutex::new(String::new());

/// Names the step now running. With `RUNG_TIMINGS` set in the
/// environment, each step is also written to standard error with the
/// seconds since the run began, the rows read so far, the resident
/// memory and the CPU time used so far as the step begins: a coarse
/// profile of a long run (benches/README.md). On a shared machine a
/// step's CPU seconds move less than its wall time, and tell a step
/// that keeps both cores busy from one that leaves one idle.
pub fn step(text: impl Into<String>) {
    let text = text.into();
    if std::env::var_os("RUNG_TIMINGS").is_some() {
        let start = START.get_or_init(std::time::Instant::now);
        let resident = resident_bytes()
            .map(|b| format!(", {} MiB resident", b >> 20))
            .unwrap_or_default();
        let cpu = cpu_seconds()
            .map(|s| format!(", {s:.2} s CPU"))
            .unwrap_or_default();
        eprintln!(
            "[{:8.3} s] {text} ({}{resident}{cpu})",
            start.elapsed().as_secs_f64(),
            describe_rows(ROWS_READ.load(Ordering::Relaxed))
        );
    }
    if let Ok(mut s) = STEP.lock() {
        *s = text;
    }
}

/// The process's resident memory, where the system says (Linux).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb << 10)
}

/// The CPU time the process has used so far, all its threads, user and
/// system, where the system says (Linux: `/proc/self/stat`'s utime and
/// stime, counted in USER_HZ ticks, which Linux fixes at 100 a second
/// for what it reports to programs).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the program's name, which is in parentheses and
    // may hold spaces: the first is the 3rd (state), so utime and stime,
    // the 14th and 15th, are the 12th and 13th here.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// When the first step began (for `RUNG_TIMINGS`).
static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The step now running and the rows read so far (all tables, all reads).
pub fn snapshot() -> (String, u64) {
    let step = STEP.lock().map(|s| s.clone()).unwrap_or_default();
    (step, ROWS_READ.load(Ordering::Relaxed))
}

/// The column unchanged; as each batch of rows streams through, its length
/// is added to the rows read. Put on one column of a table as it is scanned.
pub fn counted(column: Expr) -> Expr {
    column.map(
        |c: Column| {
            ROWS_READ.fetch_add(c.len() as u64, Ordering::Relaxed);
            Ok(c)
        },
        |_: &Schema, field: &Field| Ok(field.clone()),
    )
}

/// "12.3M rows read", in the units a person reads at a glance.
pub fn describe_rows(rows: u64) -> String {
    let shown = match rows {
        0..1_000 => rows.to_string(),
        1_000..1_000_000 => format!("{:.1}k", rows as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", rows as f64 / 1e6),
        _ => format!("{:.2}bn", rows as f64 / 1e9),
    };
    format!("{shown} rows read")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_described_in_round_units() {
        assert_eq!(describe_rows(999), "999 rows read");
        assert_eq!(describe_rows(12_345), "12.3k rows read");
        assert_eq!(describe_rows(45_200_000), "45.2M rows read");
        assert_eq!(describe_rows(1_250_000_000), "1.25bn rows read");
    }

    /// The CPU time read from the system grows as this thread works, and
    /// by no more than the machine's cores could have worked meanwhile
    /// (Linux, where the system says it).
    #[cfg(target_os = "linux")]
    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_seconds().expect("/proc/self/stat reads");
        // Busy for 0.3 s of wall time: with other tests beside it, this
        // thread gets a share of a core, the ticks are hundredths.
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let after = cpu_seconds().expect("/proc/self/stat reads");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let most = start.elapsed().as_secs_f64() * cores + 0.05;
        assert!(after - before >= 0.05, "{before} s then {after} s");
        assert!(after - before <= most, "{before} s then {after} s");
    }

    /// Rows streaming through a counted column are added up, and the
    /// column comes out unchanged.
    #[test]
    fn a_counted_column_adds_its_rows() {
        let df = df!("id" => ["a", "b", "c"]).unwrap();
        let before = snapshot().1;
        let out = df.lazy().select([counted(col("id"))]).collect().unwrap();
        assert_eq!(out.column("id").unwrap().str().unwrap().get(2), Some("c"));
        // Other tests may read rows at the same time: at least these three.
        assert!(snapshot().1 >= before + 3);
    }
}
