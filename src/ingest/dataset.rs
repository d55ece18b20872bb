//! Where a dataset's tables are: a folder of canonically named files, globs,
//! hive-partitioned folders, or files named one by one; and how many rows
//! they hold, estimated before counting.

use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use super::{Format, Profile, TableKind, Tap, decompressed, polars_file_error};
use crate::error::{Error, Result};

/// One table: a file, or many (a folder of parts, hive-partitioned or not,
/// or a glob), read as one.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// Which table it holds.
    pub table: TableKind,
    /// Where it is, as given: a file, a folder or a glob.
    pub path: PathBuf,
    /// How it is stored.
    pub format: Format,
    /// The files, in name order (one for a plain file).
    #[serde(skip)]
    pub files: Vec<PathBuf>,
    /// The folder under which `column=value` folder names are columns
    /// (hive partitioning), for a folder or a glob.
    #[serde(skip)]
    pub hive_root: Option<PathBuf>,
}

/// The files of one dataset.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    sources: Vec<Source>,
    /// How its counts file is laid out, when it is one.
    counts_shape: Option<CountsShape>,
}

/// The two layouts of a counts file (see `counts::file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountsShape {
    /// What `rung counts` writes: `furthest_stage` and `applications`
    /// columns, one row per group and furthest stage, raw labels.
    Long,
    /// A WRES-style return: a column per stage reached, whose ethnicity
    /// column may already name groups ("BME").
    Wide,
}

impl CountsShape {
    /// The long shape's stage column.
    pub const STAGE: &str = "furthest_stage";
    /// The long shape's count column.
    pub const COUNT: &str = "applications";
}

impl Dataset {
    /// A dataset from a folder (tables found by name), a single applications
    /// file, and/or tables named one by one (which win over the folder's).
    pub fn locate(path: Option<&Path>, named: &[(TableKind, PathBuf)]) -> Result<Dataset> {
        let mut sources: Vec<Source> = Vec::new();
        for (table, file) in named {
            sources.push(Source::new(*table, file)?);
        }
        if let Some(path) = path {
            let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
            if meta.is_file() {
                if !sources.iter().any(|s| s.table == TableKind::Applications) {
                    sources.push(Source::new(TableKind::Applications, path)?);
                }
            } else {
                for table in TableKind::ALL {
                    if sources.iter().any(|s| s.table == table) {
                        continue;
                    }
                    if let Some(found) = find_table(path, table)? {
                        sources.push(found);
                    }
                }
            }
        }
        let dataset = Dataset {
            sources,
            counts_shape: None,
        };
        if dataset.get(TableKind::Applications).is_none() {
            let where_ = path
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the command line".into());
            return Err(Error::usage(
                format!(
                    "no applications table in {where_}: expected applications.csv or applications.parquet"
                ),
                Some("name a dataset folder, or the file with --applications FILE".into()),
            ));
        }
        Ok(dataset)
    }

    /// A short description for status lines: the applications file's folder
    /// or name.
    pub fn describe(&self) -> String {
        match self.get(TableKind::Applications) {
            Some(s) => s
                .path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(&s.path)
                .display()
                .to_string(),
            None => self
                .sources
                .first()
                .map(|s| s.path.display().to_string())
                .unwrap_or_else(|| "dataset".to_string()),
        }
    }

    /// The source of a table, if the dataset has it.
    pub fn get(&self, table: TableKind) -> Option<&Source> {
        self.sources.iter().find(|s| s.table == table)
    }

    /// Every file, in data-model order.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        let mut sources: Vec<&Source> = self.sources.iter().collect();
        sources.sort_by_key(|s| s.table);
        sources.into_iter()
    }

    /// Every file of every table.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.sources()
            .flat_map(|s| s.files.iter().map(PathBuf::as_path))
    }

    /// A counts file (`rung audit --counts FILE`) as a dataset, its shape
    /// read from its header under `profile`'s column names.
    ///
    /// Score statistics written beside it (`counts.scores.parquet` for
    /// `counts.parquet`, see [`scores_path`]) come
    /// with it, as its scores table.
    pub fn counts(path: &Path, profile: &Profile) -> Result<Dataset> {
        let source = Source::new(TableKind::Counts, path)?;
        let header = super::scan(&source, profile, &[CountsShape::STAGE, CountsShape::COUNT])?;
        let shape = if header.has(CountsShape::STAGE) && header.has(CountsShape::COUNT) {
            CountsShape::Long
        } else {
            CountsShape::Wide
        };
        let mut sources = vec![source];
        let scores = scores_path(path);
        if scores.is_file() {
            sources.push(Source::new(TableKind::Scores, &scores)?);
        }
        Ok(Dataset {
            sources,
            counts_shape: Some(shape),
        })
    }

    /// The counts file and its shape, when the dataset is one.
    pub fn counts_file(&self) -> Option<(&Source, CountsShape)> {
        self.get(TableKind::Counts).zip(self.counts_shape)
    }

    /// The counts file, when the dataset is one.
    pub fn counts_source(&self) -> Option<&Source> {
        self.get(TableKind::Counts)
    }

    /// Whether the ethnicity column may hold group names rather than raw
    /// labels: a return aggregated by group already says "BME". The long
    /// shape keeps the raw labels and is read as rows would be.
    pub fn labels_may_name_groups(&self) -> bool {
        self.counts_shape == Some(CountsShape::Wide)
    }

    /// The applications table, for work that needs rows: an error naming
    /// `what` when the dataset is a counts file.
    pub fn applications(&self, what: &str) -> Result<&Source> {
        self.get(TableKind::Applications).ok_or_else(|| {
            let path = self.counts_source().map(|s| s.path.clone()).unwrap_or_default();
            Error::input(
                &path,
                format!("{what} needs the rows of an export (an applications table); a counts file holds only counts"),
            )
            .with_hint("give the dataset folder or --applications FILE instead of --counts")
        })
    }
}

/// Where the score statistics of a counts file go: beside it, with
/// `.scores` before the extension (`counts.parquet` → `counts.scores.parquet`).
pub fn scores_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.scores.{ext}"))
}

impl Source {
    /// A table from a file, a folder of files or a glob.
    pub(super) fn new(table: TableKind, path: &Path) -> Result<Source> {
        let text = path.to_string_lossy();
        let (files, hive_root) = if text.contains(GLOB_CHARS) {
            (glob_files(table, path)?, Some(glob_root(path)))
        } else if path.is_dir() {
            (folder_files(table, path)?, Some(path.to_path_buf()))
        } else if path.is_file() {
            (vec![path.to_path_buf()], None)
        } else {
            return Err(Error::input(
                path,
                format!("{} file not found", table.name()),
            ));
        };
        let format = one_format(table, path, &files)?;
        Ok(Source {
            table,
            path: path.to_path_buf(),
            format,
            files,
            hive_root,
        })
    }

    /// The `column=value` pairs in a file's folders below the hive root.
    pub fn hive_values(&self, file: &Path) -> Vec<(String, String)> {
        let Some(root) = &self.hive_root else {
            return Vec::new();
        };
        let Ok(relative) = file.strip_prefix(root) else {
            return Vec::new();
        };
        relative
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
            .filter_map(|c| {
                let (k, v) = c.as_os_str().to_str()?.split_once('=')?;
                Some((k.to_string(), hive_decode(v)))
            })
            .collect()
    }
}

/// Hive folder names escape some characters as `%XX`.
pub(super) fn hive_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 3 <= bytes.len())
            .then(|| u8::from_str_radix(value.get(i + 1..i + 3)?, 16).ok())
            .flatten();
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Characters that make a path a glob.
pub(super) const GLOB_CHARS: [char; 3] = ['*', '?', '['];

/// Files a glob matches, in name order.
pub(super) fn glob_files(table: TableKind, pattern: &Path) -> Result<Vec<PathBuf>> {
    let text = pattern.to_string_lossy();
    let paths = glob::glob(&text).map_err(|e| {
        Error::input(
            pattern,
            format!("is not a valid glob for the {} table: {e}", table.name()),
        )
    })?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::input(
            pattern,
            format!("matches no files for the {} table", table.name()),
        ));
    }
    Ok(files)
}

/// The folder a glob starts from: its components before the first one
/// with a wildcard.
pub(super) fn glob_root(pattern: &Path) -> PathBuf {
    pattern
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(GLOB_CHARS))
        .collect()
}

/// Every data file under a folder (recursively; hidden files and markers
/// such as `_SUCCESS` skipped), in name order.
pub(super) fn folder_files(table: TableKind, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    // Folders already read, by their real path: a symbolic link back up the
    // tree is read once, not followed round for ever.
    let mut seen = std::collections::HashSet::new();
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    while let Some(d) = pending.pop() {
        if !seen.insert(std::fs::canonicalize(&d).unwrap_or_else(|_| d.clone())) {
            continue;
        }
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if path.is_dir() {
                // A link to the folder itself or to a folder above it is a
                // loop: the table's files are all below the folder.
                let link_up = entry.file_type().is_ok_and(|t| t.is_symlink())
                    && std::fs::canonicalize(&path).is_ok_and(|t| root.starts_with(t));
                if link_up {
                    eprintln!(
                        "rung: {}: a link to a folder above it; not followed",
                        path.display()
                    );
                    continue;
                }
                pending.push(path);
            } else if Format::from_path(&path).is_some() {
                files.push(path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::input(
            dir,
            format!(
                "holds no .csv or .parquet files for the {} table",
                table.name()
            ),
        ));
    }
    Ok(files)
}

/// The one format all of a table's files share.
pub(super) fn one_format(table: TableKind, path: &Path, files: &[PathBuf]) -> Result<Format> {
    let mut format = None;
    for f in files {
        let this = Format::from_path(f).ok_or_else(|| {
            Error::input(
                f,
                format!(
                    "cannot tell the format of the {} file: expected a name ending in .csv (or .csv.gz, .csv.zst) or .parquet",
                    table.name()
                ),
            )
        })?;
        match format {
            None => format = Some(this),
            Some(first) if first != this => {
                return Err(Error::input(
                    path,
                    format!(
                        "holds both CSV and Parquet files for the {} table: which are the {0} table?",
                        table.name()
                    ),
                )
                .with_hint("keep one format per table, or name the files with a glob"));
            }
            Some(_) => {}
        }
    }
    format.ok_or_else(|| Error::input(path, format!("no files for the {} table", table.name())))
}

pub(super) fn find_table(dir: &Path, table: TableKind) -> Result<Option<Source>> {
    let mut candidates: Vec<PathBuf> = ["csv", "csv.gz", "csv.zst", "parquet"]
        .iter()
        .map(|ext| dir.join(format!("{}.{ext}", table.name())))
        .filter(|p| p.is_file())
        .collect();
    // A folder of parts: applications/part-0.parquet, or hive-partitioned
    // applications/organisation=ORG001/part-0.parquet.
    let folder = dir.join(table.name());
    if folder.is_dir() {
        candidates.push(folder);
    }
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Source::new(table, one).map(Some),
        _ => {
            let names: Vec<String> = candidates
                .iter()
                .filter_map(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            Err(Error::input(
                dir,
                format!(
                    "holds more than one {0} table ({1}): which one is the {0} table?",
                    table.name(),
                    names.join(", ")
                ),
            )
            .with_hint(
                "remove one, or name the file with --".to_string()
                    + &table.name().replace('_', "-")
                    + " FILE",
            ))
        }
    }
}

/// About how many data rows a table holds, cheaply: Parquet files say in
/// their footer; for CSV, the file size over the mean length of the lines
/// in its first few megabytes (decompressed, for .gz and .zst, scaled by
/// the compression ratio seen so far). Only used to choose how many slices
/// the counting pass takes (see `counts`), so an estimate is enough.
pub fn estimated_rows(source: &Source) -> Result<u64> {
    let mut total = 0;
    for file in &source.files {
        total += match source.format {
            Format::Parquet => {
                let df = LazyFrame::scan_parquet(
                    PlRefPath::new(file.to_string_lossy().as_ref()),
                    ScanArgsParquet::default(),
                )
                .and_then(|f| {
                    f.select([len().cast(DataType::UInt64).alias("n")])
                        .collect()
                })
                .map_err(|e| polars_file_error(source, file, &e))?;
                df.column("n")
                    .ok()
                    .and_then(|c| c.u64().ok()?.get(0))
                    .unwrap_or(0)
            }
            Format::Csv => estimated_csv_rows(file).map_err(|e| Error::io(file, e))?,
        };
    }
    Ok(total)
}

/// Whether the Parquet files of `source` say, in their footers'
/// statistics, that none of their rows lacks any of the `columns`
/// (canonical names) — so a pre-pass need not read those columns to count
/// the rows missing them. `false` when it cannot tell: a CSV, a column
/// made of several (a composite key) or from folder names, a file without
/// a null count for the column in every row group.
pub fn never_missing(source: &Source, profile: &Profile, columns: &[&str]) -> bool {
    if source.format != Format::Parquet {
        return false;
    }
    let names: Vec<&str> = columns
        .iter()
        .map(|c| profile.source_column(source.table, c))
        .collect();
    if names.iter().any(|n| super::profile::key_parts(n).len() > 1) {
        return false;
    }
    source.files.iter().all(|file| {
        let Ok(handle) = std::fs::File::open(file) else {
            return false;
        };
        let mut reader = ParquetReader::new(handle);
        let Ok(metadata) = reader.get_metadata() else {
            return false;
        };
        metadata.row_groups.iter().all(|group| {
            names.iter().all(|name| {
                let mut chunks = group.columns_under_root_iter(name).into_iter().flatten();
                chunks.next().is_some_and(|chunk| {
                    chunk
                        .statistics(&metadata.footer_buf)
                        .and_then(|s| s.ok())
                        .and_then(|s| s.null_count())
                        == Some(0)
                }) && chunks.next().is_none()
            })
        })
    })
}

pub(super) fn estimated_csv_rows(path: &Path) -> std::io::Result<u64> {
    const SAMPLE: usize = 4 << 20;
    let size = std::fs::metadata(path)?.len();
    let mut consumed = 0u64;
    let raw = Tap {
        inner: std::fs::File::open(path)?,
        seen: |bytes: &[u8]| consumed += bytes.len() as u64,
    };
    let mut buffered = std::io::BufReader::new(raw);
    let mut text = decompressed(&mut buffered)?;
    let mut sample = vec![0u8; SAMPLE];
    let mut filled = 0;
    while filled < SAMPLE {
        let n = text.read(&mut sample[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    drop(text);
    drop(buffered);
    let consumed = consumed.max(1);
    let lines = sample[..filled].iter().filter(|&&b| b == b'\n').count() as u64;
    if filled < SAMPLE {
        // The whole file was read: its lines, less the header.
        return Ok(lines.saturating_sub(1));
    }
    let expanded = size as f64 * filled as f64 / consumed as f64;
    Ok((expanded * lines.max(1) as f64 / filled as f64) as u64)
}
