//! The terminal report: data quality first, then one pair of tables per
//! step (groups, then comparisons), whole dataset first.

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::{fmt_interval, fmt_num, fmt_p, fmt_rate};
use crate::audit::Audit;
use crate::measures::funnel::TransitionResult;
use crate::stats::Confidence;

/// Writes the terminal report.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &audit.settings;
    writeln!(
        out,
        "rung {} — {}",
        audit.tool.version,
        match &audit.settings.profile_name {
            Some(n) => format!("recruitment funnel audit ({n})"),
            None => "recruitment funnel audit".into(),
        }
    )?;
    writeln!(
        out,
        "Grouping: {} (reference group: {}). Ratios: {} direction — {}.",
        s.grouping,
        s.reference_group,
        s.direction.name(),
        s.direction_meaning
    )?;
    writeln!(
        out,
        "Confidence {}%; \"significant\" means Fisher's exact p, adjusted for the {} comparisons in this report ({}), is below {}.",
        s.confidence.percent(),
        audit.comparisons_tested(),
        s.adjust.describe(),
        round(s.confidence.alpha())
    )?;
    if let Some(note) = super::publication_note(audit) {
        writeln!(out, "{note}")?;
    }
    writeln!(out)?;
    if !audit.findings.is_empty() {
        writeln!(out, "Findings")?;
        for f in &audit.findings {
            writeln!(out, "  • {}", f.text)?;
        }
        writeln!(out)?;
    }
    write_quality(audit, out)?;
    for t in &audit.transitions {
        writeln!(out)?;
        write_transition(t, audit.settings.confidence, out)?;
    }
    if !audit.pooled.is_empty() {
        super::sections::write_pooled(&audit.pooled, audit.settings.confidence, out)?;
    }
    super::sections::write_disclosure(&audit.data_quality, out)?;
    let cards = super::scorecard_texts(audit);
    if !cards.is_empty() {
        writeln!(out)?;
        writeln!(out, "Scorecards")?;
        writeln!(out, "  {}", super::SCORECARD_NOTE)?;
        for card in cards {
            writeln!(out)?;
            writeln!(out, "{}", card.title)?;
            for line in &card.lines {
                writeln!(out, "  {line}")?;
            }
            for (header, rows) in [card.stages, card.steps] {
                writeln!(out, "{}", text_table(header, rows, 1))?;
            }
        }
    }
    for section in super::extra_sections(audit, true) {
        writeln!(out)?;
        writeln!(out, "{}", section.title)?;
        writeln!(out, "  {}", section.note)?;
        writeln!(
            out,
            "{}",
            text_table(section.header, section.rows, section.numeric_from)
        )?;
        if let Some(footer) = &section.footer {
            writeln!(out, "  {footer}")?;
        }
    }
    if !audit.changes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Change since the previous period")?;
        for line in super::change_lines(audit) {
            writeln!(out, "  {line}")?;
        }
    }
    if let Some(p) = &audit.panels {
        super::sections::write_panels(p, audit.settings.confidence, out)?;
    }
    if let Some(s) = &audit.scoring {
        super::sections::write_scoring(s, audit.settings.confidence, out)?;
    }
    Ok(())
}

/// A terminal table; columns from `numeric_from` on are right-aligned.
fn text_table(
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    numeric_from: usize,
) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(header);
    for row in rows {
        t.add_row(row.into_iter().enumerate().map(|(i, c)| {
            let cell = comfy_table::Cell::new(c);
            if i >= numeric_from {
                cell.set_alignment(comfy_table::CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    t
}

fn round(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

fn write_quality(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    let q = &audit.data_quality;
    writeln!(out, "Data quality")?;
    writeln!(out, "  Applications: {}", q.applications)?;
    writeln!(
        out,
        "  Ethnicity stated: {} ({}) · declined: {} · not known: {} · unmapped: {}",
        q.ethnicity_known,
        fmt_rate(q.disclosure_rate),
        q.ethnicity_declined,
        q.ethnicity_not_known,
        q.ethnicity_unmapped
    )?;
    if !q.unmapped_labels.is_empty() {
        writeln!(
            out,
            "  Labels that could not be mapped (excluded from rates; see `rung labels`):"
        )?;
        for l in &q.unmapped_labels {
            writeln!(out, "    {:?}: {} ({})", l.label, l.count, l.reason)?;
        }
    }
    if q.applications_without_stage > 0 {
        writeln!(
            out,
            "  Applications with no stage recorded (counted as applied): {}",
            q.applications_without_stage
        )?;
    }
    for t in &q.tables {
        writeln!(
            out,
            "  {} ({}): {} {} read, {} used, {} excluded",
            t.table_name(),
            t.path,
            t.rows_read,
            if t.rows_read == 1 { "row" } else { "rows" },
            t.rows_used,
            t.rows_excluded
        )?;
        for e in &t.excluded {
            writeln!(out, "    {}: {}", e.reason, e.rows)?;
        }
    }
    Ok(())
}

fn write_transition(
    t: &TransitionResult,
    confidence: Confidence,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut title = format!("{} → {}", t.from, t.to);
    if let Some(l) = &t.label {
        title.push_str(&format!(" ({l})"));
    }
    if t.breakdown.is_empty() {
        title.push_str(" — all applications");
    } else {
        let parts: Vec<String> = t
            .breakdown
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        title.push_str(&format!(" — {}", parts.join(", ")));
    }
    writeln!(out, "{title}")?;

    let mut groups = Table::new();
    groups.load_preset(UTF8_FULL_CONDENSED);
    groups.set_header(["Group", "Entered", "Progressed", "Rate", "Impact ratio"]);
    for g in &t.groups {
        groups.add_row(vec![
            Cell::new(&g.group),
            right(g.entered.to_string()),
            right(g.progressed.to_string()),
            right(fmt_rate(g.rate)),
            right(fmt_num(g.impact_ratio, 2)),
        ]);
    }
    for g in &t.unknown {
        groups.add_row(vec![
            Cell::new(format!("({})", g.group)),
            right(g.entered.to_string()),
            right(g.progressed.to_string()),
            right(fmt_rate(g.rate)),
            right(""),
        ]);
    }
    writeln!(out, "{groups}")?;

    let mut comparisons = Table::new();
    comparisons.load_preset(UTF8_FULL_CONDENSED);
    let ci_header = format!("{}% CI", round(confidence.percent()));
    comparisons.set_header([
        "Comparison",
        "Relative likelihood",
        ci_header.as_str(),
        "Fisher p",
        "Adjusted p",
        "z-test p",
        "Outside 0.80–1.25",
        "Significant",
    ]);
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "–",
    };
    let mut notes = Vec::new();
    for c in &t.comparisons {
        let ci = fmt_interval(c.ci_low, c.ci_high);
        comparisons.add_row(vec![
            Cell::new(format!("{} vs {}", c.reference, c.focal)),
            right(fmt_num(c.relative_likelihood, 2)),
            right(ci),
            right(fmt_p(c.p_fisher)),
            right(fmt_p(c.p_adjusted)),
            right(fmt_p(c.p_z)),
            right(yes_no(c.outside_range)),
            right(yes_no(c.significant)),
        ]);
        if let Some(n) = &c.note {
            notes.push(format!("  {} vs {}: {n}", c.reference, c.focal));
        }
    }
    writeln!(out, "{comparisons}")?;
    for n in notes {
        writeln!(out, "{n}")?;
    }
    Ok(())
}

fn right(text: impl Into<String>) -> Cell {
    Cell::new(text.into()).set_alignment(CellAlignment::Right)
}
