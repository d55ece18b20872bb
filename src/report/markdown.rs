//! The Markdown report: findings, data quality and one table per step, for
//! pasting into papers, wikis and board reports. It formats; it computes
//! nothing.

use std::io::Write;

use super::{fmt_interval, fmt_num, fmt_p, fmt_rate};
use crate::audit::Audit;

/// Escapes text from the data (labels, breakdown values, file names) so
/// that Markdown shows it as written: no table is broken, no link, image,
/// emphasis or raw HTML (e.g. `<script>`) comes from a label. CommonMark
/// lets any ASCII punctuation be escaped with a backslash; the characters
/// with meaning are. Line breaks become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn cell(s: &str) -> String {
    escape(s)
}

fn row(out: &mut dyn Write, cells: &[String]) -> std::io::Result<()> {
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    writeln!(out, "| {} |", cells.join(" | "))
}

/// A table header; columns `numbers_from..numbers_to` are right-aligned.
fn header(
    out: &mut dyn Write,
    names: &[&str],
    numbers: std::ops::Range<usize>,
) -> std::io::Result<()> {
    row(
        out,
        &names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )?;
    let rule: Vec<&str> = (0..names.len())
        .map(|i| if numbers.contains(&i) { "---:" } else { "---" })
        .collect();
    writeln!(out, "| {} |", rule.join(" | "))
}

/// A whole table; columns from `numeric_from` on are right-aligned.
fn table(
    out: &mut dyn Write,
    names: &[String],
    rows: &[Vec<String>],
    numeric_from: usize,
) -> std::io::Result<()> {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    header(out, &names, numeric_from..names.len())?;
    for r in rows {
        row(out, r)?;
    }
    Ok(())
}

/// Writes the Markdown report.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &audit.settings;
    writeln!(out, "# {}", escape(&super::title(audit)))?;
    writeln!(out)?;
    let produced = format!(
        "Produced by rung {} on {}. Grouping {}, reference group {}; ratios in the {} direction ({}). Confidence {}%; p values adjusted for {} comparisons ({}).",
        audit.provenance.version,
        audit.provenance.generated_at,
        s.grouping,
        s.reference_group,
        s.direction.name(),
        s.direction_meaning,
        s.confidence.percent(),
        audit.comparisons_tested(),
        s.adjust.describe()
    );
    writeln!(out, "{}", escape(&produced))?;
    if let Some(note) = super::publication_note(audit) {
        writeln!(out)?;
        writeln!(out, "{}", escape(&note))?;
    }
    writeln!(out)?;
    writeln!(out, "## Findings")?;
    writeln!(out)?;
    for f in &audit.findings {
        writeln!(out, "- {}", escape(&f.text))?;
    }
    writeln!(out)?;
    writeln!(out, "## Data quality")?;
    writeln!(out)?;
    let q = &audit.data_quality;
    writeln!(
        out,
        "{} applications; ethnicity stated for {} ({}), declined {}, not known {}, unmapped {}.",
        q.applications,
        q.ethnicity_known,
        fmt_rate(q.disclosure_rate),
        q.ethnicity_declined,
        q.ethnicity_not_known,
        q.ethnicity_unmapped
    )?;
    writeln!(out)?;
    header(
        out,
        &["Table", "Rows read", "Used", "Excluded", "Reasons"],
        1..4,
    )?;
    for t in &q.tables {
        let reasons: Vec<String> = t
            .excluded
            .iter()
            .map(|e| format!("{}: {}", e.reason, e.rows))
            .collect();
        row(
            out,
            &[
                t.table_name().to_string(),
                t.rows_read.to_string(),
                t.rows_used.to_string(),
                t.rows_excluded.to_string(),
                reasons.join("; "),
            ],
        )?;
    }
    writeln!(out)?;
    header(
        out,
        &["Stage reached", "Applicants", "Ethnicity known", "Rate"],
        1..4,
    )?;
    for d in &q.disclosure_by_stage {
        row(
            out,
            &[
                d.stage.clone(),
                d.applicants.to_string(),
                d.known.to_string(),
                fmt_rate(d.rate),
            ],
        )?;
    }
    if !q.unmapped_labels.is_empty() {
        writeln!(out)?;
        let labels: Vec<String> = q
            .unmapped_labels
            .iter()
            .map(|l| {
                format!(
                    "\"{}\" ({}: {})",
                    escape(&l.label),
                    l.count,
                    escape(&l.reason)
                )
            })
            .collect();
        writeln!(
            out,
            "Labels that could not be mapped: {}.",
            labels.join(", ")
        )?;
    }

    writeln!(out)?;
    writeln!(out, "## Steps of the funnel")?;
    for t in &audit.transitions {
        writeln!(out)?;
        let mut title = format!("### {} → {}", t.from, t.to);
        if let Some(l) = &t.label {
            title.push_str(&format!(" ({l})"));
        }
        if !t.breakdown.is_empty() {
            let parts: Vec<String> = t
                .breakdown
                .iter()
                .map(|(k, v)| format!("{} = {}", escape(k), escape(v)))
                .collect();
            title.push_str(&format!(" — {}", parts.join(", ")));
        }
        writeln!(out, "{title}")?;
        writeln!(out)?;
        header(
            out,
            &["Group", "Entered", "Progressed", "Rate", "Impact ratio"],
            1..5,
        )?;
        for g in &t.groups {
            row(
                out,
                &[
                    g.group.clone(),
                    g.entered.to_string(),
                    g.progressed.to_string(),
                    fmt_rate(g.rate),
                    fmt_num(g.impact_ratio, 2),
                ],
            )?;
        }
        for g in &t.unknown {
            row(
                out,
                &[
                    format!("({})", g.group),
                    g.entered.to_string(),
                    g.progressed.to_string(),
                    fmt_rate(g.rate),
                    String::new(),
                ],
            )?;
        }
        writeln!(out)?;
        header(
            out,
            &[
                "Comparison",
                "Relative likelihood",
                "CI",
                "Fisher p",
                "Adjusted p",
                "Outside 0.80–1.25",
                "Significant",
            ],
            1..5,
        )?;
        let yes_no = |b: Option<bool>| match b {
            Some(true) => "yes".to_string(),
            Some(false) => "no".to_string(),
            None => "–".to_string(),
        };
        for c in &t.comparisons {
            row(
                out,
                &[
                    format!("{} vs {}", c.reference, c.focal),
                    fmt_num(c.relative_likelihood, 2),
                    fmt_interval(c.ci_low, c.ci_high),
                    fmt_p(c.p_fisher),
                    fmt_p(c.p_adjusted),
                    yes_no(c.outside_range),
                    yes_no(c.significant),
                ],
            )?;
        }
        for c in t.comparisons.iter().filter(|c| c.note.is_some()) {
            writeln!(out)?;
            writeln!(
                out,
                "*{} vs {}: {}*",
                c.reference,
                c.focal,
                c.note.as_deref().unwrap_or("")
            )?;
        }
    }
    if !audit.pooled.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Pooled across breakdown rows")?;
        writeln!(out)?;
        let (names, rows) = super::pooled_table(&audit.pooled, audit.settings.confidence);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        header(out, &names, 3..names.len())?;
        for r in &rows {
            row(out, r)?;
        }
    }
    let changes = super::change_lines(audit);
    if !changes.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Change since the previous period")?;
        writeln!(out)?;
        for line in changes {
            writeln!(out, "- {}", escape(line))?;
        }
    }
    let cards = super::scorecard_texts(audit);
    if !cards.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Scorecards")?;
        writeln!(out)?;
        writeln!(out, "{}", super::SCORECARD_NOTE)?;
        for card in cards {
            writeln!(out)?;
            writeln!(out, "### {}", escape(&card.title))?;
            writeln!(out)?;
            for line in &card.lines {
                writeln!(out, "- {}", escape(line))?;
            }
            for (names, rows) in [card.stages, card.steps] {
                writeln!(out)?;
                table(out, &names, &rows, 1)?;
            }
        }
    }
    for section in super::extra_sections(audit, false) {
        writeln!(out)?;
        writeln!(out, "## {}", section.title)?;
        writeln!(out)?;
        writeln!(out, "{}", section.note)?;
        writeln!(out)?;
        table(out, &section.header, &section.rows, section.numeric_from)?;
        if let Some(footer) = &section.footer {
            writeln!(out)?;
            writeln!(out, "{}", escape(footer))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "## Provenance")?;
    writeln!(out)?;
    writeln!(
        out,
        "Command: `{}`",
        audit.provenance.command.replace('`', "'")
    )?;
    writeln!(out)?;
    header(out, &["Table", "File", "Rows", "SHA-256"], 2..3)?;
    for i in &audit.provenance.inputs {
        row(
            out,
            &[
                format!("{:?}", i.table).to_lowercase(),
                i.path.clone(),
                i.rows.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
                i.sha256.clone(),
            ],
        )?;
    }
    Ok(())
}
