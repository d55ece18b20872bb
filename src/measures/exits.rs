//! Rejections and withdrawals kept apart. For every step (stage → next
//! stage) and group: how many entered, progressed, and of those who stopped
//! at the stage how many the employer rejected and how many withdrew; and
//! the relative likelihood of progressing among applicants who did not
//! withdraw, so that a group withdrawing more often is not read as a group
//! rejected more often. Whole dataset only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::funnel::{Comparison, FunnelSettings, compare};
use crate::counts::ExitCell;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::exits::{ExitKind, ExitMap};
use crate::taxonomy::grouping::Class;

/// One group at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitRow {
    /// Stage entered.
    pub from: String,
    /// Next stage.
    pub to: String,
    /// Group, or an unknown class.
    pub group: String,
    /// Reached `from`.
    pub entered: u64,
    /// Reached `to`.
    pub progressed: u64,
    /// Stopped at `from`, rejected by the employer.
    pub rejected: u64,
    /// Stopped at `from`, withdrew.
    pub withdrawn: u64,
    /// Stopped at `from` with no exit recorded (still in process, "none
    /// specified", or a value rung does not recognise).
    pub no_reason: u64,
    /// withdrawn ÷ entered.
    pub withdrawal_rate: Option<f64>,
    /// progressed ÷ (entered − withdrawn).
    pub rate_excluding_withdrawals: Option<f64>,
}

/// The reference group against one focal group at one step, withdrawals
/// left out of both denominators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitComparison {
    /// Stage entered.
    pub from: String,
    /// Next stage.
    pub to: String,
    /// The comparison on progressed of (entered − withdrawn).
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// An exit value rung could not place, with its applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnclassifiedExit {
    /// The value as exported.
    pub value: String,
    /// Applications carrying it (at any stage but the last).
    pub applications: u64,
}

/// The `exits` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitReport {
    /// Every step × group.
    pub rows: Vec<ExitRow>,
    /// Reference against each focal group, per step.
    pub comparisons: Vec<ExitComparison>,
    /// Values counted under `no_reason` because rung does not know them:
    /// map them in a profile's `[exit_values]`.
    pub unclassified_values: Vec<UnclassifiedExit>,
    /// Applications that reached the last stage yet carry an exit value
    /// (left out of the exit counts).
    pub exit_value_at_last_stage: u64,
}

/// Per class: applications by reached rank, and stopped-at-rank by kind.
struct ClassExits {
    reached: Vec<u64>,
    rejected: Vec<u64>,
    withdrawn: Vec<u64>,
}

impl ClassExits {
    fn new(stages: usize) -> ClassExits {
        ClassExits {
            reached: vec![0; stages],
            rejected: vec![0; stages],
            withdrawn: vec![0; stages],
        }
    }
}

/// Computes the exits section from the exit counts.
pub fn exits(
    cells: &[ExitCell],
    stages: &[String],
    taxonomy: &Taxonomy,
    exit_map: &ExitMap,
    settings: &FunnelSettings,
) -> ExitReport {
    let last = stages.len() - 1;
    let mut by_class: BTreeMap<Class, ClassExits> = BTreeMap::new();
    let mut unclassified: BTreeMap<&str, u64> = BTreeMap::new();
    let mut exit_value_at_last_stage = 0;
    for cell in cells {
        let class = taxonomy.classify(cell.label.as_deref());
        let entry = by_class
            .entry(class)
            .or_insert_with(|| ClassExits::new(stages.len()));
        let r = cell.reached as usize;
        entry.reached[r] += cell.applications;
        let Some(value) = cell.exit.as_deref().filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        if r == last {
            exit_value_at_last_stage += cell.applications;
            continue;
        }
        match exit_map.classify(value) {
            Some(ExitKind::Rejected) => entry.rejected[r] += cell.applications,
            Some(ExitKind::Withdrawn) => entry.withdrawn[r] += cell.applications,
            Some(ExitKind::Unspecified) => {}
            None => *unclassified.entry(value).or_default() += cell.applications,
        }
    }
    let scheme = &taxonomy.scheme;
    let classes: Vec<(Class, String)> = (0..scheme.groups.len())
        .map(|g| (Class::Group(g), scheme.groups[g].clone()))
        .chain(
            Class::UNKNOWN
                .iter()
                .filter(|c| by_class.contains_key(c))
                .map(|c| (*c, scheme.class_name(*c).to_string())),
        )
        .collect();
    let mut rows = Vec::new();
    let mut comparisons = Vec::new();
    let empty = ClassExits::new(stages.len());
    for from in 0..last {
        let step = |class: Class| {
            let e = by_class.get(&class).unwrap_or(&empty);
            let entered: u64 = e.reached[from..].iter().sum();
            let progressed: u64 = e.reached[from + 1..].iter().sum();
            (entered, progressed, e.rejected[from], e.withdrawn[from])
        };
        for (class, name) in &classes {
            let (entered, progressed, rejected, withdrawn) = step(*class);
            let stopped = entered - progressed;
            rows.push(ExitRow {
                from: stages[from].clone(),
                to: stages[from + 1].clone(),
                group: name.clone(),
                entered,
                progressed,
                rejected,
                withdrawn,
                no_reason: stopped - rejected - withdrawn,
                withdrawal_rate: crate::stats::rate(withdrawn, entered),
                rate_excluding_withdrawals: crate::stats::rate(progressed, entered - withdrawn),
            });
        }
        let reference = scheme.reference;
        let (re, rp, _, rw) = step(Class::Group(reference));
        for g in (0..scheme.groups.len()).filter(|g| *g != reference) {
            let (fe, fp, _, fw) = step(Class::Group(g));
            comparisons.push(ExitComparison {
                from: stages[from].clone(),
                to: stages[from + 1].clone(),
                comparison: compare(
                    &scheme.groups[reference],
                    &scheme.groups[g],
                    rp,
                    re - rw,
                    fp,
                    fe - fw,
                    settings,
                ),
            });
        }
    }
    let mut unclassified_values: Vec<UnclassifiedExit> = unclassified
        .into_iter()
        .map(|(value, applications)| UnclassifiedExit {
            value: super::shown_label(value),
            applications,
        })
        .collect();
    unclassified_values.sort_by(|a, b| {
        b.applications
            .cmp(&a.applications)
            .then(a.value.cmp(&b.value))
    });
    ExitReport {
        rows,
        comparisons,
        unclassified_values,
        exit_value_at_last_stage,
    }
}
