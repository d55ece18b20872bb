//! `rung generate`: a synthetic ATS export (applications, stage_events,
//! panel_members, scores) for tests, demos and benchmarks. The same seed
//! gives the same files. Memory stays flat: rows are written in chunks of
//! 100,000. The injected effects are listed in docs/generator.md.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use rung::error::Result;
use rung::generate::{GenerateSpec, GeneratedLadder, Shape, generate};
use rung::ingest::{Format, TableKind};

/// File formats `rung generate` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    /// CSV with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Flags of `rung generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of applications to generate.
    #[arg(long, value_name = "N")]
    applications: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    format: FileFormat,
    /// An employer's funnel (standard) or an executive search firm's
    /// (search: clients, assignments, longlists and shortlists).
    #[arg(long, value_enum, default_value_t = GeneratedLadder::Standard)]
    ladder: GeneratedLadder,
    /// Write applications and stage_events only (no panel_members or
    /// scores), as national funnel extracts are.
    #[arg(long)]
    funnel_only: bool,
    /// How an employer's export is laid out: standard, or national (many
    /// organisations, larger vacancies, ids in no order, returning
    /// candidates, more spellings of each label; docs/generator.md).
    #[arg(long, value_enum, default_value_t = Shape::Standard)]
    shape: Shape,
    /// Write into a folder that already holds a dataset, replacing its tables.
    #[arg(long)]
    force: bool,
}

impl GenerateArgs {
    /// Writes the export.
    pub fn run(self) -> Result<()> {
        if !self.force
            && let Ok(entries) = std::fs::read_dir(&self.out)
        {
            let existing: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.split('.').next().and_then(TableKind::from_name).is_some())
                .collect();
            if !existing.is_empty() {
                return Err(rung::error::Error::usage(
                    format!(
                        "{} already holds a dataset ({}): generating would replace or mix with it",
                        self.out.display(),
                        existing.join(", ")
                    ),
                    Some("choose an empty folder, or add --force to replace its tables".into()),
                ));
            }
        }
        let _status = super::progress::Status::start(format!(
            "rung: generating {} applications in {}…",
            self.applications,
            self.out.display()
        ));
        generate(&GenerateSpec {
            applications: self.applications,
            seed: self.seed,
            out: self.out,
            format: match self.format {
                FileFormat::Csv => Format::Csv,
                FileFormat::Parquet => Format::Parquet,
            },
            ladder: self.ladder,
            funnel_only: self.funnel_only,
            shape: self.shape,
        })
    }
}
