//! Drift: the score gap between the focal and reference groups period by
//! period, its trend, and how stable each group's score distribution is.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ScoringSettings;
use crate::counts::scores::{PeriodFrom, ScoreCell};
use crate::measures::Count;
use crate::stats::scores::{Histogram, ols_slope, population_stability_index, weighted_slope};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;

/// The gap in one period.
#[derive(Debug, Clone, Serialize)]
pub struct DriftPeriod {
    /// "2025Q1".
    pub period: String,
    /// Reference applications scored.
    pub n_reference: Count,
    /// Focal applications scored.
    pub n_focal: Count,
    /// Focal mean − reference mean.
    pub gap: Option<f64>,
    /// Standard error of the gap.
    pub se: Option<f64>,
}

/// The gap over time.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// Always "quarter".
    pub period: &'static str,
    /// Dated by "applied" or "interview".
    pub period_from: PeriodFrom,
    /// The periods, in order.
    pub periods: Vec<DriftPeriod>,
    /// Change in the gap per quarter, inverse-variance weighted.
    pub slope: Option<f64>,
    /// Lower limit.
    pub slope_ci_low: Option<f64>,
    /// Upper limit.
    pub slope_ci_high: Option<f64>,
    /// Two-sided p of no trend.
    pub p: Option<f64>,
    /// Unweighted least-squares slope.
    pub slope_ols: Option<f64>,
    /// "widening", "narrowing", "stable" or "insufficient data".
    pub direction: &'static str,
    /// The same in a sentence.
    pub summary: String,
    /// Score distribution shift, first period to last, per group.
    pub stability: Vec<Stability>,
    /// Applications without a usable date.
    pub undated: u64,
}

/// Population stability index of one group's scores.
#[derive(Debug, Clone, Serialize)]
pub struct Stability {
    /// Group.
    pub group: String,
    /// First period.
    pub from: String,
    /// Last period.
    pub to: String,
    /// PSI (below 0.1 stable, 0.1–0.25 some shift, above 0.25 large).
    pub psi: Option<f64>,
}

fn period_name(key: i32) -> String {
    format!("{}Q{}", key / 10, key % 10)
}

/// Quarters since year 0, so periods one apart are 1 apart.
fn period_index(key: i32) -> f64 {
    ((key / 10) * 4 + (key % 10 - 1)) as f64
}

pub(super) fn drift(
    cells: &[ScoreCell],
    assessor_cells: &[ScoreCell],
    taxonomy: &Taxonomy,
    period_from: PeriodFrom,
    settings: &ScoringSettings,
) -> Drift {
    let reference = taxonomy.scheme.reference;
    // period → (reference scores, focal scores) as (value, count) pairs
    type Pairs = Vec<(f64, u64)>;
    let mut per: BTreeMap<i32, (Pairs, Pairs)> = BTreeMap::new();
    let mut undated = 0;
    for c in cells {
        let side = match taxonomy.classify(c.label.as_deref()) {
            Class::Group(g) if g == reference => 0,
            Class::Group(_) => 1,
            _ => continue,
        };
        let Some(p) = c.period else {
            undated += c.n;
            continue;
        };
        let entry = per.entry(p).or_default();
        if side == 0 {
            entry.0.push((c.value, c.n));
        } else {
            entry.1.push((c.value, c.n));
        }
    }
    let mut periods = Vec::new();
    let mut points = Vec::new();
    let mut ols_points = Vec::new();
    let mut mean_gap_sum = 0.0;
    let mut mean_gap_n = 0.0;
    for (key, (r, f)) in &per {
        let (r, f) = (
            Histogram::new(r.iter().copied()).moments(),
            Histogram::new(f.iter().copied()).moments(),
        );
        let gap = match (f.mean(), r.mean()) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        };
        let se = match (f.variance(), r.variance()) {
            (Some(vf), Some(vr)) => Some((vf / f.n as f64 + vr / r.n as f64).sqrt()),
            _ => None,
        };
        if let Some(g) = gap {
            ols_points.push((period_index(*key), g));
            mean_gap_sum += g;
            mean_gap_n += 1.0;
            if let Some(s) = se.filter(|s| *s > 0.0) {
                points.push((period_index(*key), g, s * s));
            }
        }
        periods.push(DriftPeriod {
            period: period_name(*key),
            n_reference: r.n.into(),
            n_focal: f.n.into(),
            gap,
            se,
        });
    }
    let slope = weighted_slope(&points, settings.confidence.level());
    let slope_ols = ols_slope(&ols_points);
    let alpha = settings.confidence.alpha();
    let typical_gap = if mean_gap_n > 0.0 {
        mean_gap_sum / mean_gap_n
    } else {
        0.0
    };
    let direction = match slope {
        None => "insufficient data",
        Some(s) if s.p >= alpha => "stable",
        // Moving away from zero: the slope has the sign of the gap.
        Some(s) if (s.slope < 0.0) == (typical_gap < 0.0) => "widening",
        Some(_) => "narrowing",
    };
    let names = (
        taxonomy.scheme.groups[reference].clone(),
        if taxonomy.scheme.groups.len() == 2 {
            taxonomy.scheme.groups[1 - reference].clone()
        } else {
            "other groups".to_string()
        },
    );
    let summary = match (direction, slope) {
        ("insufficient data", _) | (_, None) => format!(
            "Not enough dated scores to judge a trend ({} quarter{} with a gap that can be estimated).",
            points.len(),
            if points.len() == 1 { "" } else { "s" }
        ),
        ("stable", Some(s)) => format!(
            "The score gap between {} and {} candidates is stable: it changes by {:+.3} points a quarter, which could be chance (p = {}).",
            names.1,
            names.0,
            s.slope,
            p_words(s.p)
        ),
        (d, Some(s)) => format!(
            "The score gap between {} and {} candidates is {d}: it changes by {:+.3} points a quarter ({:.0}% CI {:+.3} to {:+.3}, p {}).",
            names.1,
            names.0,
            s.slope,
            settings.confidence.percent(),
            s.low,
            s.high,
            if s.p < 0.0001 {
                "< 0.0001".to_string()
            } else {
                format!("= {}", p_words(s.p))
            }
        ),
    };
    // The distribution shift is read on the score scale itself (assessor
    // scores), where bins are the scale's points, not on application means.
    let stability = stability(assessor_cells, taxonomy, &per);
    Drift {
        period: "quarter",
        period_from,
        periods,
        slope: slope.map(|s| s.slope),
        slope_ci_low: slope.map(|s| s.low),
        slope_ci_high: slope.map(|s| s.high),
        p: slope.map(|s| s.p),
        slope_ols,
        direction,
        summary,
        stability,
        undated,
    }
}

fn p_words(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

fn stability<T>(
    cells: &[ScoreCell],
    taxonomy: &Taxonomy,
    per: &BTreeMap<i32, T>,
) -> Vec<Stability> {
    let (Some(first), Some(last)) = (per.keys().next(), per.keys().next_back()) else {
        return Vec::new();
    };
    if first == last {
        return Vec::new();
    }
    let scheme = &taxonomy.scheme;
    (0..scheme.groups.len())
        .map(|g| {
            let h = |period: i32| {
                Histogram::new(
                    cells
                        .iter()
                        .filter(|c| {
                            c.period == Some(period)
                                && taxonomy.classify(c.label.as_deref()) == Class::Group(g)
                        })
                        .map(|c| (c.value, c.n)),
                )
            };
            Stability {
                group: scheme.groups[g].clone(),
                from: period_name(*first),
                to: period_name(*last),
                psi: population_stability_index(&h(*first), &h(*last)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_consecutive_quarters() {
        assert_eq!(period_name(20251), "2025Q1");
        assert_eq!(period_index(20254) + 1.0, period_index(20261));
    }
}
