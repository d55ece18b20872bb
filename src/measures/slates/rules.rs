//! Slate rules: what a client requires of a shortlist, whether each
//! assignment met it, and how many assignments did.

use serde::{Deserialize, Serialize};

use super::{Assignment, Composition};
use crate::stats::Confidence;
use crate::stats::exact::Fraction;
use crate::stats::slates::wilson;

/// A slate rule from the config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlateRule {
    /// Its name.
    pub name: String,
    /// Fewest focal-group candidates (outside the reference group) on the shortlist.
    #[serde(default)]
    pub min_focal: u64,
    /// Fewest women on the shortlist.
    #[serde(default)]
    pub min_women: u64,
    /// Smallest focal share of the shortlist.
    pub min_focal_share: Option<f64>,
    /// The rule applies only where the longlist had a focal candidate.
    #[serde(default)]
    pub only_if_longlist_has_focal: bool,
    /// The rule applies only where the longlist's focal share was at least this.
    pub only_if_longlist_focal_share: Option<f64>,
}

impl SlateRule {
    /// The rule used when none is configured.
    pub fn default_rules(focal: &str) -> Vec<SlateRule> {
        vec![SlateRule {
            name: format!("at least one {focal} candidate where the longlist had one"),
            min_focal: 1,
            min_women: 0,
            min_focal_share: None,
            only_if_longlist_has_focal: true,
            only_if_longlist_focal_share: None,
        }]
    }
}

/// A rule's outcome for one assignment.
#[derive(Debug, Clone, Serialize)]
pub struct RuleOutcome {
    /// The rule's name.
    pub rule: String,
    /// Met, not met, or null when the rule does not apply (or is withheld).
    pub met: Option<bool>,
    /// Publication mode: the outcome rests on a suppressed count, so it is
    /// withheld (met/not met for a few thresholds would spell the count out).
    #[serde(skip_serializing_if = "crate::measures::is_false")]
    pub withheld: bool,
}

/// Compliance with one rule across assignments.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    /// The rule.
    pub rule: String,
    /// Assignments it applies to.
    pub applicable: u64,
    /// Of those, met.
    pub met: u64,
    /// met ÷ applicable.
    pub share: Option<f64>,
    /// Wilson interval.
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Publication mode: assignments whose outcome is withheld (left out
    /// of `applicable` and `met`, so the sums cannot give them away).
    #[serde(skip_serializing_if = "is_zero")]
    pub withheld: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub(super) fn rule_met(
    rule: &SlateRule,
    longlist: &Composition,
    shortlist: &Composition,
) -> Option<bool> {
    if rule.only_if_longlist_has_focal && longlist.focal.value == 0 {
        return None;
    }
    // Shares are judged exactly against the decimal the rule states: 3 of
    // 10 meets a 0.3 minimum (stats::exact).
    let at_least = |focal: u64, total: u64, min: f64| {
        let share = Fraction::rate(focal, total).unwrap_or(Fraction::new(0, 1).expect("1 > 0"));
        match Fraction::from_decimal(min) {
            Some(m) => share.compare(m) != std::cmp::Ordering::Less,
            None => share.value() >= min,
        }
    };
    if let Some(min) = rule.only_if_longlist_focal_share {
        // Judged on the longlist's actual share, however small the list.
        if !at_least(longlist.focal.value, longlist.total.value, min) {
            return None;
        }
    }
    let share_ok = rule.min_focal_share.is_none_or(|min| {
        shortlist.total.value > 0 && at_least(shortlist.focal.value, shortlist.total.value, min)
    });
    Some(
        shortlist.focal.value >= rule.min_focal
            && shortlist.women.value >= rule.min_women
            && share_ok,
    )
}

/// Each rule's outcomes across assignments: how many it applied to and how
/// many met it, with a Wilson interval; withheld outcomes are counted apart.
pub(crate) fn rule_summaries(
    assignments: &[&Assignment],
    names: &[String],
    confidence: Confidence,
) -> Vec<RuleSummary> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let outcomes: Vec<&RuleOutcome> = assignments.iter().map(|a| &a.rules[i]).collect();
            let shown = || outcomes.iter().filter(|o| !o.withheld);
            let applicable = shown().filter(|o| o.met.is_some()).count() as u64;
            let met = shown().filter(|o| o.met == Some(true)).count() as u64;
            let ci = wilson(met, applicable, confidence.level());
            RuleSummary {
                rule: name.clone(),
                applicable,
                met,
                share: (applicable > 0).then(|| met as f64 / applicable as f64),
                ci_low: ci.map(|c| c.0),
                ci_high: ci.map(|c| c.1),
                withheld: outcomes.iter().filter(|o| o.withheld).count() as u64,
            }
        })
        .collect()
}
