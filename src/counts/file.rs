//! Counts files: the funnel's sufficient statistics as a table. `rung
//! counts` writes them; `rung audit --counts` reads them, and also reads the
//! shape in which WRES-style returns are already made. Either way the audit
//! starts from [`FunnelCounts`], exactly as after a counting pass over rows.
//!
//! Two shapes are read:
//! - **long** (what `rung counts` writes): breakdown columns, `ethnicity`,
//!   `furthest_stage`, `applications` — applications whose furthest stage
//!   is that stage. Rows with the same keys are added together, so the
//!   counts of several files (or several machines) can simply be stacked.
//! - **wide** (a WRES-style return): breakdown columns, `ethnicity`, and a
//!   column per ladder stage (e.g. `shortlisted`, `appointed`) holding the
//!   applicants who reached it. The audit's ladder is then those stages.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::{
    CellKey, FunnelCell, FunnelCounts, StageSource, UnratedCell, account, collect, str_column,
    unknown_values,
};
use crate::error::{Error, Result};
use crate::ingest::{self, CountsShape, Format, Profile, Source};
use crate::taxonomy::ladder::{Ladder, StageValue};

mod scores;
pub use scores::{read_scores, write_scores};

/// The long shape's stage and count columns.
const STAGE: &str = CountsShape::STAGE;
const COUNT: &str = CountsShape::COUNT;

/// The most applications a counts file may hold in all (2^40, about 1.1
/// trillion): far beyond any recruitment extract, and small enough that no
/// sum, product of two counts or exact test on them can overflow or run
/// without end.
pub const MAX_APPLICATIONS: u64 = 1 << 40;

/// Reads a counts file of the given shape into funnel counts keyed by `by`.
pub fn read(
    source: &Source,
    shape: CountsShape,
    profile: &Profile,
    by: &[String],
) -> Result<FunnelCounts> {
    let stage_map = profile
        .stage_map()
        .map_err(|e| Error::usage(format!("stage values: {e}"), None))?;
    let ladder = stage_map.ladder().clone();
    let mut wanted: Vec<&str> = by.iter().map(String::as_str).collect();
    wanted.extend([STAGE, COUNT, APPLICANTS, SELECTED]);
    wanted.extend(ladder.stages().iter().map(String::as_str));
    let scan = ingest::scan(source, profile, &wanted)?;
    for b in by {
        if !scan.has(b) {
            return Err(Error::input(
                &source.path,
                format!("--by {b}: the counts file has no column '{b}'"),
            )
            .with_hint("a counts file can be broken down only by the columns it was counted by"));
        }
    }
    let df = collect(scan.frame.clone(), &[source], profile)?;
    let keys: Vec<Vec<Option<String>>> = by
        .iter()
        .map(|b| text_column(&df, b, source.format))
        .collect::<Result<_>>()?;
    let labels = text_column(&df, "ethnicity", source.format)?;
    let place = |row: usize| match source.format {
        // The header is line 1; a quoted newline inside a label would shift
        // this, which counts files do not have.
        Format::Csv => (row + 2) as u64,
        Format::Parquet => (row + 1) as u64,
    };
    let number = |column: &str, row: usize, text: &Option<String>| -> Result<u64> {
        let where_ = |e: Error| match source.format {
            Format::Csv => e.with_line(place(row)).with_column(column),
            Format::Parquet => e.with_column(column),
        };
        let row_words = match source.format {
            Format::Csv => String::new(),
            Format::Parquet => format!("row {}: ", place(row)),
        };
        match text.as_deref().map(str::trim) {
            None | Some("") => Err(where_(Error::input(
                &source.path,
                format!(
                    "{row_words}is empty; expected a whole number of applications (0 for none)"
                ),
            ))),
            Some(t) => t.parse::<u64>().map_err(|_| {
                where_(Error::input(
                    &source.path,
                    format!("{row_words}'{t}' is not a whole number of applications"),
                ))
            }),
        }
    };

    // Every count is added into the file's total as it is read, checked
    // against MAX_APPLICATIONS, so no sum of counts downstream can overflow.
    let mut total: u64 = 0;
    let mut add_to_total = |column: &str, row: usize, n: u64| -> Result<()> {
        match total.checked_add(n).filter(|t| *t <= MAX_APPLICATIONS) {
            Some(t) => {
                total = t;
                Ok(())
            }
            None => {
                let e = Error::input(
                    &source.path,
                    format!(
                        "the counts add up to more than {MAX_APPLICATIONS} applications by this row ({n} here): no recruitment extract is that large, so the file is damaged or not a counts file"
                    ),
                )
                .with_column(column);
                Err(match source.format {
                    Format::Csv => e.with_line(place(row)),
                    Format::Parquet => e,
                })
            }
        }
    };
    let mut tally: BTreeMap<CellKey, u64> = BTreeMap::new();
    let mut unrated: Vec<UnratedCell> = Vec::new();
    let key = |row: usize| keys.iter().map(|k| k[row].clone()).collect::<Vec<_>>();
    let (ladder, stage_source) = if shape == CountsShape::Long {
        let stages = str_column(&df, STAGE)?;
        let counts = str_column(&df, COUNT)?;
        let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
        for row in 0..df.height() {
            let n = number(COUNT, row, &counts[row])?;
            add_to_total(COUNT, row, n)?;
            let rank = match stages[row].as_deref().map(|s| stage_map.get(s)) {
                Some(Some(StageValue::Rank(r))) => r,
                _ => {
                    let shown = stages[row].clone().unwrap_or_else(|| "(empty)".into());
                    *unknown.entry(shown).or_default() += 1;
                    continue;
                }
            };
            *tally
                .entry((key(row), labels[row].clone(), rank))
                .or_default() += n;
        }
        if !unknown.is_empty() {
            let (count, shown, _) = unknown_values(unknown);
            return Err(Error::input(
                &source.path,
                format!(
                    "{count} furthest_stage value{} not a stage of the ladder ({}): {shown}",
                    if count == 1 { " is" } else { "s are" },
                    ladder.stages().join(" < ")
                ),
            )
            .with_column(STAGE)
            .with_hint("every row of a counts file needs the stage its applications reached; set the ladder in a profile if yours differs"));
        }
        (ladder, StageSource::Counts)
    } else {
        let present = wide_columns(ladder.stages(), |c| scan.has(c));
        if present.len() < 2 {
            return Err(Error::input(
                &source.path,
                format!(
                    "is not a counts file rung can read: expected columns furthest_stage and applications (as `rung counts` writes), or a column per stage reached (at least two of: {}; or applicants and selected)",
                    ladder.stages().join(", ")
                ),
            )
            .with_hint("e.g. organisation,ethnicity,shortlisted,appointed for a WRES indicator 2 return"));
        }
        let columns: Vec<Vec<Option<String>>> = present
            .iter()
            .map(|(column, _)| str_column(&df, column))
            .collect::<Result<_>>()?;
        let blank = |t: &Option<String>| t.as_deref().is_none_or(|t| t.trim().is_empty());
        for row in 0..df.height() {
            // A published audit's unknown-category row gives applicants
            // and no later counts: kept apart, never rated.
            if !blank(&columns[0][row]) && columns[1..].iter().all(|c| blank(&c[row])) {
                let n = number(present[0].0, row, &columns[0][row])?;
                add_to_total(present[0].0, row, n)?;
                unrated.push(UnratedCell {
                    keys: key(row),
                    label: labels[row].clone(),
                    applications: n,
                    line: (source.format == Format::Csv).then(|| place(row)),
                });
                continue;
            }
            let reached: Vec<u64> = present
                .iter()
                .zip(&columns)
                .map(|((column, _), c)| number(column, row, &c[row]))
                .collect::<Result<_>>()?;
            for i in 1..reached.len() {
                if reached[i] > reached[i - 1] {
                    let e = Error::input(
                        &source.path,
                        format!(
                            "{} reached {} ({}) but only {} reached {}: each column counts the applicants who reached that stage, so a later stage cannot be larger",
                            labels[row].as_deref().unwrap_or("(no ethnicity)"),
                            present[i].1,
                            reached[i],
                            reached[i - 1],
                            present[i - 1].1
                        ),
                    )
                    .with_column(present[i].0);
                    return Err(match source.format {
                        Format::Csv => e.with_line(place(row)),
                        Format::Parquet => e,
                    });
                }
            }
            add_to_total(present[0].0, row, reached[0])?;
            for (i, n) in reached.iter().enumerate() {
                let beyond = reached.get(i + 1).copied().unwrap_or(0);
                *tally
                    .entry((key(row), labels[row].clone(), i as u8))
                    .or_default() += n - beyond;
            }
        }
        let ladder = Ladder::new(present.iter().map(|(_, stage)| stage.to_string()))
            .map_err(|e| Error::input(&source.path, e))?;
        (ladder, StageSource::CountsByStage)
    };
    let rows = df.height() as u64;
    Ok(FunnelCounts {
        by: by.to_vec(),
        ladder,
        cells: tally
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|((keys, label, reached), applications)| FunnelCell {
                keys,
                label,
                reached,
                applications,
            })
            .collect(),
        tables: vec![account(source, rows, rows, Vec::new())],
        stage_source,
        applications_without_stage: 0,
        unrated,
        applied_between: None,
        candidates_with_differing_ethnicity: None,
        ids_across_vacancies: None,
        exits: None,
    })
}

/// What an LL144-style return calls the ladder's first stage.
const APPLICANTS: &str = "applicants";
/// What an LL144-style return calls the one stage after it.
const SELECTED: &str = "selected";

/// The wide shape's stage columns, lowest first, as (column, stage): the
/// ladder's stages present, `applicants` standing for the first stage when
/// it is absent, and `selected` as the one later stage when no other is
/// present (an LL144-style return: applicants, selected).
fn wide_columns(stages: &[String], has: impl Fn(&str) -> bool) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = stages
        .iter()
        .filter(|s| has(s))
        .map(|s| (s.as_str(), s.as_str()))
        .collect();
    if let Some(first) = stages.first()
        && !has(first)
        && has(APPLICANTS)
    {
        out.insert(0, (APPLICANTS, first.as_str()));
    }
    if out.len() == 1 && has(SELECTED) {
        out.push((SELECTED, SELECTED));
    }
    out
}

/// Writes funnel counts in the long shape, as CSV or Parquet by the file's
/// extension. Labels are written exactly as counted (no spreadsheet
/// neutralising): the file is for rung and other tools to read back.
pub fn write(counts: &FunnelCounts, path: &Path) -> Result<()> {
    if !counts.unrated.is_empty() {
        return Err(Error::usage(
            format!(
                "{} applicants are given with no later-stage counts, which the long shape cannot hold",
                counts.unrated_applications()
            ),
            Some("audit the file directly: rung audit --counts FILE".into()),
        ));
    }
    let format = format_of(path)?;
    let mut cells: Vec<&FunnelCell> = counts.cells.iter().collect();
    cells.sort_by(|a, b| (&a.keys, &a.label, a.reached).cmp(&(&b.keys, &b.label, b.reached)));
    let mut columns: Vec<Column> = counts
        .by
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let values: Vec<Option<&str>> = cells.iter().map(|c| c.keys[i].as_deref()).collect();
            Column::new(b.as_str().into(), values)
        })
        .collect();
    let labels: Vec<Option<&str>> = cells.iter().map(|c| c.label.as_deref()).collect();
    let stages: Vec<&str> = cells
        .iter()
        .map(|c| counts.ladder.name(c.reached))
        .collect();
    let n: Vec<u64> = cells.iter().map(|c| c.applications).collect();
    columns.push(Column::new("ethnicity".into(), labels));
    columns.push(Column::new(STAGE.into(), stages));
    columns.push(Column::new(COUNT.into(), n));
    write_frame(columns, path, format)
}

/// The format a counts file's name asks for.
fn format_of(path: &Path) -> Result<Format> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(Format::Csv),
        Some("parquet") => Ok(Format::Parquet),
        _ => Err(Error::usage(
            format!(
                "--out {}: expected a name ending in .csv or .parquet",
                path.display()
            ),
            None,
        )),
    }
}

fn write_frame(columns: Vec<Column>, path: &Path, format: Format) -> Result<()> {
    let columns = match format {
        Format::Csv => columns
            .into_iter()
            .map(|c| match c.str() {
                Ok(text) => {
                    let safe: Vec<Option<String>> = text.iter().map(|v| v.map(csv_safe)).collect();
                    Column::new(c.name().clone(), safe)
                }
                Err(_) => c,
            })
            .collect(),
        Format::Parquet => columns,
    };
    let mut df =
        DataFrame::new_infer_height(columns).map_err(|e| Error::Internal(e.to_string()))?;
    crate::output::write_file(path, |file| {
        let written = match format {
            Format::Csv => CsvWriter::new(file).finish(&mut df),
            Format::Parquet => ParquetWriter::new(file).finish(&mut df).map(|_| ()),
        };
        written.map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))
    })
}

/// A text cell of a CSV counts file: text a spreadsheet would run as a
/// formula ([`crate::output::starts_formula`]), or that begins with an
/// apostrophe, gets a leading apostrophe. Spreadsheets show it as text, and
/// [`text_column`] takes it off again, so the file reads back exactly.
fn csv_safe(s: &str) -> String {
    if crate::output::starts_formula(s) || s.starts_with('\'') {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A text column of a counts file, with [`csv_safe`]'s apostrophe taken
/// off in CSV (as a spreadsheet would: a leading apostrophe marks text).
fn text_column(df: &DataFrame, name: &str, format: Format) -> Result<Vec<Option<String>>> {
    let values = str_column(df, name)?;
    Ok(match format {
        Format::Csv => values
            .into_iter()
            .map(|v| v.map(|s| s.strip_prefix('\'').map(str::to_string).unwrap_or(s)))
            .collect(),
        Format::Parquet => values,
    })
}
