//! The funnel's sections: the findings, the two charts, a pair of tables
//! per step, and the sensitivity bounds for unknown ethnicity.

use super::{Detail, ci_header, describe_breakdown, more_rows_note, rows_for, section, step_name};
use crate::audit::Audit;
use crate::measures::funnel::{Direction, TransitionResult};
use crate::report::model::{Block, Cell, Chart, Forest, ForestRow, FunnelBars, Section, Table};

/// The headline: the sentences a board member reads aloud first.
pub(super) fn headline(audit: &Audit, _: Detail) -> Option<Section> {
    section(
        "headline",
        "In brief",
        if audit.headline.is_empty() {
            Vec::new()
        } else {
            vec![Block::Paragraph(audit.headline.join(" "))]
        },
    )
}

/// The findings, most important first.
pub(super) fn findings(audit: &Audit, _: Detail) -> Option<Section> {
    let items: Vec<String> = audit.findings.iter().map(|f| f.text.clone()).collect();
    section(
        "findings",
        "Findings",
        if items.is_empty() {
            Vec::new()
        } else {
            vec![Block::List(items)]
        },
    )
}

/// A step's heading: "shortlisted → appointed — all applications".
fn step_title(t: &TransitionResult) -> String {
    format!(
        "{} — {}",
        step_name(&t.from, &t.to, t.label.as_deref()),
        describe_breakdown(&t.breakdown)
    )
}

/// The forest plot of the whole-dataset comparisons.
pub(super) fn forest(audit: &Audit, _: Detail) -> Option<Section> {
    let s = &audit.settings;
    let rows: Vec<ForestRow> = audit
        .transitions
        .iter()
        .filter(|t| t.breakdown.is_empty())
        .flat_map(|t| {
            t.comparisons.iter().map(move |c| ForestRow {
                label: format!(
                    "{} · {} vs {}",
                    step_name(&t.from, &t.to, t.label.as_deref()),
                    c.reference,
                    c.focal
                ),
                estimate: match (c.relative_likelihood, c.ci_low, c.ci_high) {
                    (Some(rl), Some(l), Some(h)) => Some((rl, l, h)),
                    _ => None,
                },
                significant: c.significant == Some(true),
            })
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    // Which side of 1 favours whom depends on the direction the ratio is
    // stated in.
    let reference = format!("{} applicants", s.reference_group);
    let compared = "the group compared".to_string();
    let (numerator, denominator) = match s.direction {
        Direction::NhsWres => (reference, compared),
        Direction::ScWres => (compared, reference),
    };
    let chart = Chart::Forest(Forest {
        rows,
        above_one: format!("{numerator} more likely to progress →"),
        below_one: format!("← {denominator} more likely to progress"),
        caption: format!(
            "Squares: relative likelihood ({}); lines: {}% confidence intervals (log scale, clipped to 0.25–4). Shaded: 0.80–1.25, where a ratio is not taken as adverse impact. Filled red squares: significant after adjustment; hollow squares: not.",
            s.direction_meaning,
            s.confidence.percent()
        ),
    });
    section(
        "forest",
        "Relative likelihood by step",
        vec![Block::Chart(chart)],
    )
}

/// The funnel chart: of each group's applicants, the share reaching each
/// stage, from consecutive whole-dataset steps.
pub(super) fn funnel_chart(audit: &Audit, _: Detail) -> Option<Section> {
    let stages = &audit.settings.ladder;
    let mut groups: Vec<(String, Vec<Option<u64>>)> = Vec::new();
    for t in audit
        .transitions
        .iter()
        .filter(|t| t.breakdown.is_empty() && t.label.is_none())
    {
        let (Some(from), Some(to)) = (
            stages.iter().position(|s| *s == t.from),
            stages.iter().position(|s| *s == t.to),
        ) else {
            continue;
        };
        for g in &t.groups {
            let at = match groups.iter().position(|x| x.0 == g.group) {
                Some(at) => at,
                None => {
                    groups.push((g.group.clone(), vec![Some(0); stages.len()]));
                    groups.len() - 1
                }
            };
            // A suppressed count draws no bar: its height would give it away.
            groups[at].1[from] = g.entered.shown();
            groups[at].1[to] = g.progressed.shown();
        }
    }
    if groups.is_empty() {
        return None;
    }
    let chart = Chart::Funnel(FunnelBars {
        stages: stages.clone(),
        groups,
        caption: "Each bar: the share of the group's applicants who reached the stage (first stage = 100%), with the count above it. The tables under Steps hold the same counts.".into(),
    });
    section("funnel", "The funnel by group", vec![Block::Chart(chart)])
}

/// One heading and two tables per step (groups, then comparisons), with
/// the comparisons' notes.
pub(super) fn steps(audit: &Audit, _: Detail) -> Option<Section> {
    let mut blocks = Vec::new();
    for t in &audit.transitions {
        blocks.push(Block::Heading(step_title(t)));
        let mut groups = Table::new(["Group", "Entered", "Progressed", "Rate", "Impact ratio"]);
        for g in &t.groups {
            groups.row(vec![
                Cell::text(&g.group),
                Cell::Count(g.entered),
                Cell::Count(g.progressed),
                Cell::Rate(g.rate),
                Cell::Ratio(g.impact_ratio),
            ]);
        }
        for g in &t.unknown {
            groups.row(vec![
                Cell::text(format!("({})", g.group)),
                Cell::Count(g.entered),
                Cell::Count(g.progressed),
                Cell::Rate(g.rate),
                Cell::Blank,
            ]);
        }
        blocks.push(Block::Table(groups));
        let mut comparisons = Table::new([
            "Comparison".to_string(),
            "Relative likelihood".into(),
            ci_header(audit.settings.confidence),
            "Fisher p".into(),
            "Adjusted p".into(),
            "z-test p".into(),
            "Outside 0.80–1.25".into(),
            "Significant".into(),
        ]);
        for c in &t.comparisons {
            comparisons.row(vec![
                Cell::text(format!("{} vs {}", c.reference, c.focal)),
                Cell::Ratio(c.relative_likelihood),
                Cell::Interval(c.ci_low, c.ci_high),
                Cell::P(c.p_fisher),
                Cell::P(c.p_adjusted),
                Cell::P(c.p_z),
                Cell::YesNo(c.outside_range),
                Cell::YesNo(c.significant),
            ]);
        }
        blocks.push(Block::Table(comparisons));
        for c in &t.comparisons {
            if let Some(n) = &c.note {
                blocks.push(Block::Note(format!("{} vs {}: {n}", c.reference, c.focal)));
            }
        }
    }
    section("steps", "Steps of the funnel", blocks)
}

/// What each ratio would be if every applicant of unknown ethnicity were in
/// the reference group, or in the group compared.
pub(super) fn sensitivity(audit: &Audit, detail: Detail) -> Option<Section> {
    let (shown, more) = rows_for(&audit.sensitivity, detail, |s| s.breakdown.is_empty());
    let mut table = Table::new([
        "Step",
        "Rows",
        "Comparison",
        "Unknown entered",
        "Relative likelihood",
        "If unknowns were all reference",
        "If unknowns were all compared group",
        "Lowest possible",
        "Highest possible",
    ]);
    for s in shown {
        table.row(vec![
            Cell::text(step_name(&s.from, &s.to, None)),
            Cell::text(describe_breakdown(&s.breakdown)),
            Cell::text(format!("{} vs {}", audit.settings.reference_group, s.focal)),
            Cell::Count(s.unknown_entered),
            Cell::Ratio(s.rl),
            Cell::Ratio(s.rl_unknowns_all_reference),
            Cell::Ratio(s.rl_unknowns_all_focal),
            Cell::Ratio(s.rl_lowest),
            Cell::Ratio(s.rl_highest),
        ]);
    }
    if table.rows.is_empty() {
        return None;
    }
    let mut blocks = vec![
        Block::Note("How far applicants of unknown ethnicity could move each ratio: the ratio as reported; what it would be if every one of them were in the reference group, or every one in the group compared; and the lowest and highest any placement could give (those who progressed in one group, those who did not in the other). Only where the lowest and highest fall on the same side of 1 can no placement of the unknowns reverse the ratio. \"–\": unbounded or undefined.".into()),
        Block::Table(table),
    ];
    blocks.extend(more_rows_note(more));
    section("sensitivity", "If ethnicity were known for all", blocks)
}
