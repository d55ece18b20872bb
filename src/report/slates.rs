//! The slates report: terminal tables, CSV and the XLSX workbook's sheets
//! (JSON is the structs as they are).

use std::io::Write;

use serde_json::Value;

use super::model::{
    Block, Cell, Chart, Report, Section, SlateBar, SlateBars, Table, date_in_words,
};
use super::sheet::{Sheet, tagged, write_csv as write_csv_sheet};
use super::xlsx::{Page, data_pages, report_pages, sheets_from};
use super::{fmt_interval, fmt_num, fmt_p};
use crate::measures::slates::{Assignment, Composition, PooledSlate, SlateReport, SlateSummary};

/// A summary's title.
fn summary_title(s: &SlateSummary) -> String {
    format!(
        "{}: {} assignments",
        s.client.as_deref().unwrap_or("All assignments"),
        s.assignments
    )
}

/// Who "focal" is, in words: the one group outside the reference when
/// there is one ("BME"), else "from outside the White group".
struct Words {
    reference: String,
    focal: Option<String>,
}

impl Words {
    fn of(r: &SlateReport) -> Words {
        let settings = r.provenance.as_ref().map(|p| &p.settings);
        let reference = settings
            .map(|s| s.reference_group.clone())
            .unwrap_or_else(|| "reference".into());
        let focal = r
            .summary
            .pooled
            .first()
            .map(|p| p.focal.clone())
            .filter(|_| r.summary.pooled.len() == 1);
        Words { reference, focal }
    }

    /// "no BME candidate" / "no candidate from outside the White group".
    fn none(&self) -> String {
        match &self.focal {
            Some(f) => format!("no {f} candidate"),
            None => format!("no candidate from outside the {} group", self.reference),
        }
    }

    /// "BME" / "from outside the White group", after "share of … ".
    fn counted(&self) -> String {
        match &self.focal {
            Some(f) => f.clone(),
            None => format!("from outside the {} group", self.reference),
        }
    }
}

/// The line a client reads first: how many shortlists had nobody from
/// outside the reference group, and how many assignments met every rule.
fn summary_line(r: &SlateReport, words: &Words) -> String {
    let with_known: Vec<&Assignment> = r
        .slates
        .iter()
        .filter(|a| known(&a.shortlist).is_none_or(|k| k > 0))
        .collect();
    let none = with_known
        .iter()
        .filter(|a| a.shortlist.focal.shown() == Some(0))
        .count();
    let hidden = with_known
        .iter()
        .filter(|a| a.shortlist.focal.shown().is_none())
        .count();
    let mut line = format!(
        "{none} of {} shortlists had {}",
        with_known.len(),
        words.none()
    );
    if hidden > 0 {
        line.push_str(&format!(" ({hidden} more withheld for publication)"));
    }
    line.push('.');
    for rule in &r.summary.rules {
        if rule.applicable > 0 {
            line.push_str(&format!(
                " \"{}\" was met on {} of the {} assignments it applies to.",
                rule.rule, rule.met, rule.applicable
            ));
        }
    }
    line
}

/// Shortlisted of known ethnicity (`None` when suppressed).
fn known(c: &Composition) -> Option<u64> {
    Some(c.total.shown()? - c.unknown.shown()?)
}

/// A summary's rule-compliance table.
fn rule_table(s: &SlateSummary) -> Table {
    let mut t = Table::new(["Slate rule", "Applies to", "Met", "Share", "CI (Wilson)"]);
    for r in &s.rules {
        t.row(vec![
            Cell::text(&r.rule),
            Cell::count(r.applicable),
            Cell::count(r.met),
            Cell::Rate(r.share),
            match (r.ci_low, r.ci_high) {
                (Some(l), Some(h)) => Cell::text(format!("{:.0}%–{:.0}%", l * 100.0, h * 100.0)),
                _ => Cell::text("–"),
            },
        ]);
    }
    t
}

/// A pooled ratio the way round it reads: the group more likely first,
/// so no sentence says "0.69 times as likely".
fn pooled_sentence(p: &PooledSlate) -> String {
    let (first, second, rl, low, high) = match p.rl_mh {
        Some(rl) if rl < 1.0 => (
            &p.focal,
            &p.reference,
            Some(1.0 / rl),
            p.ci_high.map(|h| 1.0 / h),
            p.ci_low.map(|l| 1.0 / l),
        ),
        _ => (&p.reference, &p.focal, p.rl_mh, p.ci_low, p.ci_high),
    };
    format!(
        "Longlist → shortlist, pooled over {} assignments (Mantel-Haenszel): {first} candidates were {} times as likely as {second} candidates to be shortlisted ({}; CMH p {}).",
        p.assignments_used,
        fmt_num(rl, 2),
        fmt_interval(low, high),
        fmt_p(p.p_cmh)
    )
}

/// A summary's sentences: pooled ratio, availability, shortfall.
fn summary_sentences(s: &SlateSummary) -> Vec<String> {
    let mut out: Vec<String> = s.pooled.iter().map(pooled_sentence).collect();
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

/// The per-assignment table, each rule's outcome a cell of its own.
fn assignment_table(r: &SlateReport, words: &Words) -> Table {
    let who = words.focal.clone().unwrap_or_else(|| "minority".into());
    let mut header = vec![
        "Assignment".to_string(),
        "Client".to_string(),
        format!("Longlist ({who} / known / all)"),
        format!("Shortlist ({who} / known / all)"),
    ];
    if let Some(a) = r.slates.first() {
        header.extend(a.rules.iter().map(|x| x.rule.clone()));
    }
    let list = |c: &Composition| {
        let known = known(c)
            .map(|k| k.to_string())
            .unwrap_or_else(|| crate::measures::SUPPRESSED_SYMBOL.to_string());
        Cell::text(format!("{} / {known} / {}", c.focal, c.total))
    };
    let mut t = Table::new(header);
    for a in &r.slates {
        let mut row = vec![
            Cell::text(&a.assignment),
            Cell::text(a.client.clone().unwrap_or_default()),
            list(&a.longlist),
            list(&a.shortlist),
        ];
        row.extend(a.rules.iter().map(|x| {
            if x.withheld {
                Cell::text(crate::measures::SUPPRESSED_SYMBOL)
            } else {
                Cell::Met(x.met)
            }
        }));
        t.row(row);
    }
    t
}

/// The chart of every assignment's shortlist.
fn slate_chart(r: &SlateReport, words: &Words) -> SlateBars {
    let rows = r
        .slates
        .iter()
        .map(|a| {
            let applicable: Vec<Option<bool>> = a
                .rules
                .iter()
                .filter(|x| !x.withheld)
                .filter_map(|x| x.met.map(Some))
                .collect();
            SlateBar {
                label: match &a.client {
                    Some(c) if r.by_client.len() > 1 => format!("{} ({c})", a.assignment),
                    _ => a.assignment.clone(),
                },
                focal: a.shortlist.focal.shown(),
                known: known(&a.shortlist),
                met: (!applicable.is_empty()).then(|| applicable.iter().all(|m| *m == Some(true))),
            }
        })
        .collect();
    SlateBars {
        rows,
        counted: words.counted(),
        caption: format!(
            "Each bar is one assignment's shortlist: the share of its candidates of known ethnicity who are {}, with the count beside it. Assignments whose slate rules were not met are shaded and marked NOT MET.",
            words.counted()
        ),
    }
}

/// The slates report in the report model: what every human format lays
/// out.
pub fn report(r: &SlateReport) -> Report {
    let words = Words::of(r);
    let mut meta = Vec::new();
    if let Some(p) = &r.provenance {
        meta.push(format!(
            "Produced by rung {} on {}.",
            p.version,
            date_in_words(&p.generated_at)
        ));
    }
    meta.extend(r.publication.as_ref().map(super::publication_text));
    let mut sections = vec![Section {
        id: "headline",
        title: "In brief".into(),
        blocks: vec![Block::Paragraph(summary_line(r, &words))],
    }];
    for s in std::iter::once(&r.summary).chain(&r.by_client) {
        let mut blocks = vec![Block::Table(rule_table(s))];
        blocks.push(Block::List(summary_sentences(s)));
        sections.push(Section {
            id: if s.client.is_some() {
                "client"
            } else {
                "summary"
            },
            title: summary_title(s),
            blocks,
        });
    }
    sections.push(Section {
        id: "assignments",
        title: "Assignments".into(),
        blocks: vec![
            Block::Chart(Chart::Slates(slate_chart(r, &words))),
            Block::Table(assignment_table(r, &words)),
            Block::Note(COUNTS_ONLY.into()),
        ],
    });
    if let Some(p) = &r.provenance {
        sections.push(Section {
            id: "provenance",
            title: "Provenance".into(),
            blocks: super::sections::provenance_blocks(p.version, &p.generated_at, p.inputs.iter()),
        });
    }
    let client = match r.by_client.as_slice() {
        [] => r.summary.client.clone(),
        _ => None,
    };
    Report {
        title: match client {
            Some(c) => format!(
                "Shortlist diversity for {c}: {} → {}",
                r.longlist_stage, r.shortlist_stage
            ),
            None => format!(
                "Shortlist diversity: {} → {}",
                r.longlist_stage, r.shortlist_stage
            ),
        },
        meta,
        sections,
    }
}

const COUNTS_ONLY: &str = "Counts only: shortlists are small, so shares and rates are withheld where they would mislead (see the JSON output for rates by group).";

/// Writes the terminal report, fitted to the terminal report's width.
pub fn write_table(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    super::table::write_report(&report(r), Some(super::table::WIDTH), out)
}

/// Writes the Markdown report.
pub fn write_markdown(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    super::markdown::write_report(&report(r), out)
}

/// Writes the HTML report: self-contained, with the chart of shortlists.
pub fn write_html(r: &SlateReport, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(super::html::page(&report(r)).as_bytes())
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

/// The workbook: "Summary" (the report's title and summary line, as the
/// other human formats open), then the data sheets.
pub fn workbook_pages(r: &SlateReport) -> Vec<Page> {
    let mut pages: Vec<Page> = report_pages(report(r)).into_iter().take(1).collect();
    pages.extend(data_pages(workbook_sheets(r)));
    pages
}

/// The workbook's data sheets: provenance, assignments, rates by group, and
/// the summaries over all assignments and per client.
fn workbook_sheets(r: &SlateReport) -> Vec<Sheet> {
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
