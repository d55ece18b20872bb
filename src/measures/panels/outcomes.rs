//! Outcomes by panel type: each step of the funnel for vacancies whose
//! panels were diverse and for those whose panels were all from the
//! reference group, and the difference between them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::PanelSettings;
use crate::counts::panels::{PanelType, VacancyCell};
use crate::counts::{FunnelCounts, PANEL_TYPE};
use crate::measures::funnel::{self, Direction, FunnelSettings, TransitionResult};
use crate::stats;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::ladder::Transition;

/// Outcomes for vacancies of one panel type.
#[derive(Debug, Clone, Serialize)]
pub struct ByPanelType {
    /// diverse, all_white, other or no_panel.
    pub panel_type: &'static str,
    /// Vacancies of this type.
    pub vacancies: u64,
    /// The steps, shaped as the top-level transitions.
    pub transitions: Vec<TransitionResult>,
}

/// Whether a step's relative likelihood differs between diverse and
/// all-White panels.
#[derive(Debug, Clone, Serialize)]
pub struct PanelTypeDifference {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// The focal group.
    pub focal: String,
    /// RL with diverse panels.
    pub rl_diverse: Option<f64>,
    /// RL with all-White panels.
    pub rl_all_white: Option<f64>,
    /// rl_diverse ÷ rl_all_white (below 1 in the NHS direction: the gap is
    /// smaller with diverse panels).
    pub ratio_of_rl: Option<f64>,
    /// Lower limit.
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Two-sided p of "the same RL with either panel type".
    pub p: Option<f64>,
    /// Why a figure is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub(super) fn outcomes_by_panel_type(
    funnel_counts: &FunnelCounts,
    taxonomy: &Taxonomy,
    settings: &PanelSettings,
    vacancies: &[VacancyCell],
    type_of: impl Fn(&VacancyCell) -> PanelType,
) -> (Vec<ByPanelType>, Vec<PanelTypeDifference>) {
    let ladder = &funnel_counts.ladder;
    let Some(key) = funnel_counts.by.iter().position(|b| b == PANEL_TYPE) else {
        return (Vec::new(), Vec::new());
    };
    let step = |from: &str, to: &str| {
        Some(Transition {
            from: ladder.rank(from)?,
            to: ladder.rank(to)?,
            label: None,
        })
    };
    let transitions: Vec<Transition> = [
        step("shortlisted", "interviewed"),
        step("interviewed", "offered"),
        step("shortlisted", "appointed"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if transitions.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let results = funnel::funnel(
        funnel_counts,
        taxonomy,
        &FunnelSettings {
            confidence: settings.confidence,
            direction: settings.direction,
            transitions: transitions.clone(),
            breakdowns: vec![vec![key]],
        },
    );
    let mut vacancy_count: BTreeMap<PanelType, u64> = BTreeMap::new();
    for v in vacancies {
        *vacancy_count.entry(type_of(v)).or_default() += 1;
    }
    let by_type: Vec<ByPanelType> = PanelType::ALL
        .iter()
        .map(|t| ByPanelType {
            panel_type: t.name(),
            vacancies: vacancy_count.get(t).copied().unwrap_or(0),
            transitions: results
                .iter()
                .filter(|r| r.breakdown.get(PANEL_TYPE).map(String::as_str) == Some(t.name()))
                .cloned()
                .map(|mut r| {
                    r.breakdown.clear();
                    r
                })
                .collect(),
        })
        .collect();

    let scheme = &taxonomy.scheme;
    let find = |t: PanelType, from: &str, to: &str| {
        by_type
            .iter()
            .find(|b| b.panel_type == t.name())
            .and_then(|b| b.transitions.iter().find(|r| r.from == from && r.to == to))
    };
    let mut differences = Vec::new();
    for t in &transitions {
        let (from, to) = (
            &ladder.stages()[t.from as usize],
            &ladder.stages()[t.to as usize],
        );
        for (g, focal) in scheme.groups.iter().enumerate() {
            if g == scheme.reference {
                continue;
            }
            let interval = |pt: PanelType| {
                let r = find(pt, from, to)?;
                let get = |name: &str| r.groups.iter().find(|x| x.group == *name);
                let (reference, focal) = (get(&scheme.groups[scheme.reference])?, get(focal)?);
                let ci = stats::katz_interval(
                    reference.progressed.value,
                    reference.entered.value,
                    focal.progressed.value,
                    focal.entered.value,
                    settings.confidence.level(),
                )?;
                Some(match settings.direction {
                    Direction::NhsWres => ci,
                    Direction::ScWres => ci.inverted(),
                })
            };
            let (d, w) = (interval(PanelType::Diverse), interval(PanelType::AllWhite));
            let compared = match (d, w) {
                (Some(d), Some(w)) => Some(d.compared_with(w, settings.confidence.level())),
                _ => None,
            };
            differences.push(PanelTypeDifference {
                from: from.clone(),
                to: to.clone(),
                focal: focal.clone(),
                rl_diverse: d.map(|d| d.ratio),
                rl_all_white: w.map(|w| w.ratio),
                ratio_of_rl: compared.map(|c| c.ratio),
                ci_low: compared.map(|c| c.low),
                ci_high: compared.map(|c| c.high),
                p: compared.map(|c| c.p),
                note: compared.is_none().then(|| {
                    "insufficient data: the relative likelihood is undefined for one panel type (a group with no entrants or no one progressing)".to_string()
                }),
            });
        }
    }
    (by_type, differences)
}
