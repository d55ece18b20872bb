//! Panel policy compliance: which vacancies a policy covers, and whether
//! their panels met its minimum members, members outside the reference
//! group and women.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Composition, PanelSettings};
use crate::counts::PanelCounts;
use crate::counts::panels::VacancyCell;
use crate::measures::funnel::MISSING_VALUE;
use crate::stats;

/// A checked panel policy.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// Its name, for reports.
    pub name: Option<String>,
    /// Where it came from.
    pub file: String,
    /// The rules; a vacancy must meet every rule that covers it.
    pub rules: Vec<PolicyRule>,
}

/// One rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Its name.
    pub name: String,
    /// The rule covers this grade and those above it; every vacancy when absent.
    pub from_grade: Option<String>,
    /// Fewest members.
    #[serde(default)]
    pub min_members: u64,
    /// Fewest members from groups other than the reference group.
    #[serde(default)]
    pub min_focal: u64,
    /// Fewest women.
    #[serde(default)]
    pub min_women: u64,
}

/// Orders grades: the profile's list when given (unknown grades after it),
/// else "natural" order, comparing runs of digits as numbers, so
/// "Band 8a" < "Band 8b" < "Band 9" < "Band 10".
pub fn grade_order(profile_grades: Option<&[String]>, a: &str, b: &str) -> std::cmp::Ordering {
    if let Some(list) = profile_grades {
        let pos = |g: &str| {
            list.iter()
                .position(|x| x.trim().eq_ignore_ascii_case(g.trim()))
        };
        match (pos(a), pos(b)) {
            (Some(x), Some(y)) => return x.cmp(&y),
            (Some(_), None) => return std::cmp::Ordering::Less,
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            (None, None) => {}
        }
    }
    natural_key(a).cmp(&natural_key(b))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk {
    Number(u64),
    Text(String),
}

fn natural_key(s: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for ch in s.trim().to_lowercase().chars() {
        if ch.is_ascii_digit() {
            if !text.is_empty() {
                out.push(Chunk::Text(std::mem::take(&mut text)));
            }
            digits.push(ch);
        } else {
            if !digits.is_empty() {
                out.push(Chunk::Number(digits.parse().unwrap_or(u64::MAX)));
                digits.clear();
            }
            text.push(ch);
        }
    }
    if !digits.is_empty() {
        out.push(Chunk::Number(digits.parse().unwrap_or(u64::MAX)));
    }
    if !text.is_empty() {
        out.push(Chunk::Text(text));
    }
    out
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

pub(super) fn policy_report(
    policy: &Policy,
    counts: &PanelCounts,
    panel_stage: Option<String>,
    compositions: &[Composition],
    settings: &PanelSettings,
) -> PolicyReport {
    let grades = settings.grades.as_deref();
    let panel_of: BTreeMap<&str, &Composition> = compositions
        .iter()
        .filter(|c| Some(&*c.stage) == panel_stage.as_deref())
        .map(|c| (&*c.vacancy_id, c))
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

#[cfg(test)]
mod grade_order_tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn natural_grade_order() {
        assert_eq!(grade_order(None, "Band 8a", "Band 8b"), Less);
        assert_eq!(grade_order(None, "Band 9", "Band 8d"), Greater);
        assert_eq!(grade_order(None, "Band 10", "Band 9"), Greater);
        assert_eq!(grade_order(None, "band 7", "Band 7"), Equal);
    }

    #[test]
    fn profile_grade_order_wins() {
        let list = vec![
            "Junior".to_string(),
            "Senior".to_string(),
            "Director".to_string(),
        ];
        assert_eq!(grade_order(Some(&list), "Director", "Senior"), Greater);
        assert_eq!(grade_order(Some(&list), "Senior", "Intern"), Less);
    }
}
