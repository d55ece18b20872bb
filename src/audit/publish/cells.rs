//! The audit's published counts as one system of cells: each group's count
//! at each stage for the whole dataset, every breakdown row and panel type,
//! the unknown totals, the disclosure counts, the data-quality headline
//! counts and the unmapped labels' counts, and the additive relations
//! between them that a reader could use.

use std::collections::{BTreeMap, BTreeSet};

use crate::audit::Audit;
use crate::counts::PANEL_TYPE;
use crate::measures::Count;
use crate::measures::funnel::{GroupRate, TransitionResult};
use crate::stats::suppression;

/// The audit's published cells.
pub(super) type Cells = suppression::Cells<Key>;

/// Where a count sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Key {
    /// A group's (or unknown class's) applicants reaching a stage.
    Funnel {
        breakdown: Vec<(String, String)>,
        group: String,
        stage: String,
    },
    /// The unknown classes together (sensitivity's `unknown_entered`).
    Unknown {
        breakdown: Vec<(String, String)>,
        stage: String,
    },
    /// All applicants reaching a stage (disclosure by stage).
    StageAll(String),
    /// Known-ethnicity applicants reaching a stage.
    StageKnown(String),
    /// A data-quality headline count.
    Quality(&'static str),
    /// An unmapped label's count.
    Label(String),
}

pub(super) fn breakdown_key(b: &BTreeMap<String, String>) -> Vec<(String, String)> {
    b.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Every step with its full breakdown: the top-level transitions and the
/// steps by panel type (breakdown `panel_type`).
fn all_steps(audit: &Audit) -> Vec<(Vec<(String, String)>, &TransitionResult)> {
    let mut steps: Vec<(Vec<(String, String)>, &TransitionResult)> = audit
        .transitions
        .iter()
        .map(|t| (breakdown_key(&t.breakdown), t))
        .collect();
    for p in audit.panels.iter().flat_map(|p| &p.by_panel_type) {
        for t in &p.transitions {
            let mut b = t.breakdown.clone();
            b.insert(PANEL_TYPE.to_string(), p.panel_type.to_string());
            steps.push((breakdown_key(&b), t));
        }
    }
    steps
}

/// Builds the cells and equations of the audit's published counts.
pub(super) fn cells_of(audit: &Audit) -> Cells {
    let mut cells = Cells::default();
    let steps = all_steps(audit);
    // Funnel cells and the unknown totals, per breakdown row.
    let mut unknown_classes: BTreeSet<String> = BTreeSet::new();
    let mut known_groups: BTreeSet<String> = BTreeSet::new();
    for (b, t) in &steps {
        for (stage, pick) in [(&t.from, true), (&t.to, false)] {
            let count = |g: &GroupRate| {
                if pick {
                    g.entered.value
                } else {
                    g.progressed.value
                }
            };
            let mut unknown_parts = Vec::new();
            for g in t.groups.iter().chain(&t.unknown) {
                let key = Key::Funnel {
                    breakdown: b.clone(),
                    group: g.group.clone(),
                    stage: stage.clone(),
                };
                let i = cells.cell(key, count(g));
                if t.unknown.iter().any(|u| u.group == g.group) {
                    unknown_parts.push(i);
                    unknown_classes.insert(g.group.clone());
                } else {
                    known_groups.insert(g.group.clone());
                }
            }
            let total: u64 = t.unknown.iter().map(count).sum();
            let key = Key::Unknown {
                breakdown: b.clone(),
                stage: stage.clone(),
            };
            if cells.get(&key).is_none() {
                let u = cells.cell(key, total);
                cells.relate(u, unknown_parts);
            }
        }
    }
    // Breakdown rows add up to coarser rows (the whole dataset, or a single
    // column of a crossed breakdown).
    let funnel_keys: Vec<Key> = cells.keys.clone();
    let dims: BTreeSet<Vec<String>> = funnel_keys
        .iter()
        .filter_map(|k| match k {
            Key::Funnel { breakdown, .. } | Key::Unknown { breakdown, .. } => {
                Some(breakdown.iter().map(|(c, _)| c.clone()).collect())
            }
            _ => None,
        })
        .collect();
    for fine in &dims {
        for coarse in dims
            .iter()
            .filter(|d| d.len() < fine.len() && d.iter().all(|c| fine.contains(c)))
        {
            let mut sums: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
            for (i, k) in funnel_keys.iter().enumerate() {
                let project = |b: &Vec<(String, String)>| -> Option<Vec<(String, String)>> {
                    (b.len() == fine.len() && b.iter().all(|(c, _)| fine.contains(c))).then(|| {
                        b.iter()
                            .filter(|(c, _)| coarse.contains(c))
                            .cloned()
                            .collect()
                    })
                };
                let total = match k {
                    Key::Funnel {
                        breakdown,
                        group,
                        stage,
                    } => project(breakdown).map(|p| Key::Funnel {
                        breakdown: p,
                        group: group.clone(),
                        stage: stage.clone(),
                    }),
                    Key::Unknown { breakdown, stage } => project(breakdown).map(|p| Key::Unknown {
                        breakdown: p,
                        stage: stage.clone(),
                    }),
                    _ => None,
                };
                if let Some(total) = total {
                    sums.entry(total).or_default().push(i);
                }
            }
            for (total, parts) in sums {
                if let Some(t) = cells.get(&total) {
                    cells.relate(t, parts);
                }
            }
        }
    }
    // Disclosure by stage: all applicants and the known ones, whole dataset.
    let q = &audit.data_quality;
    for d in &q.disclosure_by_stage {
        let all = cells.cell(Key::StageAll(d.stage.clone()), d.applicants.value);
        let known = cells.cell(Key::StageKnown(d.stage.clone()), d.known.value);
        let whole = |cells: &Cells, groups: &BTreeSet<String>| -> Vec<usize> {
            groups
                .iter()
                .filter_map(|g| {
                    cells.get(&Key::Funnel {
                        breakdown: Vec::new(),
                        group: g.clone(),
                        stage: d.stage.clone(),
                    })
                })
                .collect()
        };
        let known_parts = whole(&cells, &known_groups);
        let mut all_parts = known_parts.clone();
        all_parts.extend(whole(&cells, &unknown_classes));
        if known_parts.len() == known_groups.len() {
            cells.relate(known, known_parts);
        }
        if all_parts.len() == known_groups.len() + unknown_classes.len() {
            cells.relate(all, all_parts);
        }
        if let Some(u) = cells.get(&Key::Unknown {
            breakdown: Vec::new(),
            stage: d.stage.clone(),
        }) {
            cells.relate(all, vec![known, u]);
        }
    }
    // Data-quality headline counts: the first stage's totals and classes.
    let first = q.disclosure_by_stage.first().map(|d| d.stage.clone());
    let headline: [(&'static str, Count, Option<Key>); 5] = [
        (
            "applications",
            q.applications,
            first.clone().map(Key::StageAll),
        ),
        (
            "ethnicity_known",
            q.ethnicity_known,
            first.clone().map(Key::StageKnown),
        ),
        ("ethnicity_declined", q.ethnicity_declined, None),
        ("ethnicity_not_known", q.ethnicity_not_known, None),
        ("ethnicity_unmapped", q.ethnicity_unmapped, None),
    ];
    let whole_step = audit
        .transitions
        .iter()
        .find(|t| t.breakdown.is_empty() && Some(&t.from) == first.as_ref());
    let mut quality_cells = Vec::new();
    for (i, (name, count, same_as)) in headline.into_iter().enumerate() {
        let c = cells.cell(Key::Quality(name), count.value);
        quality_cells.push(c);
        // The unknown classes come in the order declined, not known, unmapped.
        let same_as = same_as.or_else(|| {
            let t = whole_step?;
            let u = t.unknown.get(i.checked_sub(2)?)?;
            Some(Key::Funnel {
                breakdown: Vec::new(),
                group: u.group.clone(),
                stage: t.from.clone(),
            })
        });
        if let Some(other) = same_as.and_then(|k| cells.get(&k)) {
            cells.relate(c, vec![other]);
        }
    }
    let parts = quality_cells[1..].to_vec();
    cells.relate(quality_cells[0], parts);
    let labels: Vec<usize> = q
        .unmapped_labels
        .iter()
        .map(|l| cells.cell(Key::Label(l.label.clone()), l.count.value))
        .collect();
    cells.relate(quality_cells[4], labels);
    cells
}
