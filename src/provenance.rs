//! What produced an output, enough to reproduce it: rung's version, the
//! command line, the settings, each input file with its rows and SHA-256,
//! and when. Shared by every command's report.

use serde::Serialize;

use crate::counts::TableAccount;
use crate::ingest::{Dataset, Format, TableKind};

/// The tool that produced an output.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always "rung".
    pub name: &'static str,
    /// rung's version.
    pub version: &'static str,
}

/// One input file, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// The table it holds.
    pub table: TableKind,
    /// Its path as given.
    pub path: String,
    /// csv or parquet.
    pub format: Format,
    /// Data rows read; null for tables this audit does not read yet.
    pub rows: Option<u64>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// What produced an output: enough to reproduce it. `S` is the command's
/// settings.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance<S> {
    /// rung's version.
    pub version: &'static str,
    /// The command line.
    pub command: String,
    /// The settings in force.
    pub settings: S,
    /// Each input: path, rows, SHA-256.
    pub inputs: Vec<InputFile>,
    /// The previous period's inputs, when compared with one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub previous_inputs: Vec<InputFile>,
    /// When the output was made (RFC 3339, UTC).
    pub generated_at: String,
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since 1970 as RFC 3339 UTC (civil-from-days, H. Hinnant).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Each input file of a dataset, with its rows (from the counting pass's
/// row accounting) and hash.
pub fn input_files<'a>(
    dataset: &Dataset,
    accounts: impl Iterator<Item = &'a TableAccount> + Clone,
    hashes: Vec<String>,
) -> Vec<InputFile> {
    dataset
        .sources()
        .zip(hashes)
        .map(|(s, sha256)| InputFile {
            table: s.table,
            path: s.path.display().to_string(),
            format: s.format,
            rows: accounts
                .clone()
                .find(|t| t.table == s.table)
                .map(|t| t.rows_read),
            sha256,
        })
        .collect()
}

#[cfg(test)]
mod time_tests {
    #[test]
    /// Checked against Python's datetime.utcfromtimestamp.
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
