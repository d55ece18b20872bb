//! Scoring measures: group gaps, the NYC Local Law 144 scoring rate, drift
//! over time and the assessor check, all from the histograms and sums of
//! [`ScoreCounts`].
//!
//! "Focal" below means every group other than the reference group taken
//! together (BME under the default `wres` grouping); group-by-group gaps are
//! also given in `comparisons`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use crate::counts::ScoreCounts;
use crate::counts::scores::{PeriodFrom, ScoreCell};
use crate::stats::scores::{
    Histogram, Moments, benjamini_hochberg, hedges_g, mann_whitney, ols_slope,
    population_stability_index, weighted_slope, welch,
};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::ladder::Ladder;

/// Settings of the scoring measures.
#[derive(Debug, Clone)]
pub struct ScoringSettings {
    /// Confidence level of intervals; flags use 1 − this as the FDR level.
    pub confidence: f64,
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

/// One category's LL144 scoring rate.
#[derive(Debug, Clone, Serialize)]
pub struct ScoringRate {
    /// "ethnicity", "sex" or "ethnicity_sex".
    pub dimension: &'static str,
    /// The category, e.g. "BME" or "BME × Female".
    pub category: String,
    /// Applications scored.
    pub n: Count,
    /// Of those, scoring above the overall median.
    pub above_median: Count,
    /// above_median / n.
    pub scoring_rate: Option<f64>,
    /// Rate ÷ highest rate in the dimension.
    pub impact_ratio: Option<f64>,
    /// Under 2% of the dimension's data: may be excluded from the impact
    /// ratio calculation under the LL144 rules (still counted here).
    pub excludable: bool,
}

/// The NYC Local Law 144 scoring-rate table.
#[derive(Debug, Clone, Serialize)]
pub struct Ll144 {
    /// Level used: application (one score per candidate).
    pub level: Level,
    /// The median of every application's score.
    pub median: Option<f64>,
    /// Rates by category.
    pub categories: Vec<ScoringRate>,
    /// Applications left out for unknown ethnicity.
    pub unknown_ethnicity: Count,
    /// Applications left out of the sex tables for unknown sex.
    pub unknown_sex: Count,
}

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

    let ll144 = ll144(&application_cells, taxonomy);
    let drift = drift(
        &application_cells,
        &assessor_cells,
        taxonomy,
        counts.period_from,
        settings,
    );
    let (assessors, checked) = assessor_checks(counts, stage, taxonomy, settings);
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
    confidence: f64,
) -> ScoreComparison {
    let (f, r) = (focal_h.moments(), reference_h.moments());
    let w = welch(&f, &r, confidence);
    let g = hedges_g(&f, &r, confidence);
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

/// Sex values as LL144 categories: Female, Male, Other; `None` when unknown.
pub fn sex_category(raw: Option<&str>) -> Option<&'static str> {
    let v = raw?.trim().to_lowercase();
    match v.as_str() {
        "f" | "female" | "woman" | "women" | "girl" => Some("Female"),
        "m" | "male" | "man" | "men" | "boy" => Some("Male"),
        "" | "u" | "unknown" | "not known" | "not stated" | "prefer not to say" | "declined"
        | "n/a" | "na" | "none" => None,
        _ => Some("Other"),
    }
}

fn ll144(cells: &[ScoreCell], taxonomy: &Taxonomy) -> Ll144 {
    let scheme = &taxonomy.scheme;
    let all = Histogram::new(cells.iter().map(|c| (c.value, c.n)));
    let median = all.median();
    let mut tallies: BTreeMap<(&'static str, String), (u64, u64)> = BTreeMap::new();
    let (mut unknown_ethnicity, mut unknown_sex) = (0, 0);
    for c in cells {
        let above = median.map_or(0, |m| if c.value > m { c.n } else { 0 });
        let group = match taxonomy.classify(c.label.as_deref()) {
            Class::Group(g) => Some(scheme.groups[g].clone()),
            _ => None,
        };
        let sex = sex_category(c.sex.as_deref());
        let mut add = |dim: &'static str, cat: String| {
            let t = tallies.entry((dim, cat)).or_default();
            t.0 += c.n;
            t.1 += above;
        };
        match &group {
            Some(g) => add("ethnicity", g.clone()),
            None => unknown_ethnicity += c.n,
        }
        match sex {
            Some(s) => add("sex", s.to_string()),
            None => unknown_sex += c.n,
        }
        if let (Some(g), Some(s)) = (&group, sex) {
            add("ethnicity_sex", format!("{g} × {s}"));
        }
    }
    let mut categories = Vec::new();
    for dim in ["ethnicity", "sex", "ethnicity_sex"] {
        let rows: Vec<(&String, &(u64, u64))> = tallies
            .iter()
            .filter(|((d, _), _)| *d == dim)
            .map(|((_, c), t)| (c, t))
            .collect();
        let total: u64 = rows.iter().map(|r| r.1.0).sum();
        let rate = |t: &(u64, u64)| (t.0 > 0).then(|| t.1 as f64 / t.0 as f64);
        let impact = crate::stats::exact::impact_ratios(
            &rows
                .iter()
                .map(|r| (r.1.1, r.1.0, true))
                .collect::<Vec<_>>(),
        );
        for ((category, t), impact_ratio) in rows.into_iter().zip(impact) {
            let r = rate(t);
            categories.push(ScoringRate {
                dimension: dim,
                category: category.clone(),
                n: t.0.into(),
                above_median: t.1.into(),
                scoring_rate: r,
                impact_ratio,
                excludable: crate::stats::exact::under_two_percent(t.0, total),
            });
        }
    }
    Ll144 {
        level: Level::Application,
        median,
        categories,
        unknown_ethnicity: unknown_ethnicity.into(),
        unknown_sex: unknown_sex.into(),
    }
}

fn period_name(key: i32) -> String {
    format!("{}Q{}", key / 10, key % 10)
}

/// Quarters since year 0, so periods one apart are 1 apart.
fn period_index(key: i32) -> f64 {
    ((key / 10) * 4 + (key % 10 - 1)) as f64
}

fn drift(
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
    let slope = weighted_slope(&points, settings.confidence);
    let slope_ols = ols_slope(&ols_points);
    let alpha = 1.0 - settings.confidence;
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
            settings.confidence * 100.0,
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

fn assessor_checks(
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
        match taxonomy.classify(c.label.as_deref()) {
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
                .then(|| welch(&f, &r, settings.confidence))
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
        checks[i].flagged = adj < 1.0 - settings.confidence;
    }
    (checks, tested.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sex_categories() {
        assert_eq!(sex_category(Some(" F ")), Some("Female"));
        assert_eq!(sex_category(Some("Male")), Some("Male"));
        assert_eq!(sex_category(Some("Non-binary")), Some("Other"));
        assert_eq!(sex_category(Some("Prefer not to say")), None);
        assert_eq!(sex_category(None), None);
    }

    #[test]
    fn periods_are_consecutive_quarters() {
        assert_eq!(period_name(20251), "2025Q1");
        assert_eq!(period_index(20254) + 1.0, period_index(20261));
    }
}
