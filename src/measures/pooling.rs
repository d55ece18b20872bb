//! Report-wide measures computed from the funnel's transitions: pooled
//! estimates across breakdown rows (Mantel-Haenszel), p values adjusted for
//! the number of comparisons, and how far unknown ethnicity could move each
//! relative likelihood.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use super::funnel::{Direction, GroupRate, TransitionResult};
use crate::stats::Confidence;
use crate::stats::pooling::{self, Adjust, Stratum};

/// One pooled comparison across the rows of one breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct PooledComparison {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// The breakdown pooled over, e.g. "organisation".
    pub by: String,
    /// Reference group.
    pub reference: String,
    /// Focal group.
    pub focal: String,
    /// Which way up the ratios are stated.
    pub direction: Direction,
    /// The whole-dataset relative likelihood (crude).
    pub crude_rl: Option<f64>,
    /// Mantel-Haenszel risk ratio across the rows.
    pub rr_mh: Option<f64>,
    /// Lower limit (Greenland-Robins).
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Cochran-Mantel-Haenszel χ² (no continuity correction).
    pub cmh_chi2: Option<f64>,
    /// Its degrees of freedom (1).
    pub cmh_df: Option<u32>,
    /// Cochran-Mantel-Haenszel p (no continuity correction).
    pub p_cmh: Option<f64>,
    /// Mantel-Haenszel common odds ratio, in the same direction as `rr_mh`.
    pub or_mh: Option<f64>,
    /// Lower limit (Robins-Breslow-Greenland).
    pub or_ci_low: Option<f64>,
    /// Upper limit.
    pub or_ci_high: Option<f64>,
    /// The homogeneity test's χ² (Breslow-Day with Tarone's correction).
    pub homogeneity_chi2: Option<f64>,
    /// Its degrees of freedom (rows with free margins, less one).
    pub homogeneity_df: Option<u32>,
    /// p of the homogeneity test.
    pub p_homogeneity: Option<f64>,
    /// Which homogeneity test.
    pub homogeneity_test: &'static str,
    /// Rows with entrants in both groups.
    pub strata_used: usize,
    /// Rows left out: a group had no entrants.
    pub strata_dropped: usize,
    /// A sentence when crude and pooled point different ways, or when the
    /// rows differ more than chance allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Pooled comparisons for every breakdown dimension, step and focal group.
pub fn pooled(
    transitions: &[TransitionResult],
    reference: &str,
    direction: Direction,
    confidence: Confidence,
) -> Vec<PooledComparison> {
    // (dimension, from, to) → the breakdown rows
    let mut rows: BTreeMap<(String, String, String), Vec<&TransitionResult>> = BTreeMap::new();
    let mut crude: BTreeMap<(String, String), &TransitionResult> = BTreeMap::new();
    let mut order: Vec<(String, String, String)> = Vec::new();
    for t in transitions {
        if t.breakdown.is_empty() {
            crude.insert((t.from.clone(), t.to.clone()), t);
            continue;
        }
        let dim = t.breakdown.keys().cloned().collect::<Vec<_>>().join("×");
        let key = (dim, t.from.clone(), t.to.clone());
        if !rows.contains_key(&key) {
            order.push(key.clone());
        }
        rows.entry(key).or_default().push(t);
    }
    let mut out = Vec::new();
    for key in order {
        let (dim, from, to) = &key;
        let strata_rows = &rows[&key];
        let Some(first) = strata_rows.first() else {
            continue;
        };
        for c in &first.comparisons {
            let focal = c.focal.as_str();
            let strata: Vec<Stratum> = strata_rows
                .iter()
                .map(|t| {
                    let (r, f) = (group(&t.groups, reference), group(&t.groups, focal));
                    (
                        r.progressed.value,
                        r.entered.value,
                        f.progressed.value,
                        f.entered.value,
                    )
                })
                .collect();
            let used = strata.iter().filter(|s| pooling::usable(s)).count();
            let p = pooling::mantel_haenszel(&strata, confidence.level());
            let crude_rl = crude
                .get(&(from.clone(), to.clone()))
                .and_then(|t| t.comparisons.iter().find(|x| x.focal == focal))
                .and_then(|x| x.relative_likelihood);
            // Both ratios the same way up as the report's direction.
            let (rr, low, high) = oriented(p.map(|p| (p.rr, p.low, p.high)), direction);
            let (or, or_low, or_high) = oriented(
                p.and_then(|p| Some((p.or?, p.or_low?, p.or_high?))),
                direction,
            );
            let note = match (crude_rl, rr) {
                (Some(cr), Some(pr)) if (cr - 1.0) * (pr - 1.0) < 0.0 => Some(format!(
                    "Crude and pooled point different ways (crude {cr:.2}, within {dim} {pr:.2}): how {reference} and {focal} applicants are spread across {dim} values changes the picture (Simpson's paradox). Read the rows by {dim}."
                )),
                _ => match p.and_then(|p| p.p_homogeneity) {
                    Some(ph) if confidence.significant(ph) => Some(format!(
                        "The relative likelihood differs between {dim} values more than chance allows (homogeneity p = {ph:.4}): the pooled figure averages over real differences."
                    )),
                    _ => None,
                },
            };
            out.push(PooledComparison {
                from: from.clone(),
                to: to.clone(),
                by: dim.clone(),
                reference: reference.to_string(),
                focal: focal.to_string(),
                direction,
                crude_rl,
                rr_mh: rr,
                ci_low: low,
                ci_high: high,
                cmh_chi2: p.map(|p| p.cmh),
                cmh_df: p.map(|_| 1),
                p_cmh: p.map(|p| p.p_cmh),
                or_mh: or,
                or_ci_low: or_low,
                or_ci_high: or_high,
                homogeneity_chi2: p.and_then(|p| p.homogeneity),
                homogeneity_df: p.and_then(|p| p.homogeneity_df).map(|d| d as u32),
                p_homogeneity: p.and_then(|p| p.p_homogeneity),
                homogeneity_test: "Breslow-Day with Tarone's correction (on the odds ratio)",
                strata_used: used,
                strata_dropped: strata.len() - used,
                note,
            });
        }
    }
    out
}

/// A ratio and its interval (computed reference over focal) the way up
/// `direction` states it: the SC-WRES direction inverts the ratio and
/// swaps the limits.
fn oriented(
    ratio: Option<(f64, f64, f64)>,
    direction: Direction,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    match (ratio, direction) {
        (Some((r, lo, hi)), Direction::NhsWres) => (Some(r), Some(lo), Some(hi)),
        (Some((r, lo, hi)), Direction::ScWres) => (Some(1.0 / r), Some(1.0 / hi), Some(1.0 / lo)),
        (None, _) => (None, None, None),
    }
}

fn group<'a>(groups: &'a [GroupRate], name: &str) -> &'a GroupRate {
    static EMPTY: GroupRate = GroupRate {
        group: String::new(),
        entered: Count {
            value: 0,
            suppressed: false,
        },
        progressed: Count {
            value: 0,
            suppressed: false,
        },
        rate: None,
        impact_ratio: None,
        suppressed: false,
    };
    groups.iter().find(|g| g.group == name).unwrap_or(&EMPTY)
}

/// Adjusts every comparison's Fisher p across the whole report and judges
/// `significant` on the adjusted value.
pub fn adjust_comparisons(
    transitions: &mut [TransitionResult],
    method: Adjust,
    confidence: Confidence,
) {
    let ps: Vec<f64> = transitions
        .iter()
        .flat_map(|t| t.comparisons.iter().filter_map(|c| c.p_fisher))
        .collect();
    let adjusted = pooling::adjust(&ps, method);
    let mut next = adjusted.into_iter();
    for t in transitions.iter_mut() {
        for c in t.comparisons.iter_mut() {
            if c.p_fisher.is_some() {
                let p = next.next();
                c.p_adjusted = p;
                c.significant = p.map(|p| confidence.significant(p));
            }
        }
    }
}

/// How far the applicants of unknown ethnicity could move a relative
/// likelihood: two simple scenarios (all of them in the reference group,
/// all in the focal group) and the widest range any placement gives.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// `{}` or the breakdown row.
    pub breakdown: BTreeMap<String, String>,
    /// Focal group.
    pub focal: String,
    /// Applicants of unknown ethnicity who entered the step.
    pub unknown_entered: Count,
    /// The relative likelihood as reported.
    pub rl: Option<f64>,
    /// If every unknown applicant were in the reference group.
    pub rl_unknowns_all_reference: Option<f64>,
    /// If every unknown applicant were in the focal group.
    pub rl_unknowns_all_focal: Option<f64>,
    /// The lowest ratio any placement of the unknown applicants gives (each
    /// in the reference group, the focal group or neither): those who
    /// progressed placed on one side and those who did not on the other.
    /// The two scenarios above lie within `[rl_lowest, rl_highest]`, which
    /// can be much wider. `None` when the bound is undefined (a zero rate in
    /// the denominator: the ratio is unbounded).
    pub rl_lowest: Option<f64>,
    /// The highest ratio any placement gives (see `rl_lowest`).
    pub rl_highest: Option<f64>,
}

/// Sensitivity bounds for every comparison.
pub fn sensitivity(
    transitions: &[TransitionResult],
    reference: &str,
    direction: Direction,
) -> Vec<Sensitivity> {
    let mut out = Vec::new();
    for t in transitions {
        let (ue, up) = t.unknown.iter().fold((0, 0), |(e, p), g| {
            (e + g.entered.value, p + g.progressed.value)
        });
        let r = group(&t.groups, reference);
        let (rp, re) = (r.progressed.value, r.entered.value);
        for c in &t.comparisons {
            let f = group(&t.groups, &c.focal);
            let (fp, fe) = (f.progressed.value, f.entered.value);
            let [all_reference, all_focal, rl_lowest, rl_highest] =
                unknown_placements(direction, (rp, re), (fp, fe), (up, ue));
            out.push(Sensitivity {
                from: t.from.clone(),
                to: t.to.clone(),
                breakdown: t.breakdown.clone(),
                focal: c.focal.clone(),
                unknown_entered: ue.into(),
                rl: c.relative_likelihood,
                rl_unknowns_all_reference: all_reference,
                rl_unknowns_all_focal: all_focal,
                rl_lowest,
                rl_highest,
            });
        }
    }
    out
}

/// A ratio of two (progressed, entered) rates in the report's direction:
/// reference ÷ focal, turned over for SC-WRES; `None` when undefined.
fn directed_ratio(direction: Direction, reference: (u64, u64), focal: (u64, u64)) -> Option<f64> {
    let ((a, n1), (c, n2)) = (reference, focal);
    let nhs = (n1 > 0 && n2 > 0 && c > 0).then(|| (a as f64 / n1 as f64) / (c as f64 / n2 as f64));
    match direction {
        Direction::NhsWres => nhs,
        Direction::ScWres => nhs.filter(|x| *x > 0.0).map(|x| 1.0 / x),
    }
}

/// The ratio with every unknown applicant in the reference group, with
/// every one in the focal group, and the lowest and highest any placement
/// gives. Counts are (progressed, entered).
///
/// The reference rate grows with each progressed unknown placed in it and
/// shrinks with each one who did not progress; the focal rate the same way.
/// So reference ÷ focal is highest with the progressed unknowns in the
/// reference group and the rest in the focal group, and lowest the other
/// way round; placing some in neither group lies between (checked against
/// every placement in the tests).
fn unknown_placements(
    direction: Direction,
    (rp, re): (u64, u64),
    (fp, fe): (u64, u64),
    (up, ue): (u64, u64),
) -> [Option<f64>; 4] {
    let ratio = |r, f| directed_ratio(direction, r, f);
    let not_progressed = ue - up;
    let reference_favoured = ratio((rp + up, re + up), (fp, fe + not_progressed));
    let focal_favoured = ratio((rp, re + not_progressed), (fp + up, fe + up));
    let (lowest, highest) = match direction {
        Direction::NhsWres => (focal_favoured, reference_favoured),
        Direction::ScWres => (reference_favoured, focal_favoured),
    };
    [
        ratio((rp + up, re + ue), (fp, fe)),
        ratio((rp, re), (fp + up, fe + ue)),
        lowest,
        highest,
    ]
}

#[cfg(test)]
mod placement_tests {
    use super::*;

    /// Every way of placing unknown applicants — each progressed one and
    /// each one who did not in the reference group, the focal group or
    /// neither — gives a ratio within [lowest, highest], and both ends are
    /// reached.
    #[test]
    fn the_bounds_are_the_extremes_of_every_placement() {
        let mut checked = 0;
        for direction in [Direction::NhsWres, Direction::ScWres] {
            for (rp, re, fp, fe, up, ue) in [
                (25, 50, 15, 50, 10, 20),
                (3, 7, 1, 6, 2, 5),
                (0, 4, 2, 5, 1, 3),
                (4, 4, 1, 3, 3, 3),
                (2, 9, 2, 2, 0, 4),
                (5, 6, 4, 6, 2, 2),
            ] {
                let [_, _, lowest, highest] =
                    unknown_placements(direction, (rp, re), (fp, fe), (up, ue));
                let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
                let mut unbounded = false;
                // x progressed and y not-progressed unknowns to reference,
                // x2 and y2 to focal, the rest to neither.
                for x in 0..=up {
                    for x2 in 0..=up - x {
                        for y in 0..=ue - up {
                            for y2 in 0..=ue - up - y {
                                match directed_ratio(
                                    direction,
                                    (rp + x, re + x + y),
                                    (fp + x2, fe + x2 + y2),
                                ) {
                                    Some(r) => {
                                        min = min.min(r);
                                        max = max.max(r);
                                    }
                                    None => unbounded = true,
                                }
                                checked += 1;
                            }
                        }
                    }
                }
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
                if !unbounded {
                    assert!(
                        close(lowest.unwrap(), min),
                        "{direction:?} {rp} {re} {fp} {fe}: {lowest:?} vs {min}"
                    );
                    assert!(
                        close(highest.unwrap(), max),
                        "{direction:?}: {highest:?} vs {max}"
                    );
                } else {
                    // Some placement leaves a rate the ratio cannot divide
                    // by; the defined bound still holds every defined ratio.
                    if let Some(l) = lowest {
                        assert!(l <= min + 1e-12);
                    }
                    if let Some(h) = highest {
                        assert!(h >= max - 1e-12);
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn the_scenarios_sit_inside_the_bounds() {
        // The worked example of tests/report_analysis.rs: White 25/50, BME
        // 15/50, 20 unknowns of whom 10 progressed.
        let [all_ref, all_focal, lowest, highest] =
            unknown_placements(Direction::NhsWres, (25, 50), (15, 50), (10, 20));
        assert_eq!(all_ref, Some((35.0 / 70.0) / 0.3));
        assert_eq!(all_focal, Some(0.5 / (25.0 / 70.0)));
        assert_eq!(highest, Some((35.0 / 60.0) / (15.0 / 60.0)));
        assert_eq!(lowest, Some((25.0 / 60.0) / (25.0 / 60.0)));
    }
}
