//! The lazy scans rung counts from: columns renamed to canonical names and
//! read as text, every column a profile maps checked against the header
//! first, types checked before any row is counted.

use std::collections::BTreeSet;
use std::path::Path;

use polars::prelude::*;

use super::{
    Format, Profile, Source, csv_error, decompressed, polars_file_error, polars_input_error,
    profile,
};
use crate::error::{Error, Result};

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
pub(super) fn scan_file(
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
pub(super) fn closest<'a>(name: &str, have: &[&'a str]) -> Option<&'a str> {
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
pub(super) fn csv_scan(path: &Path, delimiter: u8) -> PolarsResult<LazyFrame> {
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
pub(super) fn check_text_like(
    file: &Path,
    name: &str,
    canonical: &str,
    dtype: &DataType,
) -> Result<()> {
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
pub(super) fn check_csv_header(path: &Path, delimiter: u8) -> Result<()> {
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
