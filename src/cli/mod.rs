//! The command line: clap definitions and one module per command. Each
//! command's `run` turns its flags into settings and calls the library.

pub mod audit;
pub mod counts;
pub mod generate;
pub mod labels;
pub mod profiles;
pub mod progress;
pub mod slates;
pub mod sql;

use rung::output::Output;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use rung::error::{Error, Result};
use rung::ingest::{Dataset, Profile, TableKind};
use rung::report::OutputFormat;
use rung::taxonomy::Taxonomy;
use rung::taxonomy::grouping::Scheme;

/// rung: a recruitment-process bias audit engine.
///
/// Reads applicant-funnel exports from applicant tracking systems and
/// reports, stage by stage, whether applicants of each ethnic group are as
/// likely as White applicants to be shortlisted, interviewed, offered and
/// appointed.
#[derive(Debug, Parser)]
#[command(name = "rung", version, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// A `--format` parser offering only some of the formats (a command
/// that cannot write the others does not list them).
pub fn formats(
    offered: &'static [&'static str],
) -> impl clap::builder::TypedValueParser<Value = rung::report::OutputFormat> {
    use clap::ValueEnum;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(offered)
        .map(|s| rung::report::OutputFormat::from_str(&s, false).expect("an offered format"))
}

/// rung's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a recruitment funnel by ethnicity, stage by stage.
    Audit(audit::AuditArgs),
    /// Count a dataset once (the audit's sufficient statistics) and write
    /// the counts, for `rung audit --counts`.
    #[command(mut_arg("counts", |a| a.help("Rewrite a counts file (a WRES-style return, or counts from several runs stacked) in the long shape instead of counting rows. See docs/scale.md")))]
    Counts(counts::CountsArgs),
    /// Write the counting query for DuckDB, Spark SQL or PostgreSQL, whose
    /// result `rung audit --counts` reads.
    Sql(sql::SqlArgs),
    /// Show how every distinct ethnicity label in a dataset is mapped.
    Labels(labels::LabelsArgs),
    /// Executive search: slate diversity per assignment and per client.
    Slates(slates::SlatesArgs),
    /// List the bundled mapping profiles (ATS export formats).
    Profiles(profiles::ProfilesArgs),
    /// Write a synthetic ATS export for testing and benchmarks.
    Generate(generate::GenerateArgs),
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> Result<()> {
        match self.command {
            Command::Audit(a) => a.run(),
            Command::Counts(a) => a.run(),
            Command::Labels(a) => a.run(),
            Command::Sql(a) => a.run(),
            Command::Slates(a) => a.run(),
            Command::Profiles(a) => a.run(),
            Command::Generate(a) => a.run(),
        }
    }
}

/// Where the data is and how to read it: shared by every command that reads
/// a dataset.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// A dataset folder (applications.csv|parquet, stage_events…, panel_members…,
    /// scores…, staff…) or a single applications file.
    #[arg(value_name = "DATASET")]
    pub dataset: Option<PathBuf>,
    /// The applications table (overrides the folder's).
    #[arg(long, value_name = "FILE")]
    pub applications: Option<PathBuf>,
    /// The stage_events table (overrides the folder's).
    #[arg(long, value_name = "FILE")]
    pub stage_events: Option<PathBuf>,
    /// The panel_members table (overrides the folder's).
    #[arg(long, value_name = "FILE")]
    pub panel_members: Option<PathBuf>,
    /// The scores table (overrides the folder's).
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,
    /// The staff table: panel members' and assessors' ethnicity from HR
    /// records, joined on member_id (overrides the folder's).
    #[arg(long, value_name = "FILE")]
    pub staff: Option<PathBuf>,
    /// A mapping profile (TOML) for an ATS export: column names, stage values,
    /// labels, delimiter; or a bundled profile by name (`rung profiles`). See
    /// docs/profiles.md.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Grouping scheme: wres (White vs BME), ons5, ons19, eeo1 (US), or a
    /// TOML file.
    #[arg(long, default_value = "wres", value_name = "SCHEME")]
    pub grouping: String,
    /// Reference group (default: the scheme's, White for wres and ons5).
    #[arg(long, value_name = "GROUP")]
    pub reference: Option<String>,
    /// Read counts instead of rows: a file written by `rung counts`, or a
    /// WRES-style return (ethnicity and a column per stage reached, e.g.
    /// shortlisted,appointed). See docs/scale.md.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dataset", "applications", "stage_events", "panel_members", "scores", "staff"])]
    pub counts: Option<PathBuf>,
    /// Memory the counting pass may hold, e.g. 512MiB, 1GiB, 8GiB (default
    /// 1GiB). A larger extract is counted in slices, each a further read
    /// of the files: more memory, fewer reads, faster. See docs/scale.md.
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Refuse (exit status 2) when any ethnicity label cannot be placed
    /// under the grouping, listing every such label, instead of counting
    /// and reporting them.
    #[arg(long)]
    pub strict_labels: bool,
    /// Columns that together identify an application, for exports that
    /// carry an applicant id rather than an application id, e.g.
    /// `--application-key "Applicant ID,Vacancy Ref"` (the applications and
    /// stage_events tables must both have them). A profile does the same
    /// with `application_id = ["Applicant ID", "Vacancy Ref"]`.
    #[arg(long, value_name = "COL,COL")]
    pub application_key: Option<String>,
}

/// What the dataset flags resolve to, every one checked before a file is
/// scanned.
pub struct Resolved {
    /// The input files.
    pub dataset: Dataset,
    /// The mapping profile (canonical when none was given).
    pub profile: Profile,
    /// Labels → groups under the chosen scheme.
    pub taxonomy: Taxonomy,
    /// The counting pass's memory budget in bytes.
    pub memory: u64,
}

impl DatasetArgs {
    /// The counting pass's memory budget in bytes.
    fn memory_budget(&self) -> Result<u64> {
        let Some(text) = &self.memory else {
            return Ok(rung::counts::DEFAULT_MEMORY);
        };
        let min = rung::counts::MIN_MEMORY;
        match parse_size(text) {
            None => Err(Error::usage(
                format!("--memory {text}: expected a size such as 512MiB, 2GiB or 8GB"),
                None,
            )),
            Some(bytes) if bytes < min => Err(Error::usage(
                format!(
                    "--memory {text} is below the minimum of {}MiB: the engine itself needs about half that, and each slice of applications the rest",
                    min >> 20
                ),
                Some(format!("give --memory {}MiB or more", min >> 20)),
            )),
            Some(bytes) => Ok(bytes),
        }
    }

    /// The dataset, profile, taxonomy and memory budget these flags
    /// describe.
    pub fn resolve(&self) -> Result<Resolved> {
        let memory = self.memory_budget()?;
        let named: Vec<(TableKind, PathBuf)> = [
            (TableKind::Applications, &self.applications),
            (TableKind::StageEvents, &self.stage_events),
            (TableKind::PanelMembers, &self.panel_members),
            (TableKind::Scores, &self.scores),
            (TableKind::Staff, &self.staff),
        ]
        .into_iter()
        .filter_map(|(t, p)| p.clone().map(|p| (t, p)))
        .collect();
        if self.dataset.is_none() && named.is_empty() && self.counts.is_none() {
            return Err(Error::usage(
                "no dataset given",
                Some("name a dataset folder, e.g. `rung audit sample-data/quarterly`".into()),
            ));
        }
        let mut profile = match &self.profile {
            Some(p) => Profile::named_or_file(p)?,
            None => Profile::canonical(),
        };
        if let Some(key) = &self.application_key {
            let columns: Vec<String> = key
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if columns.len() < 2 {
                return Err(Error::usage(
                    format!(
                        "--application-key {key:?}: expected two or more columns separated by commas"
                    ),
                    Some("e.g. --application-key \"Applicant ID,Vacancy Ref\"".into()),
                ));
            }
            profile = profile.with_application_key(&columns);
        }
        let dataset = match &self.counts {
            Some(path) => Dataset::counts(path, &profile)?,
            None => Dataset::locate(self.dataset.as_deref(), &named)?,
        };
        let mut scheme = Scheme::named_or_file(&self.grouping)?;
        if let Some(r) = &self.reference {
            scheme = scheme.with_reference(r)?;
        }
        let mut taxonomy = Taxonomy::new(scheme, &profile.ethnicity_labels, &profile.source)?;
        if self.strict_labels {
            taxonomy = taxonomy.strict();
        }
        if dataset.labels_may_name_groups() {
            taxonomy = taxonomy.with_group_labels();
        }
        Ok(Resolved {
            dataset,
            profile,
            taxonomy,
            memory,
        })
    }
}

/// Columns that cannot be a breakdown: what is compared, or one value per
/// application.
const NOT_BREAKDOWNS: [(&str, &str); 5] = [
    ("ethnicity", "it is what the audit compares across groups"),
    (
        "application_id",
        "it has a value per application: every breakdown row would hold one application",
    ),
    (
        "candidate_id",
        "it has a value per candidate: every breakdown row would hold one person",
    ),
    ("furthest_stage", "it is the outcome being compared"),
    ("stage", "it is the outcome being compared"),
];

/// The `--by` flags as breakdown dimensions: `a,b` crosses two columns;
/// a column repeated within one flag, or a dimension given twice (in any
/// order), counts once — a repeated dimension would enlarge the family of
/// comparisons the p values are adjusted for — and rung says so. Columns
/// that cannot be breakdowns are refused with the reason.
pub fn breakdowns(flags: &[String]) -> Result<Vec<Vec<String>>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut repeated = Vec::new();
    for flag in flags {
        let mut dim: Vec<String> = Vec::new();
        for c in flag.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if let Some((_, why)) = NOT_BREAKDOWNS.iter().find(|(n, _)| *n == c) {
                return Err(Error::usage(
                    format!("--by {c}: not a breakdown column: {why}"),
                    Some("break down by a column that groups applications: organisation, agency, grade, sex, quarter".into()),
                ));
            }
            if !dim.iter().any(|d| d == c) {
                dim.push(c.to_string());
            }
        }
        if dim.is_empty() {
            continue;
        }
        let mut sorted = dim.clone();
        sorted.sort();
        if out.iter().any(|d| {
            let mut s = d.clone();
            s.sort();
            s == sorted
        }) {
            repeated.push(dim.join(","));
        } else {
            out.push(dim);
        }
    }
    if !repeated.is_empty() {
        eprintln!(
            "rung: --by {} given more than once; each breakdown is counted once",
            repeated.join(", --by ")
        );
    }
    Ok(out)
}

/// Every column of the `--by` flags once, in first-mentioned order (for
/// commands that count by columns rather than report breakdowns).
pub fn breakdown_columns(flags: &[String]) -> Result<Vec<String>> {
    let mut all: Vec<String> = Vec::new();
    for c in breakdowns(flags)?.concat() {
        if !all.contains(&c) {
            all.push(c);
        }
    }
    Ok(all)
}

/// Opens the output: a file when given (written whole or not at all, see
/// [`rung::output`]), standard output otherwise. Call `finish` when done.
pub fn open_output(path: &Option<PathBuf>) -> Result<Output> {
    match path {
        Some(p) => Output::file(p),
        None => Ok(Output::stdout()),
    }
}

/// The time to stamp outputs with: `--generated-at`, else SOURCE_DATE_EPOCH
/// (reproducible builds), else none (now).
pub fn generated_at(flag: &Option<String>) -> Option<String> {
    flag.clone().or_else(|| {
        std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(rung::provenance::rfc3339)
    })
}

/// The publication threshold from `--publish` and `--suppress-below`:
/// `None` when not publishing.
pub fn suppression_threshold(publish: bool, suppress_below: Option<u64>) -> Result<Option<u64>> {
    match (publish, suppress_below) {
        (false, None) => Ok(None),
        (false, Some(_)) => Err(Error::usage(
            "--suppress-below only applies to published reports",
            Some("add --publish".into()),
        )),
        (true, Some(n)) if n < 2 => Err(Error::usage(
            format!("--suppress-below {n} would suppress nothing"),
            Some("use 5 (the default) or more, e.g. --suppress-below 10".into()),
        )),
        (true, n) => Ok(Some(n.unwrap_or(5))),
    }
}

/// Refuses to write a binary workbook to a terminal.
pub fn check_binary_output(format: OutputFormat, output: &Option<PathBuf>) -> Result<()> {
    use std::io::IsTerminal;
    if format == OutputFormat::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "--format xlsx writes a binary workbook, not text for a terminal",
            Some("name the file with --output, e.g. `-o audit.xlsx`".into()),
        ));
    }
    Ok(())
}

/// Turns a write failure into rung's error, naming the output.
pub fn output_error(path: &Option<PathBuf>, err: std::io::Error) -> Error {
    match path {
        Some(p) => Error::io(p, err),
        None => Error::output("standard output", err),
    }
}

/// A memory size: a number with an optional unit (B, KB/KiB, MB/MiB,
/// GB/GiB, TB/TiB; K, M, G, T alone are binary units), case-insensitive.
/// At least 64 MiB: less would only mean many slices.
/// `--confidence`, checked as it is read (exit status 2 when outside 0–1).
pub fn confidence(text: &str) -> std::result::Result<rung::stats::Confidence, String> {
    let level: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected a number such as 0.95, not {text:?}"))?;
    rung::stats::Confidence::new(level)
        .map_err(|_| "a confidence level must lie strictly between 0 and 1, e.g. 0.95".to_string())
}

fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => 1024f64.powi(2),
        "mb" => 1e6,
        "g" | "gib" => 1024f64.powi(3),
        "gb" => 1e9,
        "t" | "tib" => 1024f64.powi(4),
        "tb" => 1e12,
        _ => return None,
    };
    let bytes = number * scale;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("512 MiB"), Some(512 << 20));
        assert_eq!(parse_size("8GB"), Some(8_000_000_000));
        assert_eq!(parse_size("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_size("100000000"), Some(100_000_000));
        // Small sizes parse (memory_budget refuses them with the minimum);
        // what is not a size does not.
        assert_eq!(parse_size("1KiB"), Some(1024));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("1 GiBs"), None);
        assert_eq!(parse_size(""), None);
    }
}
