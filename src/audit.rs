//! An audit from start to finish: the checked settings ([`AuditSpec`]) in,
//! the finished numbers ([`Audit`]) out.

use std::path::PathBuf;

use serde::Serialize;

use crate::counts::{self, CountRequest, Counts, PeriodFrom};
use crate::error::{Error, Result};
use crate::ingest::policy::Policy;
use crate::ingest::{self, Dataset, Format, Profile, TableKind};
use crate::measures::funnel::{self, Direction, FunnelSettings, TransitionResult};
use crate::measures::panels::{self, PanelReport, PanelSettings};
use crate::measures::quality::{self, DataQuality};
use crate::measures::scoring::{self, ScoringReport, ScoringSettings};
use crate::taxonomy::Taxonomy;

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
    pub confidence: f64,
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
}

impl AuditSpec {
    /// Checks values that cannot be checked by type alone.
    pub fn validate(&self) -> Result<()> {
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::usage(
                format!(
                    "--confidence {} must lie strictly between 0 and 1",
                    self.confidence
                ),
                Some("e.g. --confidence 0.95".into()),
            ));
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

/// The tool that produced an output.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always "rung".
    pub name: &'static str,
    /// rung's version.
    pub version: &'static str,
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
    pub confidence: f64,
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
}

/// One input file, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// The table it holds.
    pub table: TableKind,
    /// Its path as given.
    pub path: String,
    /// csv or parquet.
    pub format: Format,
    /// Data rows read; null for tables this audit does not read yet.
    pub rows: Option<u64>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
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
    /// Every step, whole dataset first, then each breakdown row.
    pub transitions: Vec<TransitionResult>,
    /// Panel composition, policy and outcomes by panel type, when the
    /// dataset has panels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panels: Option<PanelReport>,
    /// Score gaps, drift and assessor checks, when the dataset has scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<ScoringReport>,
}

/// Runs an audit.
pub fn run(spec: &AuditSpec) -> Result<Audit> {
    spec.validate()?;
    let by = spec.by_columns();
    // Hash and line-check the inputs on a second thread while polars counts.
    let (counts, hashes) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            spec.dataset
                .sources()
                .map(|s| ingest::fingerprint(s, spec.profile.delimiter))
                .collect::<Result<Vec<String>>>()
        });
        let counts = counts::count(
            &spec.dataset,
            &spec.profile,
            &CountRequest {
                by: &by,
                taxonomy: &spec.taxonomy,
                panels: true,
                scores: true,
                period_from: spec.period_from,
            },
        );
        let hashes = hashing
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("hashing thread panicked".into())));
        (counts, hashes)
    });
    // A malformed line found by the check explains any failure of the count.
    let hashes = hashes?;
    let counts = counts?;
    Ok(from_counts(spec, &counts, hashes))
}

/// The audit of an already counted dataset.
pub fn from_counts(spec: &AuditSpec, all: &Counts, hashes: Vec<String>) -> Audit {
    let counts = &all.funnel;
    let scheme = &spec.taxonomy.scheme;
    let breakdowns = spec
        .by
        .iter()
        .map(|dim| {
            dim.iter()
                .map(|c| counts.by.iter().position(|b| b == c).expect("counted"))
                .collect()
        })
        .collect();
    let funnel_settings = FunnelSettings {
        confidence: spec.confidence,
        direction: spec.direction,
        transitions: counts.ladder.default_transitions(),
        breakdowns,
    };
    let reference = scheme.groups[scheme.reference].clone();
    let focal_groups: Vec<String> = scheme
        .groups
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != scheme.reference)
        .map(|(_, g)| g.clone())
        .collect();
    let focal_words = if focal_groups.len() == 1 {
        focal_groups[0].clone()
    } else {
        "each other group".to_string()
    };
    let settings = Settings {
        grouping: scheme.name.clone(),
        reference_group: reference.clone(),
        focal_groups,
        confidence: spec.confidence,
        direction: spec.direction,
        direction_meaning: spec.direction.meaning(&reference, &focal_words),
        by: spec.by.iter().map(|d| d.join("×")).collect(),
        ladder: counts.ladder.stages().to_vec(),
        profile: spec.profile_path.as_ref().map(|p| p.display().to_string()),
    };
    let inputs = spec
        .dataset
        .sources()
        .zip(hashes)
        .map(|(s, sha256)| InputFile {
            table: s.table,
            path: s.path.display().to_string(),
            format: s.format,
            rows: counts
                .tables
                .iter()
                .chain(all.panels.as_ref().map(|p| &p.account))
                .chain(all.scores.as_ref().map(|s| &s.account))
                .find(|t| t.table == s.table)
                .map(|t| t.rows_read),
            sha256,
        })
        .collect();
    Audit {
        tool: Tool {
            name: "rung",
            version: crate::VERSION,
        },
        settings,
        inputs,
        data_quality: {
            let mut q = quality::data_quality(counts, &spec.taxonomy);
            q.tables
                .extend(all.panels.as_ref().map(|p| p.account.clone()));
            q.tables
                .extend(all.scores.as_ref().map(|s| s.account.clone()));
            q
        },
        panels: all.panels.as_ref().map(|p| {
            let by = spec.by_columns();
            panels::panels(
                p,
                counts,
                &spec.taxonomy,
                &PanelSettings {
                    confidence: spec.confidence,
                    direction: spec.direction,
                    breakdowns: spec
                        .by
                        .iter()
                        .map(|dim| {
                            dim.iter()
                                .map(|c| by.iter().position(|b| b == c).expect("counted"))
                                .collect()
                        })
                        .collect(),
                    by,
                    policy: spec.policy.clone(),
                    grades: spec.profile.grades.clone(),
                },
            )
        }),
        scoring: all.scores.as_ref().and_then(|s| {
            scoring::scoring(
                s,
                &counts.ladder,
                &spec.taxonomy,
                &ScoringSettings {
                    confidence: spec.confidence,
                    min_assessor_candidates: spec.min_assessor_candidates,
                    publish: spec.publish,
                },
            )
        }),
        transitions: funnel::funnel(counts, &spec.taxonomy, &funnel_settings),
    }
}
