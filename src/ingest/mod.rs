//! Ingest: finds a dataset's tables, builds every scan rung makes, and checks
//! columns and types before any row is counted.
//!
//! This is the only module that opens data files with polars. It hands the
//! counting pass lazy frames whose columns carry canonical names and string
//! types, whatever the export called them or stored them as. It knows
//! nothing of statistics.

pub mod benchmark;
pub mod policy;
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
    fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// One table's file.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// Which table it holds.
    pub table: TableKind,
    /// Where it is.
    pub path: PathBuf,
    /// How it is stored.
    pub format: Format,
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

    /// A counts file (`rung audit --counts FILE`) as a dataset.
    pub fn counts(path: &Path) -> Result<Dataset> {
        Ok(Dataset {
            sources: vec![Source::new(TableKind::Counts, path)?],
        })
    }

    /// The counts file, when the dataset is one.
    pub fn counts_source(&self) -> Option<&Source> {
        self.get(TableKind::Counts)
    }
}

impl Source {
    fn new(table: TableKind, path: &Path) -> Result<Source> {
        let format = Format::from_path(path).ok_or_else(|| {
            Error::input(path, format!("cannot tell the format of the {} file: expected a name ending in .csv or .parquet", table.name()))
        })?;
        if !path.is_file() {
            return Err(Error::input(
                path,
                format!("{} file not found", table.name()),
            ));
        }
        Ok(Source {
            table,
            path: path.to_path_buf(),
            format,
        })
    }
}

fn find_table(dir: &Path, table: TableKind) -> Result<Option<Source>> {
    let candidates: Vec<PathBuf> = ["csv", "parquet"]
        .iter()
        .map(|ext| dir.join(format!("{}.{ext}", table.name())))
        .filter(|p| p.is_file())
        .collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Source::new(table, one).map(Some),
        _ => Err(Error::input(
            dir,
            format!(
                "holds both {0}.csv and {0}.parquet: which one is the {0} table?",
                table.name()
            ),
        )
        .with_hint(
            "remove one, or name the file with --".to_string()
                + &table.name().replace('_', "-")
                + " FILE",
        )),
    }
}

/// A table opened for scanning: canonical column names, all as strings.
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
    let path = &source.path;
    let table = source.table;
    let raw = match source.format {
        Format::Csv => {
            check_csv_header(path, profile.delimiter)?;
            csv_scan(path, profile.delimiter)
        }
        Format::Parquet => LazyFrame::scan_parquet(
            PlRefPath::new(path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        ),
    }
    .map_err(|e| polars_input_error(source, &e))?;
    let mut raw = raw;
    let schema = raw
        .collect_schema()
        .map_err(|e| polars_input_error(source, &e))?;

    let mut select = Vec::new();
    let mut columns = BTreeSet::new();
    let mut missing = Vec::new();
    for &canonical in required.iter().chain(wanted.iter()) {
        if columns.contains(canonical) {
            continue;
        }
        let name = profile.source_column(table, canonical);
        match schema.get(name) {
            Some(dtype) => {
                check_text_like(source, name, dtype)?;
                select.push(col(name).cast(DataType::String).alias(canonical));
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
    Ok(Scan {
        source: source.clone(),
        frame: raw.select(select),
        columns,
    })
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
    let mut frame =
        csv_scan(&source.path, profile.delimiter).map_err(|e| polars_input_error(source, &e))?;
    let schema = frame
        .collect_schema()
        .map_err(|e| polars_input_error(source, &e))?;
    let id_column = profile.source_column(source.table, id);
    let all_empty = schema
        .iter_names()
        .map(|n| col(n.as_str()).is_null())
        .reduce(|a, b| a.and(b))
        .unwrap_or(lit(false));
    let df = frame
        .filter(col(id_column).is_null())
        .select([all_empty.cast(DataType::UInt64).sum().alias("n")])
        .collect()
        .map_err(|e| polars_input_error(source, &e))?;
    let n = df
        .column("n")
        .and_then(|c| c.u64().map(|ca| ca.get(0).unwrap_or(0)))
        .map_err(|e| polars_input_error(source, &e))?;
    Ok(n)
}

/// Columns rung reads as text: strings, categoricals and whole numbers
/// (ids and NHS codes are sometimes stored as integers). Anything else is
/// a sign the wrong column was mapped.
fn check_text_like(source: &Source, name: &str, dtype: &DataType) -> Result<()> {
    let ok = matches!(
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
            &source.path,
            format!("has type {dtype}; expected text, a category or a whole number"),
        )
        .with_column(name))
    }
}

/// Reads a CSV file's header with a plain CSV reader: an empty file or a
/// repeated column name is caught here with a clear message.
fn check_csv_header(path: &Path, delimiter: u8) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_path(path)
        .map_err(|e| csv_error(path, e))?;
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
    let path = &source.path;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hashing = HashingReader {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
    };
    if source.format == Format::Csv {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(&mut hashing);
        let mut record = csv::ByteRecord::new();
        // The header is checked for UTF-8 too.
        reader.byte_headers().map_err(|e| csv_error(path, e))?;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {
                    if record
                        .iter()
                        .any(|field| std::str::from_utf8(field).is_err())
                    {
                        let line = record.position().map_or(0, |p| p.line());
                        return Err(not_utf8(path).with_line(line));
                    }
                }
                Ok(false) => break,
                Err(e) => return Err(csv_error(path, e)),
            }
        }
    }
    // Whatever the CSV reader left unread (nothing, normally) still counts.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
    Ok(hashing
        .hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
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

/// Passes bytes through and hashes them.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
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
