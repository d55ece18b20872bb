//! `rung audit`: the funnel audit.
//!
//! Reads a dataset, counts applications by group and furthest stage in one
//! polars pass, and reports each step of the funnel (applied → shortlisted,
//! shortlisted → interviewed, interviewed → offered, offered → appointed,
//! shortlisted → appointed = NHS WRES indicator 2, and applied → appointed):
//! entered, progressed, rate and impact ratio per group, then the relative
//! likelihood of the reference group against each other group with its
//! Katz confidence interval, Fisher's exact p, the two-proportion z-test p,
//! whether it lies outside 0.80–1.25 and whether it is significant.
//!
//! Memory: the row-level work stays in polars' streaming engine; what comes
//! out is one count per breakdown value × label × stage.

use std::path::PathBuf;

use clap::Args;

use super::{DatasetArgs, open_output, output_error};
use rung::audit::{self, AuditSpec};
use rung::counts::PeriodFrom;
use rung::error::Result;
use rung::ingest::Dataset;
use rung::ingest::benchmark::Benchmark;
use rung::measures::funnel::Direction;
use rung::measures::ll144::Ll144Settings;
use rung::report::{self, OutputFormat};
use rung::stats::Confidence;
use rung::stats::pooling::Adjust;

/// Flags of `rung audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Add breakdown rows by a column of the applications table (repeatable;
    /// `a,b` crosses two columns). Whole-dataset rows are always reported.
    #[arg(long = "by", value_name = "COLUMN")]
    by: Vec<String>,
    /// Confidence level of the intervals; "significant" means p < 1 − this.
    #[arg(long, default_value = "0.95", value_parser = super::confidence)]
    confidence: Confidence,
    /// Which way up relative likelihoods are stated: nhs-wres (reference ÷
    /// focal) or sc-wres (focal ÷ reference).
    #[arg(long, value_enum, default_value_t = Direction::NhsWres)]
    direction: Direction,
    /// What to write: table (the report, for the terminal), json (the
    /// output contract, docs/output.md), csv (one long table: a row per step
    /// × breakdown × group), markdown, html (a self-contained report with
    /// charts, to print or send), xlsx (a workbook with a sheet per section
    /// of the report and the long table;
    /// with --output).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, hide_possible_values = true)]
    format: OutputFormat,
    /// A panel policy (TOML) to check panels against. See docs/panels.md.
    #[arg(long, value_name = "FILE")]
    panel_policy: Option<PathBuf>,
    /// Date scores by the application's applied_on (applied) or by the date
    /// it entered the scored stage (interview).
    #[arg(long, value_enum, default_value_t = PeriodFrom::Applied)]
    period_from: PeriodFrom,
    /// Fewest candidates of each group an assessor must have scored before
    /// the assessor check can flag them.
    #[arg(long, default_value_t = 10)]
    min_assessor_candidates: u64,
    /// For publication: suppress counts below --suppress-below (with
    /// secondary suppression so they cannot be worked out from totals),
    /// withhold figures derived from them, and leave out identifiers
    /// (assessor ids, per-vacancy panel make-up). See docs/publication.md.
    #[arg(long)]
    publish: bool,
    /// The report's title, in place of "Recruitment funnel audit — <profile
    /// name>" (e.g. "Leeds Teaching Hospitals: recruitment 2025/26 Q2").
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// With --publish: counts from 1 to N − 1 are suppressed [default: 5].
    #[arg(long, value_name = "N")]
    suppress_below: Option<u64>,
    /// Adjust p values for the number of comparisons in the report:
    /// Benjamini-Hochberg (bh), Holm, or none. "Significant" uses the
    /// adjusted p.
    #[arg(long, value_enum, default_value_t = Adjust::Bh)]
    adjust: Adjust,
    /// The previous period's dataset (folder or applications file, same
    /// profile): each relative likelihood then and now, and whether the
    /// change is more than chance.
    #[arg(long, value_name = "DATASET")]
    previous: Option<PathBuf>,
    /// One scorecard per value of the first single-column --by (e.g.
    /// `--by agency --scorecard`): every stage's make-up, every step's ratio,
    /// disclosure, panel diversity, and a ranking on the whole funnel.
    #[arg(long)]
    scorecard: bool,
    /// Cross the ethnic group with this column (e.g. sex) and report every
    /// category's rate and impact ratio at each step, as NYC Local Law 144
    /// audits do. Adds the column as a breakdown.
    #[arg(long, value_name = "COLUMN")]
    intersect: Option<String>,
    /// Add the three NYC Local Law 144 tables (sex, race/ethnicity and
    /// intersectional selection rates and impact ratios) at one step. Adds
    /// a breakdown by the `sex` column (or --intersect's). On by default
    /// with --grouping eeo1 (sex and intersectional tables when sex is a
    /// breakdown).
    #[arg(long)]
    ll144: bool,
    /// The stage LL144's "selected" means reaching: the tables are drawn at
    /// the step from the stage below it [default: the first step, e.g.
    /// applied → shortlisted].
    #[arg(long, value_name = "STAGE")]
    ll144_step: Option<String>,
    /// Leave categories holding under 2% of a table's applicants out of the
    /// impact ratios (they keep their selection rate and cannot be the
    /// comparator), as the LL144 rules allow and most published audits do.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    ll144_exclude_under_2: bool,
    /// An availability benchmark (CSV: key columns, group, share; e.g.
    /// census shares by area) to set each stage's make-up against. Its key
    /// columns must be --by columns. See docs/methods.md.
    #[arg(long, value_name = "FILE")]
    availability: Option<PathBuf>,
    /// Stamp the output with this time instead of now (RFC 3339), for
    /// byte-identical re-runs. SOURCE_DATE_EPOCH is honoured too.
    #[arg(long, value_name = "TIME")]
    generated_at: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With --format table: every line whole and tables at full width,
    /// instead of fitting 100 columns (text and table cells wrapped).
    #[arg(long)]
    wide: bool,
}

/// Warns when a `--by` column has more distinct values than 5% of the
/// applications (and more than 50): most likely an id, whose breakdown rows
/// hold one or two applications each.
fn warn_of_id_like_breakdowns(audit: &audit::Audit) {
    let applications = audit.data_quality.applications.value;
    let mut values: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for t in &audit.transitions {
        if t.breakdown.len() == 1 {
            for (k, v) in &t.breakdown {
                values.entry(k).or_default().insert(v);
            }
        }
    }
    for (column, distinct) in values {
        let n = distinct.len() as u64;
        if n > 50 && n * 20 > applications {
            eprintln!(
                "rung: warning: --by {column} has {n} distinct values for {applications} applications: is this an id? Rows of a few applications each tell little and are mostly suppressed for publication."
            );
        }
    }
}

impl AuditArgs {
    /// Runs the audit and writes the report.
    pub fn run(self) -> Result<()> {
        super::suppression_threshold(self.publish, self.suppress_below)?;
        let super::Resolved {
            dataset,
            profile,
            taxonomy,
            memory,
        } = self.dataset.resolve()?;
        if self.panel_policy.is_some()
            && dataset.get(rung::ingest::TableKind::PanelMembers).is_none()
        {
            return Err(rung::error::Error::usage(
                "--panel-policy needs a panel_members table, and this dataset has none",
                Some("add panel_members.csv to the dataset folder or name it with --panel-members FILE".into()),
            ));
        }
        let scheme_groups = taxonomy.scheme.groups.clone();
        let mut by = super::breakdowns(&self.by)?;
        let is_breakdown =
            |by: &[Vec<String>], column: &str| by.iter().any(|d| d.len() == 1 && d[0] == column);
        if let Some(c) = &self.intersect
            && !is_breakdown(&by, c)
        {
            by.push(vec![c.clone()]);
        }
        let eeo1 = taxonomy.scheme.name == "eeo1";
        let ll144 = (self.ll144 || eeo1).then(|| {
            let sex = self.intersect.clone().unwrap_or_else(|| "sex".into());
            if self.ll144 && !is_breakdown(&by, &sex) {
                by.push(vec![sex.clone()]);
            }
            Ll144Settings {
                selected_stage: self.ll144_step.clone(),
                exclude_under_2_percent: self.ll144_exclude_under_2,
                sex_column: is_breakdown(&by, &sex).then_some(sex),
            }
        });
        if ll144.is_none() && self.ll144_step.is_some() {
            return Err(rung::error::Error::usage(
                "--ll144-step chooses the step of the LL144 tables, which are drawn only with --ll144 or --grouping eeo1",
                Some("add --ll144".into()),
            ));
        }
        let scorecard = match (self.scorecard, by.iter().find(|d| d.len() == 1)) {
            (false, _) => None,
            (true, Some(d)) => Some(d[0].clone()),
            (true, None) => {
                return Err(rung::error::Error::usage(
                    "--scorecard needs a breakdown to write a card for each value of",
                    Some("e.g. --by agency --scorecard".into()),
                ));
            }
        };
        let spec = AuditSpec {
            memory,
            dataset,
            profile,
            profile_path: self.dataset.profile.clone(),
            taxonomy,
            by,
            confidence: self.confidence,
            direction: self.direction,
            policy: self
                .panel_policy
                .as_deref()
                .map(rung::spec::policy)
                .transpose()?,
            period_from: self.period_from,
            min_assessor_candidates: self.min_assessor_candidates,
            publish: self.publish,
            title: self.title.clone(),
            suppress_below: self.suppress_below.unwrap_or(5),
            adjust: self.adjust,
            previous: self
                .previous
                .as_deref()
                .map(|p| Dataset::locate(Some(p), &[]))
                .transpose()?,
            command: std::env::args().collect(),
            generated_at: super::generated_at(&self.generated_at),
            intersect: self.intersect.clone(),
            scorecard,
            ll144,
            availability: self
                .availability
                .as_deref()
                .map(|p| Benchmark::from_file(p, &scheme_groups))
                .transpose()?,
        };
        super::check_binary_output(self.format, &self.output)?;
        let status = super::progress::Status::start(format!(
            "rung: auditing {} ({})…",
            spec.dataset.describe(),
            super::progress::describe_size(spec.dataset.files())
        ));
        let audit = audit::run(&spec);
        drop(status);
        let audit = audit?;
        warn_of_id_like_breakdowns(&audit);
        rung::progress::step("writing the report");
        let mut out = open_output(&self.output)?;
        let written = match self.format {
            OutputFormat::Table => report::table::write(
                &audit,
                (!self.wide).then_some(report::table::WIDTH),
                &mut report::TerminalSafe(&mut out),
            ),
            OutputFormat::Json => report::json::write(&audit, &mut out),
            OutputFormat::Csv => report::csv::write(&audit, &mut out),
            OutputFormat::Markdown => report::markdown::write(&audit, &mut out),
            OutputFormat::Html => report::html::write(&audit, &mut out),
            OutputFormat::Xlsx => report::xlsx::write(
                &report::xlsx::audit_pages(&audit),
                &audit.provenance.generated_at,
                &mut out,
            ),
        };
        written
            .and_then(|_| out.finish())
            .map_err(|e| output_error(&self.output, e))
    }
}
