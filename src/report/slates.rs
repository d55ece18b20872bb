//! The slates report: terminal tables and CSV (JSON is the structs as they are).

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

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
    if let Some(a) = &s.availability {
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
            format!("{} / {} / {}", c.focal, c.total - c.unknown, c.total)
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
    let mut w = ::csv::Writer::from_writer(out);
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
    w.write_record(&header)?;
    for a in &r.slates {
        let mut row = vec![
            a.assignment.clone(),
            a.client.clone().unwrap_or_default(),
            a.longlist.total.to_string(),
            a.longlist.focal.to_string(),
            a.longlist.unknown.to_string(),
            a.longlist.women.to_string(),
            a.shortlist.total.to_string(),
            a.shortlist.focal.to_string(),
            a.shortlist.unknown.to_string(),
            a.shortlist.women.to_string(),
        ];
        row.extend(a.rules.iter().map(|x| match x.met {
            Some(true) => "met".to_string(),
            Some(false) => "not met".to_string(),
            None => "not applicable".to_string(),
        }));
        w.write_record(&row)?;
    }
    w.flush()
}
