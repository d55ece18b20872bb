//! The Markdown report: findings, data quality and one table per step, for
//! pasting into papers, wikis and board reports. It formats; it computes
//! nothing.

use std::io::Write;

use super::model::{Block, Cell, Report, Table};
use super::sections::{self, Detail};
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

/// Writes the Markdown report.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    write_report(&sections::report(audit, Detail::Document), out)
}

/// Lays a report out as Markdown. Charts are left out: Markdown cannot
/// draw them, and their numbers are in the tables beside them.
pub fn write_report(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "# {}", escape(&report.title))?;
    writeln!(out)?;
    writeln!(out, "{}", escape(&report.meta.join(" ")))?;
    for section in report.sections.iter().filter(|s| !s.only_charts()) {
        writeln!(out)?;
        writeln!(out, "## {}", escape(&section.title))?;
        for block in &section.blocks {
            match block {
                Block::Heading(text) => {
                    writeln!(out)?;
                    writeln!(out, "### {}", escape(text))?;
                }
                Block::Paragraph(text) => {
                    writeln!(out)?;
                    writeln!(out, "{}", escape(text))?;
                }
                Block::Note(text) => {
                    writeln!(out)?;
                    writeln!(out, "*{}*", escape(text))?;
                }
                Block::List(items) => {
                    writeln!(out)?;
                    for item in items {
                        writeln!(out, "- {}", escape(item))?;
                    }
                }
                Block::Table(table) => {
                    writeln!(out)?;
                    write_table(table, out)?;
                }
                Block::Chart(_) => {}
            }
        }
    }
    Ok(())
}

/// A Markdown table; number columns are right-aligned.
fn write_table(table: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    writeln!(
        out,
        "{}",
        line(table.header.iter().map(|h| escape(h)).collect())
    )?;
    let rule = (0..table.header.len())
        .map(|i| {
            let numbers = table
                .rows
                .iter()
                .any(|r| r.get(i).is_some_and(Cell::is_number));
            if numbers { "---:" } else { "---" }.to_string()
        })
        .collect();
    writeln!(out, "{}", line(rule))?;
    for row in &table.rows {
        writeln!(
            out,
            "{}",
            line(
                row.iter()
                    .map(|c| match c {
                        // Bold, so an unmet rule stands out.
                        Cell::Met(Some(false)) => format!("**{}**", escape(&c.shown())),
                        c => escape(&c.shown()),
                    })
                    .collect()
            )
        )?;
    }
    Ok(())
}
