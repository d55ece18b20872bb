//! Change since the last period: each relative likelihood now and in a
//! previous dataset, and whether the change is more than chance.

use std::collections::BTreeMap;

use serde::Serialize;

use super::funnel::{Direction, GroupRate, Steps, TransitionResult};
use crate::stats::Confidence;
use crate::stats::{RatioInterval, katz_interval};

/// One relative likelihood then and now.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// `{}` or the breakdown row.
    pub breakdown: BTreeMap<String, String>,
    /// The focal group.
    pub focal: String,
    /// The previous period's relative likelihood.
    pub rl_previous: Option<f64>,
    /// This period's.
    pub rl_current: Option<f64>,
    /// rl_current ÷ rl_previous.
    pub ratio: Option<f64>,
    /// Lower limit (from the two log standard errors).
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Two-sided p of "no change".
    pub p: Option<f64>,
    /// The change in words.
    pub summary: String,
    /// Within one dataset (`--by quarter`): the period compared with, the
    /// current one being the breakdown row's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_period: Option<String>,
}

fn interval(
    t: &TransitionResult,
    reference: &str,
    focal: &str,
    direction: Direction,
    confidence: Confidence,
) -> Option<RatioInterval> {
    let get = |name: &str| t.groups.iter().find(|g| g.group == name);
    let (r, f): (&GroupRate, &GroupRate) = (get(reference)?, get(focal)?);
    let ci = katz_interval(
        r.progressed.value,
        r.entered.value,
        f.progressed.value,
        f.entered.value,
        confidence.level(),
    )?;
    Some(match direction {
        Direction::NhsWres => ci,
        Direction::ScWres => ci.inverted(),
    })
}

/// Compares every step and breakdown row present in both periods.
pub fn changes(
    current: &[TransitionResult],
    previous: &[TransitionResult],
    reference: &str,
    direction: Direction,
    confidence: Confidence,
) -> Vec<Change> {
    let mut out = Vec::new();
    let previous = Steps::new(previous);
    for t in current {
        let Some(p) = previous.get(&t.from, &t.to, &t.breakdown) else {
            continue;
        };
        for c in &t.comparisons {
            let now = interval(t, reference, &c.focal, direction, confidence);
            let then = interval(p, reference, &c.focal, direction, confidence);
            let diff = match (now, then) {
                (Some(n), Some(t)) => Some(n.compared_with(t, confidence.level())),
                _ => None,
            };
            let step = match &t.label {
                Some(l) => format!("{} → {} ({l})", t.from, t.to),
                None => format!("{} → {}", t.from, t.to),
            };
            let summary = match (then, now, diff) {
                (Some(a), Some(b), Some(d)) => format!(
                    "{step}, {reference} vs {}: relative likelihood moved from {:.2} to {:.2}; the change is {} (p = {}).",
                    c.focal,
                    a.ratio,
                    b.ratio,
                    if confidence.significant(d.p) {
                        "more than chance"
                    } else {
                        "not more than chance"
                    },
                    if d.p < 0.0001 {
                        "< 0.0001".to_string()
                    } else {
                        format!("{:.4}", d.p)
                    }
                ),
                _ => format!(
                    "{step}, {reference} vs {}: the change cannot be estimated (a relative likelihood is undefined in one period).",
                    c.focal
                ),
            };
            out.push(Change {
                from: t.from.clone(),
                to: t.to.clone(),
                breakdown: t.breakdown.clone(),
                focal: c.focal.clone(),
                rl_previous: then.map(|i| i.ratio),
                rl_current: now.map(|i| i.ratio),
                ratio: diff.map(|d| d.ratio),
                ci_low: diff.map(|d| d.low),
                ci_high: diff.map(|d| d.high),
                p: diff.map(|d| d.p),
                summary,
                previous_period: None,
            });
        }
    }
    out
}

/// Within one dataset: each period against the one before it, for a
/// breakdown by `column` whose values sort in time order ("2025Q1" <
/// "2025Q2"). Rows with no period ("(missing)") are left out.
pub fn changes_between_periods(
    transitions: &[TransitionResult],
    column: &str,
    reference: &str,
    direction: Direction,
    confidence: Confidence,
) -> Vec<Change> {
    let mut periods: Vec<&String> = transitions
        .iter()
        .filter(|t| t.breakdown.len() == 1)
        .filter_map(|t| t.breakdown.get(column))
        .filter(|v| v.as_str() != super::funnel::MISSING_VALUE)
        .collect();
    periods.sort();
    periods.dedup();
    let rows = |period: &String| -> Vec<TransitionResult> {
        transitions
            .iter()
            .filter(|t| t.breakdown.len() == 1 && t.breakdown.get(column) == Some(period))
            .cloned()
            .collect()
    };
    let mut out = Vec::new();
    for pair in periods.windows(2) {
        let (then, now) = (pair[0], pair[1]);
        let current = rows(now);
        // The earlier period's rows, relabelled so they pair with the later.
        let previous: Vec<TransitionResult> = rows(then)
            .into_iter()
            .map(|mut t| {
                t.breakdown.insert(column.to_string(), now.clone());
                t
            })
            .collect();
        for mut c in changes(&current, &previous, reference, direction, confidence) {
            c.summary = format!("{then} → {now}: {}", c.summary);
            c.previous_period = Some(then.clone());
            out.push(c);
        }
    }
    out
}
