//! The per-application tables split once into the slices of the hashed
//! plan, in temporary files each slice reads alone.
//!
//! Without them every slice reads every table whole and keeps 1/k of it,
//! so the reading grows with the square of the extract (k slices of N
//! rows each). Written once, the tables cost one read (one per pass of
//! at most 16 parts, see `PARTS_PER_PASS`) and one write, and each slice
//! reads 1/k of them: the 50M national audit went from 339 s
//! to 272 s. At 10M in 9 slices it is a wash (the split costs about what
//! the reads saved: a slice's time is mostly its grouping, not its
//! reading), so the split is taken only from `plan::SPLIT_FROM` slices.
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
use std::sync::{Arc, Mutex, Once};

use polars::prelude::*;

use super::collect_all;
use crate::error::{Error, Result};
use crate::ingest::{Profile, Source, TableKind};

/// Parts one pass over a table writes at most: a split into more parts
/// reads each table again for each further pass, a pass writing the parts
/// p, p + passes, … The split's memory grows as a pass runs: at 50M
/// national applications (41 parts) the split peaked at 1,944–2,068 MiB
/// in one pass, 1,853 in two and 1,811–1,864 in three, and the audit took
/// 114–118 s in each (benches/RESULTS.md, seventh round). At 10M (9
/// parts) a second pass cost a second and saved 56 MB, so it takes one.
const PARTS_PER_PASS: u64 = 16;

/// Passes over each table for a split into `of` parts.
fn passes_for(of: u64) -> u64 {
    of.div_ceil(PARTS_PER_PASS).max(1)
}

/// The column a written row's slice is decided by (the partition key);
/// not kept in the files.
const PART: &str = "__rung_part";

/// The tables of one counting pass, each split into `of` parts by a
/// hashed key column, in a temporary folder removed when this is dropped.
pub(crate) struct Parts {
    dir: tempfile::TempDir,
    of: u64,
    /// Each table's parts, as scans.
    scans: HashMap<TableKind, Vec<LazyFrame>>,
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
    /// Writes each of `tables` (rows with a hashed key, `key`) in `of`
    /// parts, the rows whose key is i mod `of` (null: 0) in part i: one
    /// streaming pass per table, into a new folder in `parent` (see
    /// [`folder_for_parts`]); `in_order`, each part's rows in the order
    /// read. `sources` are the files read, named if reading fails.
    pub(crate) fn write(
        parent: &Path,
        tables: Vec<(TableKind, LazyFrame)>,
        key: Expr,
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
        let passes = passes_for(of);
        let mut schemas = Vec::new();
        let mut sinks = Vec::new();
        for (table, mut rows) in tables {
            let schema = rows
                .collect_schema()
                .map_err(|e| Error::Internal(format!("the columns of the {table:?} parts: {e}")))?;
            let coded = Coded::of(&schema).map_err(|e| {
                Error::Internal(format!(
                    "the categorical columns of the {table:?} parts: {e}"
                ))
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
                    .map_err(|e| Error::Internal(format!("splitting the {table:?} rows: {e}")))?;
                sinks.push(sink);
            }
        }
        // One table (and one pass) at a time: written together, the three
        // tables held 3.8 GB at 50M applications, one by one 2.7 GB, in
        // about the same time. What each frees is handed back before the
        // next, and the last's before the first slice: kept, it came on
        // top of that slice (which also runs the candidate check) and made
        // it the audit's peak.
        for sink in sinks {
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
    pub(crate) fn scan(&self, table: TableKind, index: u64) -> LazyFrame {
        let parts = self
            .scans
            .get(&table)
            .unwrap_or_else(|| panic!("the {table:?} rows were not split into parts"));
        parts[index as usize].clone()
    }
}

/// A table's columns as the split writes them: its categorical columns
/// as their codes.
struct Coded {
    /// The columns as written.
    written: SchemaRef,
    /// The categorical columns, and their type (the global categories:
    /// holding it keeps their codes, see [`from_codes`]).
    categorical: Vec<(PlSmallStr, DataType)>,
}

impl Coded {
    fn of(schema: &Schema) -> PolarsResult<Coded> {
        let mut written = schema.clone();
        let mut categorical = Vec::new();
        for (name, dtype) in schema.iter() {
            if let DataType::Categorical(categories, _) = dtype {
                // Only the global categories' codes mean the same text in
                // every slice.
                polars_ensure!(
                    categories.is_global(),
                    ComputeError: "column {name} is not of the global categories"
                );
                written.set_dtype(name, dtype.to_physical());
                categorical.push((name.clone(), dtype.clone()));
            }
        }
        Ok(Coded {
            written: Arc::new(written),
            categorical,
        })
    }

    /// The categorical columns as their codes.
    fn to_codes(&self) -> Vec<Expr> {
        self.categorical
            .iter()
            .map(|(name, _)| col(name.clone()).to_physical())
            .collect()
    }

    /// The codes as the categorical columns again.
    fn to_categoricals(&self) -> Vec<Expr> {
        self.categorical
            .iter()
            .map(|(name, dtype)| from_codes(name, dtype.clone()))
            .collect()
    }
}

/// Column `name`, codes of the categories of `dtype` (a categorical), as
/// that categorical. The codes were written by this process from the
/// same categories, whose mapping lives while a type naming it does (the
/// closure holds one); a code the mapping lacks stops the count.
fn from_codes(name: &PlSmallStr, dtype: DataType) -> Expr {
    let output = Field::new(name.clone(), dtype.clone());
    col(name.clone()).map(
        move |codes: Column| {
            let codes = codes.as_materialized_series();
            let categorical =
                Categorical32Chunked::from_cats_and_dtype(codes.u32()?.clone(), dtype.clone());
            polars_ensure!(
                categorical.null_count() == codes.null_count(),
                ComputeError: "a part holds a code its categories lack"
            );
            Ok(categorical.into_series().into_column())
        },
        move |_, _| Ok(output.clone()),
    )
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

/// The folders of parts in use. A run stopped by Ctrl-C (or SIGTERM,
/// SIGHUP) ends without dropping them, and a national extract's parts are
/// gigabytes: the signal's handler removes them first.
static LIVE_FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_folders() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE_FOLDERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `folder` to be removed if the run is interrupted, installing
/// the handler the first time.
fn remove_if_interrupted(folder: &Path) {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(|| {
        // Fails only when a handler is set already (by an embedding
        // program): the parts are then left for it, as before.
        let _ = ctrlc::set_handler(|| {
            let removed = remove_live_folders();
            if removed > 0 {
                eprintln!("interrupted: removed the temporary slices");
            }
            // 128 + SIGINT, as a shell reports a Ctrl-C.
            std::process::exit(130);
        });
    });
    live_folders().push(folder.to_path_buf());
}

/// Removes every folder of parts in use; returns how many there were.
fn remove_live_folders() -> usize {
    let folders = std::mem::take(&mut *live_folders());
    for folder in &folders {
        let _ = std::fs::remove_dir_all(folder);
    }
    folders.len()
}

/// Where the parts go: `TMPDIR` when it is set; else /var/tmp, the place
/// for large temporary files (on many systems /tmp is memory, tmpfs, and
/// parts there would take from memory what the slices save); else the
/// system's temporary folder.
pub(crate) fn folder_for_parts() -> PathBuf {
    if let Some(dir) = std::env::var_os("TMPDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let var_tmp = Path::new("/var/tmp");
    if cfg!(unix) && var_tmp.is_dir() {
        return var_tmp.to_path_buf();
    }
    std::env::temp_dir()
}

const TEMP_HINT: &str = "the slices need room on disk for about 100 bytes an application (1 GB for 10 million, with stage events and scores): set TMPDIR to a folder on a disk with room, or give --memory enough for one slice";

fn table_dir(dir: &Path, table: TableKind) -> PathBuf {
    dir.join(format!("{table:?}").to_lowercase())
}

/// When writing the parts failed for want of room (or any reason the
/// temporary folder gives), the error naming it; `None` when the folder is
/// fine and the cause was reading the inputs.
fn written_error(dir: &Path) -> Option<Error> {
    let probe = dir.join("probe");
    let result = std::fs::write(&probe, [0u8; 4096]);
    let _ = std::fs::remove_file(&probe);
    result.err().map(|e| {
        Error::usage(
            format!(
                "writing the slices to the temporary folder {} failed: {e}",
                dir.display()
            ),
            Some(TEMP_HINT.to_string()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests that make parts run one at a time: one of them removes
    /// every live folder, as the interrupt handler does.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn rows(keys: &[Option<u64>]) -> LazyFrame {
        let labels: Vec<String> = (0..keys.len()).map(|i| format!("row {i}")).collect();
        df!("key" => keys, "label" => labels).unwrap().lazy()
    }

    fn sorted_labels(frame: LazyFrame) -> Vec<String> {
        let df = frame.collect().unwrap();
        let mut out: Vec<String> = df
            .column("label")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        out.sort();
        out
    }

    /// Every row lands in the part its key gives (a null key in part 0),
    /// nothing is lost or doubled, and a part no row fell in reads as an
    /// empty table with the columns.
    #[test]
    fn each_row_is_in_the_part_its_key_gives() {
        let _alone = one_at_a_time();
        let keys = [Some(0), Some(4), Some(7), None, Some(12), Some(3), Some(8)];
        let parent = tempfile::tempdir().unwrap();
        let parts = Parts::write(
            parent.path(),
            vec![(TableKind::Scores, rows(&keys))],
            col("key"),
            false,
            4,
            &[],
            &Profile::canonical(),
        )
        .unwrap();
        let expect = |wanted: &[usize]| -> Vec<String> {
            let mut v: Vec<String> = wanted.iter().map(|i| format!("row {i}")).collect();
            v.sort();
            v
        };
        // Keys mod 4: 0, 0, 3, (null) 0, 0, 3, 0.
        assert_eq!(
            sorted_labels(parts.scan(TableKind::Scores, 0)),
            expect(&[0, 1, 3, 4, 6])
        );
        assert_eq!(
            sorted_labels(parts.scan(TableKind::Scores, 3)),
            expect(&[2, 5])
        );
        for empty in [1, 2] {
            let df = parts.scan(TableKind::Scores, empty).collect().unwrap();
            assert_eq!(df.height(), 0);
            let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
            // The key column stays; only the part number is left out.
            assert_eq!(names, ["key", "label"]);
        }
        // The folder goes with the parts.
        let folder = parts.dir.path().to_path_buf();
        assert!(folder.is_dir());
        drop(parts);
        assert!(!folder.exists());
    }

    /// A categorical column is written as its codes (the files hold
    /// numbers, not text) and read back as the same categorical, nulls
    /// kept, in a part with rows and in one without.
    #[test]
    fn categoricals_are_written_as_codes_and_read_back() {
        let _alone = one_at_a_time();
        let global = DataType::from_categories(Categories::global());
        let labels = [
            Some("Black African"),
            None,
            Some("White"),
            Some("Black African"),
        ];
        let table = df!("key" => [0u64, 2, 4, 1], "label" => labels)
            .unwrap()
            .lazy()
            .with_column(col("label").cast(global.clone()));
        let parent = tempfile::tempdir().unwrap();
        let parts = Parts::write(
            parent.path(),
            vec![(TableKind::Scores, table)],
            col("key"),
            false,
            3,
            &[],
            &Profile::canonical(),
        )
        .unwrap();
        // Keys mod 3: 0, 2, 1, 1.
        let part = |index| parts.scan(TableKind::Scores, index).collect().unwrap();
        let read = part(1).sort(["key"], Default::default()).unwrap();
        assert_eq!(read.column("label").unwrap().dtype(), &global);
        let texts: Vec<Option<String>> = read
            .column("label")
            .unwrap()
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(String::from))
            .collect();
        assert_eq!(
            texts,
            [Some("Black African".to_string()), Some("White".to_string())]
        );
        assert_eq!(part(2).column("label").unwrap().null_count(), 1);
        let folder = table_dir(parts.dir.path(), TableKind::Scores).join(format!("{PART}=1"));
        let file = std::fs::read_dir(folder).unwrap().next().unwrap().unwrap();
        let written = LazyFrame::scan_ipc(
            PlRefPath::new(file.path().to_string_lossy().as_ref()),
            IpcScanOptions::default(),
            UnifiedScanArgs::default(),
        )
        .unwrap()
        .collect_schema()
        .unwrap();
        assert_eq!(written.get("label"), Some(&DataType::UInt32));
        let empty = Parts::write(
            parent.path(),
            vec![(TableKind::Scores, part(0).lazy().filter(lit(false)))],
            col("key"),
            false,
            2,
            &[],
            &Profile::canonical(),
        )
        .unwrap();
        let none = empty.scan(TableKind::Scores, 1).collect().unwrap();
        assert_eq!(none.column("label").unwrap().dtype(), &global);
    }

    /// In order, each part holds its rows in the order they were read
    /// (the exact plan keeps each id's first row): 400,000 rows, many
    /// batches of the streaming engine, into 8 parts (and 20, two passes),
    /// each read back with its row numbers rising. (polars 0.55 on two
    /// cores happened to keep the order here without being asked too; the
    /// sink's `maintain_order` is what it promises.)
    #[test]
    fn parts_written_in_order_keep_the_order_read() {
        let _alone = one_at_a_time();
        let n = 400_000u64;
        let mut rows = df!(
            "key" => (0..n).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7).collect::<Vec<u64>>(),
            "row" => (0..n).collect::<Vec<u64>>()
        )
        .unwrap();
        // Read from a file of many row groups, which the engine reads on
        // every thread at once, as it reads an export.
        let input = tempfile::tempdir().unwrap();
        let file = input.path().join("rows.parquet");
        ParquetWriter::new(std::fs::File::create(&file).unwrap())
            .with_row_group_size(Some(5_000))
            .finish(&mut rows)
            .unwrap();
        let rows = LazyFrame::scan_parquet(
            PlRefPath::new(file.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .unwrap();
        for of in [8, 20] {
            let parent = tempfile::tempdir().unwrap();
            let parts = Parts::write(
                parent.path(),
                vec![(TableKind::Applications, rows.clone())],
                col("key"),
                true,
                of,
                &[],
                &Profile::canonical(),
            )
            .unwrap();
            let mut total = 0;
            for index in 0..of {
                let df = parts
                    .scan(TableKind::Applications, index)
                    .collect()
                    .unwrap();
                let row: Vec<u64> = df
                    .column("row")
                    .unwrap()
                    .u64()
                    .unwrap()
                    .into_no_null_iter()
                    .collect();
                assert!(row.len() > 1000, "part {index} of {of}: {} rows", row.len());
                assert!(
                    row.windows(2).all(|w| w[0] < w[1]),
                    "part {index} of {of}: rows out of the order read"
                );
                total += row.len();
            }
            assert_eq!(total as u64, n);
        }
    }

    /// Split into more parts than one pass writes, every row still lands
    /// in its own part once: 40 parts are written in three passes.
    #[test]
    fn parts_written_in_several_passes_hold_every_row_once() {
        let _alone = one_at_a_time();
        assert_eq!(passes_for(40), 3);
        assert_eq!(passes_for(9), 1);
        let keys: Vec<Option<u64>> = (0..200u64)
            .map(|k| (k % 17 != 5).then_some(k * 7919))
            .collect();
        let parent = tempfile::tempdir().unwrap();
        let parts = Parts::write(
            parent.path(),
            vec![(TableKind::Scores, rows(&keys))],
            col("key"),
            false,
            40,
            &[],
            &Profile::canonical(),
        )
        .unwrap();
        for part in 0..40u64 {
            let mut expected: Vec<String> = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.map_or(0, |k| k % 40) == part)
                .map(|(i, _)| format!("row {i}"))
                .collect();
            expected.sort();
            assert_eq!(
                sorted_labels(parts.scan(TableKind::Scores, part)),
                expected,
                "part {part}"
            );
        }
    }

    /// An interrupted run's parts are removed by its handler, and parts
    /// dropped are no longer its business.
    #[test]
    fn interrupted_parts_are_removed() {
        let _alone = one_at_a_time();
        let parent = tempfile::tempdir().unwrap();
        let write = || {
            Parts::write(
                parent.path(),
                vec![(TableKind::Scores, rows(&[Some(1), Some(2)]))],
                col("key"),
                false,
                2,
                &[],
                &Profile::canonical(),
            )
            .unwrap()
        };
        let (kept, dropped) = (write(), write());
        let dropped_folder = dropped.dir.path().to_path_buf();
        drop(dropped);
        assert!(!dropped_folder.exists());
        assert!(!live_folders().contains(&dropped_folder));
        let folder = kept.dir.path().to_path_buf();
        assert!(live_folders().contains(&folder));
        assert_eq!(remove_live_folders(), 1);
        assert!(!folder.exists());
        assert!(std::fs::read_dir(parent.path()).unwrap().next().is_none());
    }

    /// A temporary folder that cannot be made is a usage error naming it,
    /// with what to do.
    #[test]
    fn a_folder_that_cannot_be_made_is_named() {
        let _alone = one_at_a_time();
        let parent = tempfile::tempdir().unwrap();
        let missing = parent.path().join("not-there");
        let err = Parts::write(
            &missing,
            vec![(TableKind::Scores, rows(&[Some(1)]))],
            col("key"),
            false,
            2,
            &[],
            &Profile::canonical(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not-there"), "{text}");
        assert!(err.exit_code() == 2, "{text}");
    }
}
