//! The XLSX workbook: the report model laid out a section per sheet, with
//! numbers as numbers in their number formats, and data tables (a bold
//! frozen header row, a row per record). Byte-identical for the same inputs
//! and `generated_at` (the file's creation time is set from it).

use std::io::Write;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use serde_json::Value;

use super::model::{Block, Cell, Report, Section};
use super::sections::{self, Detail};
use super::sheet::{Sheet, neutralised};
use crate::audit::Audit;

/// A worksheet: a section of the report laid out for people (headings,
/// text and tables of typed cells), or a data table (a header row and a
/// row per record, for filters and pivot tables).
#[derive(Debug, Clone)]
pub enum Page {
    /// A report section, on a sheet of this name.
    Report {
        /// The sheet's name (valid and distinct in the workbook).
        name: String,
        /// What the sheet shows.
        section: Section,
    },
    /// A data table.
    Data(Sheet),
}

/// The audit's workbook, drawn from the report model: "Summary" (the title,
/// how to read the report and the headline), then a sheet per section as
/// every human format shows it (Findings, Data quality, Steps of the funnel,
/// …, Provenance), and last "Data", the CSV's long table.
pub fn audit_pages(audit: &Audit) -> Vec<Page> {
    let mut pages = report_pages(sections::report(audit, Detail::Document));
    let mut data = super::csv::long_table(audit);
    data.title = "Data".into();
    pages.push(Page::Data(data));
    pages
}

/// A report's pages: its title, meta lines and headline ("In brief") on
/// "Summary", then one sheet per section that is not only charts (their
/// numbers are in the tables beside them), named by the section's title.
pub fn report_pages(report: Report) -> Vec<Page> {
    let mut summary: Vec<Block> = report.meta.into_iter().map(Block::Paragraph).collect();
    let mut rest = Vec::new();
    for section in report.sections {
        if section.id == "headline" {
            summary.push(Block::Heading(section.title));
            summary.extend(section.blocks);
        } else if !section.only_charts() {
            rest.push(section);
        }
    }
    let mut names = vec!["Summary".to_string()];
    let mut pages = vec![Page::Report {
        name: "Summary".into(),
        section: Section {
            id: "summary",
            title: report.title,
            blocks: summary,
        },
    }];
    for section in rest {
        let name = sheet_name(&section.title, &names);
        names.push(name.clone());
        pages.push(Page::Report { name, section });
    }
    pages
}

/// A valid, distinct sheet name for a title: without the characters Excel
/// forbids (`[]:*?/\`) and at most 31 characters — a longer title is cut
/// before its first ", " or " (" when that leaves a name ("WRES indicator
/// 2, ready for the return" → "WRES indicator 2"), otherwise at a word —
/// with " (2)" and on where taken (Excel compares names without regard to
/// case).
fn sheet_name(title: &str, taken: &[String]) -> String {
    const LIMIT: usize = 31;
    let clean: String = title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .collect();
    let clean = clean.trim().trim_matches('\'');
    let clean = if clean.is_empty() { "Sheet" } else { clean };
    let fit = |limit: usize| -> String {
        if clean.chars().count() <= limit {
            return clean.to_string();
        }
        let lead = [", ", " ("]
            .iter()
            .filter_map(|sep| clean.split_once(sep).map(|(lead, _)| lead))
            .min_by_key(|lead| lead.len())
            .filter(|lead| !lead.is_empty() && lead.chars().count() <= limit);
        lead.map(str::to_string).unwrap_or_else(|| {
            let cut: String = clean.chars().take(limit + 1).collect();
            match cut.rfind(' ') {
                Some(i) if i > 0 => cut[..i].to_string(),
                _ => clean.chars().take(limit).collect(),
            }
        })
    };
    let is_taken = |n: &str| taken.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    (1..)
        .map(|i| {
            let suffix = if i == 1 {
                String::new()
            } else {
                format!(" ({i})")
            };
            format!("{}{suffix}", fit(LIMIT - suffix.chars().count()).trim_end())
        })
        .find(|n| !is_taken(n))
        .unwrap_or_default()
}

/// The number format of a column, from its name (a JSON field, possibly
/// `parent.child`): rates and shares as percentages, ratios and interval
/// bounds with two decimals, p values with four (or "<0.0001"); other whole
/// numbers (counts) with thousands separators.
pub fn number_format(column: &str, whole: bool) -> Option<&'static str> {
    let name = column.rsplit('.').next().unwrap_or(column);
    let is_p = name == "p" || name.starts_with("p_") || name.ends_with("_p");
    let is_rate = name == "rate"
        || name.ends_with("_rate")
        || name == "share"
        || name.starts_with("share_")
        || name.ends_with("_share");
    let is_ratio = name == "relative_likelihood"
        || name.contains("ratio")
        || name.starts_with("rl")
        || name.ends_with("_rl")
        || name.starts_with("rr_")
        || name.starts_with("or_")
        || name.starts_with("ci_")
        || name.contains("_ci_");
    if is_p {
        Some(P_FORMAT)
    } else if is_rate {
        Some("0.0%")
    } else if is_ratio {
        Some("0.00")
    } else if whole {
        Some("#,##0")
    } else {
        None
    }
}

/// p values: four decimals, and "<0.0001" below that (the number stays
/// in the cell).
pub const P_FORMAT: &str = "[<0.0001]\"<0.0001\";0.0000";

/// Sheets for the given (title, JSON pointer) pairs; absent, null and empty
/// tables are left out.
pub fn sheets_from(doc: &Value, sources: &[(&str, &str)]) -> Vec<Sheet> {
    sources
        .iter()
        .filter_map(|(title, pointer)| match doc.pointer(pointer)? {
            Value::Array(items) if !items.is_empty() => Some(Sheet::from_objects(title, items)),
            v @ Value::Object(_) => Some(Sheet::key_values(title, &scalars_only(v))),
            _ => None,
        })
        .collect()
}

/// An object without its arrays of objects (those have sheets of their own).
fn scalars_only(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| {
                    !matches!(v, Value::Array(items) if items.iter().any(Value::is_object))
                })
                .map(|(k, v)| (k.clone(), scalars_only(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Writes the pages as one workbook. `generated_at` (RFC 3339) becomes the
/// file's creation time, so re-runs give the same bytes.
pub fn write(pages: &[Page], generated_at: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let bytes = workbook(pages, generated_at).map_err(std::io::Error::other)?;
    out.write_all(&bytes)
}

/// Data tables as pages.
pub fn data_pages(sheets: Vec<Sheet>) -> Vec<Page> {
    sheets.into_iter().map(Page::Data).collect()
}

fn workbook(pages: &[Page], generated_at: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::parse_from_str(generated_at)
        .or_else(|_| ExcelDateTime::from_timestamp(0))?;
    book.set_properties(
        &DocProperties::new()
            .set_title("rung audit")
            .set_creation_datetime(&created),
    );
    let mut formats = Formats::default();
    for page in pages {
        let ws = book.add_worksheet();
        match page {
            Page::Report { name, section } => {
                ws.set_name(name)?;
                lay_out(ws, section, &mut formats)?;
            }
            Page::Data(sheet) => {
                ws.set_name(&sheet.title)?;
                write_data(ws, sheet, &mut formats)?;
            }
        }
    }
    book.save_to_buffer()
}

/// The cell formats of a workbook, each made once.
#[derive(Default)]
struct Formats {
    numbers: std::collections::HashMap<String, Format>,
}

impl Formats {
    fn bold() -> Format {
        Format::new().set_bold()
    }

    /// The format of a number with this number format code.
    fn number(&mut self, code: &str) -> &Format {
        self.numbers
            .entry(code.to_string())
            .or_insert_with(|| Format::new().set_num_format(code))
    }
}

/// Lays a report section out down a sheet: its title, then each block with
/// a blank row after it — headings in bold, notes in italics, lists as
/// bullets, tables with a bold header row and typed cells. Columns are as
/// wide as the tables' cells (text runs on to the right of its cell).
fn lay_out(
    ws: &mut rust_xlsxwriter::Worksheet,
    section: &Section,
    formats: &mut Formats,
) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let italic = Format::new().set_italic();
    let header = Formats::bold().set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let text = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, s: &str, f: Option<&Format>| {
        let s = within_cell_limit(neutralised(s));
        match f {
            Some(f) => ws.write_string_with_format(r, 0, s, f).map(|_| ()),
            None => ws.write_string(r, 0, s).map(|_| ()),
        }
    };
    text(ws, 0, &section.title, Some(&title))?;
    let mut widths: Vec<usize> = Vec::new();
    let mut r: u32 = 2;
    for block in &section.blocks {
        match block {
            Block::Heading(s) => {
                text(ws, r, s, Some(&Formats::bold()))?;
                r += 1;
            }
            Block::Paragraph(s) => {
                text(ws, r, s, None)?;
                r += 1;
            }
            Block::Note(s) => {
                text(ws, r, s, Some(&italic))?;
                r += 1;
            }
            Block::List(items) => {
                for item in items {
                    text(ws, r, &format!("• {item}"), None)?;
                    r += 1;
                }
            }
            Block::Table(table) => {
                for (c, name) in table.header.iter().enumerate() {
                    ws.write_string_with_format(r, col(c), neutralised(name), &header)?;
                    widen(&mut widths, c, name.chars().count());
                }
                r += 1;
                for row in &table.rows {
                    for (c, cell) in row.iter().enumerate() {
                        write_cell(ws, r, col(c), cell, formats)?;
                        widen(&mut widths, c, cell.shown().chars().count());
                    }
                    r += 1;
                }
            }
            Block::Chart(_) => continue,
        }
        r += 1;
    }
    for (c, w) in widths.iter().enumerate() {
        let chars = (*w).clamp(8, 60);
        ws.set_column_width(col(c), u32::try_from(chars + 2).unwrap_or(62))?;
    }
    Ok(())
}

/// Records that column `c` holds text `chars` long.
fn widen(widths: &mut Vec<usize>, c: usize, chars: usize) {
    if widths.len() <= c {
        widths.resize(c + 1, 0);
    }
    widths[c] = widths[c].max(chars);
}

/// One typed cell: numbers as numbers with their number format (counts
/// `#,##0`, rates `0.0%`, ratios `0.00`, p `0.0000` or "<0.0001", other
/// numbers with their decimals); a suppressed count "[c]" and a missing
/// number "–", right-aligned like the numbers; an unmet rule in bold on a
/// shaded cell.
fn write_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    c: u16,
    cell: &Cell,
    formats: &mut Formats,
) -> Result<(), XlsxError> {
    let number = |x: Option<f64>, code: String| x.filter(|x| x.is_finite()).map(|x| (x, code));
    let as_number = match cell {
        Cell::Count(n) => number(n.shown().map(|v| v as f64), "#,##0".into()),
        Cell::Rate(x) => number(*x, "0.0%".into()),
        Cell::Ratio(x) => number(*x, "0.00".into()),
        Cell::P(x) => number(*x, P_FORMAT.into()),
        Cell::Number(x, 0) => number(*x, "#,##0".into()),
        Cell::Number(x, d) => number(*x, format!("0.{}", "0".repeat(*d))),
        _ => None,
    };
    if let Some((x, code)) = as_number {
        ws.write_number_with_format(r, c, x, formats.number(&code))?;
        return Ok(());
    }
    match cell {
        Cell::Blank => {}
        Cell::Text(s) => {
            ws.write_string(r, c, within_cell_limit(neutralised(s)))?;
        }
        Cell::Met(Some(false)) => {
            let unmet = Formats::bold().set_background_color(0xD9D9D9);
            ws.write_string_with_format(r, c, cell.shown(), &unmet)?;
        }
        cell if cell.is_number() => {
            let right = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
            ws.write_string_with_format(r, c, cell.shown(), &right)?;
        }
        cell => {
            ws.write_string(r, c, cell.shown())?;
        }
    }
    Ok(())
}

/// A data table: a bold frozen header row, then its rows; numbers carry the
/// number format their column's name (or, on a field/value sheet, their
/// row's field) calls for.
fn write_data(
    ws: &mut rust_xlsxwriter::Worksheet,
    sheet: &Sheet,
    formats: &mut Formats,
) -> Result<(), XlsxError> {
    let bold = Formats::bold();
    for (c, name) in sheet.header.iter().enumerate() {
        ws.write_string_with_format(0, col(c), neutralised(name), &bold)?;
    }
    let key_values = sheet.header == ["field", "value"];
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Value::Null => {}
                Value::Bool(b) => {
                    ws.write_boolean(r, col(c), *b)?;
                }
                Value::Number(n) => {
                    let value = n.as_f64().unwrap_or(f64::NAN);
                    let field = row
                        .first()
                        .and_then(Value::as_str)
                        .filter(|_| key_values && c == 1);
                    let name = field.unwrap_or(sheet.header.get(c).map_or("", String::as_str));
                    match number_format(name, !n.is_f64()) {
                        Some(code) => {
                            ws.write_number_with_format(r, col(c), value, formats.number(code))?;
                        }
                        None => {
                            ws.write_number(r, col(c), value)?;
                        }
                    }
                }
                // Strings are stored as text, never as formulas; they are
                // neutralised all the same for whoever saves the sheet as
                // CSV later.
                Value::String(s) => {
                    ws.write_string(r, col(c), within_cell_limit(neutralised(s)))?;
                }
                nested => {
                    ws.write_string(r, col(c), within_cell_limit(nested.to_string()))?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofit_to_max_width(60 * 7);
    Ok(())
}

/// Excel holds at most 32,767 characters in a cell; longer text is cut,
/// with a marker saying how long it was, rather than failing the workbook.
fn within_cell_limit(text: String) -> String {
    const LIMIT: usize = 32_767;
    let chars = text.chars().count();
    if chars <= LIMIT {
        return text;
    }
    let marker = format!("… (cut: {chars} characters)");
    let keep: String = text.chars().take(LIMIT - marker.chars().count()).collect();
    keep + &marker
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sheet_names_are_valid_short_and_distinct() {
        let name = |t: &str, taken: &[&str]| {
            let taken: Vec<String> = taken.iter().map(|s| s.to_string()).collect();
            super::sheet_name(t, &taken)
        };
        assert_eq!(name("Findings", &[]), "Findings");
        assert_eq!(
            name("WRES indicator 2, ready for the return", &[]),
            "WRES indicator 2"
        );
        assert_eq!(
            name("Interview scores (interviewed)", &[]),
            "Interview scores (interviewed)"
        );
        assert_eq!(
            name("Interview scores (a stage with a very long name)", &[]),
            "Interview scores"
        );
        assert_eq!(
            name("Applications with no stage recorded yet", &[]),
            "Applications with no stage"
        );
        assert_eq!(name("Client: A/B [UK]?", &[]), "Client AB UK");
        assert_eq!(name("findings", &["Findings"]), "findings (2)");
        assert_eq!(name("", &[]), "Sheet");
        let long = "x".repeat(40);
        let cut = name(&long, &[&"x".repeat(31)]);
        assert_eq!(cut, format!("{} (2)", "x".repeat(27)));
    }

    #[test]
    fn text_past_the_cell_limit_is_cut_with_a_marker() {
        let long = "x".repeat(40_000);
        let cut = super::within_cell_limit(long);
        assert_eq!(cut.chars().count(), 32_767);
        assert!(cut.ends_with("(cut: 40000 characters)"));
        assert_eq!(super::within_cell_limit("short".into()), "short");
    }
}
