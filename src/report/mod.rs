//! Reports: render a finished [`Audit`](crate::audit::Audit) as a terminal
//! table, JSON, CSV, Markdown, HTML or an XLSX workbook. Reports compute
//! nothing; they format. The human formats lay out one [`model`] of the
//! report, built section by section in [`sections`]; JSON is the contract
//! (docs/output.md) and CSV its long table.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod sections;
pub mod sheet;
pub mod slates;
pub mod table;
pub mod xlsx;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables for reading in a terminal.
    Table,
    /// One JSON document (the output contract in docs/output.md).
    Json,
    /// One long CSV table: a row per transition × breakdown × group.
    Csv,
    /// A Markdown report: findings, data quality, a table per step.
    Markdown,
    /// A self-contained HTML report with charts (inline CSS and SVG).
    Html,
    /// An Excel workbook, one sheet per table (use with --output).
    Xlsx,
}

pub use model::{fmt_chi2, fmt_interval, fmt_num, fmt_p, fmt_rate};
pub use sections::title;

/// What publication mode did, for any report that was published.
pub fn publication_text(p: &crate::stats::suppression::Publication) -> String {
    let mut text = format!(
        "Published version: counts from 1 to {} are suppressed and shown as {} ({} of them), with {} more suppressed so that none can be worked out from totals or neighbouring cells; rates, ratios and tests that rest on a suppressed count are withheld.",
        p.threshold.saturating_sub(1),
        crate::measures::SUPPRESSED_SYMBOL,
        p.primary,
        p.secondary
    );
    if !p.withheld.is_empty() {
        text.push_str(&format!(" Left out: {}.", p.withheld.join("; ")));
    }
    text
}

/// A writer for terminal reports that drops control characters (other than
/// newline and tab) on their way out: a label carrying an escape sequence
/// must not clear or rewrite the reader's terminal.
pub struct TerminalSafe<'a>(pub &'a mut dyn std::io::Write);

/// Text for a message: control characters (other than a line break), and
/// invisible ones (zero-width spaces and joiners, bidirectional overrides, a
/// byte-order mark, a soft hyphen), written as `\u{…}` escapes, so a
/// value quoted from the data shows what it holds and cannot move the
/// cursor, ring the bell or reorder the line.
pub fn escaped(text: &str) -> String {
    let invisible = |c: char| {
        matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}')
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else if c.is_control() || invisible(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

impl std::io::Write for TerminalSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let clean: Vec<u8> = buf
            .iter()
            .copied()
            .filter(|&b| b >= 0x20 && b != 0x7f || b == b'\n' || b == b'\t')
            .collect();
        self.0.write_all(&clean)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
