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
//!
//! This pass covers the audit report: `cells` builds the system of the
//! funnel's, data quality's and panels' counts; this module marks what is
//! hidden and withholds what rests on it (the funnel, its breakdowns, the
//! sensitivity bounds, pooled estimates, changes, data quality and panels);
//! `scoring` does both for the score statistics and the LL144 table. The slates
//! report has its own pass (`measures::slates::publish`).

use std::collections::BTreeMap;

use super::Audit;
use crate::counts::PANEL_TYPE;
use crate::measures::Count;
use crate::measures::funnel::{Comparison, Steps, TransitionResult};
use crate::stats::suppression;
use crate::stats::suppression::{Publication, WITHHELD, pooled_can_be_shown};

mod cells;
mod scoring;

use cells::{Key, breakdown_key, cells_of};
use scoring::publish_scoring;

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

    let steps = Steps::new(&audit.transitions);
    // Sensitivity bounds use the unknown totals at both ends of the step.
    for s in &mut audit.sensitivity {
        let b = breakdown_key(&s.breakdown);
        let unknown = |stage: &str| Key::Unknown {
            breakdown: b.clone(),
            stage: stage.to_string(),
        };
        s.unknown_entered.suppressed = is_hidden(&unknown(&s.from));
        let comparison_withheld =
            comparison_withheld(&steps, &s.from, &s.to, &s.breakdown, &s.focal);
        if comparison_withheld || s.unknown_entered.suppressed || is_hidden(&unknown(&s.to)) {
            s.rl = None;
            s.rl_unknowns_all_reference = None;
            s.rl_unknowns_all_focal = None;
            s.rl_lowest = None;
            s.rl_highest = None;
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
        if comparison_withheld(&steps, &p.from, &p.to, &BTreeMap::new(), &p.focal) {
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
            comparison_withheld(&steps, &ch.from, &ch.to, breakdown, &ch.focal)
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
                .any(|b| {
                    comparison_withheld(
                        &Steps::new(&b.transitions),
                        from,
                        to,
                        &BTreeMap::new(),
                        focal,
                    )
                })
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

/// Whether the comparison of `focal` at step `from → to` of this breakdown
/// row was withheld (it rests on a suppressed count).
fn comparison_withheld(
    steps: &Steps,
    from: &str,
    to: &str,
    breakdown: &BTreeMap<String, String>,
    focal: &str,
) -> bool {
    steps
        .get(from, to, breakdown)
        .into_iter()
        .flat_map(|t| &t.comparisons)
        .any(|c| c.focal == focal && c.note.as_deref() == Some(WITHHELD))
}

/// Panel members by group and of unknown ethnicity describe staff, a few
/// people at a time: counts from 1 to threshold − 1 are suppressed, and
/// when only one of them would be, the next smallest goes too, so their sum
/// (the members counted) cannot give it back. The count of members with no
/// HR record follows the small-count rule.
fn suppress_member_counts(p: &mut crate::measures::panels::PanelReport, threshold: u64) {
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

/// Withholds each change whose previous-period ratio rests on a count from
/// 1 to `threshold − 1`: the previous counts are not printed, but a ratio
/// resting on a small one would still describe a handful of people.
pub fn withhold_changes_resting_on_small_counts(
    changes: &mut [crate::measures::change::Change],
    then: &[TransitionResult],
    reference: &str,
    threshold: u64,
) {
    let then = Steps::new(then);
    for ch in changes {
        let small = then
            .get(&ch.from, &ch.to, &ch.breakdown)
            .is_some_and(|t| rests_on_small_counts(t, reference, &ch.focal, threshold));
        if small {
            withhold_change(ch);
        }
    }
}

/// Withholds the WRES indicator 2 ratios whose counts are suppressed (the
/// return is built from the already suppressed steps).
pub fn withhold_wres_ratios(returns: &mut [crate::measures::wres::WresIndicator2]) {
    for w in returns {
        let withheld = [
            w.shortlisted_white,
            w.shortlisted_bme,
            w.appointed_white,
            w.appointed_bme,
        ]
        .iter()
        .any(|c| c.suppressed);
        if withheld {
            w.rl_nhs_wres = None;
            w.rl_sc_wres = None;
        }
    }
}

/// Withholds a change whose current or previous ratio rests on suppressed
/// or small counts.
fn withhold_change(ch: &mut crate::measures::change::Change) {
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
fn rests_on_small_counts(
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
