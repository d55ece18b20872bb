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
    /// What to write: table (each distinct label with its applications and
    /// where it was placed, for the terminal), json (the same rows as an
    /// array), csv (the rows for a spreadsheet), markdown (a table), xlsx (a
    /// workbook with one "Labels" sheet; with --output).
    #[arg(long, default_value = "table", hide_possible_values = true, value_parser = super::formats(&["table", "json", "csv", "markdown", "xlsx"]))]
    format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print a ready-to-paste `[ethnicity_labels]` block of the labels that
    /// could not be placed, most frequent first, each with its count, the
    /// reason and (where one category or heading matches part of the
    /// wording) a suggestion in a comment. Every target is left empty: a
    /// block pasted unedited is refused, so nothing is placed without your
    /// decision.
    #[arg(long, conflicts_with = "format")]
    unmapped_toml: bool,
}

impl LabelsArgs {
    /// Counts labels and prints their mapping.
    pub fn run(self) -> Result<()> {
        super::check_binary_output(self.format, &self.output)?;
        let super::Resolved {
            dataset,
            profile,
            taxonomy,
            memory,
        } = self.dataset.resolve()?;
        let (counts, _) = rung::ingest::beside_fingerprints(&dataset, profile.delimiter, || {
            counts::count_funnel(&dataset, &profile, &[], memory)
        })?;
        let rows = label_mappings(&counts, &taxonomy);
        let mut out = open_output(&self.output)?;
        if self.unmapped_toml {
            return unmapped_toml(&rows, &taxonomy.scheme.name, &mut out)
                .and_then(|_| out.finish())
                .map_err(|e| output_error(&self.output, e));
        }
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
                OutputFormat::Html => unreachable!("--format html is not offered"),
                OutputFormat::Xlsx => {
                    let items = serde_json::to_value(&rows)?;
                    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
                    let stamp =
                        super::generated_at(&None).unwrap_or_else(rung::provenance::now_rfc3339);
                    rung::report::xlsx::write(
                        &rung::report::xlsx::data_pages(vec![
                            rung::report::sheet::Sheet::from_objects("Labels", items),
                        ]),
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
            .and_then(|_| out.finish())
            .map_err(|e| output_error(&self.output, e))
    }
}

/// The `[ethnicity_labels]` block of the unmapped labels.
fn unmapped_toml(rows: &[LabelMapping], scheme: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let unmapped: Vec<&LabelMapping> = rows.iter().filter(|r| r.group == "Unmapped").collect();
    writeln!(
        out,
        "# Ethnicity labels that cannot be placed under the {scheme} grouping, most\n\
         # frequent first. Give each a category id (e.g. indian), a heading id\n\
         # (asian, black, mixed, white, other), set:minority, a group of the\n\
         # grouping, \"declined\" or \"not_known\" (docs/data.md), then paste the\n\
         # block into your profile. Empty targets are refused: nothing is placed\n\
         # until you decide."
    )?;
    writeln!(out, "[ethnicity_labels]")?;
    if unmapped.is_empty() {
        writeln!(out, "# (every label is placed)")?;
    }
    for r in unmapped {
        let label = r.label.clone().unwrap_or_default();
        writeln!(out)?;
        writeln!(
            out,
            "# {} application(s): {}",
            r.count,
            r.reason.as_deref().unwrap_or("not placed")
        )?;
        if let Some(s) = rung::taxonomy::ethnicity::suggest(&label) {
            writeln!(
                out,
                "# suggestion: \"{}\" ({}) matches part of the wording",
                s.id().trim_start_matches("heading:"),
                s.description()
            )?;
        }
        writeln!(out, "{} = \"\"", toml_key(&label))?;
    }
    Ok(())
}

/// A label as a TOML quoted key.
fn toml_key(label: &str) -> String {
    let mut k = String::from("\"");
    for c in label.chars() {
        match c {
            '"' => k.push_str("\\\""),
            '\\' => k.push_str("\\\\"),
            c if c.is_control() => k.push_str(&format!("\\u{:04X}", c as u32)),
            c => k.push(c),
        }
    }
    k.push('"');
    k
}

use rung::measures::quality::LabelMapping;
use std::io::Write;
