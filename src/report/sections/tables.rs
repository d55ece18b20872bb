//! The sections that are one table and a note: pooled comparisons, change
//! since the previous period, intersectional categories, availability,
//! exits and the WRES return.

use super::{Detail, ci_header, describe_breakdown, more_rows_note, rows_for, section, step_name};
use crate::audit::Audit;
use crate::report::model::{Block, Cell, Section, Table, fmt_chi2, fmt_interval, fmt_num};

/// Mantel-Haenszel pooled comparisons beside the crude ones.
pub(super) fn pooled(audit: &Audit, _: Detail) -> Option<Section> {
    if audit.pooled.is_empty() {
        return None;
    }
    let ci = ci_header(audit.settings.confidence);
    let mut table = Table::new([
        "Step".to_string(),
        "Pooled over".into(),
        "Comparison".into(),
        "Crude RL".into(),
        "Pooled RL (MH)".into(),
        ci.clone(),
        format!("Pooled odds ratio (MH, {ci})"),
        "CMH test".into(),
        "Homogeneity (Breslow-Day-Tarone)".into(),
        "Rows used (dropped)".into(),
    ]);
    let mut notes = Vec::new();
    for p in &audit.pooled {
        table.row(vec![
            Cell::text(step_name(&p.from, &p.to, None)),
            Cell::text(&p.by),
            Cell::text(format!("{} vs {}", p.reference, p.focal)),
            Cell::Ratio(p.crude_rl),
            Cell::Ratio(p.rr_mh),
            Cell::Interval(p.ci_low, p.ci_high),
            Cell::text(match p.or_mh {
                Some(_) => format!(
                    "{} ({})",
                    fmt_num(p.or_mh, 2),
                    fmt_interval(p.or_ci_low, p.or_ci_high)
                ),
                None => "–".into(),
            }),
            Cell::text(fmt_chi2(p.cmh_chi2, p.cmh_df, p.p_cmh)),
            Cell::text(fmt_chi2(
                p.homogeneity_chi2,
                p.homogeneity_df,
                p.p_homogeneity,
            )),
            Cell::text(format!("{} ({})", p.strata_used, p.strata_dropped)),
        ]);
        if let Some(n) = &p.note {
            notes.push(Block::Note(format!(
                "{} by {}: {n}",
                step_name(&p.from, &p.to, None),
                p.by
            )));
        }
    }
    let mut blocks = vec![
        Block::Note("Each comparison pooled over the rows of a breakdown (Mantel-Haenszel), beside the crude ratio of all rows added together: a pooled ratio far from the crude one means the breakdown explains part of the gap. CMH tests whether the pooled ratio differs from 1; the homogeneity test (Breslow-Day with Tarone's correction) whether the rows' ratios differ from one another.".into()),
        Block::Table(table),
    ];
    blocks.extend(notes);
    section("pooled", "Pooled across breakdown rows", blocks)
}

/// The change sentences worth reading aloud: the whole dataset against the
/// previous period, and each period against the one before (`--by quarter`).
pub(super) fn changes(audit: &Audit, _: Detail) -> Option<Section> {
    let lines: Vec<String> = audit
        .changes
        .iter()
        .filter(|c| c.breakdown.is_empty() || c.previous_period.is_some())
        .map(|c| c.summary.clone())
        .collect();
    if lines.is_empty() {
        return None;
    }
    section(
        "changes",
        "Change since the previous period",
        vec![Block::List(lines)],
    )
}

/// Ethnic group crossed with a second characteristic (NYC Local Law 144).
pub(super) fn intersectional(audit: &Audit, _: Detail) -> Option<Section> {
    let mut table = Table::new([
        "Step",
        "Category",
        "Entered",
        "Progressed",
        "Rate",
        "Impact ratio",
        "Under 2%",
    ]);
    for r in &audit.intersectional {
        table.row(vec![
            Cell::text(step_name(&r.from, &r.to, None)),
            Cell::text(&r.category),
            Cell::Count(r.entered),
            Cell::Count(r.progressed),
            Cell::Rate(r.rate),
            Cell::Ratio(r.impact_ratio),
            Cell::text(if r.excludable { "yes" } else { "" }),
        ]);
    }
    one_table(
        "intersectional",
        "Intersectional categories",
        "Ethnic group crossed with a second characteristic, as NYC Local Law 144 bias audits report it: each category's rate and its impact ratio against the category with the highest rate. Categories under 2% of a step's entrants may be left out of the impact ratios (LL144) and are not used as the highest rate; \"(not stated)\" rows are counted but never compared.",
        table,
        None,
    )
}

/// Each stage's make-up against the stage before it and any benchmark.
pub(super) fn availability(audit: &Audit, detail: Detail) -> Option<Section> {
    let (shown, more) = rows_for(&audit.availability, detail, |a| a.breakdown.is_empty());
    let mut table = Table::new([
        "Stage",
        "Rows",
        "Group",
        "Against",
        "Observed",
        "Known at stage",
        "Share",
        "Expected",
        "Shortfall",
        "p (as few or fewer)",
    ]);
    for a in shown {
        table.row(vec![
            Cell::text(&a.stage),
            Cell::text(describe_breakdown(&a.breakdown)),
            Cell::text(&a.group),
            Cell::text(&a.benchmark),
            Cell::Count(a.observed),
            Cell::Count(a.known),
            Cell::Rate(a.share),
            Cell::Number(a.expected, 1),
            Cell::Number(a.shortfall, 1),
            Cell::P(a.p_binomial),
        ]);
    }
    one_table(
        "availability",
        "Against availability",
        "Each stage's make-up against the stage before it (the pool) and any availability benchmark given: the expected count is the known applicants at the stage times the benchmark share; a positive shortfall is that many fewer than the benchmark would give; p is the exact binomial probability of as few or fewer by chance.",
        table,
        more_rows_note(more),
    )
}

/// Rejected and withdrawn applicants at each step.
pub(super) fn exits(audit: &Audit, _: Detail) -> Option<Section> {
    let exits = audit.exits.as_ref()?;
    let mut table = Table::new([
        "Step",
        "Group",
        "Entered",
        "Progressed",
        "Rejected",
        "Withdrew",
        "No reason",
        "Withdrawal rate",
        "Rate excl. withdrawals",
        "RL excl. withdrawals",
    ]);
    for r in &exits.rows {
        let rl = exits
            .comparisons
            .iter()
            .find(|c| c.from == r.from && c.comparison.focal == r.group)
            .map(|c| Cell::Ratio(c.comparison.relative_likelihood))
            .unwrap_or(Cell::Blank);
        table.row(vec![
            Cell::text(step_name(&r.from, &r.to, None)),
            Cell::text(&r.group),
            Cell::count(r.entered),
            Cell::count(r.progressed),
            Cell::count(r.rejected),
            Cell::count(r.withdrawn),
            Cell::count(r.no_reason),
            Cell::Rate(r.withdrawal_rate),
            Cell::Rate(r.rate_excluding_withdrawals),
            rl,
        ]);
    }
    let mut footer = Vec::new();
    let unclassified = &exits.unclassified_values;
    if !unclassified.is_empty() {
        let shown: Vec<String> = unclassified
            .iter()
            .take(10)
            .map(|u| format!("'{}' ({})", u.value, u.applications))
            .collect();
        footer.push(format!(
            "Exit values counted under \"No reason\" because rung does not recognise them: {}{}. Map them in a profile's [exit_values].",
            shown.join(", "),
            if unclassified.len() > 10 { ", …" } else { "" }
        ));
    }
    if exits.exit_value_at_last_stage > 0 {
        footer.push(format!(
            "Applications that reached the last stage but carry an exit reason (left out of the table: there is no step after it): {}.",
            exits.exit_value_at_last_stage
        ));
    }
    let mut section = one_table(
        "exits",
        "Rejected and withdrawn",
        "Of the applicants who stopped at each stage, how many the employer rejected and how many withdrew (from the exit_reason column), and the rate of progressing among applicants who did not withdraw, with its relative likelihood against the reference group in the report's direction. A group that withdraws more often is not thereby rejected more often.",
        table,
        None,
    )?;
    section.blocks.extend(footer.into_iter().map(Block::Note));
    Some(section)
}

/// NHS WRES indicator 2 in the shape of the data collection.
pub(super) fn wres(audit: &Audit, _: Detail) -> Option<Section> {
    let mut table = Table::new([
        "Rows",
        "Shortlisted: White",
        "BME",
        "Not stated",
        "Appointed: White",
        "BME",
        "Not stated",
        "RL (NHS WRES: White ÷ BME)",
        "RL (SC-WRES: BME ÷ White)",
    ]);
    for w in &audit.wres_indicator_2 {
        table.row(vec![
            Cell::text(describe_breakdown(&w.breakdown)),
            Cell::Count(w.shortlisted_white),
            Cell::Count(w.shortlisted_bme),
            Cell::Count(w.shortlisted_not_stated),
            Cell::Count(w.appointed_white),
            Cell::Count(w.appointed_bme),
            Cell::Count(w.appointed_not_stated),
            Cell::Ratio(w.rl_nhs_wres),
            Cell::Ratio(w.rl_sc_wres),
        ]);
    }
    one_table(
        "wres",
        "WRES indicator 2, ready for the return",
        "NHS WRES indicator 2 in the shape of the WRES data collection: applicants shortlisted and appointed from shortlisting, White / BME / not stated (declined, not known or unmapped), with the relative likelihood in the NHS WRES direction (White ÷ BME) and the Social Care WRES direction (BME ÷ White).",
        table,
        None,
    )
}

/// A section of a note, a table and an optional line after it; `None` when
/// the table has no rows.
fn one_table(
    id: &'static str,
    title: &str,
    note: &str,
    table: Table,
    after: Option<Block>,
) -> Option<Section> {
    if table.rows.is_empty() {
        return None;
    }
    let mut blocks = vec![Block::Note(note.into()), Block::Table(table)];
    blocks.extend(after);
    section(id, title, blocks)
}
