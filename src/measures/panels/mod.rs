//! Panel measures: who sits on selection panels, whether panels meet the
//! employer's policy, and whether outcomes differ between vacancies with
//! diverse and with all-White panels.
//!
//! Who sits on panels is here; `outcomes` compares outcomes by panel type
//! and `policy` checks panels against the employer's policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use polars::prelude::{PlHashMap, PlHashSet};

use serde::Serialize;

use super::Count;
use super::funnel::{Direction, MISSING_VALUE};
use crate::counts::panels::{PanelCell, PanelType, VacancyCell, panel_types};
use crate::counts::shared_text;
use crate::counts::{FunnelCounts, PanelCounts};
use crate::stats;
use crate::stats::Confidence;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::sex::sex_category;

mod outcomes;
mod policy;

pub use outcomes::{ByPanelType, PanelTypeDifference};
pub use policy::{Compliance, NonCompliant, Policy, PolicyReport, PolicyRule, grade_order};

/// Settings of the panel measures.
#[derive(Debug, Clone)]
pub struct PanelSettings {
    /// The funnel's settings (confidence, direction).
    pub confidence: Confidence,
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

/// One panel's make-up. A national extract has a million panels: the
/// texts are shared with the panel counts and among the panels.
#[derive(Debug, Clone, Serialize)]
pub struct Composition {
    /// The vacancy.
    #[serde(serialize_with = "shared_text::text")]
    pub vacancy_id: Arc<str>,
    /// The stage the panel sat at.
    #[serde(serialize_with = "shared_text::text")]
    pub stage: Arc<str>,
    /// Members.
    pub size: u64,
    /// Members per group.
    pub by_group: MembersByGroup,
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

/// Members per group of one panel: the groups it has members of, in the
/// order of their names, written as a JSON object (as a `BTreeMap` of
/// the names would be, without a map node and copies of the names for
/// each of a national extract's million panels: with maps, the 50M
/// audit's measures peaked at 2.6 GB, now 1.8 GB).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersByGroup(Vec<(Arc<str>, u64)>);

impl MembersByGroup {
    /// The groups and their members, in the order of the groups' names.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(g, n)| (&**g, *n))
    }
}

impl Serialize for MembersByGroup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (group, n) in &self.0 {
            map.serialize_entry(&**group, n)?;
        }
        map.end()
    }
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
    // Looked up once or more per vacancy: hashed, not searched by text (a
    // national extract has a million vacancies).
    let types: PlHashMap<&str, PanelType> = types.iter().map(|(v, t)| (&**v, *t)).collect();

    // Compositions, one per vacancy × stage, in that order: the cells
    // sorted (counting leaves them so, and a sorted slice sorts in one
    // pass) and taken in runs.
    let mut cells: Vec<&PanelCell> = counts.cells.iter().collect();
    cells.sort_by(|a, b| (&a.vacancy, a.stage).cmp(&(&b.vacancy, b.stage)));
    let panels: Vec<((&str, u8), &[&PanelCell])> = cells
        .chunk_by(|a, b| (&a.vacancy, a.stage) == (&b.vacancy, b.stage))
        .map(|run| ((&*run[0].vacancy, run[0].stage), run))
        .collect();
    // Members per group at the panel stage, by the group's index.
    let mut members_by_group: Vec<u64> = vec![0; scheme.groups.len()];
    let mut members_unknown = 0;
    // Group names and stage names, one shared copy each; the groups in
    // the order of their names (as a map of them is written).
    let group_names: Vec<Arc<str>> = scheme.groups.iter().map(|g| Arc::from(&**g)).collect();
    let mut in_name_order: Vec<usize> = (0..group_names.len()).collect();
    in_name_order.sort_by(|a, b| group_names[*a].cmp(&group_names[*b]));
    let stage_names: Vec<Arc<str>> = ladder.stages().iter().map(|s| Arc::from(&**s)).collect();
    let compositions: Vec<Composition> = panels
        .iter()
        .map(|((_, stage), cells)| {
            // Members per group, and whether the panel has any of it.
            let mut per_group: Vec<Option<u64>> = vec![None; group_names.len()];
            let (mut size, mut unknown, mut women, mut focal) = (0, 0, 0, 0);
            for c in cells.iter() {
                size += c.members;
                if sex_category(c.sex.as_deref()) == Some("Female") {
                    women += c.members;
                }
                match taxonomy.classify(c.label.as_deref()) {
                    Class::Group(g) => {
                        *per_group[g].get_or_insert(0) += c.members;
                        if g != scheme.reference {
                            focal += c.members;
                        }
                    }
                    _ => unknown += c.members,
                }
            }
            let by_group = MembersByGroup(
                in_name_order
                    .iter()
                    .filter_map(|&g| per_group[g].map(|n| (Arc::clone(&group_names[g]), n)))
                    .collect(),
            );
            if Some(*stage) == counts.panel_stage {
                for (total, n) in members_by_group.iter_mut().zip(&per_group) {
                    *total += n.unwrap_or(0);
                }
                members_unknown += unknown;
            }
            Composition {
                vacancy_id: Arc::clone(&cells[0].vacancy),
                stage: Arc::clone(&stage_names[*stage as usize]),
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
    let type_of = |v: &VacancyCell| {
        types
            .get(v.vacancy.as_str())
            .copied()
            .unwrap_or(PanelType::NoPanel)
    };
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

    let (by_panel_type, panel_type_difference) = outcomes::outcomes_by_panel_type(
        funnel_counts,
        taxonomy,
        settings,
        &counts.vacancies,
        type_of,
    );
    let policy = settings.policy.as_ref().map(|p| {
        policy::policy_report(
            p,
            counts,
            counts.panel_stage.map(stage_name),
            &compositions,
            settings,
        )
    });
    let known: PlHashSet<&str> = counts
        .vacancies
        .iter()
        .map(|v| v.vacancy.as_str())
        .collect();
    let panels_for_unknown_vacancies = panels
        .iter()
        .filter(|((v, s), _)| Some(*s) == counts.panel_stage && !known.contains(v))
        .count() as u64;
    PanelReport {
        panel_stage: counts.panel_stage.map(stage_name),
        summary,
        breakdowns,
        members_by_group: scheme
            .groups
            .iter()
            .cloned()
            .zip(members_by_group.into_iter().map(Count::from))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Members per group are written as the map of them (the order is the
    /// builder's: tests/panels_scoring.rs checks it through the measure).
    #[test]
    fn members_by_group_are_written_as_a_map() {
        let by_group = MembersByGroup(vec![(Arc::from("Asian"), 1), (Arc::from("Black"), 3)]);
        let as_map: BTreeMap<String, u64> = by_group.iter().map(|(g, n)| (g.into(), n)).collect();
        assert_eq!(
            serde_json::to_string(&by_group).unwrap(),
            serde_json::to_string(&as_map).unwrap()
        );
    }
}
