//! The HTML report: one self-contained file (inline CSS and SVG, no scripts,
//! nothing fetched), readable in any browser and printable. It lays out the
//! [report model](super::model): every section, charts drawn as SVG.

use std::fmt::Write as _;
use std::io::Write;

use super::model::{self, Block, Chart, Report};
use super::sections::{self, Detail};
use crate::audit::Audit;

mod charts;

/// Escapes text for HTML.
pub(crate) fn esc(s: &str) -> String {
    // Control characters have no place in HTML text (a label could carry a
    // terminal escape sequence); they are dropped.
    let s: String = s
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d2433;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:2px solid #e3e7ee;padding-bottom:.2em}
h3{margin-top:1.4em;font-size:1.05em}
.meta{color:#5a6475;font-size:.9em}
ul.findings li{margin:.4em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em;max-width:100%}
th,td{border:1px solid #d5dbe5;padding:.25em .6em;text-align:left;overflow-wrap:anywhere}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f2f5f9}
.flag{color:#a11d1d;font-weight:600}
.unmet{background:#fbe9e9;outline:1px solid #a11d1d}
.note{color:#5a6475;font-style:italic;font-size:.9em}
svg{max-width:100%;height:auto}
svg text{font-family:inherit;font-size:12px}
@media print{body{margin:0;font-size:10pt}table{font-size:.85em}h2{break-after:avoid}section.card{break-before:page}}
";

/// Writes the HTML report.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(page(&sections::report(audit, Detail::Document)).as_bytes())
}

/// A report as one HTML page.
pub fn page(report: &Report) -> String {
    let mut h = String::new();
    let title = esc(&report.title);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>"
    );
    for line in &report.meta {
        let _ = write!(h, "<p class=\"meta\">{}</p>", esc(line));
    }
    h.push('\n');
    for section in &report.sections {
        let _ = write!(h, "<h2 id=\"{}\">{}</h2>", section.id, esc(&section.title));
        for block in &section.blocks {
            match block {
                Block::Heading(text) => {
                    let _ = write!(h, "<h3>{}</h3>", esc(text));
                }
                Block::Paragraph(text) => {
                    let _ = write!(h, "<p>{}</p>", esc(text));
                }
                Block::Note(text) => {
                    let _ = write!(h, "<p class=\"note\">{}</p>", esc(text));
                }
                Block::List(items) => {
                    h.push_str("<ul>");
                    for item in items {
                        let _ = write!(h, "<li>{}</li>", esc(item));
                    }
                    h.push_str("</ul>");
                }
                Block::Table(t) => model_table(&mut h, t),
                Block::Chart(Chart::Forest(f)) => h.push_str(&charts::forest_plot(f)),
                Block::Chart(Chart::Funnel(f)) => h.push_str(&charts::funnel_chart(f)),
                Block::Chart(Chart::Drift(points)) => h.push_str(&charts::drift_chart(points)),
                Block::Chart(Chart::Slates(bars)) => h.push_str(&charts::slate_chart(bars)),
            }
        }
        h.push('\n');
    }
    h.push_str("</body></html>\n");
    h
}

/// A model table: number cells right-aligned, "yes" in significance and
/// range columns marked.
fn model_table(h: &mut String, t: &model::Table) {
    h.push_str("<table><thead><tr>");
    for c in &t.header {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        h.push_str("<tr>");
        for c in r {
            let class = match c {
                model::Cell::YesNo(Some(true)) => " class=\"n flag\"",
                model::Cell::Met(Some(false)) => " class=\"flag unmet\"",
                c if c.is_number() => " class=\"n\"",
                _ => "",
            };
            let _ = write!(h, "<td{class}>{}</td>", esc(&c.shown()));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
}
