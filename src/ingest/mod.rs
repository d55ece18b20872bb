//! Ingest: finds a dataset's tables, builds every scan rung makes, and checks
//! columns and types before any row is counted.
//!
//! This is the only module that opens data files with polars. It hands the
//! counting pass lazy frames whose columns carry canonical names and string
//! types, whatever the export called them or stored them as. It knows
//! nothing of statistics.

pub mod benchmark;
mod line_check;
pub mod profile;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
pub use profile::Profile;

/// The canonical tables of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// One row per application (candidate × vacancy).
    Applications,
    /// One row per application × stage reached.
    StageEvents,
    /// One row per panel seat.
    PanelMembers,
    /// One row per assessor × application × stage.
    Scores,
    /// One row per employee: the HR record panel members' and assessors'
    /// ethnicity comes from, joined on member_id.
    Staff,
    /// Counts already reduced from rows (`rung counts`, or a WRES-style
    /// return): a dataset of its own, never found in a folder.
    Counts,
}

impl TableKind {
    /// Every table of rows a dataset folder can hold, in data-model order.
    pub const ALL: [TableKind; 5] = [
        TableKind::Applications,
        TableKind::StageEvents,
        TableKind::PanelMembers,
        TableKind::Scores,
        TableKind::Staff,
    ];

    /// The table's file stem and name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Applications => "applications",
            TableKind::StageEvents => "stage_events",
            TableKind::PanelMembers => "panel_members",
            TableKind::Scores => "scores",
            TableKind::Staff => "staff",
            TableKind::Counts => "counts",
        }
    }

    /// All table names, for messages.
    pub fn names() -> String {
        TableKind::ALL.map(TableKind::name).join(", ")
    }

    /// A table by its name.
    pub fn from_name(name: &str) -> Option<TableKind> {
        TableKind::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Columns every file of this table must have.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Applications => &["application_id", "vacancy_id", "ethnicity"],
            TableKind::StageEvents => &["application_id", "stage"],
            TableKind::PanelMembers => &["vacancy_id", "stage", "member_id", "member_ethnicity"],
            TableKind::Scores => &["application_id", "stage", "assessor_id", "score"],
            TableKind::Staff => &["member_id", "member_ethnicity"],
            TableKind::Counts => &["ethnicity"],
        }
    }

    /// Every canonical column of this table.
    pub fn all_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Applications => &[
                "application_id",
                "vacancy_id",
                "ethnicity",
                "candidate_id",
                "organisation",
                "agency",
                "grade",
                "sex",
                "applied_on",
                "furthest_stage",
                "outcome",
                "exit_reason",
            ],
            TableKind::StageEvents => &["application_id", "stage", "entered_at"],
            TableKind::PanelMembers => &[
                "vacancy_id",
                "stage",
                "member_id",
                "member_ethnicity",
                "member_sex",
                "role",
            ],
            TableKind::Scores => &["application_id", "stage", "assessor_id", "score"],
            TableKind::Staff => &["member_id", "member_ethnicity", "member_sex"],
            TableKind::Counts => &["ethnicity", "furthest_stage", "applications"],
        }
    }
}

/// File formats rung reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated text with a header line (delimiter from the profile).
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format a file name says, looking through a compression suffix
    /// (`applications.csv.gz`, `.csv.zst`): compressed CSV is read as it
    /// streams. Parquet compresses inside the file.
    fn from_path(path: &Path) -> Option<Format> {
        let full = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = ["gz", "zst", "zstd"]
            .iter()
            .find_map(|z| full.strip_suffix(&format!(".{z}")))
            .unwrap_or(&full);
        match name.rsplit_once('.')?.1 {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" if name.len() == full.len() => Some(Format::Parquet),
            _ => None,
        }
    }
}

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
        let dataset = Dataset { sources };
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

    /// A counts file (`rung audit --counts FILE`) as a dataset.
    ///
    /// Score statistics written beside it (`counts.scores.parquet` for
    /// `counts.parquet`, see [`scores_path`]) come
    /// with it, as its scores table.
    pub fn counts(path: &Path) -> Result<Dataset> {
        let mut sources = vec![Source::new(TableKind::Counts, path)?];
        let scores = scores_path(path);
        if scores.is_file() {
            sources.push(Source::new(TableKind::Scores, &scores)?);
        }
        Ok(Dataset { sources })
    }

    /// The counts file, when the dataset is one.
    pub fn counts_source(&self) -> Option<&Source> {
        self.get(TableKind::Counts)
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
    fn new(table: TableKind, path: &Path) -> Result<Source> {
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
fn hive_decode(value: &str) -> String {
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
const GLOB_CHARS: [char; 3] = ['*', '?', '['];

/// Files a glob matches, in name order.
fn glob_files(table: TableKind, pattern: &Path) -> Result<Vec<PathBuf>> {
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
fn glob_root(pattern: &Path) -> PathBuf {
    pattern
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(GLOB_CHARS))
        .collect()
}

/// Every data file under a folder (recursively; hidden files and markers
/// such as `_SUCCESS` skipped), in name order.
fn folder_files(table: TableKind, dir: &Path) -> Result<Vec<PathBuf>> {
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
fn one_format(table: TableKind, path: &Path, files: &[PathBuf]) -> Result<Format> {
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

fn find_table(dir: &Path, table: TableKind) -> Result<Option<Source>> {
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

/// A table opened for scanning: canonical column names, all as strings.
#[derive(Clone)]
pub struct Scan {
    /// The file scanned.
    pub source: Source,
    /// The lazy scan with canonical names.
    pub frame: LazyFrame,
    /// Canonical columns the file has.
    pub columns: BTreeSet<String>,
}

impl Scan {
    /// Whether the file has a canonical column.
    pub fn has(&self, column: &str) -> bool {
        self.columns.contains(column)
    }

    /// Adds each of `columns` the file lacks as a column of nulls, so the
    /// queries can name it whatever the export held (`has` still answers
    /// for the file).
    pub fn fill_absent(&mut self, columns: &[&str]) {
        let absent: Vec<Expr> = columns
            .iter()
            .filter(|c| !self.has(c))
            .map(|c| lit(NULL).cast(DataType::String).alias(*c))
            .collect();
        if !absent.is_empty() {
            self.frame = self.frame.clone().with_columns(absent);
        }
    }
}

/// Opens a table and checks it: every required column present, types that
/// can be read as text, and the optional `wanted` columns selected where
/// present. Columns are renamed by the profile and cast to strings.
pub fn scan(source: &Source, profile: &Profile, wanted: &[&str]) -> Result<Scan> {
    scan_requiring(source, profile, source.table.required_columns(), wanted)
}

/// As [`scan`], with the required columns given: a panel_members table
/// needs no member_ethnicity when a staff table supplies it.
pub fn scan_requiring(
    source: &Source,
    profile: &Profile,
    required: &[&str],
    wanted: &[&str],
) -> Result<Scan> {
    let mut parts = Vec::with_capacity(source.files.len());
    for file in &source.files {
        parts.push(scan_file(source, file, profile, required, wanted)?);
    }
    // Optional columns some files have and others lack are nulls where
    // lacking, so every part has the same columns.
    let columns: BTreeSet<String> = parts.iter().flat_map(|p| p.1.iter().cloned()).collect();
    let order: Vec<&str> = required
        .iter()
        .chain(wanted.iter())
        .copied()
        .filter(|c| columns.contains(*c))
        .fold(Vec::new(), |mut all, c| {
            if !all.contains(&c) {
                all.push(c);
            }
            all
        });
    let frames: Vec<LazyFrame> = parts
        .into_iter()
        .map(|(frame, has)| {
            let missing: Vec<Expr> = order
                .iter()
                .filter(|c| !has.contains(**c))
                .map(|c| lit(NULL).cast(DataType::String).alias(*c))
                .collect();
            let frame = if missing.is_empty() {
                frame
            } else {
                frame.with_columns(missing)
            };
            frame.select(order.iter().map(|c| col(*c)).collect::<Vec<_>>())
        })
        .collect();
    let frame = match frames.len() {
        1 => frames.into_iter().next().expect("one part"),
        _ => concat(frames, UnionArgs::default()).map_err(|e| polars_input_error(source, &e))?,
    };
    Ok(Scan {
        source: source.clone(),
        frame,
        columns,
    })
}

/// Opens one file of a table: its required columns checked, the wanted
/// ones selected where present (or given by its hive folders), renamed and
/// cast to text.
fn scan_file(
    source: &Source,
    file: &Path,
    profile: &Profile,
    required: &[&str],
    wanted: &[&str],
) -> Result<(LazyFrame, BTreeSet<String>)> {
    let path = file;
    let table = source.table;
    let file_error = |e: PolarsError| polars_file_error(source, file, &e);
    let mut raw = match source.format {
        Format::Csv => {
            check_csv_header(path, profile.delimiter)?;
            csv_scan(path, profile.delimiter)
        }
        Format::Parquet => LazyFrame::scan_parquet(
            PlRefPath::new(path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        ),
    }
    .map_err(file_error)?;
    let schema = raw.collect_schema().map_err(file_error)?;
    let hive = source.hive_values(file);

    let mut select = Vec::new();
    let mut columns = BTreeSet::new();
    let mut missing = Vec::new();
    // Every column the profile maps for this table must be in the file: a
    // mapping that names no column is a mistake, reported with the others
    // and the closest header present, not left to surface later.
    // A bundled profile maps the columns its system can export; a given
    // export may lack the optional ones, which are then simply not used.
    let mapped_absent: Vec<(String, String)> = profile
        .columns
        .get(&table)
        .into_iter()
        .flatten()
        .filter(|(canonical, _)| !profile.bundled || required.contains(&canonical.as_str()))
        .flat_map(|(canonical, name)| {
            profile::key_parts(name)
                .into_iter()
                .map(move |part| (canonical.clone(), part.to_string()))
        })
        .filter(|(_, name)| schema.get(name).is_none() && !hive.iter().any(|(k, _)| k == name))
        .collect();
    if !mapped_absent.is_empty() {
        let have: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        let listed: Vec<String> = mapped_absent
            .iter()
            .map(|(canonical, name)| match closest(name, &have) {
                Some(c) => format!("{canonical} = '{name}' (closest column: '{c}')"),
                None => format!("{canonical} = '{name}'"),
            })
            .collect();
        return Err(Error::input(
            path,
            format!(
                "the profile maps {} column{} of the {} table that the file does not have: {}",
                listed.len(),
                if listed.len() == 1 { "" } else { "s" },
                table.name(),
                listed.join("; ")
            ),
        )
        .with_column(mapped_absent[0].1.clone())
        .with_hint(format!(
            "correct the names under [columns.{}] in the profile, or remove the lines for columns this export lacks",
            table.name()
        )));
    }
    for &canonical in required.iter().chain(wanted.iter()) {
        if columns.contains(canonical) {
            continue;
        }
        let name = profile.source_column(table, canonical);
        // A composite key: its columns joined, null when any part is.
        let parts = profile::key_parts(name);
        if parts.len() > 1 {
            if parts.iter().all(|p| schema.get(p).is_some()) {
                let mut joined = col(parts[0]).cast(DataType::String);
                for p in &parts[1..] {
                    joined = joined
                        + lit(profile::KEY_SEPARATOR.to_string())
                        + col(*p).cast(DataType::String);
                }
                if required.first() == Some(&canonical) {
                    joined = crate::progress::counted(joined);
                }
                select.push(joined.alias(canonical));
                columns.insert(canonical.to_string());
            } else if required.contains(&canonical) {
                missing.push((canonical, name));
            }
            continue;
        }
        match schema.get(name) {
            Some(dtype) => {
                check_text_like(file, name, canonical, dtype)?;
                let mut column = col(name).cast(DataType::String);
                // One column per table counts the rows as they stream, for
                // the status line.
                if required.first() == Some(&canonical) {
                    column = crate::progress::counted(column);
                }
                select.push(column.alias(canonical));
                columns.insert(canonical.to_string());
            }
            None if hive.iter().any(|(k, _)| k == name) => {
                let value = hive.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                select.push(lit(value.unwrap_or_default()).alias(canonical));
                columns.insert(canonical.to_string());
            }
            None if required.contains(&canonical) => missing.push((canonical, name)),
            None => {}
        }
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|(canonical, name)| {
                if canonical == name {
                    format!("'{canonical}'")
                } else {
                    format!("'{name}' (for {canonical})")
                }
            })
            .collect();
        let mut have: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        // One column whose name holds another delimiter: the file is not
        // delimited the way the profile says.
        if let [only] = have.as_slice() {
            let found = [
                (',', "comma"),
                (';', "semicolon"),
                ('\t', "tab"),
                ('|', "pipe"),
            ]
            .into_iter()
            .filter(|(d, _)| *d != profile.delimiter as char)
            .find(|(d, _)| only.contains(*d));
            if let Some((d, name)) = found {
                return Err(Error::input(
                    path,
                    format!(
                        "the header is one column, '{}', which looks {name}-delimited; expected columns separated by '{}'",
                        only.escape_debug(),
                        (profile.delimiter as char).escape_debug()
                    ),
                )
                .with_hint(format!(
                    "set delimiter = \"{}\" under [csv] in a profile (docs/profiles.md); one delimiter serves every table of a dataset",
                    if d == '\t' { "tab".to_string() } else { d.to_string() }
                )));
            }
        }
        have.truncate(30);
        return Err(Error::input(
            path,
            format!(
                "the {} table has no column {}; its columns are: {}",
                table.name(),
                names.join(", "),
                have.join(", ")
            ),
        )
        .with_column(missing[0].1)
        .with_hint(
            "rename the column in the file, or map it in a profile's [columns.".to_string()
                + table.name()
                + "] section (docs/profiles.md)",
        ));
    }
    Ok((raw.select(select), columns))
}

/// The header most like `name` (edit distance on lower case, at most a
/// third of the name's length), for "did you mean".
fn closest<'a>(name: &str, have: &[&'a str]) -> Option<&'a str> {
    let target: Vec<char> = name.to_lowercase().chars().collect();
    let distance = |other: &str| {
        let other: Vec<char> = other.to_lowercase().chars().collect();
        let mut row: Vec<usize> = (0..=other.len()).collect();
        for (i, a) in target.iter().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, b) in other.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(a != b)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[other.len()]
    };
    have.iter()
        .map(|h| (distance(h), *h))
        .filter(|(d, _)| *d <= target.len().div_ceil(3).max(1))
        .min()
        .map(|(_, h)| h)
}

/// A CSV file as a lazy frame of text columns.
fn csv_scan(path: &Path, delimiter: u8) -> PolarsResult<LazyFrame> {
    LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
        .with_has_header(true)
        .with_separator(delimiter)
        // Every column as text: ids and labels keep their exact form
        // ("007", "99"), and type errors cannot occur while scanning.
        .with_infer_schema_length(Some(0))
        .with_missing_is_null(true)
        .finish()
}

/// Rows of a CSV table with no value in any column (blank lines, or lines
/// of bare delimiters). Run only when rows without an id were found, to
/// tell these apart from rows that lack just the id; it reads every
/// column, so it is not part of the main pass. 0 for Parquet.
pub fn empty_rows(source: &Source, profile: &Profile, id: &str) -> Result<u64> {
    if source.format != Format::Csv {
        return Ok(0);
    }
    let id_column = profile.source_column(source.table, id);
    let mut total = 0;
    for file in &source.files {
        let file_error = |e: PolarsError| polars_file_error(source, file, &e);
        let mut frame = csv_scan(file, profile.delimiter).map_err(file_error)?;
        let schema = frame.collect_schema().map_err(file_error)?;
        if schema.get(id_column).is_none() {
            continue;
        }
        let all_empty = schema
            .iter_names()
            .map(|n| col(n.as_str()).is_null())
            .reduce(|a, b| a.and(b))
            .unwrap_or(lit(false));
        let df = frame
            .filter(col(id_column).is_null())
            .select([all_empty.cast(DataType::UInt64).sum().alias("n")])
            .collect()
            .map_err(file_error)?;
        total += df
            .column("n")
            .and_then(|c| c.u64().map(|ca| ca.get(0).unwrap_or(0)))
            .map_err(file_error)?;
    }
    Ok(total)
}

/// Columns rung reads as text: strings, categoricals and whole numbers
/// (ids and NHS codes are sometimes stored as integers). Anything else is
/// a sign the wrong column was mapped.
fn check_text_like(file: &Path, name: &str, canonical: &str, dtype: &DataType) -> Result<()> {
    // Measurements may be fractional (a score of 3.5, a counts file's sums);
    // ids and labels may not, or 7 would read as "7.0".
    let measured = matches!(canonical, "score" | "sum" | "sum_sq")
        && matches!(dtype, DataType::Float32 | DataType::Float64);
    let ok = measured
        || matches!(
            dtype,
            DataType::String
                | DataType::Categorical(..)
                | DataType::Enum(..)
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Date
                | DataType::Datetime(..)
                | DataType::Null
        );
    if ok {
        Ok(())
    } else {
        Err(Error::input(
            file,
            format!("has type {dtype}; expected text, a category or a whole number"),
        )
        .with_column(name))
    }
}

/// Reads a CSV file's header with a plain CSV reader: an empty file or a
/// repeated column name is caught here with a clear message.
fn check_csv_header(path: &Path, delimiter: u8) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let text = decompressed(std::io::BufReader::new(file)).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text);
    let mut header = csv::StringRecord::new();
    let read = reader
        .read_record(&mut header)
        .map_err(|e| csv_error(path, e))?;
    if !read || header.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::input(
            path,
            "the file is empty: expected a header line naming the columns",
        ));
    }
    let mut seen = BTreeSet::new();
    for name in header.iter() {
        if !seen.insert(name) {
            return Err(Error::input(
                path,
                "appears twice in the header; each column needs its own name",
            )
            .with_line(1)
            .with_column(name));
        }
    }
    Ok(())
}

/// Reads a file once, start to end: returns its SHA-256 and, for CSV,
/// checks every line on the way: the same number of fields as the header
/// and UTF-8 text. polars is lenient about both (it truncates extra fields
/// and pads short rows), so without this a shifted column would be counted
/// in silence. Runs on its own thread beside the counting pass.
pub fn fingerprint(source: &Source, delimiter: u8) -> Result<String> {
    let mut hasher = Sha256::new();
    for path in &source.files {
        hasher = fingerprint_file(path, source.format, delimiter, hasher)?;
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Feeds one file's bytes (as stored, compressed or not) to the hasher,
/// line-checking its CSV text on the way.
fn fingerprint_file(
    path: &Path,
    format: Format,
    delimiter: u8,
    mut hasher: Sha256,
) -> Result<Sha256> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hashing = Tap {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        seen: |bytes: &[u8]| hasher.update(bytes),
    };
    if format == Format::Csv {
        let text =
            decompressed(std::io::BufReader::new(&mut hashing)).map_err(|e| Error::io(path, e))?;
        line_check::check(text, delimiter, path)?;
    }
    // Whatever the CSV reader left unread (nothing, normally) still counts.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
    drop(hashing);
    Ok(hasher)
}

/// A reader of text that may be gzip or zstd compressed, told by its first
/// bytes (as polars tells them), decompressed as it is read.
fn decompressed<'a, R: std::io::BufRead + 'a>(
    mut reader: R,
) -> std::io::Result<Box<dyn Read + 'a>> {
    let head = reader.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::Decoder::with_buffer(reader)?)
    } else {
        Box::new(reader)
    })
}

/// Runs `work` (the counting pass) while a second thread hashes and
/// line-checks every file of the dataset. A malformed line found by the
/// check is reported in preference to whatever the work made of it.
pub fn beside_fingerprints<T: Send>(
    dataset: &Dataset,
    delimiter: u8,
    work: impl FnOnce() -> Result<T> + Send,
) -> Result<(T, Vec<String>)> {
    let (result, hashes) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            dataset
                .sources()
                .map(|s| fingerprint(s, delimiter))
                .collect::<Result<Vec<String>>>()
        });
        let result = work();
        let hashes = hashing
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("hashing thread panicked".into())));
        (result, hashes)
    });
    let hashes = hashes?;
    Ok((result?, hashes))
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

fn estimated_csv_rows(path: &Path) -> std::io::Result<u64> {
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

/// Passes bytes through, showing each run read to `seen` (to hash them,
/// or count them).
struct Tap<R, F> {
    inner: R,
    seen: F,
}

impl<R: Read, F: FnMut(&[u8])> Read for Tap<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.seen)(&buf[..n]);
        Ok(n)
    }
}

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
}
