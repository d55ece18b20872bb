//! Intersectional categories: ethnic group × another characteristic (sex by
//! default), as NYC Local Law 144 bias audits report them — each category's
//! rate at every step and its impact ratio against the category with the
//! highest rate. Categories below 2% of a step's entrants are marked
//! `excludable` (LL144 lets an auditor leave them out of the impact ratio
//! calculation) and are left out of the highest rate.

use std::collections::BTreeMap;

use serde::Serialize;

use super::funnel::TransitionResult;
use super::{Count, is_false};
use crate::stats;
use crate::taxonomy::sex::sex_category;

/// One category at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntersectionalRate {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// The second characteristic's column, e.g. "sex".
    pub dimension: String,
    /// "BME × Female".
    pub category: String,
    /// The ethnic group.
    pub group: String,
    /// The other characteristic's value ("(not stated)" when unknown).
    pub value: String,
    /// Whether the value is known (unknown-value rows are counted, never in
    /// an impact ratio).
    pub known: bool,
    /// Applications that reached the step's first stage.
    pub entered: Count,
    /// Of those, applications that reached its second stage.
    pub progressed: Count,
    /// progressed ÷ entered.
    pub rate: Option<f64>,
    /// rate ÷ the highest rate of a non-excludable known category.
    pub impact_ratio: Option<f64>,
    /// Under 2% of the step's entrants in known categories.
    pub excludable: bool,
    /// Publication mode: a count here is suppressed.
    #[serde(skip_serializing_if = "is_false")]
    pub suppressed: bool,
}

/// What a value of `dimension` is called in a category: sex values are
/// normalised (F, female, Woman → Female); other columns keep their values.
fn category_value(dimension: &str, raw: &str) -> Option<String> {
    if raw.is_empty() || raw == super::funnel::MISSING_VALUE {
        return None;
    }
    if dimension == "sex" {
        sex_category(Some(raw)).map(str::to_string)
    } else {
        Some(raw.to_string())
    }
}

/// The categories at every whole-dataset step, from the breakdown rows by
/// `dimension` alone.
pub fn intersectional(
    transitions: &[TransitionResult],
    dimension: &str,
) -> Vec<IntersectionalRate> {
    // (from, to) → (group, value or None) → (entered, progressed)
    type Tally = BTreeMap<(String, Option<String>), (Count, Count)>;
    let mut steps: Vec<((String, String), Tally)> = Vec::new();
    for t in transitions.iter().filter(|t| t.breakdown.len() == 1) {
        let Some(raw) = t.breakdown.get(dimension) else {
            continue;
        };
        let key = (t.from.clone(), t.to.clone());
        let pos = match steps.iter().position(|(k, _)| *k == key) {
            Some(p) => p,
            None => {
                steps.push((key, Tally::new()));
                steps.len() - 1
            }
        };
        let value = category_value(dimension, raw);
        for g in &t.groups {
            let cell = steps[pos]
                .1
                .entry((g.group.clone(), value.clone()))
                .or_default();
            *cell = (cell.0 + g.entered, cell.1 + g.progressed);
        }
    }
    let mut out = Vec::new();
    for ((from, to), tally) in steps {
        let known_total: u64 = tally
            .iter()
            .filter(|((_, v), _)| v.is_some())
            .map(|(_, (e, _))| e.value)
            .sum();
        let mut rows: Vec<IntersectionalRate> = tally
            .into_iter()
            .map(|((group, value), (entered, progressed))| {
                let suppressed = entered.suppressed || progressed.suppressed;
                let known = value.is_some();
                IntersectionalRate {
                    from: from.clone(),
                    to: to.clone(),
                    dimension: dimension.to_string(),
                    category: format!("{group} × {}", value.as_deref().unwrap_or("(not stated)")),
                    group,
                    known,
                    value: value.unwrap_or_else(|| "(not stated)".into()),
                    entered,
                    progressed,
                    rate: if suppressed {
                        None
                    } else {
                        stats::rate(progressed.value, entered.value)
                    },
                    impact_ratio: None,
                    excludable: known
                        && stats::exact::under_two_percent(entered.value, known_total),
                    suppressed,
                }
            })
            .collect();
        // Unknown values last, as everywhere else.
        rows.sort_by_key(|r| !r.known);
        let withheld = rows.iter().any(|r| r.known && r.suppressed);
        let impact = stats::exact::impact_ratios(
            &rows
                .iter()
                .map(|r| {
                    let counted = r.known && !r.suppressed;
                    (
                        r.progressed.value,
                        if counted { r.entered.value } else { 0 },
                        counted && !r.excludable,
                    )
                })
                .collect::<Vec<_>>(),
        );
        for (r, ir) in rows.iter_mut().zip(impact) {
            if r.known {
                r.impact_ratio = if withheld { None } else { ir };
            }
        }
        out.extend(rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::funnel::{GroupRate, group_rate as rate};

    fn step(sex: &str, groups: Vec<GroupRate>) -> TransitionResult {
        TransitionResult {
            from: "applied".into(),
            to: "shortlisted".into(),
            label: None,
            breakdown: [("sex".to_string(), sex.to_string())].into(),
            groups,
            unknown: Vec::new(),
            comparisons: Vec::new(),
        }
    }

    #[test]
    fn categories_merge_spellings_and_compare_with_the_highest_rate() {
        let t = vec![
            step("F", vec![rate("White", 100, 50), rate("BME", 80, 20)]),
            step("Female", vec![rate("White", 100, 50), rate("BME", 20, 10)]),
            step("M", vec![rate("White", 200, 80), rate("BME", 100, 30)]),
            step("", vec![rate("White", 3, 1), rate("BME", 2, 0)]),
        ];
        let rows = intersectional(&t, "sex");
        let get = |c: &str| rows.iter().find(|r| r.category == c).unwrap();
        // White × Female: 100/200 = 0.5, the highest; BME × Female 30/100.
        assert_eq!(get("White × Female").entered.value, 200);
        assert!((get("BME × Female").impact_ratio.unwrap() - 0.6).abs() < 1e-12);
        assert!((get("White × Male").impact_ratio.unwrap() - 0.8).abs() < 1e-12);
        assert!((get("BME × Male").impact_ratio.unwrap() - 0.6).abs() < 1e-12);
        let unknown = get("White × (not stated)");
        assert!(!unknown.known && unknown.impact_ratio.is_none());
        assert_eq!(rows.last().map(|r| r.known), Some(false));
    }
}
