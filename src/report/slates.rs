//! The slates report: terminal tables, CSV and the XLSX workbook's sheets
//! (JSON is the structs as they are).

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use serde_json::Value;

use super::sheet::{Sheet, tagged, write_csv as write_csv_sheet};
use super::xlsx::sheets_from;
use super::{fmt_interval, fmt_num, fmt_p, fmt_rate};
use crate::measures::slates::{Composition, SlateReport, SlateSummary};

fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

/// A summary's title.
fn summary_title(s: &SlateSummary) -> String {
    format!(
        "{}: {} assignments",
        s.client.as_deref().unwrap_or("All assignments"),
        s.assignments
    )
}

const RULE_HEADER: [&str; 5] = ["Slate rule", "Applies to", "Met", "Share", "CI (Wilson)"];

/// A summary's rule-compliance rows (numbers from column 1 on).
fn rule_rows(s: &SlateSummary) -> Vec<Vec<String>> {
    s.rules
        .iter()
        .map(|r| {
            vec![
                r.rule.clone(),
                r.applicable.to_string(),
                r.met.to_string(),
                fmt_rate(r.share),
                match (r.ci_low, r.ci_high) {
                    (Some(l), Some(h)) => format!("{:.0}%–{:.0}%", l * 100.0, h * 100.0),
                    _ => "–".into(),
                },
            ]
        })
        .collect()
}

/// A summary's sentences: pooled ratio, availability, shortfall.
fn summary_sentences(s: &SlateSummary) -> Vec<String> {
    let mut out = Vec::new();
    for p in &s.pooled {
        out.push(format!(
            "Longlist → shortlist, pooled over {} assignments (Mantel-Haenszel): {} candidates {} times as likely to be shortlisted as {} ({}, CMH p {}).",
            p.assignments_used,
            p.reference,
            fmt_num(p.rl_mh, 2),
            p.focal,
            fmt_interval(p.ci_low, p.ci_high),
            fmt_p(p.p_cmh)
        ));
    }
    if let Some(a) = s.availability.as_ref().filter(|a| a.observed.suppressed) {
        out.push(format!(
            "Longlists against availability ({} assignments matched): the count is suppressed for publication.",
            a.assignments_matched
        ));
    } else if let Some(a) = &s.availability {
        out.push(format!(
            "Longlists against availability ({} assignments matched, {} not): {} from outside the reference group against {:.1} expected ({:.1} {}; exact p of as few or fewer: {}).",
            a.assignments_matched,
            a.assignments_unmatched,
            a.observed,
            a.expected,
            a.shortfall.abs(),
            if a.shortfall > 0.0 { "fewer" } else { "more" },
            fmt_p(a.p)
        ));
    }
    let f = &s.shortfall;
    out.push(if f.observed.suppressed {
        format!(
            "Shortlisted from outside the reference group: {} (suppressed for publication), against {:.1} expected from the longlists.",
            f.observed, f.expected
        )
    } else {
        format!(
            "Shortlisted from outside the reference group: {} against {:.1} expected from the longlists ({:.1} {} than expected; exact p of as few or fewer: {}).",
            f.observed,
            f.expected,
            f.lost.abs(),
            if f.lost > 0.0 { "fewer" } else { "more" },
            fmt_p(f.p)
        )
    });
    out
}

/// The publication sentence, when published.
fn publication_sentence(r: &SlateReport) -> Option<String> {
    r.publication.as_ref().map(super::publication_text)
}

/// The per-assignment table: header and rows (columns 2 and 3 numeric).
fn assignment_rows(r: &SlateReport) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec![
        "Assignment".to_string(),
        "Client".to_string(),
        "Longlist (focal / known / all)".to_string(),
        "Shortlist (focal / known / all)".to_string(),
    ];
    if let Some(a) = r.slates.first() {
        header.extend(a.rules.iter().map(|x| x.rule.clone()));
    }
    let list = |c: &Composition| {
        let known = match (c.total.shown(), c.unknown.shown()) {
            (Some(t), Some(u)) => (t - u).to_string(),
            _ => crate::measures::SUPPRESSED_SYMBOL.to_string(),
        };
        format!("{} / {known} / {}", c.focal, c.total)
    };
    let rows = r
        .slates
        .iter()
        .map(|a| {
            let mut row = vec![
                a.assignment.clone(),
                a.client.clone().unwrap_or_default(),
                list(&a.longlist),
                list(&a.shortlist),
            ];
            row.extend(a.rules.iter().map(|x| {
                match x.met {
                    _ if x.withheld => "[c]",
                    Some(true) => "met",
                    Some(false) => "NOT MET",
                    None => "n/a",
                }
                .to_string()
            }));
            row
        })
        .collect();
    (header, rows)
}

const COUNTS_ONLY: &str = "Counts only: shortlists are small, so shares and rates are withheld where they would mislead (see the JSON output for rates by group).";

fn terminal_table(header: &[String], rows: &[Vec<String>], numeric: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    for row in rows {
        t.add_row(
            row.iter()
                .enumerate()
                .map(|(i, c)| {
                    if numeric.contains(&i) {
                        right(c)
                    } else {
                        Cell::new(c)
                    }
                })
                .collect::<Vec<_>>(),
        );
    }
    t
}

/// Writes the terminal report.
pub fn write_table(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "rung slates — {} → {} by assignment",
        r.longlist_stage, r.shortlist_stage
    )?;
    if let Some(p) = publication_sentence(r) {
        writeln!(out, "{p}")?;
    }
    let rule_header: Vec<String> = RULE_HEADER.map(String::from).to_vec();
    for s in std::iter::once(&r.summary).chain(&r.by_client) {
        writeln!(out)?;
        writeln!(out, "{}", summary_title(s))?;
        writeln!(
            out,
            "{}",
            terminal_table(&rule_header, &rule_rows(s), &[1, 2, 3, 4])
        )?;
        for line in summary_sentences(s) {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)?;
    let (header, rows) = assignment_rows(r);
    writeln!(out, "{}", terminal_table(&header, &rows, &[2, 3]))?;
    writeln!(out, "{COUNTS_ONLY}")
}

/// Writes the Markdown report.
pub fn write_markdown(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    let md_row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| super::markdown::escape(c)).collect();
        format!("| {} |", cells.join(" | "))
    };
    let md_table =
        |out: &mut dyn Write, header: &[String], rows: &[Vec<String>]| -> std::io::Result<()> {
            writeln!(out, "{}", md_row(header))?;
            writeln!(out, "|{}", " --- |".repeat(header.len()))?;
            for row in rows {
                writeln!(out, "{}", md_row(row))?;
            }
            Ok(())
        };
    writeln!(
        out,
        "# Shortlist diversity: {} → {}",
        r.longlist_stage, r.shortlist_stage
    )?;
    writeln!(out)?;
    if let Some(p) = &r.provenance {
        writeln!(out, "Produced by rung {} on {}.", p.version, p.generated_at)?;
        writeln!(out)?;
    }
    if let Some(p) = publication_sentence(r) {
        writeln!(out, "{p}")?;
        writeln!(out)?;
    }
    let rule_header: Vec<String> = RULE_HEADER.map(String::from).to_vec();
    for s in std::iter::once(&r.summary).chain(&r.by_client) {
        writeln!(out, "## {}", super::markdown::escape(&summary_title(s)))?;
        writeln!(out)?;
        md_table(out, &rule_header, &rule_rows(s))?;
        writeln!(out)?;
        for line in summary_sentences(s) {
            writeln!(out, "- {}", super::markdown::escape(&line))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "## Assignments")?;
    writeln!(out)?;
    let (header, rows) = assignment_rows(r);
    md_table(out, &header, &rows)?;
    writeln!(out)?;
    writeln!(out, "{COUNTS_ONLY}")
}

/// Writes the HTML client report: self-contained, one section per client.
pub fn write_html(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    use super::html::{STYLE, esc, table};
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shortlist diversity</title><style>{STYLE}</style></head><body>\n<h1>Shortlist diversity: {} → {}</h1>",
        esc(&r.longlist_stage),
        esc(&r.shortlist_stage)
    ));
    if let Some(p) = &r.provenance {
        h.push_str(&format!(
            "<p class=\"meta\">rung {} · {}</p>",
            esc(p.version),
            esc(&p.generated_at)
        ));
    }
    if let Some(p) = publication_sentence(r) {
        h.push_str(&format!("<p class=\"meta\">{}</p>", esc(&p)));
    }
    for s in std::iter::once(&r.summary).chain(&r.by_client) {
        h.push_str(&format!("<h2>{}</h2>", esc(&summary_title(s))));
        table(&mut h, &RULE_HEADER, &rule_rows(s), 1);
        h.push_str("<ul>");
        for line in summary_sentences(s) {
            h.push_str(&format!("<li>{}</li>", esc(&line)));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>Assignments</h2>");
    let (header, rows) = assignment_rows(r);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(&mut h, &header, &rows, 2);
    h.push_str(&format!("<p class=\"note\">{}</p>", esc(COUNTS_ONLY)));
    if let Some(p) = &r.provenance {
        h.push_str(&format!(
            "<h2>Provenance</h2><p>command <code>{}</code></p>",
            esc(&p.command)
        ));
        let rows: Vec<Vec<String>> = p
            .inputs
            .iter()
            .map(|i| {
                vec![
                    i.path.clone(),
                    i.rows.map(|n| n.to_string()).unwrap_or_default(),
                    i.sha256.clone(),
                ]
            })
            .collect();
        table(&mut h, &["File", "Rows", "SHA-256"], &rows, 1);
    }
    h.push_str("</body></html>\n");
    out.write_all(h.as_bytes())
}

/// Writes one CSV row per assignment.
pub fn write_csv(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    write_csv_sheet(&assignments_sheet(r), out)
}

/// One row per assignment: composition counts and each rule's outcome.
pub fn assignments_sheet(r: &SlateReport) -> Sheet {
    let mut header: Vec<String> = [
        "assignment",
        "client",
        "longlist_total",
        "longlist_focal",
        "longlist_unknown",
        "longlist_women",
        "shortlist_total",
        "shortlist_focal",
        "shortlist_unknown",
        "shortlist_women",
    ]
    .map(String::from)
    .to_vec();
    if let Some(a) = r.slates.first() {
        header.extend(a.rules.iter().map(|x| format!("rule: {}", x.rule)));
    }
    let rows = r
        .slates
        .iter()
        .map(|a| {
            let mut row = vec![
                Value::from(a.assignment.as_str()),
                Value::from(a.client.clone().unwrap_or_default()),
                Value::from(a.longlist.total.shown()),
                Value::from(a.longlist.focal.shown()),
                Value::from(a.longlist.unknown.shown()),
                Value::from(a.longlist.women.shown()),
                Value::from(a.shortlist.total.shown()),
                Value::from(a.shortlist.focal.shown()),
                Value::from(a.shortlist.unknown.shown()),
                Value::from(a.shortlist.women.shown()),
            ];
            row.extend(a.rules.iter().map(|x| {
                Value::from(match x.met {
                    _ if x.withheld => "withheld",
                    Some(true) => "met",
                    Some(false) => "not met",
                    None => "not applicable",
                })
            }));
            row
        })
        .collect();
    Sheet {
        title: "Assignments".into(),
        header,
        rows,
    }
}

/// The workbook's sheets: provenance, assignments, rates by group, and the
/// summaries over all assignments and per client.
pub fn workbook_sheets(r: &SlateReport) -> Vec<Sheet> {
    let doc = serde_json::to_value(r).unwrap_or(Value::Null);
    let mut sheets = sheets_from(&doc, &[("About", "/provenance")]);
    sheets.push(assignments_sheet(r));
    let rates: Vec<Value> = r
        .slates
        .iter()
        .flat_map(|a| {
            a.rate_by_group.iter().map(move |g| {
                tagged(
                    &[
                        ("assignment", Value::from(a.assignment.as_str())),
                        ("client", Value::from(a.client.as_deref().unwrap_or(""))),
                    ],
                    serde_json::to_value(g).unwrap_or(Value::Null),
                )
            })
        })
        .collect();
    if !rates.is_empty() {
        sheets.push(Sheet::from_objects("Rates by group", &rates));
    }
    let summaries: Vec<&SlateSummary> = std::iter::once(&r.summary).chain(&r.by_client).collect();
    let scope = |s: &SlateSummary| s.client.clone().unwrap_or_else(|| "All assignments".into());
    let rows = |part: &str| -> Vec<Value> {
        summaries
            .iter()
            .flat_map(|s| {
                let doc = serde_json::to_value(s).unwrap_or(Value::Null);
                let items = match doc.get(part) {
                    Some(Value::Array(items)) => items.clone(),
                    Some(v @ Value::Object(_)) => vec![v.clone()],
                    _ => Vec::new(),
                };
                let scope = scope(s);
                items
                    .into_iter()
                    .map(move |v| tagged(&[("scope", Value::from(scope.as_str()))], v))
            })
            .collect()
    };
    for (title, part) in [
        ("Rule compliance", "rules"),
        ("Pooled", "pooled"),
        ("Shortfall", "shortfall"),
        ("Availability", "availability"),
    ] {
        let items = rows(part);
        if !items.is_empty() {
            sheets.push(Sheet::from_objects(title, &items));
        }
    }
    sheets
}
