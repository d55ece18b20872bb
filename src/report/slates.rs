//! The slates report: terminal tables, CSV and the XLSX workbook's sheets
//! (JSON is the structs as they are).

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use serde_json::Value;

use super::sheet::{Sheet, write_csv as write_csv_sheet};
use super::xlsx::sheets_from;
use super::{fmt_interval, fmt_num, fmt_p, fmt_rate};
use crate::measures::slates::{SlateReport, SlateSummary};

fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

fn write_summary(s: &SlateSummary, out: &mut dyn Write) -> std::io::Result<()> {
    let title = s.client.as_deref().unwrap_or("All assignments");
    writeln!(out, "{title}: {} assignments", s.assignments)?;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["Slate rule", "Applies to", "Met", "Share", "CI (Wilson)"]);
    for r in &s.rules {
        t.add_row(vec![
            Cell::new(&r.rule),
            right(r.applicable),
            right(r.met),
            right(fmt_rate(r.share)),
            right(match (r.ci_low, r.ci_high) {
                (Some(l), Some(h)) => format!("{:.0}%–{:.0}%", l * 100.0, h * 100.0),
                _ => "–".into(),
            }),
        ]);
    }
    writeln!(out, "{t}")?;
    for p in &s.pooled {
        writeln!(
            out,
            "  Longlist → shortlist, pooled over {} assignments (Mantel-Haenszel): {} candidates {} times as likely to be shortlisted as {} ({}, CMH p {}).",
            p.assignments_used,
            p.reference,
            fmt_num(p.rl_mh, 2),
            p.focal,
            fmt_interval(p.ci_low, p.ci_high),
            fmt_p(p.p_cmh)
        )?;
    }
    if let Some(a) = s.availability.as_ref().filter(|a| a.observed.suppressed) {
        writeln!(
            out,
            "  Longlists against availability ({} assignments matched): the count is suppressed for publication.",
            a.assignments_matched
        )?;
    } else if let Some(a) = &s.availability {
        writeln!(
            out,
            "  Longlists against availability ({} assignments matched, {} not): {} from outside the reference group against {:.1} expected ({:.1} {}; exact p of as few or fewer: {}).",
            a.assignments_matched,
            a.assignments_unmatched,
            a.observed,
            a.expected,
            a.shortfall.abs(),
            if a.shortfall > 0.0 { "fewer" } else { "more" },
            fmt_p(a.p)
        )?;
    }
    let f = &s.shortfall;
    if f.observed.suppressed {
        return writeln!(
            out,
            "  Shortlisted from outside the reference group: {} (suppressed for publication), against {:.1} expected from the longlists.",
            f.observed, f.expected
        );
    }
    writeln!(
        out,
        "  Shortlisted from outside the reference group: {} against {:.1} expected from the longlists ({:.1} {} than expected; exact p of as few or fewer: {}).",
        f.observed,
        f.expected,
        f.lost.abs(),
        if f.lost > 0.0 { "fewer" } else { "more" },
        fmt_p(f.p)
    )
}

/// Writes the terminal report.
pub fn write_table(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "rung slates — {} → {} by assignment",
        r.longlist_stage, r.shortlist_stage
    )?;
    if let Some(p) = &r.publication {
        writeln!(
            out,
            "Published version: counts from 1 to {} are suppressed and shown as {} ({} of them), with {} more suppressed so that none can be worked out; figures resting on them are withheld.",
            p.threshold.saturating_sub(1),
            crate::measures::SUPPRESSED_SYMBOL,
            p.primary,
            p.secondary
        )?;
    }
    writeln!(out)?;
    write_summary(&r.summary, out)?;
    for c in &r.by_client {
        writeln!(out)?;
        write_summary(c, out)?;
    }
    writeln!(out)?;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![
        "Assignment".to_string(),
        "Client".to_string(),
        "Longlist (focal / known / all)".to_string(),
        "Shortlist (focal / known / all)".to_string(),
    ];
    if let Some(a) = r.slates.first() {
        header.extend(a.rules.iter().map(|x| x.rule.clone()));
    }
    t.set_header(header);
    for a in &r.slates {
        let list = |c: &crate::measures::slates::Composition| {
            let known = match (c.total.shown(), c.unknown.shown()) {
                (Some(t), Some(u)) => (t - u).to_string(),
                _ => crate::measures::SUPPRESSED_SYMBOL.to_string(),
            };
            format!("{} / {known} / {}", c.focal, c.total)
        };
        let mut row = vec![
            Cell::new(&a.assignment),
            Cell::new(a.client.as_deref().unwrap_or("")),
            right(list(&a.longlist)),
            right(list(&a.shortlist)),
        ];
        row.extend(a.rules.iter().map(|x| {
            Cell::new(match x.met {
                Some(true) => "met",
                Some(false) => "NOT MET",
                None => "n/a",
            })
        }));
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "Counts only: shortlists are small, so shares and rates are withheld where they would mislead (see the JSON output for rates by group)."
    )
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
                        ("assignment", a.assignment.as_str()),
                        ("client", a.client.as_deref().unwrap_or("")),
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
                    .map(move |v| tagged(&[("scope", scope.as_str())], v))
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

/// `value`'s fields with `tags` in front.
fn tagged(tags: &[(&str, &str)], value: Value) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in tags {
        map.insert((*k).to_string(), Value::from(*v));
    }
    if let Value::Object(fields) = value {
        map.extend(fields);
    }
    Value::Object(map)
}
