//! `rung slates`: executive search evidence per assignment — longlist and
//! shortlist composition, slate rules, longlist → shortlist rates — and
//! across assignments, per client: rule compliance, the pooled relative
//! likelihood, and minority candidates lost between longlist and shortlist.

use std::path::PathBuf;

use clap::Args;

use super::{DatasetArgs, open_output, output_error};
use rung::counts;
use rung::error::{Error, Result};
use rung::ingest;
use rung::ingest::benchmark::Benchmark;
use rung::measures::slates::{self, SlateKeys, SlateReport, SlateRule, SlateSettings};
use rung::provenance::{self, Provenance};
use rung::report::{self, OutputFormat};
use rung::stats::Confidence;

/// Flags of `rung slates`.
#[derive(Debug, Args)]
pub struct SlatesArgs {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Summaries per value of this applications column (e.g. client).
    #[arg(long = "by", value_name = "COLUMN")]
    by: Option<String>,
    /// Slate rules (TOML). Default: at least one candidate from outside the
    /// reference group where the longlist had one. See docs/slates.md.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// An availability benchmark (CSV: key columns, group, share) to set
    /// each longlist against. See docs/slates.md.
    #[arg(long, value_name = "FILE")]
    availability: Option<PathBuf>,
    /// Confidence level of intervals.
    #[arg(long, default_value = "0.95", value_parser = super::confidence)]
    confidence: Confidence,
    /// What to write: table (each client's and assignment's slates, for the
    /// terminal), json (the slate report, docs/slates.md), csv (one row per
    /// assignment), markdown, html (a self-contained page), xlsx (a
    /// workbook; with --output).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, hide_possible_values = true)]
    format: OutputFormat,
    /// For publication: suppress counts below --suppress-below with
    /// secondary suppression, and withhold figures resting on them (see
    /// docs/publication.md). Rule outcomes stay.
    #[arg(long)]
    publish: bool,
    /// With --publish: counts from 1 to N − 1 are suppressed [default: 5].
    #[arg(long, value_name = "N")]
    suppress_below: Option<u64>,
    /// Stamp the output with this time instead of now (RFC 3339), for
    /// byte-identical re-runs. SOURCE_DATE_EPOCH is honoured too.
    #[arg(long, value_name = "TIME")]
    generated_at: Option<String>,
    /// Write to this file instead of standard output; with --split-by, the
    /// folder the reports go in.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// One report per value of this column (e.g. client), each holding
    /// that client's assignments alone, to send as it is: written to the
    /// folder --output names, one file per client. Implies --by COLUMN.
    #[arg(long, value_name = "COLUMN")]
    split_by: Option<String>,
}

impl SlatesArgs {
    /// Runs the slate measures and writes the report.
    pub fn run(mut self) -> Result<()> {
        if let Some(c) = &self.split_by {
            match &self.by {
                Some(b) if b != c => {
                    return Err(Error::usage(
                        format!(
                            "--split-by {c} with --by {b}: a report per client needs the summaries by the same column"
                        ),
                        Some(format!("drop --by, or use --by {c}")),
                    ));
                }
                _ => self.by = Some(c.clone()),
            }
            if self.output.is_none() || self.format == OutputFormat::Table {
                return Err(Error::usage(
                    "--split-by writes one file per client: it needs --output FOLDER and a file format",
                    Some("e.g. --split-by client --format html -o reports/".into()),
                ));
            }
        } else {
            super::check_binary_output(self.format, &self.output)?;
        }
        let threshold = super::suppression_threshold(self.publish, self.suppress_below)?;
        // Search exports use the search ladder unless told otherwise.
        if self.dataset.profile.is_none() {
            self.dataset.profile = Some(PathBuf::from("search"));
        }
        let super::Resolved {
            dataset,
            profile,
            taxonomy,
            memory,
        } = self.dataset.resolve()?;
        let scheme = &taxonomy.scheme;
        let focal_name = if scheme.groups.len() == 2 {
            scheme.groups[1 - scheme.reference].clone()
        } else {
            "minority".to_string()
        };
        let rules = match &self.rules {
            Some(p) => rung::spec::slate_rules(p)?,
            None => SlateRule::default_rules(&focal_name),
        };
        let benchmark = self
            .availability
            .as_deref()
            .map(|p| Benchmark::from_file(p, &scheme.groups))
            .transpose()?;
        let source = dataset.applications("rung slates (slate diversity per vacancy)")?;
        let has_sex = ingest::scan(source, &profile, &["sex"])?.has("sex");
        let mut by = vec!["vacancy_id".to_string()];
        if let Some(c) = &self.by {
            if c == "vacancy_id" {
                return Err(Error::usage(
                    "--by vacancy_id: slates are already reported per vacancy (assignment)",
                    Some("--by names the column that groups assignments, e.g. --by client".into()),
                ));
            }
            super::breakdowns(std::slice::from_ref(c))?;
            by.push(c.clone());
        }
        if has_sex && self.by.as_deref() != Some("sex") {
            by.push("sex".to_string());
        }
        // The benchmark's key columns become keys of the counts (a missing
        // column is reported by the counting pass like any --by column).
        for k in benchmark.iter().flat_map(|b| &b.keys) {
            if !by.contains(k) {
                by.push(k.clone());
            }
        }
        let (counts, hashes) = ingest::beside_fingerprints(&dataset, profile.delimiter, || {
            counts::count_funnel(&dataset, &profile, &by, memory)
        })?;
        let keys = SlateKeys {
            assignment: 0,
            client: self.by.as_ref().map(|_| 1),
            sex: by.iter().position(|b| b == "sex"),
            benchmark: benchmark
                .iter()
                .flat_map(|b| &b.keys)
                .map(|k| by.iter().position(|b| b == k).expect("added above"))
                .collect(),
        };
        let mut report = slates::slates(
            &counts,
            &keys,
            &taxonomy,
            &rules,
            benchmark.as_ref(),
            self.confidence,
        );
        let provenance = Provenance {
            version: rung::VERSION,
            command: std::env::args().collect::<Vec<_>>().join(" "),
            settings: SlateSettings {
                grouping: self.dataset.grouping.clone(),
                reference_group: scheme.groups[scheme.reference].clone(),
                by: self.by.clone(),
                rules: rules.iter().map(|r| r.name.clone()).collect(),
                availability: self.availability.as_ref().map(|p| p.display().to_string()),
                confidence: self.confidence,
                profile: self
                    .dataset
                    .profile
                    .as_ref()
                    .map(|p| p.display().to_string()),
            },
            inputs: provenance::input_files(&dataset, counts.tables.iter(), hashes),
            previous_inputs: Vec::new(),
            generated_at: super::generated_at(&self.generated_at)
                .unwrap_or_else(provenance::now_rfc3339),
        };
        let generated_at = provenance.generated_at.clone();
        if let Some(n) = threshold {
            report.publication = Some(rung::measures::slates::publish_slates(
                &mut report,
                n,
                self.confidence,
            ));
        }
        report.provenance = Some(provenance);
        if self.split_by.is_some() {
            let folder = self.output.clone().expect("checked above");
            return write_per_client(&report, self.format, &generated_at, &folder);
        }
        let mut out = open_output(&self.output)?;
        write_report(&report, self.format, &generated_at, &mut out)
            .and_then(|_| out.finish())
            .map_err(|e| output_error(&self.output, e))
    }
}

fn write_report(
    report: &SlateReport,
    format: OutputFormat,
    generated_at: &str,
    out: &mut super::Output,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => report::json::write_value(report, out),
        OutputFormat::Csv => report::slates::write_csv(report, out),
        OutputFormat::Xlsx => {
            report::xlsx::write(&report::slates::workbook_pages(report), generated_at, out)
        }
        OutputFormat::Markdown => report::slates::write_markdown(report, out),
        OutputFormat::Html => report::slates::write_html(report, out),
        OutputFormat::Table => report::slates::write_table(report, &mut report::TerminalSafe(out)),
    }
}

/// Writes one report per client into `folder` (created if need be), each
/// named after its client, and says where on standard error.
fn write_per_client(
    report: &SlateReport,
    format: OutputFormat,
    generated_at: &str,
    folder: &std::path::Path,
) -> Result<()> {
    std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
    let extension = match format {
        OutputFormat::Json => "json",
        OutputFormat::Csv => "csv",
        OutputFormat::Xlsx => "xlsx",
        OutputFormat::Markdown => "md",
        OutputFormat::Html => "html",
        OutputFormat::Table => unreachable!("refused before counting"),
    };
    let mut used: Vec<String> = Vec::new();
    for summary in &report.by_client {
        let Some(client) = summary.client.as_deref() else {
            continue;
        };
        let one = report.for_client(client).expect("a client of the report");
        let stem = unique_stem(&file_stem(client), &mut used);
        let path = Some(folder.join(format!("{stem}.{extension}")));
        let mut out = open_output(&path)?;
        write_report(&one, format, generated_at, &mut out)
            .and_then(|_| out.finish())
            .map_err(|e| output_error(&path, e))?;
    }
    eprintln!(
        "rung: wrote {} client reports to {}",
        used.len(),
        folder.display()
    );
    Ok(())
}

/// A client's name as a file name: letters, digits, '-', '_' and spaces
/// kept, anything else (path separators, dots, control characters) '_'.
fn file_stem(client: &str) -> String {
    let stem: String = client
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let stem = stem.trim().to_string();
    if stem.is_empty() {
        "client".into()
    } else {
        stem
    }
}

/// `stem`, or `stem-2`, `stem-3`… when an earlier client took it (two
/// names can make the same file name), case-insensitively.
fn unique_stem(stem: &str, used: &mut Vec<String>) -> String {
    let taken = |s: &str, used: &[String]| used.iter().any(|u| u.eq_ignore_ascii_case(s));
    let mut name = stem.to_string();
    let mut n = 2;
    while taken(&name, used) {
        name = format!("{stem}-{n}");
        n += 1;
    }
    used.push(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::{file_stem, unique_stem};

    #[test]
    fn client_names_make_safe_distinct_file_names() {
        assert_eq!(file_stem("Client A"), "Client A");
        assert_eq!(file_stem("../../etc/passwd"), "______etc_passwd");
        assert_eq!(file_stem("A/B"), "A_B");
        assert_eq!(file_stem("  "), "client");
        let mut used = Vec::new();
        assert_eq!(unique_stem("A_B", &mut used), "A_B");
        assert_eq!(unique_stem("a_b", &mut used), "a_b-2");
        assert_eq!(unique_stem("A_B", &mut used), "A_B-3");
    }
}
