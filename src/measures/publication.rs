//! Publication mode (`--publish`): suppress small counts so that no
//! published figure identifies a handful of applicants, and withhold every
//! figure derived from a suppressed count.
//!
//! The published counts form one system of cells: each group's count at
//! each stage for the whole dataset and every breakdown row (and panel type),
//! the unknown-ethnicity totals the sensitivity bounds print, the applicants
//! and known applicants at each stage, the data-quality headline counts and
//! the unmapped labels' counts. The additive relations between them (a
//! whole-dataset count is the sum of its breakdown rows, the applicants at a
//! stage are the sum of the classes, …) are the equations a reader could use
//! to work a hidden count out; [`crate::stats::suppression`] hides cells
//! until none can be. An equation is only added when it holds in the
//! numbers (a breakdown whose rows do not add up to the whole gives a reader
//! nothing to solve with).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::Count;
use super::funnel::{Comparison, GroupRate, TransitionResult};
use crate::audit::Audit;
use crate::counts::PANEL_TYPE;
use crate::stats::suppression::{self, Equation};

/// What publication mode did, for the `publication` section of the output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    /// Counts from 1 to `threshold − 1` are suppressed.
    pub threshold: u64,
    /// Distinct published counts considered.
    pub cells: usize,
    /// Suppressed because they are small.
    pub primary: usize,
    /// Suppressed so that the small ones cannot be worked out.
    pub secondary: usize,
    /// Additive relations checked.
    pub equations: usize,
    /// What else was left out, and why.
    pub withheld: Vec<String>,
}

/// The note on a comparison whose counts are suppressed.
pub const WITHHELD: &str = "withheld for publication: derived from suppressed counts";

/// Where a count sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
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

#[derive(Default)]
struct Cells {
    index: HashMap<Key, usize>,
    keys: Vec<Key>,
    values: Vec<u64>,
    equations: Vec<Equation>,
}

impl Cells {
    fn cell(&mut self, key: Key, value: u64) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.values.len();
        self.index.insert(key.clone(), i);
        self.keys.push(key);
        self.values.push(value);
        i
    }

    fn get(&self, key: &Key) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Adds `total = Σ parts` when the numbers agree.
    fn relate(&mut self, total: usize, parts: Vec<usize>) {
        let sum: u64 = parts.iter().map(|&p| self.values[p]).sum();
        if !parts.is_empty() && sum == self.values[total] && !parts.contains(&total) {
            self.equations.push(Equation { total, parts });
        }
    }
}

fn breakdown_key(b: &BTreeMap<String, String>) -> Vec<(String, String)> {
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
fn cells_of(audit: &Audit) -> Cells {
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

/// Suppresses the audit's small counts (1 to `threshold − 1`) with
/// secondary suppression, withholds what is derived from them, and leaves
/// out per-vacancy panel make-up. Findings should be written afterwards, from
/// what remains.
pub fn publish(audit: &mut Audit, threshold: u64) -> Publication {
    let cells = cells_of(audit);
    let hidden = suppression::suppress(&cells.values, &cells.equations, threshold);
    debug_assert!(suppression::determined_cells(&cells.equations, &hidden).is_empty());
    let is_hidden = |key: &Key| cells.get(key).is_some_and(|i| hidden[i]);
    let primary = cells
        .values
        .iter()
        .filter(|&&v| v > 0 && v < threshold)
        .count();
    let suppressed = hidden.iter().filter(|&&h| h).count();

    let mark_step = |b: &[(String, String)], t: &mut TransitionResult| {
        let funnel = |group: &str, stage: &str| Key::Funnel {
            breakdown: b.to_vec(),
            group: group.to_string(),
            stage: stage.to_string(),
        };
        let (from, to) = (t.from.clone(), t.to.clone());
        for g in t.groups.iter_mut().chain(t.unknown.iter_mut()) {
            g.entered.suppressed = is_hidden(&funnel(&g.group, &from));
            g.progressed.suppressed = is_hidden(&funnel(&g.group, &to));
            if g.entered.suppressed || g.progressed.suppressed {
                g.suppressed = true;
                g.rate = None;
                g.impact_ratio = None;
            }
        }
        // Impact ratios divide by the highest known rate: if any known
        // group's rate is withheld, the others would give it away.
        if t.groups.iter().any(|g| g.suppressed) {
            for g in &mut t.groups {
                g.impact_ratio = None;
            }
        }
        let withheld: Vec<String> = t
            .groups
            .iter()
            .filter(|g| g.suppressed)
            .map(|g| g.group.clone())
            .collect();
        for c in &mut t.comparisons {
            if withheld.contains(&c.reference) || withheld.contains(&c.focal) {
                withhold(c);
            }
        }
    };
    for t in &mut audit.transitions {
        let b = breakdown_key(&t.breakdown);
        mark_step(&b, t);
    }
    if let Some(p) = &mut audit.panels {
        for bp in &mut p.by_panel_type {
            for t in &mut bp.transitions {
                let mut b = t.breakdown.clone();
                b.insert(PANEL_TYPE.to_string(), bp.panel_type.to_string());
                mark_step(&breakdown_key(&b), t);
            }
        }
        suppress_member_counts(p, threshold);
    }

    // Sensitivity bounds use the unknown totals at both ends of the step.
    for s in &mut audit.sensitivity {
        let b = breakdown_key(&s.breakdown);
        let unknown = |stage: &str| Key::Unknown {
            breakdown: b.clone(),
            stage: stage.to_string(),
        };
        s.unknown_entered.suppressed = is_hidden(&unknown(&s.from));
        let comparison_withheld =
            comparison_withheld(&audit.transitions, &s.from, &s.to, &s.breakdown, &s.focal);
        if comparison_withheld || s.unknown_entered.suppressed || is_hidden(&unknown(&s.to)) {
            s.rl = None;
            s.rl_unknowns_all_reference = None;
            s.rl_unknowns_all_focal = None;
        }
    }

    // Pooled estimates combine every stratum's counts.
    for p in &mut audit.pooled {
        let hidden_counts: usize = audit
            .transitions
            .iter()
            .filter(|t| {
                t.from == p.from
                    && t.to == p.to
                    && !t.breakdown.is_empty()
                    && t.breakdown.keys().cloned().collect::<Vec<_>>().join("×") == p.by
            })
            .flat_map(|t| &t.groups)
            .filter(|g| g.group == p.reference || g.group == p.focal)
            .map(|g| usize::from(g.entered.suppressed) + usize::from(g.progressed.suppressed))
            .sum();
        if comparison_withheld(
            &audit.transitions,
            &p.from,
            &p.to,
            &BTreeMap::new(),
            &p.focal,
        ) {
            p.crude_rl = None;
        }
        if !pooled_can_be_shown(hidden_counts) {
            p.rr_mh = None;
            p.ci_low = None;
            p.ci_high = None;
            p.cmh_chi2 = None;
            p.p_cmh = None;
            p.or_mh = None;
            p.or_ci_low = None;
            p.or_ci_high = None;
            p.homogeneity_chi2 = None;
            p.p_homogeneity = None;
            p.note = Some(
                "withheld for publication: a stratum's counts are suppressed, and the pooled figures could give them away".into(),
            );
        }
    }

    // Change since the previous period: the current side, and within one
    // dataset (`--by quarter`) the earlier period's row too.
    for ch in &mut audit.changes {
        let withheld_row = |breakdown: &BTreeMap<String, String>| {
            comparison_withheld(&audit.transitions, &ch.from, &ch.to, breakdown, &ch.focal)
        };
        let earlier = ch.previous_period.as_ref().map(|p| {
            let mut b = ch.breakdown.clone();
            if let Some(v) = b.values_mut().next() {
                *v = p.clone();
            }
            b
        });
        let withheld = withheld_row(&ch.breakdown) || earlier.as_ref().is_some_and(withheld_row);
        if withheld {
            withhold_change(ch);
        }
    }

    // Data quality.
    let q = &mut audit.data_quality;
    for (name, count) in [
        ("applications", &mut q.applications),
        ("ethnicity_known", &mut q.ethnicity_known),
        ("ethnicity_declined", &mut q.ethnicity_declined),
        ("ethnicity_not_known", &mut q.ethnicity_not_known),
        ("ethnicity_unmapped", &mut q.ethnicity_unmapped),
    ] {
        count.suppressed = is_hidden(&Key::Quality(name));
    }
    if q.applications.suppressed || q.ethnicity_known.suppressed {
        q.disclosure_rate = None;
    }
    for l in &mut q.unmapped_labels {
        l.count.suppressed = is_hidden(&Key::Label(l.label.clone()));
    }
    for d in &mut q.disclosure_by_stage {
        d.applicants.suppressed = is_hidden(&Key::StageAll(d.stage.clone()));
        d.known.suppressed = is_hidden(&Key::StageKnown(d.stage.clone()));
        if d.applicants.suppressed || d.known.suppressed {
            d.rate = None;
        }
    }
    q.suppressed = [
        q.applications,
        q.ethnicity_known,
        q.ethnicity_declined,
        q.ethnicity_not_known,
        q.ethnicity_unmapped,
    ]
    .iter()
    .chain(q.unmapped_labels.iter().map(|l| &l.count))
    .chain(
        q.disclosure_by_stage
            .iter()
            .flat_map(|d| [&d.applicants, &d.known]),
    )
    .any(|c| c.suppressed);

    // Panels: the per-vacancy make-up names vacancies and counts a panel's
    // members by ethnicity, which identifies them.
    let mut withheld_sections = Vec::new();
    if let Some(p) = &mut audit.panels {
        if !p.compositions.is_empty() {
            withheld_sections.push(format!(
                "panels.compositions: the make-up of {} individual panels (it identifies panel members)",
                p.compositions.len()
            ));
            p.compositions.clear();
        }
        let withheld_step = |pt: &str, from: &str, to: &str, focal: &str| {
            p.by_panel_type
                .iter()
                .filter(|b| b.panel_type == pt)
                .any(|b| comparison_withheld(&b.transitions, from, to, &BTreeMap::new(), focal))
        };
        let withheld: Vec<bool> = p
            .panel_type_difference
            .iter()
            .map(|d| {
                withheld_step("diverse", &d.from, &d.to, &d.focal)
                    || withheld_step("all_white", &d.from, &d.to, &d.focal)
            })
            .collect();
        for (d, w) in p.panel_type_difference.iter_mut().zip(withheld) {
            if w {
                d.rl_diverse = None;
                d.rl_all_white = None;
                d.ratio_of_rl = None;
                d.ci_low = None;
                d.ci_high = None;
                d.p = None;
                d.note = Some(WITHHELD.into());
            }
        }
    }
    let (mut scoring_primary, mut scoring_secondary) = (0, 0);
    if let Some(s) = &mut audit.scoring {
        (scoring_primary, scoring_secondary) = publish_scoring(s, threshold);
        if s.ids_removed {
            withheld_sections
                .push("scoring.assessors: per-assessor rows (they carry assessor ids)".into());
        }
    }
    if audit.exits.take().is_some() {
        withheld_sections.push(
            "exits: rejections and withdrawals by group (their counts are not yet part of the suppression system)".into(),
        );
    }
    Publication {
        threshold,
        cells: cells.values.len(),
        primary: primary + scoring_primary,
        secondary: suppressed - primary + scoring_secondary,
        equations: cells.equations.len(),
        withheld: withheld_sections,
    }
}

/// The figures a pooled row prints that depend on the strata's counts:
/// crude ratio, pooled risk ratio and its two limits, the CMH χ² (its p is
/// the same equation), the odds ratio and its two limits, the homogeneity
/// χ² (its p likewise). Counted generously: each as one equation.
const POOLED_FIGURES: usize = 9;

/// Whether a pooled estimate may be shown when `hidden` of the counts it
/// combines are suppressed. Each printed figure is one equation in the
/// hidden counts: with no more unknowns than equations a reader could solve
/// for them, so the figures are withheld; with more, the system is
/// underdetermined. This is a judgement (the equations are non-linear and
/// the counts integers), stated in docs/publication.md.
pub fn pooled_can_be_shown(hidden: usize) -> bool {
    hidden == 0 || hidden > POOLED_FIGURES
}

/// Whether the comparison of `focal` at step `from → to` of this breakdown
/// row was withheld (it rests on a suppressed count).
fn comparison_withheld(
    transitions: &[TransitionResult],
    from: &str,
    to: &str,
    breakdown: &BTreeMap<String, String>,
    focal: &str,
) -> bool {
    transitions
        .iter()
        .filter(|t| t.from == from && t.to == to && t.breakdown == *breakdown)
        .flat_map(|t| &t.comparisons)
        .any(|c| c.focal == focal && c.note.as_deref() == Some(WITHHELD))
}

/// Panel members by group and of unknown ethnicity describe staff, a few
/// people at a time: counts from 1 to threshold − 1 are suppressed, and
/// when only one of them would be, the next smallest goes too, so their sum
/// (the members counted) cannot give it back. The count of members with no
/// HR record follows the small-count rule.
fn suppress_member_counts(p: &mut super::panels::PanelReport, threshold: u64) {
    let small = |n: u64| n > 0 && n < threshold;
    let mut cells: Vec<&mut Count> = p
        .members_by_group
        .values_mut()
        .chain(std::iter::once(&mut p.members_unknown))
        .collect();
    for c in cells.iter_mut() {
        c.suppressed = small(c.value);
    }
    if cells.iter().filter(|c| c.suppressed).count() == 1
        && let Some(next) = cells
            .iter_mut()
            .filter(|c| !c.suppressed && c.value > 0)
            .min_by_key(|c| c.value)
    {
        next.suppressed = true;
    }
    if let Some(n) = &mut p.members_not_in_staff {
        n.suppressed = small(n.value);
    }
}

/// Withholds a comparison's ratio, interval and tests.
fn withhold(c: &mut Comparison) {
    c.relative_likelihood = None;
    c.ci_low = None;
    c.ci_high = None;
    c.p_fisher = None;
    c.p_z = None;
    c.p_adjusted = None;
    c.outside_range = None;
    c.significant = None;
    c.note = Some(WITHHELD.into());
}

/// Withholds a change whose current or previous ratio rests on suppressed
/// or small counts.
pub fn withhold_change(ch: &mut super::change::Change) {
    ch.rl_current = None;
    ch.rl_previous = None;
    ch.ratio = None;
    ch.ci_low = None;
    ch.ci_high = None;
    ch.p = None;
    ch.summary = WITHHELD.to_string();
}

/// Whether a step's comparison of `focal` with `reference` rests on a count
/// from 1 to `threshold − 1` (used for the previous period, whose counts are
/// not published here but whose ratio would be).
pub fn rests_on_small_counts(
    t: &TransitionResult,
    reference: &str,
    focal: &str,
    threshold: u64,
) -> bool {
    t.groups
        .iter()
        .filter(|g| g.group == reference || g.group == focal)
        .flat_map(|g| [g.entered.value, g.progressed.value])
        .any(|v| v > 0 && v < threshold)
}

/// Scoring tables in publication mode: score statistics of fewer than
/// `threshold` observations would describe a handful of people's scores, so
/// their counts are suppressed and the statistics withheld. The LL144 table's
/// counts are linked (the ethnicity categories and the sex categories each
/// add up, with their unknowns, to the same applications scored; a crossed
/// category adds up to its parts), so they get secondary suppression too.
pub fn publish_scoring(s: &mut super::scoring::ScoringReport, threshold: u64) -> (usize, usize) {
    use super::scoring::Level;
    let small = |n: u64| n > 0 && n < threshold;
    let mut primary = 0;
    // Groups: a group's n at the application level is the LL144 ethnicity
    // category's n, so both are handled through the LL144 system below.
    for g in &mut s.groups {
        if g.level == Level::Assessor && small(g.n.value) {
            g.n.suppressed = true;
            primary += 1;
        }
    }
    // The LL144 system: category n and above-median counts, the unknowns,
    // and two unpublished totals (all scored; all above the median).
    let mut cells = Cells::default();
    let l = &s.ll144;
    let scored = l
        .categories
        .iter()
        .filter(|c| c.dimension == "ethnicity")
        .map(|c| c.n.value)
        .sum::<u64>()
        + l.unknown_ethnicity.value;
    let total = cells.cell(Key::Quality("scored"), scored);
    let unknown_eth = cells.cell(Key::Quality("unknown_ethnicity"), l.unknown_ethnicity.value);
    let unknown_sex = cells.cell(Key::Quality("unknown_sex"), l.unknown_sex.value);
    let key = |c: &super::scoring::ScoringRate, above: bool| {
        Key::Label(format!("{}|{}|{above}", c.dimension, c.category))
    };
    let mut by_dimension: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for c in &l.categories {
        let n = cells.cell(key(c, false), c.n.value);
        cells.cell(key(c, true), c.above_median.value);
        by_dimension.entry(c.dimension).or_default().push(n);
    }
    for (dimension, mut parts) in by_dimension.clone() {
        match dimension {
            "ethnicity" => parts.push(unknown_eth),
            "sex" => parts.push(unknown_sex),
            _ => continue,
        }
        cells.relate(total, parts);
    }
    // A crossed category "E × S" adds up over S to E, and over E to S.
    for above in [false, true] {
        let mut sums: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for c in l
            .categories
            .iter()
            .filter(|c| c.dimension == "ethnicity_sex")
        {
            let i = cells.get(&key(c, above)).expect("added above");
            if let Some((e, x)) = c.category.split_once(" × ") {
                sums.entry(("ethnicity".into(), e.to_string()))
                    .or_default()
                    .push(i);
                sums.entry(("sex".into(), x.to_string()))
                    .or_default()
                    .push(i);
            }
        }
        for ((dimension, category), parts) in sums {
            if let Some(t) = l
                .categories
                .iter()
                .find(|c| c.dimension == dimension && c.category == category)
            {
                let t = cells.get(&key(t, above)).expect("added above");
                cells.relate(t, parts);
            }
        }
    }
    // Drift: each period's reference and focal counts add up to the
    // groups' application-level counts when every score is dated.
    let reference = s.comparisons.first().map(|c| c.reference.clone());
    let focal = s.drift.periods.first().map(|_| {
        s.comparisons
            .iter()
            .find(|c| c.level == Level::Application)
            .map(|c| c.focal.clone())
            .unwrap_or_default()
    });
    let period_key =
        |period: &str, reference: bool| Key::StageAll(format!("drift|{period}|{reference}"));
    for (is_reference, group) in [(true, reference), (false, focal)] {
        let parts: Vec<usize> = s
            .drift
            .periods
            .iter()
            .map(|p| {
                let n = if is_reference {
                    p.n_reference.value
                } else {
                    p.n_focal.value
                };
                cells.cell(period_key(&p.period, is_reference), n)
            })
            .collect();
        let category = group.and_then(|g| {
            l.categories
                .iter()
                .find(|c| c.dimension == "ethnicity" && c.category == g)
        });
        if let Some(t) = category.and_then(|c| cells.get(&key(c, false))) {
            cells.relate(t, parts);
        }
    }
    let mut unpublished = vec![false; cells.values.len()];
    unpublished[total] = true;
    let hidden = suppression::suppress_beside_unpublished(
        &cells.values,
        &cells.equations,
        threshold,
        &unpublished,
    );
    primary += cells
        .values
        .iter()
        .enumerate()
        .filter(|&(i, &v)| i != total && small(v))
        .count();
    let secondary_ll144 = hidden
        .iter()
        .enumerate()
        .filter(|&(i, &h)| h && i != total)
        .count()
        - cells
            .values
            .iter()
            .enumerate()
            .filter(|&(i, &v)| i != total && small(v))
            .count();
    let l = &mut s.ll144;
    l.unknown_ethnicity.suppressed = hidden[unknown_eth];
    l.unknown_sex.suppressed = hidden[unknown_sex];
    let mut dims_withheld: BTreeSet<&'static str> = BTreeSet::new();
    for c in &mut l.categories {
        c.n.suppressed = cells.get(&key(c, false)).is_some_and(|i| hidden[i]);
        c.above_median.suppressed = cells.get(&key(c, true)).is_some_and(|i| hidden[i]);
        if c.n.suppressed || c.above_median.suppressed {
            c.scoring_rate = None;
            dims_withheld.insert(c.dimension);
        }
    }
    for c in &mut l.categories {
        if dims_withheld.contains(c.dimension) {
            c.impact_ratio = None;
        }
    }
    // Application-level groups follow their LL144 ethnicity category; the
    // unknown classes have no category, so they follow the small-count rule.
    for g in &mut s.groups {
        if g.level == Level::Application {
            g.n.suppressed = match l
                .categories
                .iter()
                .find(|c| c.dimension == "ethnicity" && c.category == g.group)
            {
                Some(c) => c.n.suppressed,
                None => small(g.n.value),
            };
        }
        if g.n.suppressed {
            g.mean = None;
            g.sd = None;
            g.median = None;
        }
    }
    let withheld: Vec<(String, Level)> = s
        .groups
        .iter()
        .filter(|g| g.n.suppressed)
        .map(|g| (g.group.clone(), g.level))
        .collect();
    for c in &mut s.comparisons {
        if withheld
            .iter()
            .any(|(g, lv)| *lv == c.level && (*g == c.focal || *g == c.reference))
        {
            c.mean_gap = None;
            c.gap_ci_low = None;
            c.gap_ci_high = None;
            c.hedges_g = None;
            c.g_ci_low = None;
            c.g_ci_high = None;
            c.u = None;
            c.p_mann_whitney = None;
            c.p_welch = None;
            c.note = Some(WITHHELD.into());
        }
    }
    // Drift: a period's gap rests on that period's scores.
    for p in &mut s.drift.periods {
        p.n_reference.suppressed = cells
            .get(&period_key(&p.period, true))
            .is_some_and(|i| hidden[i]);
        p.n_focal.suppressed = cells
            .get(&period_key(&p.period, false))
            .is_some_and(|i| hidden[i]);
        if p.n_reference.suppressed || p.n_focal.suppressed {
            p.gap = None;
            p.se = None;
        }
    }
    (primary, secondary_ll144)
}

/// Publication mode for the slates report. Shortlists are small, so most
/// per-assignment counts are suppressed; what survives is each assignment's
/// rule outcomes (met / not met) and the counts and figures across
/// assignments. Relations: a list's total is its groups plus its unknowns,
/// its focal count the sum of the groups outside the reference group, its
/// known count the total less the unknowns; the shortfall's observed count
/// is the sum of the shortlists' focal counts, the availability summary's
/// the sum of the longlists'.
pub fn publish_slates(
    r: &mut super::slates::SlateReport,
    threshold: u64,
    confidence: f64,
) -> Publication {
    use super::slates::Composition;
    let mut cells = Cells::default();
    let list_key = |a: &str, list: &str, what: &str| Key::Label(format!("{a}|{list}|{what}"));
    let reference: Option<String> = r.summary.pooled.first().map(|p| p.reference.clone());
    let add_list = |cells: &mut Cells, a: &str, list: &str, c: &Composition| {
        let total = cells.cell(list_key(a, list, "total"), c.total.value);
        let unknown = cells.cell(list_key(a, list, "unknown"), c.unknown.value);
        let focal = cells.cell(list_key(a, list, "focal"), c.focal.value);
        let known = cells.cell(list_key(a, list, "known"), c.total.value - c.unknown.value);
        cells.cell(list_key(a, list, "women"), c.women.value);
        let mut parts = Vec::new();
        let mut outside = Vec::new();
        for (g, n) in &c.groups {
            let i = cells.cell(list_key(a, list, &format!("group:{g}")), n.value);
            parts.push(i);
            if Some(g) != reference.as_ref() {
                outside.push(i);
            }
        }
        cells.relate(known, parts.clone());
        parts.push(unknown);
        cells.relate(total, parts);
        cells.relate(total, vec![known, unknown]);
        cells.relate(focal, outside);
    };
    for a in &r.slates {
        add_list(&mut cells, &a.assignment, "longlist", &a.longlist);
        add_list(&mut cells, &a.assignment, "shortlist", &a.shortlist);
    }
    // Sums across assignments, for all of them and for each client.
    let summaries: Vec<&super::slates::SlateSummary> =
        std::iter::once(&r.summary).chain(&r.by_client).collect();
    for s in &summaries {
        let scope = s.client.clone().unwrap_or_default();
        let members: Vec<&str> = r
            .slates
            .iter()
            .filter(|a| s.client.is_none() || a.client == s.client)
            .map(|a| a.assignment.as_str())
            .collect();
        let observed = cells.cell(
            Key::Label(format!("summary|{scope}|shortfall")),
            s.shortfall.observed.value,
        );
        let parts = members
            .iter()
            .filter_map(|a| cells.get(&list_key(a, "shortlist", "focal")))
            .collect();
        cells.relate(observed, parts);
        if let Some(av) = &s.availability {
            let observed = cells.cell(
                Key::Label(format!("summary|{scope}|availability")),
                av.observed.value,
            );
            let parts = r
                .slates
                .iter()
                .filter(|a| members.contains(&a.assignment.as_str()) && a.availability.is_some())
                .filter_map(|a| cells.get(&list_key(&a.assignment, "longlist", "focal")))
                .collect();
            cells.relate(observed, parts);
        }
    }
    // A list's known count is printed only beside an availability benchmark;
    // elsewhere it is a total no table shows.
    let mut unpublished = vec![false; cells.values.len()];
    for a in r.slates.iter().filter(|a| a.availability.is_none()) {
        for list in ["longlist", "shortlist"] {
            if let Some(i) = cells.get(&list_key(&a.assignment, list, "known")) {
                unpublished[i] = true;
            }
        }
    }
    for a in r.slates.iter().filter(|a| a.availability.is_some()) {
        if let Some(i) = cells.get(&list_key(&a.assignment, "shortlist", "known")) {
            unpublished[i] = true;
        }
    }
    let hidden = suppression::suppress_beside_unpublished(
        &cells.values,
        &cells.equations,
        threshold,
        &unpublished,
    );
    let is_hidden = |key: &Key| cells.get(key).is_some_and(|i| hidden[i]);
    let published_small =
        |i: usize| !unpublished[i] && cells.values[i] > 0 && cells.values[i] < threshold;
    let primary = (0..cells.values.len())
        .filter(|&i| published_small(i))
        .count();
    let suppressed = (0..cells.values.len())
        .filter(|&i| hidden[i] && !unpublished[i])
        .count();

    let mark = |a: &str, list: &str, c: &mut Composition| {
        c.total.suppressed = is_hidden(&list_key(a, list, "total"));
        c.unknown.suppressed = is_hidden(&list_key(a, list, "unknown"));
        c.focal.suppressed = is_hidden(&list_key(a, list, "focal"));
        c.women.suppressed = is_hidden(&list_key(a, list, "women"));
        for (g, n) in c.groups.iter_mut() {
            n.suppressed = is_hidden(&list_key(a, list, &format!("group:{g}")));
        }
        if c.total.suppressed || c.focal.suppressed {
            c.focal_share = None;
        }
        c.suppressed = c.total.suppressed
            || c.unknown.suppressed
            || c.focal.suppressed
            || c.women.suppressed
            || c.groups.values().any(|n| n.suppressed);
        is_hidden(&list_key(a, list, "known"))
    };
    // Hidden longlisted/shortlisted counts per assignment, for the pooled
    // estimates over each summary's assignments.
    let mut hidden_strata: BTreeMap<String, usize> = BTreeMap::new();
    for a in &mut r.slates {
        let id = a.assignment.clone();
        let long_known_hidden = mark(&id, "longlist", &mut a.longlist);
        mark(&id, "shortlist", &mut a.shortlist);
        for g in &mut a.rate_by_group {
            g.longlisted.suppressed = a
                .longlist
                .groups
                .get(&g.group)
                .is_some_and(|n| n.suppressed);
            g.shortlisted.suppressed = a
                .shortlist
                .groups
                .get(&g.group)
                .is_some_and(|n| n.suppressed);
            if g.longlisted.suppressed || g.shortlisted.suppressed {
                g.rate = None;
                g.suppressed = true;
            }
            *hidden_strata.entry(a.assignment.clone()).or_default() +=
                usize::from(g.longlisted.suppressed) + usize::from(g.shortlisted.suppressed);
        }
        if let Some(av) = &mut a.availability {
            av.longlisted.suppressed = long_known_hidden;
            av.observed.suppressed = a.longlist.focal.suppressed;
            if av.longlisted.suppressed || av.observed.suppressed {
                av.expected = f64::NAN;
                av.shortfall = f64::NAN;
                av.p_binomial = None;
            }
        }
    }
    // A rule outcome reads the lists' totals, focal and women counts: when
    // one of them is hidden, the outcome is withheld (met / not met for a
    // few thresholds would spell the count out), and the rule summaries
    // count only the outcomes shown.
    for a in &mut r.slates {
        let hides =
            |c: &Composition| c.total.suppressed || c.focal.suppressed || c.women.suppressed;
        if hides(&a.longlist) || hides(&a.shortlist) {
            for o in &mut a.rules {
                o.met = None;
                o.withheld = true;
            }
        }
    }
    let rule_names: Vec<String> = r.summary.rules.iter().map(|x| x.rule.clone()).collect();
    r.summary.rules = super::slates::rule_summaries(
        &r.slates.iter().collect::<Vec<_>>(),
        &rule_names,
        confidence,
    );
    for s in &mut r.by_client {
        let members: Vec<&super::slates::Assignment> =
            r.slates.iter().filter(|a| a.client == s.client).collect();
        s.rules = super::slates::rule_summaries(&members, &rule_names, confidence);
    }
    let client_of: BTreeMap<String, Option<String>> = r
        .slates
        .iter()
        .map(|a| (a.assignment.clone(), a.client.clone()))
        .collect();
    let mut summaries: Vec<&mut super::slates::SlateSummary> = std::iter::once(&mut r.summary)
        .chain(r.by_client.iter_mut())
        .collect();
    for s in summaries.iter_mut() {
        let scope = s.client.clone().unwrap_or_default();
        s.shortfall.observed.suppressed =
            is_hidden(&Key::Label(format!("summary|{scope}|shortfall")));
        if s.shortfall.observed.suppressed {
            s.shortfall.lost = f64::NAN;
            s.shortfall.p = None;
        }
        if let Some(av) = &mut s.availability {
            av.observed.suppressed =
                is_hidden(&Key::Label(format!("summary|{scope}|availability")));
            if av.observed.suppressed {
                av.shortfall = f64::NAN;
                av.p = None;
            }
        }
        let hidden: usize = hidden_strata
            .iter()
            .filter(|(a, _)| s.client.is_none() || client_of[*a] == s.client)
            .map(|(_, n)| n)
            .sum();
        if !pooled_can_be_shown(hidden) {
            for p in &mut s.pooled {
                p.rl_mh = None;
                p.ci_low = None;
                p.ci_high = None;
                p.p_cmh = None;
            }
        }
    }
    Publication {
        threshold,
        cells: cells.values.len(),
        primary,
        secondary: suppressed - primary,
        equations: cells.equations.len(),
        withheld: Vec::new(),
    }
}
