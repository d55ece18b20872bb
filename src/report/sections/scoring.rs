//! Interview scores: scores by group, gaps with effect sizes, the LL144
//! scoring rate, drift over time and the assessor check.

use super::{Detail, ci_header, section};
use crate::audit::Audit;
use crate::measures::scoring::Level;
use crate::report::model::{Block, Cell, Chart, DriftPoint, Section, Table, fmt_num};

/// The scoring section.
pub(super) fn scoring(audit: &Audit, _: Detail) -> Option<Section> {
    let s = audit.scoring.as_ref()?;
    let ci = ci_header(audit.settings.confidence);
    let mut blocks = Vec::new();
    if s.other_stage_scores > 0 {
        blocks.push(Block::Note(format!(
            "{} scores at other stages are not analysed here.",
            s.other_stage_scores
        )));
    }
    let mut groups = Table::new(["Group", "Level", "n", "Mean", "SD", "Median"]);
    for g in &s.groups {
        groups.row(vec![
            Cell::text(if g.known {
                g.group.clone()
            } else {
                format!("({})", g.group)
            }),
            Cell::text(level(g.level)),
            Cell::Count(g.n),
            Cell::Number(g.mean, 2),
            Cell::Number(g.sd, 2),
            Cell::Number(g.median, 2),
        ]);
    }
    blocks.push(Block::Table(groups));
    let mut gaps = Table::new([
        "Comparison".to_string(),
        "Level".into(),
        "Mean gap".into(),
        ci.clone(),
        "Hedges' g".into(),
        "g CI".into(),
        "Mann-Whitney p".into(),
        "Welch p".into(),
    ]);
    for c in &s.comparisons {
        gaps.row(vec![
            Cell::text(format!("{} − {}", c.focal, c.reference)),
            Cell::text(level(c.level)),
            Cell::Number(c.mean_gap, 2),
            Cell::Interval(c.gap_ci_low, c.gap_ci_high),
            Cell::Number(c.hedges_g, 2),
            Cell::Interval(c.g_ci_low, c.g_ci_high),
            Cell::P(c.p_mann_whitney),
            Cell::P(c.p_welch),
        ]);
    }
    blocks.push(Block::Table(gaps));
    blocks.push(Block::Note("Assessor level: every assessor's score counts once. Application level: one score per application, the mean of its assessors'. A negative gap means the group named first scored lower.".into()));

    // The LL144 scoring table belongs with the LL144 tables: shown only
    // when those are asked for (--ll144, --grouping eeo1).
    if audit.ll144.is_some() {
        blocks.push(Block::Heading(format!(
            "Scoring rate (NYC Local Law 144): share of applications scoring above the median ({})",
            fmt_num(s.ll144.median, 2)
        )));
        let mut rates = Table::new([
            "Category",
            "n",
            "Above median",
            "Scoring rate",
            "Impact ratio",
            "Under 2%",
        ]);
        for c in &s.ll144.categories {
            rates.row(vec![
                Cell::text(&c.category),
                Cell::Count(c.n),
                Cell::Count(c.above_median),
                Cell::Rate(c.scoring_rate),
                Cell::Ratio(c.impact_ratio),
                Cell::text(if c.excludable { "yes" } else { "" }),
            ]);
        }
        blocks.push(Block::Table(rates));
        blocks.push(Block::Note(format!(
            "Unknown ethnicity: {}; unknown sex: {}.",
            s.ll144.unknown_ethnicity, s.ll144.unknown_sex
        )));
    }

    let d = &s.drift;
    blocks.push(Block::Heading(
        "Score gap by quarter (application level)".into(),
    ));
    let points: Vec<DriftPoint> = d
        .periods
        .iter()
        .filter_map(|p| {
            Some(DriftPoint {
                period: p.period.clone(),
                gap: p.gap?,
                se: p.se.unwrap_or(0.0),
            })
        })
        .collect();
    if points.len() >= 2 {
        blocks.push(Block::Chart(Chart::Drift(points)));
    }
    let mut periods = Table::new(["Quarter", "n reference", "n compared group", "Gap", "SE"]);
    for p in &d.periods {
        periods.row(vec![
            Cell::text(&p.period),
            Cell::Count(p.n_reference),
            Cell::Count(p.n_focal),
            Cell::Number(p.gap, 2),
            Cell::Number(p.se, 2),
        ]);
    }
    blocks.push(Block::Table(periods));
    let mut lines = vec![d.summary.clone()];
    if d.undated > 0 {
        lines.push(format!(
            "Applications without a usable date: {}.",
            d.undated
        ));
    }
    lines.extend(d.stability.iter().map(|st| {
        format!(
            "Score distribution shift {} → {} for {}: PSI {}.",
            st.from,
            st.to,
            st.group,
            fmt_num(st.psi, 3)
        )
    }));
    blocks.push(Block::List(lines));

    blocks.push(Block::Heading("Assessor check".into()));
    blocks.push(Block::Paragraph(format!(
        "{} assessors with at least {} candidates of each group checked; {} flagged (Benjamini-Hochberg).{}",
        s.assessors_checked,
        s.min_assessor_candidates,
        s.assessors_flagged,
        if s.ids_removed {
            " Assessor ids are left out of published reports."
        } else {
            ""
        }
    )));
    let mut flagged = Table::new([
        "Assessor".to_string(),
        "n reference".into(),
        "n compared group".into(),
        "Differential".into(),
        ci,
        "p".into(),
        "p adjusted".into(),
    ]);
    for a in s.assessors.iter().filter(|a| a.flagged) {
        flagged.row(vec![
            Cell::text(&a.assessor_id),
            Cell::count(a.n_reference),
            Cell::count(a.n_focal),
            Cell::Number(a.differential, 2),
            Cell::Interval(a.ci_low, a.ci_high),
            Cell::P(a.p),
            Cell::P(a.p_adjusted),
        ]);
    }
    if !flagged.rows.is_empty() {
        blocks.push(Block::Table(flagged));
        blocks.push(Block::Note("Differential: the assessor's score minus the other panel members' mean, for candidates of the compared group minus reference candidates.".into()));
    }
    section("scores", format!("Interview scores ({})", s.stage), blocks)
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Assessor => "assessor",
        Level::Application => "application",
    }
}
