//! Scoring measures: group gaps, the NYC Local Law 144 scoring rate, drift
//! over time and the assessor check, all from the histograms and sums of
//! [`ScoreCounts`].
//!
//! "Focal" below means every group other than the reference group taken
//! together (BME under the default `wres` grouping); group-by-group gaps are
//! also given in `comparisons`.

//!
//! Each measure has its file: `ll144` (the scoring rate and its impact
//! ratios), `drift` (the gap over time and score stability) and
//! `assessors` (each assessor against the rest of the panel).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use crate::counts::ScoreCounts;
use crate::counts::scores::ScoreCell;
use crate::stats::Confidence;
use crate::stats::scores::{Histogram, hedges_g, mann_whitney, welch};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::ladder::Ladder;

mod assessors;
mod drift;
mod ll144;

pub use assessors::AssessorCheck;
pub use drift::{Drift, DriftPeriod, Stability};
pub use ll144::{Ll144, ScoringRate};

/// Settings of the scoring measures.
#[derive(Debug, Clone)]
pub struct ScoringSettings {
    /// Confidence level of intervals; flags use 1 − this as the FDR level.
    pub confidence: Confidence,
    /// Fewest candidates of each group an assessor must have scored before
    /// they can be flagged.
    pub min_assessor_candidates: u64,
    /// Leave assessor ids out (published reports).
    pub publish: bool,
}

/// Which scores a figure is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Every assessor's score of every application, one observation each.
    Assessor,
    /// One observation per application: the mean of its assessors' scores.
    Application,
}

/// One group's scores at one level.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreGroup {
    /// Group name ("Declined", "Not known", "Unmapped" for the unknowns).
    pub group: String,
    /// Whether the group is one of the scheme's groups.
    pub known: bool,
    /// Level.
    pub level: Level,
    /// Observations.
    pub n: Count,
    /// Mean score.
    pub mean: Option<f64>,
    /// Sample standard deviation.
    pub sd: Option<f64>,
    /// Median score.
    pub median: Option<f64>,
}

/// A focal group's scores against the reference group's.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreComparison {
    /// The reference group.
    pub reference: String,
    /// The focal group.
    pub focal: String,
    /// Level.
    pub level: Level,
    /// Focal mean − reference mean (negative: the focal group scored lower).
    pub mean_gap: Option<f64>,
    /// Its interval (Welch).
    pub gap_ci_low: Option<f64>,
    /// Upper limit.
    pub gap_ci_high: Option<f64>,
    /// Hedges' g, focal − reference.
    pub hedges_g: Option<f64>,
    /// Lower limit of g's interval.
    pub g_ci_low: Option<f64>,
    /// Upper limit.
    pub g_ci_high: Option<f64>,
    /// Mann-Whitney U of the focal group.
    pub u: Option<f64>,
    /// Mann-Whitney two-sided p (normal approximation, tie and continuity
    /// corrected).
    pub p_mann_whitney: Option<f64>,
    /// Welch's t-test two-sided p.
    pub p_welch: Option<f64>,
    /// Why a figure is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The scoring section of an audit.
#[derive(Debug, Clone, Serialize)]
pub struct ScoringReport {
    /// The stage analysed (the one with the most scores).
    pub stage: String,
    /// Scores at other stages, not analysed here.
    pub other_stage_scores: u64,
    /// Group summaries at both levels.
    pub groups: Vec<ScoreGroup>,
    /// Focal groups against the reference, at both levels.
    pub comparisons: Vec<ScoreComparison>,
    /// LL144 scoring rates.
    pub ll144: Ll144,
    /// Drift of the gap over time.
    pub drift: Drift,
    /// Assessors checked (empty when published).
    pub assessors: Vec<AssessorCheck>,
    /// How many assessors had enough candidates to be checked.
    pub assessors_checked: usize,
    /// How many were flagged.
    pub assessors_flagged: usize,
    /// Fewest candidates per group for a flag.
    pub min_assessor_candidates: u64,
    /// Whether assessor ids were removed.
    pub ids_removed: bool,
}

const UNKNOWN_CLASSES: [(Class, &str); 3] = [
    (Class::Declined, "Declined"),
    (Class::NotKnown, "Not known"),
    (Class::Unmapped, "Unmapped"),
];

/// Computes the scoring section; `None` when there are no usable scores.
pub fn scoring(
    counts: &ScoreCounts,
    ladder: &Ladder,
    taxonomy: &Taxonomy,
    settings: &ScoringSettings,
) -> Option<ScoringReport> {
    // The stage analysed: most scores.
    let mut per_stage: BTreeMap<u8, u64> = BTreeMap::new();
    for c in &counts.assessor_level {
        *per_stage.entry(c.stage).or_default() += c.n;
    }
    let (&stage, _) = per_stage
        .iter()
        .max_by_key(|(s, n)| (**n, std::cmp::Reverse(**s)))?;
    let other_stage_scores = per_stage
        .iter()
        .filter(|(s, _)| **s != stage)
        .map(|(_, n)| n)
        .sum();
    let scheme = &taxonomy.scheme;
    let reference = scheme.reference;
    let class_of = |c: &ScoreCell| taxonomy.classify(c.label.as_deref());
    let at_stage = |cells: &[ScoreCell]| -> Vec<ScoreCell> {
        cells.iter().filter(|c| c.stage == stage).cloned().collect()
    };
    let assessor_cells = at_stage(&counts.assessor_level);
    let application_cells = at_stage(&counts.application_level);

    let histogram_where = |cells: &[ScoreCell], keep: &dyn Fn(&ScoreCell) -> bool| {
        Histogram::new(cells.iter().filter(|c| keep(c)).map(|c| (c.value, c.n)))
    };
    let mut groups = Vec::new();
    let mut comparisons = Vec::new();
    for (level, cells) in [
        (Level::Assessor, &assessor_cells),
        (Level::Application, &application_cells),
    ] {
        let by_group: Vec<Histogram> = (0..scheme.groups.len())
            .map(|g| histogram_where(cells, &|c| class_of(c) == Class::Group(g)))
            .collect();
        for (g, h) in by_group.iter().enumerate() {
            groups.push(summary(&scheme.groups[g], true, level, h));
        }
        for (class, name) in UNKNOWN_CLASSES {
            let h = histogram_where(cells, &|c| class_of(c) == class);
            groups.push(summary(name, false, level, &h));
        }
        for (g, h) in by_group.iter().enumerate() {
            if g != reference {
                comparisons.push(compare(
                    &scheme.groups[reference],
                    &scheme.groups[g],
                    level,
                    h,
                    &by_group[reference],
                    settings.confidence,
                ));
            }
        }
    }

    let ll144 = ll144::ll144(&application_cells, taxonomy);
    let drift = drift::drift(
        &application_cells,
        &assessor_cells,
        taxonomy,
        counts.period_from,
        settings,
    );
    let (assessors, checked) = assessors::assessor_checks(counts, stage, taxonomy, settings);
    let flagged = assessors.iter().filter(|a| a.flagged).count();
    Some(ScoringReport {
        stage: ladder.stages()[stage as usize].clone(),
        other_stage_scores,
        groups,
        comparisons,
        ll144,
        drift,
        assessors: if settings.publish {
            Vec::new()
        } else {
            assessors
        },
        assessors_checked: checked,
        assessors_flagged: flagged,
        min_assessor_candidates: settings.min_assessor_candidates,
        ids_removed: settings.publish,
    })
}

fn summary(group: &str, known: bool, level: Level, h: &Histogram) -> ScoreGroup {
    let m = h.moments();
    ScoreGroup {
        group: group.to_string(),
        known,
        level,
        n: m.n.into(),
        mean: m.mean(),
        sd: m.sd(),
        median: h.median(),
    }
}

fn compare(
    reference: &str,
    focal: &str,
    level: Level,
    focal_h: &Histogram,
    reference_h: &Histogram,
    confidence: Confidence,
) -> ScoreComparison {
    let (f, r) = (focal_h.moments(), reference_h.moments());
    let w = welch(&f, &r, confidence.level());
    let g = hedges_g(&f, &r, confidence.level());
    let mw = mann_whitney(focal_h, reference_h);
    let note = if f.n < 2 || r.n < 2 {
        Some(format!(
            "insufficient data: {} {focal} and {} {reference} scores",
            f.n, r.n
        ))
    } else if w.is_none() {
        Some("every score is the same: no spread to test".to_string())
    } else {
        None
    };
    ScoreComparison {
        reference: reference.to_string(),
        focal: focal.to_string(),
        level,
        mean_gap: match (f.mean(), r.mean()) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        },
        gap_ci_low: w.map(|w| w.low),
        gap_ci_high: w.map(|w| w.high),
        hedges_g: g.map(|g| g.g),
        g_ci_low: g.map(|g| g.low),
        g_ci_high: g.map(|g| g.high),
        u: mw.map(|m| m.u),
        p_mann_whitney: mw.map(|m| m.p),
        p_welch: w.map(|w| w.p),
        note,
    }
}
