//! `rung counts`: runs the counting pass alone and writes its result — the
//! sufficient statistics of the funnel audit — as a small CSV or Parquet
//! table that `rung audit --counts` reads. Count a national extract once,
//! then audit it as often as needed (other groupings, references,
//! directions) in a fraction of a second. See docs/scale.md.

use std::path::PathBuf;

use clap::Args;

use super::DatasetArgs;
use rung::counts;
use rung::error::Result;

/// Flags of `rung counts`.
#[derive(Debug, Args)]
pub struct CountsArgs {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Count by a column of the applications table (repeatable); the audit
    /// of the counts can break down by any of these.
    #[arg(long = "by", value_name = "COLUMN")]
    by: Vec<String>,
    /// Where to write the counts: a .csv or .parquet file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

impl CountsArgs {
    /// Counts and writes the table; the row accounting goes to standard
    /// error, so nothing is excluded in silence.
    pub fn run(self) -> Result<()> {
        let (dataset, profile, _) = self.dataset.resolve()?;
        let memory = self.dataset.memory_budget()?;
        let by: Vec<String> = self
            .by
            .iter()
            .flat_map(|b| b.split(','))
            .map(|c| c.trim().to_string())
            .fold(Vec::new(), |mut all, c| {
                if !all.contains(&c) {
                    all.push(c);
                }
                all
            });
        let status = super::progress::Status::start(format!(
            "rung: counting {} ({})…",
            dataset.describe(),
            super::progress::describe_size(dataset.files())
        ));
        let counted = rung::ingest::beside_fingerprints(&dataset, profile.delimiter, || {
            counts::count_funnel(&dataset, &profile, &by, memory)
        });
        drop(status);
        let (funnel, _) = counted?;
        counts::file::write(&funnel, &self.out)?;
        eprintln!(
            "rung: {} applications in {} cells written to {}",
            funnel.applications(),
            funnel.cells.len(),
            self.out.display()
        );
        for t in &funnel.tables {
            let reasons: Vec<String> = t
                .excluded
                .iter()
                .map(|e| format!("{}: {}", e.reason, e.rows))
                .collect();
            eprintln!(
                "rung: {} — {} rows read, {} used, {} excluded{}",
                t.path,
                t.rows_read,
                t.rows_used,
                t.rows_excluded,
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", reasons.join("; "))
                }
            );
        }
        Ok(())
    }
}
