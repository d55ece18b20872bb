//! Panel measures: who sits on selection panels, whether panels meet the
//! employer's policy, and whether outcomes differ between vacancies with
//! diverse and with all-White panels.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use super::funnel::{self, Direction, FunnelSettings, MISSING_VALUE, TransitionResult};
use super::scoring::sex_category;
use crate::counts::panels::{PanelCell, PanelType, VacancyCell, panel_types};
use crate::counts::{FunnelCounts, PANEL_TYPE, PanelCounts};
use crate::ingest::policy::{Policy, grade_order};
use crate::stats;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::ladder::Transition;

/// Settings of the panel measures.
#[derive(Debug, Clone)]
pub struct PanelSettings {
    /// The funnel's settings (confidence, direction).
    pub confidence: f64,
    /// Which way up ratios are stated.
    pub direction: Direction,
    /// Breakdown dimensions as indices into the vacancy keys (= `--by`).
    pub breakdowns: Vec<Vec<usize>>,
    /// Names of the breakdown columns, in key order.
    pub by: Vec<String>,
    /// The employer's panel policy, if given.
    pub policy: Option<Policy>,
    /// Grade order from the profile.
    pub grades: Option<Vec<String>>,
}

/// Counts of vacancies by panel make-up.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PanelSummary {
    /// `{}` overall, or column → value.
    pub breakdown: BTreeMap<String, String>,
    /// Vacancies in the applications table.
    pub vacancies: u64,
    /// With a panel recorded at the panel stage.
    pub vacancies_with_panel: u64,
    /// With at least one member from a group other than the reference.
    pub vacancies_diverse: u64,
    /// With every member known and in the reference group.
    pub vacancies_all_white: u64,
    /// No member known outside the reference group, some unknown.
    pub vacancies_other: u64,
    /// diverse ÷ with panel.
    pub share_diverse: Option<f64>,
    /// all White ÷ with panel.
    pub share_all_white: Option<f64>,
    /// Vacancies that shortlisted someone but have no panel recorded.
    pub vacancies_shortlisted_without_panel: u64,
}

/// One panel's make-up.
#[derive(Debug, Clone, Serialize)]
pub struct Composition {
    /// The vacancy.
    pub vacancy_id: String,
    /// The stage the panel sat at.
    pub stage: String,
    /// Members.
    pub size: u64,
    /// Members per group.
    pub by_group: BTreeMap<String, u64>,
    /// Members whose ethnicity is declined, not known or unmapped.
    pub unknown: u64,
    /// Members from groups other than the reference group.
    pub outside_reference: u64,
    /// Women members.
    pub women: u64,
    /// At least one member outside the reference group.
    pub diverse: bool,
    /// Every member known and in the reference group.
    pub all_white: bool,
}

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

/// Policy results for a set of vacancies.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Compliance {
    /// The grade, or the breakdown, or nothing for the total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// The breakdown.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub breakdown: BTreeMap<String, String>,
    /// Vacancies a rule covers.
    pub covered: u64,
    /// Covered, with a panel meeting every rule.
    pub compliant: u64,
    /// Covered, with a panel that fails a rule.
    pub non_compliant: u64,
    /// Covered, with no panel recorded.
    pub no_panel: u64,
    /// compliant ÷ covered.
    pub share_compliant: Option<f64>,
}

/// A vacancy whose panel fails the policy.
#[derive(Debug, Clone, Serialize)]
pub struct NonCompliant {
    /// The vacancy.
    pub vacancy_id: String,
    /// Its grade.
    pub grade: Option<String>,
    /// Each requirement it misses.
    pub reasons: Vec<String>,
}

/// The policy section.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    /// The policy.
    pub policy: Policy,
    /// All vacancies.
    pub total: Compliance,
    /// By grade.
    pub by_grade: Vec<Compliance>,
    /// By breakdown row.
    pub by_breakdown: Vec<Compliance>,
    /// Vacancies with no grade, which grade-based rules cannot place.
    pub vacancies_without_grade: u64,
    /// The non-compliant vacancies.
    pub non_compliant_vacancies: Vec<NonCompliant>,
}

/// The panels section of an audit.
#[derive(Debug, Clone, Serialize)]
pub struct PanelReport {
    /// The stage whose panels decide a vacancy's panel type.
    pub panel_stage: Option<String>,
    /// Overall.
    #[serde(flatten)]
    pub summary: PanelSummary,
    /// Per breakdown row.
    pub breakdowns: Vec<PanelSummary>,
    /// Members per group across all panels (distinct per panel).
    pub members_by_group: BTreeMap<String, Count>,
    /// Members with unknown ethnicity.
    pub members_unknown: Count,
    /// Panels for vacancies not in the applications table.
    pub panels_for_unknown_vacancies: u64,
    /// Distinct panel members with no record in the staff (HR) table;
    /// absent when members' ethnicity did not come from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_not_in_staff: Option<Count>,
    /// Every panel.
    pub compositions: Vec<Composition>,
    /// Outcomes by panel type.
    pub by_panel_type: Vec<ByPanelType>,
    /// Diverse against all-White.
    pub panel_type_difference: Vec<PanelTypeDifference>,
    /// Policy compliance, if a policy was given.
    pub policy: Option<PolicyReport>,
}

/// Computes the panels section.
pub fn panels(
    counts: &PanelCounts,
    funnel_counts: &FunnelCounts,
    taxonomy: &Taxonomy,
    settings: &PanelSettings,
) -> PanelReport {
    let scheme = &taxonomy.scheme;
    let ladder = &funnel_counts.ladder;
    let stage_name = |r: u8| ladder.stages()[r as usize].clone();
    let types = panel_types(&counts.cells, counts.panel_stage, taxonomy);

    // Compositions, one per vacancy × stage.
    let mut panels: BTreeMap<(&str, u8), Vec<&PanelCell>> = BTreeMap::new();
    for c in &counts.cells {
        panels
            .entry((c.vacancy.as_str(), c.stage))
            .or_default()
            .push(c);
    }
    let mut members_by_group: BTreeMap<String, u64> =
        scheme.groups.iter().map(|g| (g.clone(), 0)).collect();
    let mut members_unknown = 0;
    let compositions: Vec<Composition> = panels
        .iter()
        .map(|((vacancy, stage), cells)| {
            let mut by_group: BTreeMap<String, u64> = BTreeMap::new();
            let (mut size, mut unknown, mut women, mut focal) = (0, 0, 0, 0);
            for c in cells {
                size += c.members;
                if sex_category(c.sex.as_deref()) == Some("Female") {
                    women += c.members;
                }
                match taxonomy.classify(c.label.as_deref()) {
                    Class::Group(g) => {
                        *by_group.entry(scheme.groups[g].clone()).or_default() += c.members;
                        if g != scheme.reference {
                            focal += c.members;
                        }
                    }
                    _ => unknown += c.members,
                }
            }
            if Some(*stage) == counts.panel_stage {
                for (g, n) in &by_group {
                    *members_by_group.entry(g.clone()).or_default() += n;
                }
                members_unknown += unknown;
            }
            Composition {
                vacancy_id: vacancy.to_string(),
                stage: stage_name(*stage),
                size,
                by_group,
                unknown,
                outside_reference: focal,
                women,
                diverse: focal > 0,
                all_white: focal == 0 && unknown == 0 && size > 0,
            }
        })
        .collect();

    let shortlisted = ladder.rank("shortlisted").unwrap_or(1);
    let type_of = |v: &VacancyCell| types.get(&v.vacancy).copied().unwrap_or(PanelType::NoPanel);
    let summarise = |breakdown: BTreeMap<String, String>, vacancies: &[&VacancyCell]| {
        let mut s = PanelSummary {
            breakdown,
            ..PanelSummary::default()
        };
        for v in vacancies {
            s.vacancies += 1;
            match type_of(v) {
                PanelType::Diverse => s.vacancies_diverse += 1,
                PanelType::AllWhite => s.vacancies_all_white += 1,
                PanelType::Other => s.vacancies_other += 1,
                PanelType::NoPanel => {
                    if v.reached >= shortlisted {
                        s.vacancies_shortlisted_without_panel += 1;
                    }
                }
            }
        }
        s.vacancies_with_panel = s.vacancies_diverse + s.vacancies_all_white + s.vacancies_other;
        s.share_diverse = stats::rate(s.vacancies_diverse, s.vacancies_with_panel);
        s.share_all_white = stats::rate(s.vacancies_all_white, s.vacancies_with_panel);
        s
    };
    let all: Vec<&VacancyCell> = counts.vacancies.iter().collect();
    let summary = summarise(BTreeMap::new(), &all);
    let breakdowns = group_vacancies(&counts.vacancies, settings)
        .into_iter()
        .map(|(b, vs)| summarise(b, &vs))
        .collect();

    let (by_panel_type, panel_type_difference) =
        outcomes_by_panel_type(funnel_counts, taxonomy, settings, &counts.vacancies, &types);
    let policy = settings.policy.as_ref().map(|p| {
        policy_report(
            p,
            counts,
            counts.panel_stage.map(stage_name),
            &compositions,
            settings,
        )
    });
    let known: std::collections::BTreeSet<&str> = counts
        .vacancies
        .iter()
        .map(|v| v.vacancy.as_str())
        .collect();
    let panels_for_unknown_vacancies = panels
        .keys()
        .filter(|(v, s)| Some(*s) == counts.panel_stage && !known.contains(v))
        .count() as u64;
    PanelReport {
        panel_stage: counts.panel_stage.map(stage_name),
        summary,
        breakdowns,
        members_by_group: members_by_group
            .into_iter()
            .map(|(g, n)| (g, n.into()))
            .collect(),
        members_unknown: members_unknown.into(),
        panels_for_unknown_vacancies,
        members_not_in_staff: counts.members_not_in_staff.map(Count::from),
        compositions,
        by_panel_type,
        panel_type_difference,
        policy,
    }
}

/// Vacancies grouped by each breakdown dimension's values.
fn group_vacancies<'a>(
    vacancies: &'a [VacancyCell],
    settings: &PanelSettings,
) -> Vec<(BTreeMap<String, String>, Vec<&'a VacancyCell>)> {
    let mut out = Vec::new();
    for dims in &settings.breakdowns {
        let mut groups: BTreeMap<Vec<String>, Vec<&VacancyCell>> = BTreeMap::new();
        for v in vacancies {
            let key = dims
                .iter()
                .map(|&d| {
                    v.keys[d]
                        .clone()
                        .unwrap_or_else(|| MISSING_VALUE.to_string())
                })
                .collect();
            groups.entry(key).or_default().push(v);
        }
        for (key, vs) in groups {
            let breakdown = dims
                .iter()
                .zip(key)
                .map(|(&d, value)| (settings.by[d].clone(), value))
                .collect();
            out.push((breakdown, vs));
        }
    }
    out
}

fn outcomes_by_panel_type(
    funnel_counts: &FunnelCounts,
    taxonomy: &Taxonomy,
    settings: &PanelSettings,
    vacancies: &[VacancyCell],
    types: &BTreeMap<String, PanelType>,
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
        let t = types.get(&v.vacancy).copied().unwrap_or(PanelType::NoPanel);
        *vacancy_count.entry(t).or_default() += 1;
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
                    settings.confidence,
                )?;
                Some(match settings.direction {
                    Direction::NhsWres => ci,
                    Direction::ScWres => ci.inverted(),
                })
            };
            let (d, w) = (interval(PanelType::Diverse), interval(PanelType::AllWhite));
            let compared = match (d, w) {
                (Some(d), Some(w)) => Some(d.compared_with(w, settings.confidence)),
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

fn policy_report(
    policy: &Policy,
    counts: &PanelCounts,
    panel_stage: Option<String>,
    compositions: &[Composition],
    settings: &PanelSettings,
) -> PolicyReport {
    let grades = settings.grades.as_deref();
    let panel_of: BTreeMap<&str, &Composition> = compositions
        .iter()
        .filter(|c| Some(&c.stage) == panel_stage.as_ref())
        .map(|c| (c.vacancy_id.as_str(), c))
        .collect();
    enum Outcome {
        NotCovered,
        NoPanel,
        Compliant,
        NonCompliant(Vec<String>),
    }
    let mut without_grade = 0;
    let outcome = |v: &VacancyCell, without_grade: &mut u64| -> Outcome {
        let covering: Vec<_> = policy
            .rules
            .iter()
            .filter(|r| match (&r.from_grade, &v.grade) {
                (None, _) => true,
                (Some(from), Some(g)) => grade_order(grades, g, from) != std::cmp::Ordering::Less,
                (Some(_), None) => false,
            })
            .collect();
        if v.grade.is_none() && policy.rules.iter().any(|r| r.from_grade.is_some()) {
            *without_grade += 1;
        }
        if covering.is_empty() {
            return Outcome::NotCovered;
        }
        let Some(panel) = panel_of.get(v.vacancy.as_str()) else {
            return Outcome::NoPanel;
        };
        let focal = panel.outside_reference;
        let mut reasons = Vec::new();
        for r in &covering {
            if panel.size < r.min_members {
                reasons.push(format!(
                    "{}: {} members, fewer than {}",
                    r.name, panel.size, r.min_members
                ));
            }
            if focal < r.min_focal {
                reasons.push(format!(
                    "{}: {focal} members outside the reference group, fewer than {}",
                    r.name, r.min_focal
                ));
            }
            if panel.women < r.min_women {
                reasons.push(format!(
                    "{}: {} women, fewer than {}",
                    r.name, panel.women, r.min_women
                ));
            }
        }
        if reasons.is_empty() {
            Outcome::Compliant
        } else {
            Outcome::NonCompliant(reasons)
        }
    };
    let mut total = Compliance::default();
    let mut by_grade: BTreeMap<String, Compliance> = BTreeMap::new();
    let mut by_breakdown: BTreeMap<(usize, Vec<String>), Compliance> = BTreeMap::new();
    let mut non_compliant = Vec::new();
    let tally = |c: &mut Compliance, o: &Outcome| match o {
        Outcome::NotCovered => {}
        Outcome::NoPanel => {
            c.covered += 1;
            c.no_panel += 1;
        }
        Outcome::Compliant => {
            c.covered += 1;
            c.compliant += 1;
        }
        Outcome::NonCompliant(_) => {
            c.covered += 1;
            c.non_compliant += 1;
        }
    };
    for v in &counts.vacancies {
        let o = outcome(v, &mut without_grade);
        tally(&mut total, &o);
        let grade = v.grade.clone().unwrap_or_else(|| MISSING_VALUE.to_string());
        tally(
            by_grade.entry(grade.clone()).or_insert_with(|| Compliance {
                grade: Some(grade),
                ..Compliance::default()
            }),
            &o,
        );
        for (i, dims) in settings.breakdowns.iter().enumerate() {
            let key: Vec<String> = dims
                .iter()
                .map(|&d| {
                    v.keys[d]
                        .clone()
                        .unwrap_or_else(|| MISSING_VALUE.to_string())
                })
                .collect();
            let breakdown = dims
                .iter()
                .zip(&key)
                .map(|(&d, value)| (settings.by[d].clone(), value.clone()))
                .collect();
            tally(
                by_breakdown.entry((i, key)).or_insert_with(|| Compliance {
                    breakdown,
                    ..Compliance::default()
                }),
                &o,
            );
        }
        if let Outcome::NonCompliant(reasons) = o {
            non_compliant.push(NonCompliant {
                vacancy_id: v.vacancy.clone(),
                grade: v.grade.clone(),
                reasons,
            });
        }
    }
    let finish = |mut c: Compliance| {
        c.share_compliant = stats::rate(c.compliant, c.covered);
        c
    };
    let mut by_grade: Vec<Compliance> = by_grade.into_values().map(finish).collect();
    by_grade.sort_by(|a, b| {
        grade_order(
            grades,
            a.grade.as_deref().unwrap_or(""),
            b.grade.as_deref().unwrap_or(""),
        )
    });
    PolicyReport {
        policy: policy.clone(),
        total: finish(total),
        by_grade,
        by_breakdown: by_breakdown.into_values().map(finish).collect(),
        vacancies_without_grade: without_grade,
        non_compliant_vacancies: non_compliant,
    }
}
