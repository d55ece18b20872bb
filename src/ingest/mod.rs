//! Ingest: finds a dataset's tables, builds every scan rung makes, and checks
//! columns and types before any row is counted.
//!
//! This is the only module that opens data files with polars. It hands the
//! counting pass lazy frames whose columns carry canonical names and string
//! types, whatever the export called them or stored them as. It knows
//! nothing of statistics.
//!
//! Layout: `table` names the tables and formats; `dataset` finds a
//! dataset's files (folders, globs, hive partitions) and estimates their
//! rows; `scan` builds the checked lazy scans; `fingerprint` hashes and
//! line-checks every file beside the counting pass (`line_check` is the
//! CSV scanner); `profile` maps an export's columns and values to rung's;
//! `benchmark` reads availability benchmarks. The error builders shared by
//! them are here.

pub mod benchmark;
mod dataset;
mod fingerprint;
mod line_check;
pub mod profile;
mod scan;
mod table;

pub use dataset::{CountsShape, Dataset, Source, estimated_rows, never_missing, scores_path};
pub use fingerprint::{beside_fingerprints, fingerprint};
pub use scan::{Scan, empty_rows, scan, scan_requiring};
pub use table::{Format, TableKind};

use std::path::Path;

use polars::prelude::*;

use crate::error::Error;
use fingerprint::{Tap, decompressed};
pub use profile::Profile;

fn not_utf8(path: &Path) -> Error {
    Error::input(
        path,
        "is not valid UTF-8 text; expected UTF-8 (in Excel, save as \"CSV UTF-8\")",
    )
}

fn csv_error(path: &Path, err: csv::Error) -> Error {
    let line = err.position().map(|p| p.line());
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "has {len} fields; expected {expected_len}, as in the header (is a delimiter or a quote out of place?)"
        ),
        csv::ErrorKind::Utf8 { .. } => {
            let e = not_utf8(path);
            return match line {
                Some(l) => e.with_line(l),
                None => e,
            };
        }
        csv::ErrorKind::Io(e) => {
            return Error::io(path, std::io::Error::new(e.kind(), e.to_string()));
        }
        _ => format!("cannot be read as CSV: {err}"),
    };
    let e = Error::input(path, message);
    match line {
        Some(l) => e.with_line(l),
        None => e,
    }
}

/// Wraps a polars error raised while opening one file of a table.
fn polars_file_error(source: &Source, file: &Path, err: &PolarsError) -> Error {
    let mut e = polars_input_error(source, err);
    if let Error::User(u) = &mut e {
        u.path = Some(file.to_path_buf());
    }
    e
}

/// Wraps a polars error raised while opening or scanning a file.
pub fn polars_input_error(source: &Source, err: &PolarsError) -> Error {
    let detail = err.to_string();
    let first = detail.lines().next().unwrap_or("").trim();
    let what = match source.format {
        Format::Parquet => "cannot be read as Parquet",
        Format::Csv => "cannot be read as CSV",
    };
    Error::input(
        &source.path,
        format!("{what} ({} table): {first}", source.table.name()),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn csv_source(path: &Path) -> Source {
        Source::new(TableKind::Applications, path).unwrap()
    }

    /// Small files are read whole (the count is exact); larger ones are
    /// estimated from their first megabytes, compressed or not.
    #[test]
    fn csv_rows_are_estimated_from_a_sample() {
        let dir = tempfile::tempdir().unwrap();
        let line = |i: usize| format!("A{i},V{},White British,ORG{:03}\n", i % 97, i % 13);
        let text = |rows: usize| {
            let mut t = String::from("application_id,vacancy_id,ethnicity,organisation\n");
            (0..rows).for_each(|i| t.push_str(&line(i)));
            t
        };
        let small = dir.path().join("small.csv");
        std::fs::write(&small, text(1000)).unwrap();
        assert_eq!(estimated_rows(&csv_source(&small)).unwrap(), 1000);

        let rows = 300_000; // about 12 MB
        let big = dir.path().join("big.csv");
        std::fs::write(&big, text(rows)).unwrap();
        let gz = dir.path().join("big.csv.gz");
        let mut enc =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
        enc.write_all(text(rows).as_bytes()).unwrap();
        enc.finish().unwrap();
        for path in [&big, &gz] {
            let estimate = estimated_rows(&csv_source(path)).unwrap() as f64;
            let error = (estimate - rows as f64).abs() / rows as f64;
            assert!(error < 0.1, "{}: {estimate} for {rows}", path.display());
        }
    }

    /// The footers' null counts tell when no row lacks an id; anything
    /// they cannot vouch for (a null, a file written without statistics, a
    /// CSV, a composite key) reads the ids.
    #[test]
    fn parquet_statistics_vouch_for_ids_only_when_they_can() {
        use polars::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, ids: Vec<Option<&str>>, stats: StatisticsOptions| {
            let rows = ids.len();
            let mut df = DataFrame::new_infer_height(vec![
                Column::new("application_id".into(), ids),
                Column::new("stage".into(), vec!["applied"; rows]),
            ])
            .unwrap();
            let path = dir.path().join(name);
            ParquetWriter::new(std::fs::File::create(&path).unwrap())
                .with_statistics(stats)
                .with_row_group_size(Some(2))
                .finish(&mut df)
                .unwrap();
            Source::new(TableKind::StageEvents, &path).unwrap()
        };
        let canonical = Profile::canonical();
        let ids = &["application_id"];
        let full = StatisticsOptions::full();
        let whole = write(
            "whole.parquet",
            vec![Some("A1"), Some("A2"), Some("A3")],
            full,
        );
        assert!(never_missing(&whole, &canonical, ids));
        // The null is in the second row group only.
        let gap = write("gap.parquet", vec![Some("A1"), Some("A2"), None], full);
        assert!(!never_missing(&gap, &canonical, ids));
        let bare = write(
            "bare.parquet",
            vec![Some("A1"), Some("A2"), Some("A3")],
            StatisticsOptions::empty(),
        );
        assert!(!never_missing(&bare, &canonical, ids));

        let csv = dir.path().join("events.csv");
        std::fs::write(&csv, "application_id,stage\nA1,applied\n").unwrap();
        let csv = Source::new(TableKind::StageEvents, &csv).unwrap();
        assert!(!never_missing(&csv, &canonical, ids));

        let composite =
            Profile::canonical().with_application_key(&["application_id".into(), "stage".into()]);
        assert!(!never_missing(&whole, &composite, ids));
    }
}
