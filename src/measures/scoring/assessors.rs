//! The assessor check: each assessor's scores against the other panel
//! members' scores for the same candidates, by candidate group.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ScoringSettings;
use crate::counts::ScoreCounts;
use crate::stats::scores::{Moments, benjamini_hochberg, welch};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;

/// One assessor's scoring of focal against reference candidates.
#[derive(Debug, Clone, Serialize)]
pub struct AssessorCheck {
    /// The assessor (internal reports only).
    pub assessor_id: String,
    /// Reference candidates scored alongside other panel members.
    pub n_reference: u64,
    /// Focal candidates.
    pub n_focal: u64,
    /// Mean differential for focal candidates − for reference candidates
    /// (negative: marks focal candidates down relative to colleagues).
    pub differential: Option<f64>,
    /// Welch interval.
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Welch p.
    pub p: Option<f64>,
    /// Benjamini-Hochberg adjusted p across the assessors checked.
    pub p_adjusted: Option<f64>,
    /// Adjusted p below 1 − confidence, with enough candidates.
    pub flagged: bool,
}

pub(super) fn assessor_checks(
    counts: &ScoreCounts,
    stage: u8,
    taxonomy: &Taxonomy,
    settings: &ScoringSettings,
) -> (Vec<AssessorCheck>, usize) {
    let reference = taxonomy.scheme.reference;
    let mut per: BTreeMap<&str, (Moments, Moments)> = BTreeMap::new();
    for c in counts.assessors.iter().filter(|c| c.stage == stage) {
        let m = Moments {
            n: c.n,
            sum: c.sum,
            sum_sq: c.sum_sq,
        };
        let entry = per.entry(c.assessor.as_str()).or_default();
        match c.applicants.class(taxonomy) {
            Class::Group(g) if g == reference => entry.0 = entry.0.merge(m),
            Class::Group(_) => entry.1 = entry.1.merge(m),
            _ => {}
        }
    }
    let mut checks: Vec<AssessorCheck> = per
        .into_iter()
        .map(|(id, (r, f))| {
            let eligible =
                r.n >= settings.min_assessor_candidates && f.n >= settings.min_assessor_candidates;
            let w = eligible
                .then(|| welch(&f, &r, settings.confidence.level()))
                .flatten();
            AssessorCheck {
                assessor_id: id.to_string(),
                n_reference: r.n,
                n_focal: f.n,
                differential: match (f.mean(), r.mean()) {
                    (Some(a), Some(b)) => Some(a - b),
                    _ => None,
                },
                ci_low: w.map(|w| w.low),
                ci_high: w.map(|w| w.high),
                p: w.map(|w| w.p),
                p_adjusted: None,
                flagged: false,
            }
        })
        .collect();
    let tested: Vec<usize> = (0..checks.len())
        .filter(|&i| checks[i].p.is_some())
        .collect();
    let ps: Vec<f64> = tested.iter().map(|&i| checks[i].p.unwrap_or(1.0)).collect();
    let adjusted = benjamini_hochberg(&ps);
    for (&i, adj) in tested.iter().zip(adjusted) {
        checks[i].p_adjusted = Some(adj);
        checks[i].flagged = settings.confidence.significant(adj);
    }
    (checks, tested.len())
}
