//! The terminal report: the title and how to read it, then every section of
//! the [report model](super::model) as plain lines and tables. Charts are
//! left out (their numbers are in the tables beside them).

use std::io::Write;

use comfy_table::{
    Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
    presets::UTF8_FULL_CONDENSED,
};

use super::model::{self, Block, Report};
use super::sections::{self, Detail};
use crate::audit::Audit;

/// The width the terminal report fits unless `--wide` is given: text
/// wraps and table cells wrap to stay within it.
pub const WIDTH: u16 = 100;

/// Writes the terminal report, fitted to `width` columns (`None`: every
/// line whole, tables at their natural width).
pub fn write(audit: &Audit, width: Option<u16>, out: &mut dyn Write) -> std::io::Result<()> {
    write_report(&sections::report(audit, Detail::Terminal), width, out)
}

/// Lays a report out for a terminal.
pub fn write_report(
    report: &Report,
    width: Option<u16>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let wrap = |text: &str, indent: &str, first: &str| -> String {
        match width {
            Some(w) => wrapped(text, usize::from(w), indent, first),
            None => format!("{first}{text}"),
        }
    };
    writeln!(out, "{}", report.title)?;
    for line in &report.meta {
        writeln!(out, "{}", wrap(line, "", ""))?;
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
                Block::Paragraph(text) | Block::Note(text) => {
                    writeln!(out, "{}", wrap(text, "  ", "  "))?
                }
                Block::List(items) => {
                    for item in items {
                        writeln!(out, "{}", wrap(item, "    ", "  • "))?;
                    }
                }
                Block::Table(table) => writeln!(out, "{}", text_table(table, width))?,
                Block::Chart(_) => {}
            }
        }
    }
    Ok(())
}

/// Text broken at spaces into lines of at most `width` characters (a word
/// longer than that stands alone), the first line led by `first`, the rest
/// by `indent`.
fn wrapped(text: &str, width: usize, indent: &str, first: &str) -> String {
    let mut out = String::from(first);
    let mut column = first.chars().count();
    let mut at_start = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = word.chars().count();
        if !at_start && column + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            column = indent.chars().count();
            at_start = true;
        }
        if !at_start {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        at_start = false;
    }
    out
}

/// A model table as a terminal table, numbers right-aligned; with a
/// width, cells wrap so the table fits it where it can.
fn text_table(table: &model::Table, width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if let Some(w) = width {
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_width(w);
    }
    let longest_word = |text: &str| text.split_whitespace().map(|w| w.chars().count()).max();
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
    if let Some(w) = width {
        // Wrap at spaces, never inside a word ("Significan|t"): each column
        // at least as wide as its longest word — unless those widths alone
        // pass the width, when fitting it comes first.
        let least: Vec<usize> = (0..table.header.len())
            .map(|i| {
                std::iter::once(longest_word(&table.header[i]))
                    .chain(
                        table
                            .rows
                            .iter()
                            .map(|r| r.get(i).and_then(|c| longest_word(&c.shown()))),
                    )
                    .flatten()
                    .max()
                    .unwrap_or(1)
                    + 2
            })
            .collect();
        // Each column's text plus one border each, and the last border.
        let borders = least.len() + 1;
        if least.iter().sum::<usize>() + borders <= usize::from(w) {
            for (column, least) in t.column_iter_mut().zip(least) {
                let fixed = u16::try_from(least).unwrap_or(u16::MAX);
                column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(fixed)));
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::wrapped;

    #[test]
    fn text_wraps_at_spaces_within_the_width() {
        let text = "one two three four five six seven eight nine ten";
        let out = wrapped(text, 20, "    ", "  • ");
        assert!(out.lines().all(|l| l.chars().count() <= 20), "{out}");
        assert!(out.starts_with("  • one two three"));
        assert!(out.lines().skip(1).all(|l| l.starts_with("    ")));
        // Nothing is lost or reordered.
        let words: Vec<&str> = out.split_whitespace().filter(|w| *w != "•").collect();
        assert_eq!(words.join(" "), text);
        // A word longer than the width stands on its own line.
        let long = wrapped("a bbbbbbbbbbbbbbbbbbbbbbbbb c", 10, "", "");
        assert_eq!(long, "a\nbbbbbbbbbbbbbbbbbbbbbbbbb\nc");
    }
}
