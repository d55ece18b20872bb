//! The HTML report: one self-contained file (inline CSS and SVG, no scripts,
//! nothing fetched), readable in any browser and printable. Findings first,
//! then a forest plot of every step's relative likelihood against the
//! 0.80–1.25 band, the funnel by group, the tables, pooled estimates,
//! panels, scores with a drift chart, and the provenance.

use std::fmt::Write as _;
use std::io::Write;

use super::{fmt_interval, fmt_num, fmt_p, fmt_rate};
use crate::audit::Audit;
use crate::measures::funnel::TransitionResult;

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
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #d5dbe5;padding:.25em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f2f5f9}
.flag{color:#a11d1d;font-weight:600}
.note{color:#5a6475;font-style:italic;font-size:.9em}
svg text{font-family:inherit;font-size:12px}
@media print{body{margin:0}h2{break-after:avoid}section.card{break-before:page}}
";

/// Writes the HTML report.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    let mut h = String::new();
    let s = &audit.settings;
    let title = esc(&super::title(audit));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(
        h,
        "<h1>{}</h1><p class=\"meta\">rung {} · {} · grouping {} (reference {}) · {} direction: {} · confidence {}% · p adjusted ({}) for {} comparisons</p>",
        title,
        esc(audit.provenance.version),
        esc(&audit.provenance.generated_at),
        esc(&s.grouping),
        esc(&s.reference_group),
        s.direction.name(),
        esc(&s.direction_meaning),
        s.confidence.percent(),
        s.adjust.describe(),
        audit.comparisons_tested()
    );
    if let Some(note) = super::publication_note(audit) {
        let _ = writeln!(h, "<p class=\"meta\">{}</p>", esc(&note));
    }
    h.push_str("<h2 id=\"findings\">Findings</h2><ul class=\"findings\">");
    for f in &audit.findings {
        let _ = write!(h, "<li>{}</li>", esc(&f.text));
    }
    h.push_str("</ul>\n");

    h.push_str("<h2 id=\"forest\">Relative likelihood by step</h2>");
    h.push_str(&charts::forest_plot(audit));
    h.push_str("<h2 id=\"funnel\">The funnel by group</h2>");
    h.push_str(&charts::funnel_chart(audit));

    data_quality(audit, &mut h);
    h.push_str("<h2 id=\"steps\">Steps</h2>");
    for t in &audit.transitions {
        transition_table(t, &mut h);
    }
    pooled(audit, &mut h);
    let changes = super::change_lines(audit);
    if !changes.is_empty() {
        h.push_str("<h2 id=\"changes\">Change since the previous period</h2><ul>");
        for line in changes {
            let _ = write!(h, "<li>{}</li>", esc(line));
        }
        h.push_str("</ul>");
    }
    let cards = super::scorecard_texts(audit);
    if !cards.is_empty() {
        let _ = write!(
            h,
            "<h2 id=\"scorecards\">Scorecards</h2><p class=\"note\">{}</p>",
            esc(super::SCORECARD_NOTE)
        );
        for card in cards {
            let _ = write!(
                h,
                "<section class=\"card\"><h3>{}</h3><ul>",
                esc(&card.title)
            );
            for line in &card.lines {
                let _ = write!(h, "<li>{}</li>", esc(line));
            }
            h.push_str("</ul>");
            for (header, rows) in [card.stages, card.steps] {
                let header: Vec<&str> = header.iter().map(String::as_str).collect();
                table(&mut h, &header, &rows, 1);
            }
            h.push_str("</section>");
        }
    }
    for section in super::extra_sections(audit, false) {
        let _ = write!(
            h,
            "<h2 id=\"{}\">{}</h2><p class=\"note\">{}</p>",
            section.id,
            esc(&section.title),
            esc(section.note)
        );
        let header: Vec<&str> = section.header.iter().map(String::as_str).collect();
        table(&mut h, &header, &section.rows, section.numeric_from);
        if let Some(footer) = &section.footer {
            let _ = write!(h, "<p class=\"note\">{}</p>", esc(footer));
        }
    }
    panels(audit, &mut h);
    scoring(audit, &mut h);
    provenance(audit, &mut h);
    h.push_str("</body></html>\n");
    out.write_all(h.as_bytes())
}

fn title(t: &TransitionResult) -> String {
    let mut s = format!("{} → {}", t.from, t.to);
    if let Some(l) = &t.label {
        s.push_str(&format!(" ({l})"));
    }
    if !t.breakdown.is_empty() {
        let parts: Vec<String> = t
            .breakdown
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        s.push_str(&format!(" — {}", parts.join(", ")));
    }
    s
}

pub(crate) fn table(h: &mut String, header: &[&str], rows: &[Vec<String>], numeric_from: usize) {
    h.push_str("<table><thead><tr>");
    for c in header {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if i >= numeric_from {
                let _ = write!(h, "<td class=\"n\">{}</td>", esc(c));
            } else {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
}

fn data_quality(audit: &Audit, h: &mut String) {
    let q = &audit.data_quality;
    let _ = write!(
        h,
        "<h2 id=\"quality\">Data quality</h2><p>{} applications; ethnicity stated for {} ({}), declined {}, not known {}, unmapped {}.</p>",
        q.applications,
        q.ethnicity_known,
        fmt_rate(q.disclosure_rate),
        q.ethnicity_declined,
        q.ethnicity_not_known,
        q.ethnicity_unmapped
    );
    let rows: Vec<Vec<String>> = q
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table_name().to_string(),
                t.rows_read.to_string(),
                t.rows_used.to_string(),
                t.rows_excluded.to_string(),
                t.excluded
                    .iter()
                    .map(|e| format!("{}: {}", e.reason, e.rows))
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    table(
        h,
        &["Table", "Rows read", "Used", "Excluded", "Reasons"],
        &rows,
        1,
    );
    let rows: Vec<Vec<String>> = q
        .disclosure_by_stage
        .iter()
        .map(|d| {
            vec![
                d.stage.clone(),
                d.applicants.to_string(),
                d.known.to_string(),
                fmt_rate(d.rate),
            ]
        })
        .collect();
    table(
        h,
        &["Stage reached", "Applicants", "Ethnicity known", "Rate"],
        &rows,
        1,
    );
    if !q.unmapped_labels.is_empty() {
        let labels: Vec<String> = q
            .unmapped_labels
            .iter()
            .map(|l| format!("“{}” ({}: {})", esc(&l.label), l.count, esc(&l.reason)))
            .collect();
        let _ = write!(
            h,
            "<p>Labels that could not be mapped: {}.</p>",
            labels.join(", ")
        );
    }
}

fn transition_table(t: &TransitionResult, h: &mut String) {
    let _ = write!(h, "<h3>{}</h3>", esc(&title(t)));
    let mut rows: Vec<Vec<String>> = t
        .groups
        .iter()
        .map(|g| {
            vec![
                g.group.clone(),
                g.entered.to_string(),
                g.progressed.to_string(),
                fmt_rate(g.rate),
                fmt_num(g.impact_ratio, 2),
            ]
        })
        .collect();
    rows.extend(t.unknown.iter().map(|g| {
        vec![
            format!("({})", g.group),
            g.entered.to_string(),
            g.progressed.to_string(),
            fmt_rate(g.rate),
            String::new(),
        ]
    }));
    table(
        h,
        &["Group", "Entered", "Progressed", "Rate", "Impact ratio"],
        &rows,
        1,
    );
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => "–".to_string(),
    };
    let rows: Vec<Vec<String>> = t
        .comparisons
        .iter()
        .map(|c| {
            vec![
                format!("{} vs {}", c.reference, c.focal),
                fmt_num(c.relative_likelihood, 2),
                fmt_interval(c.ci_low, c.ci_high),
                fmt_p(c.p_fisher),
                fmt_p(c.p_adjusted),
                fmt_p(c.p_z),
                yes_no(c.outside_range),
                yes_no(c.significant),
            ]
        })
        .collect();
    table(
        h,
        &[
            "Comparison",
            "Relative likelihood",
            "CI",
            "Fisher p",
            "Adjusted p",
            "z-test p",
            "Outside 0.80–1.25",
            "Significant",
        ],
        &rows,
        1,
    );
    for c in t.comparisons.iter().filter(|c| c.note.is_some()) {
        let _ = write!(
            h,
            "<p class=\"note\">{}</p>",
            esc(c.note.as_deref().unwrap_or(""))
        );
    }
}

fn pooled(audit: &Audit, h: &mut String) {
    if audit.pooled.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"pooled\">Pooled across breakdown rows</h2>");
    let (names, rows) = super::pooled_table(&audit.pooled, audit.settings.confidence);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    table(h, &names, &rows, 3);
    for p in audit.pooled.iter().filter(|p| p.note.is_some()) {
        let _ = write!(
            h,
            "<p class=\"note\">{}</p>",
            esc(p.note.as_deref().unwrap_or(""))
        );
    }
}

fn panels(audit: &Audit, h: &mut String) {
    let Some(p) = &audit.panels else {
        return;
    };
    let _ = write!(
        h,
        "<h2 id=\"panels\">Selection panels</h2><p>{} vacancies; {} with a panel recorded; {} diverse ({}), {} all White ({}); {} shortlisted with no panel recorded.</p>",
        p.summary.vacancies,
        p.summary.vacancies_with_panel,
        p.summary.vacancies_diverse,
        fmt_rate(p.summary.share_diverse),
        p.summary.vacancies_all_white,
        fmt_rate(p.summary.share_all_white),
        p.summary.vacancies_shortlisted_without_panel
    );
    let rows: Vec<Vec<String>> = p
        .panel_type_difference
        .iter()
        .map(|d| {
            vec![
                format!("{} → {}", d.from, d.to),
                d.focal.clone(),
                fmt_num(d.rl_diverse, 2),
                fmt_num(d.rl_all_white, 2),
                fmt_num(d.ratio_of_rl, 2),
                fmt_interval(d.ci_low, d.ci_high),
                fmt_p(d.p),
            ]
        })
        .collect();
    table(
        h,
        &[
            "Step",
            "Focal",
            "RL diverse panels",
            "RL all-White panels",
            "Ratio",
            "CI",
            "p",
        ],
        &rows,
        2,
    );
    if let Some(policy) = &p.policy {
        let _ = write!(
            h,
            "<p>Panel policy: {} of {} covered vacancies compliant, {} not, {} with no panel.</p>",
            policy.total.compliant,
            policy.total.covered,
            policy.total.non_compliant,
            policy.total.no_panel
        );
    }
}

fn scoring(audit: &Audit, h: &mut String) {
    let Some(s) = &audit.scoring else {
        return;
    };
    let _ = write!(
        h,
        "<h2 id=\"scores\">Interview scores ({})</h2>",
        esc(&s.stage)
    );
    let rows: Vec<Vec<String>> = s
        .comparisons
        .iter()
        .map(|c| {
            vec![
                format!("{} − {}", c.focal, c.reference),
                format!("{:?}", c.level).to_lowercase(),
                fmt_num(c.mean_gap, 2),
                fmt_interval(c.gap_ci_low, c.gap_ci_high),
                fmt_num(c.hedges_g, 2),
                fmt_p(c.p_mann_whitney),
                fmt_p(c.p_welch),
            ]
        })
        .collect();
    table(
        h,
        &[
            "Comparison",
            "Level",
            "Mean gap",
            "CI",
            "Hedges' g",
            "Mann-Whitney p",
            "Welch p",
        ],
        &rows,
        2,
    );
    if let Some(svg) = charts::drift_chart(&s.drift) {
        h.push_str(&svg);
    }
    let _ = write!(
        h,
        "<p>{}</p><p>Assessor check: {} assessors checked, {} flagged.</p>",
        esc(&s.drift.summary),
        s.assessors_checked,
        s.assessors_flagged
    );
}

fn provenance(audit: &Audit, h: &mut String) {
    let p = &audit.provenance;
    let _ = write!(
        h,
        "<h2 id=\"provenance\">Provenance</h2><p>rung {} · generated {} · command <code>{}</code></p>",
        esc(p.version),
        esc(&p.generated_at),
        esc(&p.command)
    );
    let rows: Vec<Vec<String>> = p
        .inputs
        .iter()
        .chain(&p.previous_inputs)
        .map(|i| {
            vec![
                format!("{:?}", i.table).to_lowercase(),
                i.path.clone(),
                i.rows.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
                i.sha256.clone(),
            ]
        })
        .collect();
    table(h, &["Table", "File", "Rows", "SHA-256"], &rows, 2);
}
