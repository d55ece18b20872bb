//! `rung sql`: the counting query for another engine (DuckDB, Spark SQL,
//! PostgreSQL), for extracts that live in a warehouse or are too big for
//! one machine. Its result is read by `rung audit --counts`. See
//! docs/scale.md.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{open_output, output_error};
use rung::counts::sql::{Dialect, SqlSpec, counting_query, literal};
use rung::error::{Error, Result};
use rung::ingest::{Dataset, Format, Profile, Source, TableKind};

/// Flags of `rung sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The engine to write for.
    #[arg(long, value_enum)]
    dialect: Dialect,
    /// With --dialect duckdb: a dataset folder or applications file whose
    /// files the query reads (folders of parts, hive partitions, globs and
    /// compressed CSV as `rung audit` takes them).
    #[arg(value_name = "DATASET")]
    dataset: Option<PathBuf>,
    /// The applications table as the engine knows it: a table or view
    /// name, or a table expression such as read_parquet('apps/*.parquet').
    #[arg(long, value_name = "TABLE")]
    applications: Option<String>,
    /// The stage_events table, likewise (leave out when applications have
    /// a furthest_stage column).
    #[arg(long, value_name = "TABLE")]
    stage_events: Option<String>,
    /// Count by a column of the applications table (repeatable).
    #[arg(long = "by", value_name = "COLUMN")]
    by: Vec<String>,
    /// A mapping profile (column names, stage values, ladder), or a bundled
    /// profile's name.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl SqlArgs {
    /// Writes the query.
    pub fn run(self) -> Result<()> {
        let profile = match &self.profile {
            Some(p) => Profile::named_or_file(p)?,
            None => Profile::canonical(),
        };
        if profile
            .columns
            .values()
            .flat_map(|m| m.values())
            .any(|n| n.contains(rung::ingest::profile::KEY_SEPARATOR))
        {
            return Err(Error::usage(
                "the profile makes application_id of several columns, which rung sql does not write yet",
                Some(
                    "audit the files with rung audit (or rung counts), which read composite keys"
                        .into(),
                ),
            ));
        }
        let stage_map = profile
            .stage_map()
            .map_err(|e| Error::usage(format!("stage values: {e}"), None))?;
        let (applications, stage_events) = match (&self.dataset, &self.applications) {
            (Some(_), Some(_)) => {
                return Err(Error::usage(
                    "give a DATASET or --applications, not both",
                    None,
                ));
            }
            (Some(path), None) => {
                if self.dialect != Dialect::Duckdb {
                    return Err(Error::usage(
                        "a DATASET of files can be read by the duckdb dialect only",
                        Some("for Spark or PostgreSQL, name the tables: --applications TABLE --stage-events TABLE".into()),
                    ));
                }
                let dataset = Dataset::locate(Some(path), &[])?;
                let apps = duckdb_reader(dataset.applications("rung sql")?, profile.delimiter);
                let events = dataset
                    .get(TableKind::StageEvents)
                    .map(|s| duckdb_reader(s, profile.delimiter));
                (apps, events)
            }
            (None, Some(apps)) => (
                table_reference("--applications", apps, self.dialect)?,
                self.stage_events
                    .as_deref()
                    .map(|t| table_reference("--stage-events", t, self.dialect))
                    .transpose()?,
            ),
            (None, None) => {
                return Err(Error::usage(
                    "no tables given",
                    Some("name them: --applications TABLE [--stage-events TABLE], or give a DATASET with --dialect duckdb".into()),
                ));
            }
        };
        let by = super::breakdown_columns(&self.by)?;
        let query = counting_query(&SqlSpec {
            dialect: self.dialect,
            applications: &applications,
            stage_events: stage_events.as_deref(),
            by: &by,
            profile: &profile,
            stage_map: &stage_map,
        });
        let mut out = open_output(&self.output)?;
        out.write_all(query.as_bytes())
            .and_then(|_| out.finish())
            .map_err(|e| output_error(&self.output, e))
    }
}

/// A table named on the command line, as the query writes it: a name or a
/// dotted `schema.table` path, each part quoted in the dialect's way (bare
/// parts lower-cased for PostgreSQL, which folds unquoted names), or, for
/// DuckDB, a table function such as `read_parquet('apps/*.parquet')` with
/// no statement separator or comment outside its string literals. Anything
/// else is refused: the text goes into the query as it stands.
fn table_reference(flag: &str, text: &str, dialect: Dialect) -> Result<String> {
    let refuse = || {
        Error::usage(
            format!("{flag} {text:?} is not a table name"),
            Some(match dialect {
                Dialect::Duckdb => "expected a name such as applications or staging.applications, or a table function such as read_parquet('apps/*.parquet')".into(),
                _ => "expected a name such as applications or staging.applications".into(),
            }),
        )
    };
    let bare = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    let parts: Vec<&str> = text.trim().split('.').collect();
    if parts.iter().all(|p| bare(p)) {
        let quoted: Vec<String> = parts
            .iter()
            .map(|p| match dialect {
                Dialect::Spark => format!("`{p}`"),
                Dialect::Postgres => format!("\"{}\"", p.to_lowercase()),
                Dialect::Duckdb => format!("\"{p}\""),
            })
            .collect();
        return Ok(quoted.join("."));
    }
    if dialect == Dialect::Duckdb && is_table_function(text.trim()) {
        return Ok(text.trim().to_string());
    }
    Err(refuse())
}

/// `name(…)` whose arguments hold no `;`, `--` or `/*` outside single- or
/// double-quoted literals, with its quotes and parentheses balanced.
fn is_table_function(text: &str) -> bool {
    let Some(open) = text.find('(') else {
        return false;
    };
    let name = &text[..open];
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || !text.ends_with(')')
    {
        return false;
    }
    let (mut depth, mut quote, mut prev) = (0i32, None::<char>, ' ');
    for c in text[open..].chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
                ';' => return false,
                '-' if prev == '-' => return false,
                '*' if prev == '/' => return false,
                _ => {}
            },
        }
        prev = c;
    }
    quote.is_none() && depth == 0
}

/// DuckDB's reader for a table's files: every value as text (as rung reads
/// them), hive folder names as columns.
fn duckdb_reader(source: &Source, delimiter: u8) -> String {
    let files: Vec<String> = source
        .files
        .iter()
        // Absolute, so the query runs from any folder.
        .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
        .map(|f| literal(&f.display().to_string()))
        .collect();
    let hive = if source.hive_root.is_some() {
        ", hive_partitioning = true"
    } else {
        ""
    };
    match source.format {
        Format::Csv => format!(
            "read_csv([{}], header = true, all_varchar = true, delim = {}, union_by_name = true{hive})",
            files.join(", "),
            literal(&(delimiter as char).to_string())
        ),
        Format::Parquet => format!(
            "read_parquet([{}], union_by_name = true{hive})",
            files.join(", ")
        ),
    }
}
