//! `rung counts`: runs the counting pass alone and writes its result — the
//! sufficient statistics of the funnel audit, and of the score measures
//! when the dataset has scores — as small CSV or Parquet tables that `rung
//! audit --counts` reads. Count a national extract once,
//! then audit it as often as needed (other groupings, references,
//! directions) in a fraction of a second. See docs/scale.md.

use std::path::PathBuf;

use clap::Args;

use super::DatasetArgs;
use rung::counts::{self, CountRequest, Counts, PeriodFrom};
use rung::error::Result;
use rung::ingest::TableKind;

/// Flags of `rung counts`.
#[derive(Debug, Args)]
pub struct CountsArgs {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Count by a column of the applications table (repeatable); the audit
    /// of the counts can break down by any of these.
    #[arg(long = "by", value_name = "COLUMN")]
    by: Vec<String>,
    /// Where to write the counts: a .csv or .parquet file. When the dataset
    /// has scores, their statistics go beside it (counts.scores.parquet).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Date scores by the application's applied_on (applied) or by the date
    /// it entered the scored stage (interview); the audit of the counts
    /// keeps this choice.
    #[arg(long, value_enum, default_value_t = PeriodFrom::Applied)]
    period_from: PeriodFrom,
}

impl CountsArgs {
    /// Counts and writes the table; the row accounting goes to standard
    /// error, so nothing is excluded in silence.
    pub fn run(self) -> Result<()> {
        let super::Resolved {
            dataset,
            profile,
            taxonomy,
            memory,
        } = self.dataset.resolve()?;
        let by = super::breakdown_columns(&self.by)?;
        let status = super::progress::Status::start(format!(
            "rung: counting {} ({})…",
            dataset.describe(),
            super::progress::describe_size(dataset.files())
        ));
        let with_scores = dataset.get(TableKind::Scores).is_some();
        let counted = rung::ingest::beside_fingerprints(&dataset, profile.delimiter, || {
            if with_scores {
                // Scores are counted as the audit counts them: assessors
                // off the vacancy's panel are excluded, so panels are read
                // too (their composition is not written).
                counts::count(
                    &dataset,
                    &profile,
                    &CountRequest {
                        by: &by,
                        taxonomy: &taxonomy,
                        panels: true,
                        scores: true,
                        period_from: self.period_from,
                        memory,
                        assessors_by_label: true,
                    },
                )
            } else {
                counts::count_funnel(&dataset, &profile, &by, memory).map(|funnel| Counts {
                    funnel,
                    panels: None,
                    scores: None,
                })
            }
        });
        drop(status);
        let (all, _) = counted?;
        let funnel = all.funnel.without_key(counts::PANEL_TYPE);
        counts::file::write(&funnel, &self.out)?;
        eprintln!(
            "rung: {} applications in {} cells written to {}",
            funnel.applications(),
            funnel.cells.len(),
            self.out.display()
        );
        let mut tables = funnel.tables.clone();
        if let Some(scores) = &all.scores {
            let path = rung::ingest::scores_path(&self.out);
            counts::file::write_scores(scores, &funnel.ladder, &path)?;
            eprintln!(
                "rung: score statistics ({} assessor scores) written to {}",
                scores.assessor_level.iter().map(|c| c.n).sum::<u64>(),
                path.display()
            );
            tables.push(scores.account.clone());
        }
        for t in &tables {
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
