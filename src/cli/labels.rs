//! `rung labels`: every distinct raw ethnicity label in a dataset, its
//! count, the ONS 2021 category it resolves to and its group under the
//! chosen scheme, most frequent first, so an analyst can check the mapping
//! before publishing.

use std::path::PathBuf;

use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{DatasetArgs, open_output, output_error};
use rung::counts;
use rung::error::Result;
use rung::measures::quality::label_mappings;
use rung::report::OutputFormat;

/// Flags of `rung labels`.
#[derive(Debug, Args)]
pub struct LabelsArgs {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

const HTML_NOT_HERE: &str = "--format html is for rung audit";

impl LabelsArgs {
    /// Counts labels and prints their mapping.
    pub fn run(self) -> Result<()> {
        if self.format == OutputFormat::Html {
            return Err(rung::error::Error::usage(
                HTML_NOT_HERE,
                Some("use --format table, json, csv, markdown or xlsx".into()),
            ));
        }
        super::check_binary_output(self.format, &self.output)?;
        let (dataset, profile, taxonomy) = self.dataset.resolve()?;
        let memory = self.dataset.memory_budget()?;
        let (counts, _) = rung::ingest::beside_fingerprints(&dataset, profile.delimiter, || {
            counts::count_funnel(&dataset, &profile, &[], memory)
        })?;
        let rows = label_mappings(&counts, &taxonomy);
        let mut out = open_output(&self.output)?;
        let written = (|| -> std::io::Result<()> {
            match self.format {
                OutputFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)
                }
                OutputFormat::Csv => {
                    let items = serde_json::to_value(&rows)?;
                    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
                    rung::report::sheet::write_csv(
                        &rung::report::sheet::Sheet::from_objects("Labels", items),
                        &mut out,
                    )
                }
                OutputFormat::Html => Err(std::io::Error::other(HTML_NOT_HERE)),
                OutputFormat::Xlsx => {
                    let items = serde_json::to_value(&rows)?;
                    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
                    let stamp = super::generated_at(&None).unwrap_or_else(rung::audit::now_rfc3339);
                    rung::report::xlsx::write(
                        &[rung::report::sheet::Sheet::from_objects("Labels", items)],
                        &stamp,
                        &mut out,
                    )
                }
                OutputFormat::Markdown => {
                    let md = rung::report::markdown::escape;
                    writeln!(out, "Grouping: {}\n", md(&taxonomy.scheme.name))?;
                    writeln!(
                        out,
                        "| Label | Applications | Resolved to | Category | Group |"
                    )?;
                    writeln!(out, "| --- | ---: | --- | --- | --- |")?;
                    for r in &rows {
                        let label = r.label.clone().unwrap_or_else(|| "(empty)".into());
                        writeln!(
                            out,
                            "| {} | {} | {} | {} | {} |",
                            md(&label),
                            r.count,
                            md(&r.resolved_to),
                            md(&r.description),
                            md(&r.group)
                        )?;
                    }
                    Ok(())
                }
                OutputFormat::Table => {
                    let mut t = Table::new();
                    t.load_preset(UTF8_FULL_CONDENSED);
                    t.set_header(["Label", "Applications", "Resolved to", "Category", "Group"]);
                    for r in &rows {
                        t.add_row(vec![
                            r.label.clone().unwrap_or_else(|| "(empty)".into()),
                            r.count.to_string(),
                            r.resolved_to.clone(),
                            r.description.clone(),
                            r.group.clone(),
                        ]);
                    }
                    let mut safe = rung::report::TerminalSafe(&mut out);
                    writeln!(safe, "Grouping: {}", taxonomy.scheme.name)?;
                    writeln!(safe, "{t}")
                }
            }
        })();
        written
            .and_then(|_| out.flush())
            .map_err(|e| output_error(&self.output, e))
    }
}

use std::io::Write;
