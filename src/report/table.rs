//! The terminal report: the title and how to read it, then every section of
//! the [report model](super::model) as plain lines and tables. Charts are
//! left out (their numbers are in the tables beside them).

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::model::{self, Block, Report};
use super::sections::{self, Detail};
use crate::audit::Audit;

/// Writes the terminal report.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    write_report(&sections::report(audit, Detail::Terminal), out)
}

/// Lays a report out for a terminal.
pub fn write_report(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", report.title)?;
    for line in &report.meta {
        writeln!(out, "{line}")?;
    }
    for section in report.sections.iter().filter(|s| !s.only_charts()) {
        writeln!(out)?;
        writeln!(out, "{}", section.title)?;
        writeln!(out, "{}", "─".repeat(section.title.chars().count()))?;
        for block in &section.blocks {
            match block {
                Block::Heading(text) => {
                    writeln!(out)?;
                    writeln!(out, "{text}")?;
                }
                Block::Paragraph(text) | Block::Note(text) => writeln!(out, "  {text}")?,
                Block::List(items) => {
                    for item in items {
                        writeln!(out, "  • {item}")?;
                    }
                }
                Block::Table(table) => writeln!(out, "{}", text_table(table))?,
                Block::Chart(_) => {}
            }
        }
    }
    Ok(())
}

/// A model table as a terminal table, numbers right-aligned.
fn text_table(table: &model::Table) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(table.header.clone());
    for row in &table.rows {
        t.add_row(row.iter().map(|c| {
            let cell = Cell::new(c.shown());
            if c.is_number() {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    t
}
