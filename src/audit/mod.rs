//! An audit from start to finish: the checked settings ([`AuditSpec`]) in,
//! the finished numbers ([`Audit`]) out.

use std::path::PathBuf;

use serde::Serialize;

use crate::counts::{self, CountRequest, Counts, PeriodFrom, TableAccount};
use crate::error::{Error, Result};
use crate::ingest::benchmark::Benchmark;
use crate::ingest::{self, Dataset, Profile, TableKind};
use crate::measures::availability::StageAvailability;
use crate::measures::change::Change;
use crate::measures::exits::ExitReport;
use crate::measures::findings::Finding;
use crate::measures::funnel::{self, Direction, FunnelSettings, TransitionResult};
use crate::measures::intersectional::IntersectionalRate;
use crate::measures::ll144::{Ll144Report, Ll144Settings};
use crate::measures::panels::{PanelReport, Policy};
use crate::measures::pooling::{self, PooledComparison, Sensitivity};
use crate::measures::quality::{self, DataQuality};
use crate::measures::scorecard::Scorecard;
use crate::measures::scoring::ScoringReport;
use crate::measures::wres::WresIndicator2;
use crate::provenance::{InputFile, Provenance, Tool, input_files, now_rfc3339};
use crate::stats::Confidence;
use crate::stats::pooling::Adjust;
use crate::stats::suppression::Publication;
use crate::taxonomy::Taxonomy;

mod publish;
mod sections;

/// Everything an audit needs, checked before any file is scanned.
#[derive(Debug, Clone)]
pub struct AuditSpec {
    /// The input files.
    pub dataset: Dataset,
    /// The mapping profile (canonical when none was given).
    pub profile: Profile,
    /// Where the profile came from.
    pub profile_path: Option<PathBuf>,
    /// Labels → groups.
    pub taxonomy: Taxonomy,
    /// Breakdown dimensions; each is one or more columns crossed.
    pub by: Vec<Vec<String>>,
    /// Confidence level, strictly between 0 and 1.
    pub confidence: Confidence,
    /// Which way up ratios are stated.
    pub direction: Direction,
    /// The employer's panel policy, if given.
    pub policy: Option<Policy>,
    /// Where score periods come from.
    pub period_from: PeriodFrom,
    /// Fewest candidates per group before an assessor can be flagged.
    pub min_assessor_candidates: u64,
    /// Leave personal identifiers (assessor ids) out of the output.
    pub publish: bool,
    /// The report's title, when given (`--title`).
    pub title: Option<String>,
    /// Publication mode suppresses counts from 1 to this − 1.
    pub suppress_below: u64,
    /// How p values are adjusted for the number of comparisons.
    pub adjust: Adjust,
    /// The command line, for provenance.
    pub command: Vec<String>,
    /// The time stamped on the output (RFC 3339); now when `None`.
    pub generated_at: Option<String>,
    /// The previous period's dataset, to compare with.
    pub previous: Option<Dataset>,
    /// An availability benchmark to set each stage against.
    pub availability: Option<Benchmark>,
    /// A column to cross with the ethnic group (e.g. sex); it must also be a
    /// breakdown.
    pub intersect: Option<String>,
    /// The single breakdown column to write a scorecard per value of.
    pub scorecard: Option<String>,
    /// The NYC Local Law 144 tables, when asked for (`--ll144`, or
    /// `--grouping eeo1`).
    pub ll144: Option<Ll144Settings>,
    /// The counting pass's memory budget in bytes.
    pub memory: u64,
}

impl AuditSpec {
    /// Checks values that cannot be checked by type alone.
    pub fn validate(&self) -> Result<()> {
        if let Some(b) = &self.availability {
            let by = self.by_columns();
            if let Some(k) = b.keys.iter().find(|k| !by.contains(k)) {
                return Err(Error::usage(
                    format!(
                        "the availability benchmark {} has a key column \"{k}\" that is not a breakdown",
                        b.file
                    ),
                    Some(format!(
                        "add --by {k}, or drop the column from the benchmark"
                    )),
                ));
            }
        }
        Ok(())
    }

    /// Every breakdown column once, in first-mentioned order.
    pub fn by_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for dim in &self.by {
            for c in dim {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

/// Settings in force, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Grouping scheme name.
    pub grouping: String,
    /// Reference group.
    pub reference_group: String,
    /// Groups compared with the reference.
    pub focal_groups: Vec<String>,
    /// Confidence level.
    pub confidence: Confidence,
    /// Which way up ratios are stated.
    pub direction: Direction,
    /// What the ratios mean, in words.
    pub direction_meaning: String,
    /// Breakdown dimensions, crossed columns joined with ×.
    pub by: Vec<String>,
    /// The stage ladder, lowest first.
    pub ladder: Vec<String>,
    /// The mapping profile, when one was used.
    pub profile: Option<String>,
    /// The profile's `name`, when it gives one (shown in reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    /// The report's title, when `--title` gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How p values were adjusted for the number of comparisons.
    pub adjust: Adjust,
}

/// A finished audit: what the reports render.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// What produced it.
    pub tool: Tool,
    /// The settings in force.
    pub settings: Settings,
    /// The files read.
    pub inputs: Vec<InputFile>,
    /// Disclosure, unmapped labels, row accounting.
    pub data_quality: DataQuality,
    /// The sentences a report opens with: the whole funnel and NHS WRES
    /// indicator 2 in words, and how many findings need attention.
    pub headline: Vec<String>,
    /// Plain-language findings, each tied to its numbers, most important
    /// first.
    pub findings: Vec<Finding>,
    /// Every step, whole dataset first, then each breakdown row.
    pub transitions: Vec<TransitionResult>,
    /// Panel composition, policy and outcomes by panel type, when the
    /// dataset has panels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panels: Option<PanelReport>,
    /// Score gaps, drift and assessor checks, when the dataset has scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<ScoringReport>,
    /// Rejections and withdrawals apart, when the applications table has
    /// an exit_reason column (whole dataset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exits: Option<ExitReport>,
    /// Each breakdown pooled (Mantel-Haenszel), beside the crude figure.
    pub pooled: Vec<PooledComparison>,
    /// How far applicants of unknown ethnicity could move each ratio.
    pub sensitivity: Vec<Sensitivity>,
    /// Change since the previous period (`--previous`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// NHS WRES indicator 2 in the shape of the WRES data collection (White /
    /// BME / not stated), both directions; empty unless grouped White / BME.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wres_indicator_2: Vec<WresIndicator2>,
    /// One card per agency (`--scorecard`), ranked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scorecards: Vec<Scorecard>,
    /// Ethnic group × another characteristic (`--intersect`), LL144 style.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub intersectional: Vec<IntersectionalRate>,
    /// The three NYC Local Law 144 tables at one step (`--ll144`, or
    /// `--grouping eeo1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ll144: Option<Ll144Report>,
    /// Each stage's make-up against the stage before it and, with
    /// `--availability`, an external benchmark.
    pub availability: Vec<StageAvailability>,
    /// What publication mode suppressed and withheld (`--publish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
    /// What produced this output.
    pub provenance: Provenance<Settings>,
}

impl Audit {
    /// How many comparisons of the report have a p value (the number the
    /// adjustment allows for).
    pub fn comparisons_tested(&self) -> usize {
        self.transitions
            .iter()
            .map(|t| {
                t.comparisons
                    .iter()
                    .filter(|c| c.p_fisher.is_some())
                    .count()
            })
            .sum()
    }
}

/// Runs an audit.
pub fn run(spec: &AuditSpec) -> Result<Audit> {
    spec.validate()?;
    let by = spec.by_columns();
    let current = count_one(spec, &spec.dataset, &by, true)?;
    no_usable_rows(&spec.dataset, &current.0)?;
    unrated_must_be_unknown(&spec.dataset, &current.0.funnel, &spec.taxonomy)?;
    if let Some(stage) = spec.ll144.as_ref().and_then(|s| s.selected_stage.as_ref()) {
        let ladder = &current.0.funnel.ladder;
        if ladder.rank(stage).is_none_or(|r| r == 0) {
            return Err(Error::usage(
                format!(
                    "--ll144-step {stage}: expected a stage of the ladder above the first ({})",
                    ladder.stages().join(" < ")
                ),
                Some(format!(
                    "e.g. --ll144-step {}",
                    ladder
                        .stages()
                        .get(1)
                        .map(String::as_str)
                        .unwrap_or("shortlisted")
                )),
            ));
        }
    }
    quality::refuse_unmapped(
        &current.0.funnel,
        &spec.taxonomy,
        &applications_path(&spec.dataset),
    )?;
    let previous = spec
        .previous
        .as_ref()
        .map(|d| count_one(spec, d, &by, false))
        .transpose()?;
    if let (Some(d), Some(p)) = (&spec.previous, &previous) {
        no_usable_rows(d, &p.0)?;
    }
    crate::progress::step("computing the measures");
    let (counts, extra) = current;
    let audit = from_counts(spec, &counts, extra, previous);
    // A national extract's counts are millions of small allocations (freeing
    // them took 15% of the 10M national audit's time after counting): freed
    // on the other core while the report is written, not before.
    std::thread::spawn(move || drop(counts));
    Ok(audit)
}

/// A counts file may leave later stages blank only for applicants of
/// unknown category (as published LL144 audits do): a known group without
/// them could not be rated.
fn unrated_must_be_unknown(
    dataset: &Dataset,
    counts: &counts::FunnelCounts,
    taxonomy: &Taxonomy,
) -> Result<()> {
    let Some(u) = counts.unrated.iter().find(|u| {
        taxonomy
            .classify(u.label.as_deref())
            .unknown_name()
            .is_none()
    }) else {
        return Ok(());
    };
    let e = Error::input(
        &applications_path(dataset),
        format!(
            "{} has {} applicants and no count at the later stages: only applicants of unknown category may be given so (they are counted, never rated)",
            u.label.as_deref().unwrap_or("(no ethnicity)"),
            u.applications
        ),
    )
    .with_hint("give every later stage's count for this row (0 for none)");
    Err(match u.line {
        Some(line) => e.with_line(line),
        None => e,
    })
}

/// Stops when every row of the applications table was excluded: there is
/// nothing to audit, and the reasons say why.
fn no_usable_rows(dataset: &Dataset, counts: &Counts) -> Result<()> {
    if counts.funnel.applications() > 0 {
        return Ok(());
    }
    let path = applications_path(dataset);
    let reasons: Vec<String> = counts
        .funnel
        .tables
        .iter()
        .filter(|t| t.table == TableKind::Applications)
        .flat_map(|t| &t.excluded)
        .map(|e| format!("{}: {}", e.reason, e.rows))
        .collect();
    Err(Error::input(
        &path,
        format!(
            "no usable applications: every row was excluded ({})",
            if reasons.is_empty() {
                "no rows".to_string()
            } else {
                reasons.join("; ")
            }
        ),
    ))
}

/// The file that holds a dataset's applications (or its counts), for
/// messages.
fn applications_path(dataset: &Dataset) -> PathBuf {
    dataset
        .get(TableKind::Applications)
        .or_else(|| dataset.counts_source())
        .map(|s| s.path.clone())
        .unwrap_or_default()
}

/// Counts one dataset, hashing and line-checking its files on a second
/// thread while polars counts. `full` adds panels and scores.
fn count_one(
    spec: &AuditSpec,
    dataset: &Dataset,
    by: &[String],
    full: bool,
) -> Result<(Counts, Vec<String>)> {
    ingest::beside_fingerprints(dataset, spec.profile.delimiter, || {
        counts::count(
            dataset,
            &spec.profile,
            &CountRequest {
                by,
                taxonomy: &spec.taxonomy,
                panels: full,
                scores: full,
                period_from: spec.period_from,
                memory: spec.memory,
                assessors_by_label: false,
            },
        )
    })
}

/// Every table account of a counting pass.
fn accounts(all: &Counts) -> impl Iterator<Item = &TableAccount> + Clone {
    all.funnel
        .tables
        .iter()
        .chain(all.panels.as_ref().map(|p| &p.account))
        .chain(all.panels.as_ref().and_then(|p| p.staff_account.as_ref()))
        .chain(all.scores.as_ref().map(|s| &s.account))
}

/// The audit of an already counted dataset: the funnel and what rests on
/// it first, then the sections counted beside it (panels, scores, exits),
/// then publication mode and the figures derived from the published steps.
pub fn from_counts(
    spec: &AuditSpec,
    all: &Counts,
    hashes: Vec<String>,
    previous: Option<(Counts, Vec<String>)>,
) -> Audit {
    let counts = &all.funnel;
    let settings = sections::settings(spec, counts);
    let reference = settings.reference_group.clone();
    let funnel_settings = FunnelSettings {
        confidence: spec.confidence,
        direction: spec.direction,
        transitions: counts.ladder.default_transitions(),
        breakdowns: sections::breakdown_positions(&spec.by, &counts.by),
    };
    let inputs = input_files(&spec.dataset, accounts(all), hashes);
    let mut transitions = funnel::funnel(counts, &spec.taxonomy, &funnel_settings);
    pooling::adjust_comparisons(&mut transitions, spec.adjust, spec.confidence);
    let pooled = pooling::pooled(&transitions, &reference, spec.direction, spec.confidence);
    let sensitivity = pooling::sensitivity(&transitions, &reference, spec.direction);
    let (changes, previous_inputs) =
        sections::changes(spec, &transitions, previous, &funnel_settings, &reference);
    // The panels' and the scores' sections are the heaviest (a quarter
    // of a second each on a 10M national audit) and need nothing of each
    // other: the scores' are computed on a thread of their own.
    let (panels, scoring) = std::thread::scope(|scope| {
        let scoring = scope.spawn(|| sections::scoring(spec, all));
        let panels = sections::panels(spec, all);
        (
            panels,
            scoring.join().expect("computing the scoring section"),
        )
    });
    let provenance = Provenance {
        version: crate::VERSION,
        command: spec.command.join(" "),
        settings: settings.clone(),
        inputs: inputs.clone(),
        previous_inputs,
        generated_at: spec.generated_at.clone().unwrap_or_else(now_rfc3339),
    };
    let mut audit = Audit {
        headline: Vec::new(),
        findings: Vec::new(),
        tool: Tool {
            name: "rung",
            version: crate::VERSION,
        },
        settings,
        inputs,
        data_quality: {
            let mut q = quality::data_quality(counts, &spec.taxonomy);
            q.tables = accounts(all).cloned().collect();
            q
        },
        panels,
        scoring,
        exits: sections::exits(spec, all, &funnel_settings),
        transitions,
        pooled,
        sensitivity,
        changes,
        wres_indicator_2: Vec::new(),
        availability: Vec::new(),
        intersectional: Vec::new(),
        ll144: None,
        scorecards: Vec::new(),
        publication: None,
        provenance,
    };
    if spec.publish {
        audit.publication = Some(publish::publish(&mut audit, spec.suppress_below));
        // The family adjusted for is the comparisons published: adjusting
        // over withheld ones too would let a reader work their p values
        // out from the visible adjusted ones.
        pooling::adjust_comparisons(&mut audit.transitions, spec.adjust, spec.confidence);
    }
    sections::from_published_steps(spec, &mut audit);
    audit
}
