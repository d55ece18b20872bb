//! The per-application tables split once into the slices of the hashed
//! plan, in temporary files each slice reads alone.
//!
//! Without them every slice reads every table whole and keeps 1/k of it,
//! so the reading grows with the square of the extract (k slices of N
//! rows each). Written once, the tables cost one read (one per pass of
//! at most 48 parts, see `PARTS_PER_PASS`) and one write, and each slice
//! reads 1/k of them: the 50M national audit went from 339 s
//! to 272 s. At 10M in 9 slices it is a wash (the split costs about what
//! the reads saved: a slice's time is mostly its grouping, not its
//! reading), so the split is taken only from `plan::SPLIT_FROM` slices.
//!
//! The candidate check's pairs (candidate hash, label) are split beside
//! the tables, by the candidate's hash rather than the application's, so
//! each slice counts the candidates of its part: the check read the
//! applications file again in slices of its own (four at 50M, each
//! beside one of the pass's), which made the 50M audit's peak
//! (1,752–1,777 MiB against 1,514–1,524 split; benches/RESULTS.md,
//! fifteenth round).
//!
//! Categorical columns (the text the slices read as categoricals) are
//! written as their codes in the global categories and read back as the
//! same categoricals: the split makes the text categorical once, not
//! every slice, and the parts hold numbers only.
//!
//! The parts are Arrow IPC files, uncompressed: written and read back as
//! the columns are in memory. Parquet's writer tried a dictionary on every
//! integer column and run-length encoded the result (a quarter of the
//! split's CPU), and its reader decoded them again. At 10M national
//! applications the parts take 1.0 GB of disk (Parquet's: about 0.75),
//! and the audit 13.9–15.5 s against 15.8–16.7 (benches/RESULTS.md,
//! twelfth round).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::collect_all;
use crate::error::{Error, Result};
use crate::ingest::{Profile, Source, TableKind};
use codes::Coded;
pub(crate) use folders::folder_for_parts;
use folders::{TEMP_HINT, live_folders, remove_if_interrupted, written_error};

/// Parts one pass over a table writes at most: a split into more parts
/// reads each table again for each further pass, a pass writing the parts
/// p, p + passes, … The split's memory grows as a pass runs, with the
/// rows it writes (a part holds the rows the budget gives a slice, so
/// with the parts a pass writes). At 50M national applications (41
/// parts), since the parts are uncompressed IPC files, one pass split in
/// 19–21 s against 35–36 s in three, and peaked at 1,550 MiB (in the
/// pairs' pass; the slices' at about 1,250), which is what three passes'
/// audit peaked at too: the audit took 79–82 s against 93–106
/// (benches/RESULTS.md, fifteenth round). In the seventh round, with
/// Parquet parts, passes cost no time and one peaked at 2 GiB.
const PARTS_PER_PASS: u64 = 48;

/// Passes over each table for a split into `of` parts.
fn passes_for(of: u64) -> u64 {
    of.div_ceil(PARTS_PER_PASS).max(1)
}

/// The column a written row's slice is decided by (the partition key);
/// not kept in the files.
const PART: &str = "__rung_part";

/// What the split writes, each into a folder of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Written {
    /// A table's rows.
    Rows(TableKind),
    /// The candidate check's pairs (candidate, label) of the
    /// applications, split by the candidate's hash: all of a candidate's
    /// applications are in one part, so each slice counts its part's.
    CandidatePairs,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Written::Rows(table) => write!(f, "{}", table.name()),
            Written::CandidatePairs => write!(f, "candidate pairs"),
        }
    }
}

impl From<TableKind> for Written {
    fn from(table: TableKind) -> Written {
        Written::Rows(table)
    }
}

/// Rows the split writes, and the hashed key column they are split by.
pub(crate) struct ToSplit {
    pub(crate) written: Written,
    pub(crate) rows: LazyFrame,
    pub(crate) key: Expr,
}

/// The tables of one counting pass, each split into `of` parts by a
/// hashed key column, in a temporary folder removed when this is dropped.
pub(crate) struct Parts {
    dir: tempfile::TempDir,
    of: u64,
    /// Each table's parts, as scans.
    scans: HashMap<Written, Vec<LazyFrame>>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Parts({} of {})", self.dir.path().display(), self.of)
    }
}

impl Drop for Parts {
    fn drop(&mut self) {
        // The folder itself goes with `dir`.
        live_folders().retain(|d| d != self.dir.path());
    }
}

impl Parts {
    /// Writes each of `tables` (rows with a hashed key) in `of` parts,
    /// the rows whose key is i mod `of` (null: 0) in part i: one
    /// streaming pass per table, into a new folder in `parent` (see
    /// [`folder_for_parts`]); `in_order`, each part's rows in the order
    /// read. `sources` are the files read, named if reading fails.
    pub(crate) fn write(
        parent: &Path,
        tables: Vec<ToSplit>,
        in_order: bool,
        of: u64,
        sources: &[&Source],
        profile: &Profile,
    ) -> Result<Arc<Parts>> {
        let dir = tempfile::Builder::new()
            .prefix("rung-slices-")
            .tempdir_in(parent)
            .map_err(|e| {
                Error::usage(
                    format!(
                        "cannot make a temporary folder for the slices in {}: {e}",
                        parent.display()
                    ),
                    Some(TEMP_HINT.to_string()),
                )
            })?;
        let parts_dir = dir.path().to_path_buf();
        remove_if_interrupted(&parts_dir);
        crate::progress::step(format!(
            "splitting the rows into {of} slices, in {}",
            parts_dir.display()
        ));
        // Each table's passes named as they run: at 50M applications the
        // split takes 15–20 s.
        let steps = tables.len();
        let passes = passes_for(of);
        let mut schemas = Vec::new();
        let mut sinks = Vec::new();
        for ToSplit {
            written: table,
            mut rows,
            key,
        } in tables
        {
            let schema = rows
                .collect_schema()
                .map_err(|e| Error::Internal(format!("the columns of the {table} parts: {e}")))?;
            let coded = Coded::of(&schema).map_err(|e| {
                Error::Internal(format!("the categorical columns of the {table} parts: {e}"))
            })?;
            let rows = rows.with_columns(coded.to_codes());
            schemas.push((table, coded));
            let part = || (key.clone() % lit(of)).fill_null(lit(0u64));
            for pass in 0..passes {
                let destination = SinkDestination::Partitioned {
                    base_path: PlRefPath::new(
                        table_dir(dir.path(), table).to_string_lossy().as_ref(),
                    ),
                    file_path_provider: None,
                    partition_strategy: PartitionStrategy::Keyed {
                        keys: vec![part().alias(PART)],
                        include_keys: false,
                        keys_pre_grouped: false,
                    },
                    max_rows_per_file: IdxSize::MAX,
                    approximate_bytes_per_file: u64::MAX,
                };
                // Uncompressed: the files live for one run, and the slices
                // read them back at once (the system's cache mostly still
                // holds them). Batches of polars' default size: the 50M
                // national audit's split peaked at 1,289 MiB, against
                // 1,267 for Parquet in row groups of 16,384 rows.
                let format = FileWriteFormat::Ipc(IpcWriterOptions {
                    compression: None,
                    ..IpcWriterOptions::default()
                });
                let args = UnifiedSinkArgs {
                    mkdir: true,
                    // Under the hashed plan order within a part does not
                    // matter: every query groups, and scores carry their
                    // row in the file (only sums of scores such as 3.3
                    // depend on the order rows arrive in, in their last
                    // digits, as in any run: docs/scale.md). The exact
                    // plan keeps each id's first row.
                    maintain_order: in_order,
                    ..UnifiedSinkArgs::default()
                };
                let rows = match passes {
                    1 => rows.clone(),
                    _ => rows.clone().filter((part() % lit(passes)).eq(lit(pass))),
                };
                let sink = rows
                    .sink(destination, format, args)
                    .map_err(|e| Error::Internal(format!("splitting the {table} rows: {e}")))?;
                let pass = match passes {
                    1 => String::new(),
                    _ => format!(", pass {} of {passes}", pass + 1),
                };
                let step = format!(
                    "splitting the rows into {of} slices: {table} ({} of {steps}{pass})",
                    schemas.len()
                );
                sinks.push((step, sink));
            }
        }
        // One table (and one pass) at a time: written together, the three
        // tables held 3.8 GB at 50M applications, one by one 2.7 GB, in
        // about the same time. What each frees is handed back before the
        // next, and the last's before the first slice: kept, it came on
        // top of that slice (which also runs the candidate check) and made
        // it the audit's peak.
        for (step, sink) in sinks {
            crate::progress::step(step);
            collect_all(vec![sink], sources, profile).map_err(|e| {
                match written_error(&parts_dir) {
                    Some(found) => found,
                    None => e,
                }
            })?;
            super::plan::release_freed_memory();
        }
        let mut scans = HashMap::new();
        for (table, coded) in schemas {
            let folder = table_dir(&parts_dir, table);
            let parts = (0..of)
                .map(|index| scan_part(&folder, index, &coded))
                .collect::<Result<Vec<_>>>()?;
            scans.insert(table, parts);
        }
        Ok(Arc::new(Parts { dir, of, scans }))
    }

    /// The rows of `table` in part `index`.
    pub(crate) fn scan(&self, table: impl Into<Written>, index: u64) -> LazyFrame {
        let table = table.into();
        self.scan_if_written(table, index)
            .unwrap_or_else(|| panic!("the {table} rows were not split into parts"))
    }

    /// The rows of `table` in part `index`, if the split wrote them.
    pub(crate) fn scan_if_written(&self, table: Written, index: u64) -> Option<LazyFrame> {
        let parts = self.scans.get(&table)?;
        Some(parts[index as usize].clone())
    }
}

/// The scan of part `index` of the table written to `folder`.
fn scan_part(folder: &Path, index: u64, coded: &Coded) -> Result<LazyFrame> {
    let schema = &coded.written;
    let folder = folder.join(format!("{PART}={index}"));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::Internal(format!("listing {}: {e}", folder.display())))?,
        // No row fell in this part: no folder was written.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(Error::Internal(format!(
                "listing {}: {e}",
                folder.display()
            )));
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "ipc"));
    files.sort();
    if files.is_empty() {
        let empty = DataFrame::empty_with_schema(schema).lazy();
        return Ok(empty.with_columns(coded.to_categoricals()));
    }
    let paths: Vec<PlRefPath> = files
        .iter()
        .map(|f| PlRefPath::new(f.to_string_lossy().as_ref()))
        .collect();
    let args = UnifiedScanArgs {
        schema: Some(schema.clone()),
        hive_options: HiveOptions {
            enabled: Some(false),
            ..HiveOptions::default()
        },
        ..UnifiedScanArgs::default()
    };
    LazyFrame::scan_ipc_sources(
        ScanSources::Paths(paths.into()),
        IpcScanOptions::default(),
        args,
    )
    .map(|scan| scan.with_columns(coded.to_categoricals()))
    .map_err(|e| Error::Internal(format!("reading {}: {e}", folder.display())))
}

fn table_dir(dir: &Path, table: impl Into<Written>) -> PathBuf {
    dir.join(match table.into() {
        Written::Rows(table) => format!("{table:?}").to_lowercase(),
        Written::CandidatePairs => "candidate_pairs".to_string(),
    })
}

mod codes;
mod folders;
#[cfg(test)]
mod tests;
