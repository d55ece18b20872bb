//! Agency scorecards (`--scorecard`): for an employer that commissions
//! recruitment agencies, one card per agency (or any single breakdown
//! column) with the make-up of every stage, the relative likelihood at every
//! step with its interval, the disclosure rate, panel diversity where
//! panels are known, and a ranking of the agencies on the whole funnel
//! (applied → appointed), with a warning where numbers are small.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use super::funnel::TransitionResult;
use super::panels::PanelReport;

/// Fewer than this many applicants of a group entering a step makes a
/// card's ratio for that step "small numbers".
const SMALL: u64 = 20;

/// One stage's make-up on a card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageMakeUp {
    /// The stage.
    pub stage: String,
    /// Applicants of each known group who reached it.
    pub groups: BTreeMap<String, Count>,
    /// Applicants of unknown ethnicity who reached it.
    pub unknown: Count,
    /// Share of the known applicants outside the reference group.
    pub focal_share: Option<f64>,
}

/// One step's comparison on a card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardStep {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// The group compared with the reference group.
    pub focal: String,
    /// Relative likelihood in the report's direction.
    pub relative_likelihood: Option<f64>,
    /// Lower limit.
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Adjusted p.
    pub p_adjusted: Option<f64>,
    /// Judged on the adjusted p.
    pub significant: Option<bool>,
}

/// One agency's card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The breakdown column (e.g. "agency").
    pub column: String,
    /// Its value (the agency).
    pub value: String,
    /// Rank on the whole funnel's relative likelihood, 1 = most even;
    /// null when the ratio is undefined or withheld.
    pub rank: Option<usize>,
    /// Every stage's make-up.
    pub stages: Vec<StageMakeUp>,
    /// Every step's comparison.
    pub steps: Vec<CardStep>,
    /// Applicants whose ethnicity is known, of all applicants.
    pub disclosure_rate: Option<f64>,
    /// Share of this agency's vacancies with a diverse panel, when panels
    /// are known.
    pub panels_share_diverse: Option<f64>,
    /// Why the card's figures need care.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The cards for `column`, ranked.
pub fn scorecards(
    transitions: &[TransitionResult],
    column: &str,
    ladder: &[String],
    reference: &str,
    panels: Option<&PanelReport>,
) -> Vec<Scorecard> {
    let mut values: Vec<&String> = transitions
        .iter()
        .filter(|t| t.breakdown.len() == 1)
        .filter_map(|t| t.breakdown.get(column))
        .collect();
    values.sort();
    values.dedup();
    let mut cards: Vec<Scorecard> = values
        .into_iter()
        .map(|value| {
            let steps_of: Vec<&TransitionResult> = transitions
                .iter()
                .filter(|t| t.breakdown.len() == 1 && t.breakdown.get(column) == Some(value))
                .collect();
            let mut stages: Vec<StageMakeUp> = Vec::new();
            for stage in ladder {
                let found = steps_of.iter().find_map(|t| {
                    let pick = |g: &super::funnel::GroupRate| {
                        if t.from == *stage {
                            Some(g.entered)
                        } else if t.to == *stage {
                            Some(g.progressed)
                        } else {
                            None
                        }
                    };
                    let groups: Option<BTreeMap<String, Count>> =
                        t.groups.iter().map(|g| Some((g.group.clone(), pick(g)?))).collect();
                    let unknown: Option<Count> = t.unknown.iter().map(pick).sum();
                    Some((groups?, unknown?))
                });
                if let Some((groups, unknown)) = found {
                    let hidden = groups.values().any(|c| c.suppressed);
                    let known: u64 = groups.values().map(|c| c.value).sum();
                    let focal: u64 = groups
                        .iter()
                        .filter(|(g, _)| *g != reference)
                        .map(|(_, c)| c.value)
                        .sum();
                    stages.push(StageMakeUp {
                        stage: stage.clone(),
                        focal_share: (!hidden && known > 0).then(|| focal as f64 / known as f64),
                        groups,
                        unknown,
                    });
                }
            }
            let steps: Vec<CardStep> = steps_of
                .iter()
                .flat_map(|t| {
                    t.comparisons.iter().map(|c| CardStep {
                        from: t.from.clone(),
                        to: t.to.clone(),
                        focal: c.focal.clone(),
                        relative_likelihood: c.relative_likelihood,
                        ci_low: c.ci_low,
                        ci_high: c.ci_high,
                        p_adjusted: c.p_adjusted,
                        significant: c.significant,
                    })
                })
                .collect();
            let disclosure_rate = stages.first().and_then(|s| {
                let hidden = s.unknown.suppressed || s.groups.values().any(|c| c.suppressed);
                let known: u64 = s.groups.values().map(|c| c.value).sum();
                let all = known + s.unknown.value;
                (!hidden && all > 0).then(|| known as f64 / all as f64)
            });
            let mut warnings = Vec::new();
            let small: Vec<String> = steps_of
                .iter()
                .filter(|t| t.groups.iter().any(|g| g.entered.value < SMALL))
                .map(|t| format!("{} → {}", t.from, t.to))
                .collect();
            if !small.is_empty() {
                warnings.push(format!(
                    "small numbers (a group with fewer than {SMALL} entering) at {}: ratios there can swing widely",
                    small.join(", ")
                ));
            }
            if steps_of.iter().any(|t| t.groups.iter().any(|g| g.suppressed)) {
                warnings.push("some counts are suppressed for publication".into());
            }
            Scorecard {
                column: column.to_string(),
                value: value.clone(),
                rank: None,
                stages,
                steps,
                disclosure_rate,
                panels_share_diverse: panels.and_then(|p| {
                    p.breakdowns
                        .iter()
                        .find(|s| s.breakdown.len() == 1 && s.breakdown.get(column) == Some(value))
                        .and_then(|s| s.share_diverse)
                }),
                warnings,
            }
        })
        .collect();
    // Rank on the whole funnel: the ratio's distance from 1 on the log
    // scale, so 1.5 and 1/1.5 are as uneven as each other whichever way up
    // the report states ratios (the direction does not change the order).
    let (first, last) = (ladder.first(), ladder.last());
    let unevenness = |c: &Scorecard| -> Option<f64> {
        c.steps
            .iter()
            .filter(|s| Some(&s.from) == first && Some(&s.to) == last)
            .filter_map(|s| s.relative_likelihood.filter(|r| *r > 0.0))
            .map(|r| r.ln().abs())
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
    };
    let mut order: Vec<(usize, f64)> = cards
        .iter()
        .enumerate()
        .filter_map(|(i, c)| unevenness(c).map(|u| (i, u)))
        .collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    for (rank, (i, _)) in order.into_iter().enumerate() {
        cards[i].rank = Some(rank + 1);
    }
    cards.sort_by_key(|c| (c.rank.is_none(), c.rank, c.value.clone()));
    cards
}
