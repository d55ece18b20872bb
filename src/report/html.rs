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
        s.confidence * 100.0,
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
    h.push_str(&forest_plot(audit));
    h.push_str("<h2 id=\"funnel\">The funnel by group</h2>");
    h.push_str(&funnel_chart(audit));

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

/// A forest plot of the whole-dataset comparisons on a log scale, with the
/// 0.80–1.25 band shaded and the line of no difference at 1.
fn forest_plot(audit: &Audit) -> String {
    let rows: Vec<(String, &crate::measures::funnel::Comparison)> = audit
        .transitions
        .iter()
        .filter(|t| t.breakdown.is_empty())
        .flat_map(|t| {
            t.comparisons
                .iter()
                .map(move |c| (format!("{} · {} vs {}", title(t), c.reference, c.focal), c))
        })
        .collect();
    let (lo, hi) = (0.25_f64, 4.0_f64);
    let (left, width, row_h) = (430.0, 480.0, 26.0);
    let x = |v: f64| left + (v.clamp(lo, hi).ln() - lo.ln()) / (hi.ln() - lo.ln()) * width;
    let height = 40.0 + row_h * rows.len() as f64;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Forest plot of relative likelihoods\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        left + width + 90.0,
        left + width + 90.0
    );
    let _ = write!(
        svg,
        "<rect x=\"{:.1}\" y=\"10\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e8f3e8\"/>",
        x(0.8),
        x(1.25) - x(0.8),
        height - 30.0
    );
    for tick in [0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0] {
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"10\" y2=\"{1:.1}\" stroke=\"{2}\" stroke-width=\"1\"/><text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\">{4}</text>",
            x(tick),
            height - 20.0,
            if tick == 1.0 { "#555" } else { "#d5dbe5" },
            height - 6.0,
            tick
        );
    }
    for (i, (label, c)) in rows.iter().enumerate() {
        let y = 26.0 + row_h * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + 4.0,
            esc(label)
        );
        match (c.relative_likelihood, c.ci_low, c.ci_high) {
            (Some(rl), Some(l), Some(h)) => {
                let colour = if c.significant == Some(true) {
                    "#a11d1d"
                } else {
                    "#2b4c8c"
                };
                let _ = write!(
                    svg,
                    "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{rl:.2}</text>",
                    x(l),
                    x(h),
                    x(rl) - 4.0,
                    y - 4.0,
                    left + width + 8.0,
                    y + 4.0
                );
            }
            _ => {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#5a6475\">not estimable</text>",
                    x(1.0) + 6.0,
                    y + 4.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    format!(
        "{svg}<p class=\"note\">Squares: relative likelihood ({}); lines: {}% confidence intervals (log scale, clipped to 0.25–4). Shaded: 0.80–1.25. Red: significant after adjustment.</p>",
        esc(&audit.settings.direction_meaning),
        audit.settings.confidence * 100.0
    )
}

/// Bars: of each group's applicants, the share reaching each stage.
fn funnel_chart(audit: &Audit) -> String {
    let stages = &audit.settings.ladder;
    // Consecutive whole-dataset steps give each group's count at each stage.
    // A suppressed count (publication mode) draws no bar: its height would
    // give the count away.
    let mut groups: Vec<(String, Vec<Option<u64>>)> = Vec::new();
    for t in audit
        .transitions
        .iter()
        .filter(|t| t.breakdown.is_empty() && t.label.is_none())
    {
        let (Some(from), Some(to)) = (
            stages.iter().position(|s| *s == t.from),
            stages.iter().position(|s| *s == t.to),
        ) else {
            continue;
        };
        for g in &t.groups {
            let entry = match groups.iter_mut().find(|x| x.0 == g.group) {
                Some(e) => e,
                None => {
                    groups.push((g.group.clone(), vec![Some(0); stages.len()]));
                    groups.last_mut().expect("just pushed")
                }
            };
            entry.1[from] = g.entered.shown();
            entry.1[to] = g.progressed.shown();
        }
    }
    let (bar_w, gap, chart_h) = (22.0, 6.0, 160.0);
    let group_w = (bar_w + gap) * groups.len() as f64 + 18.0;
    let width = 60.0 + group_w * stages.len() as f64;
    let colours = [
        "#2b4c8c", "#d98c1f", "#3b8c5a", "#8c3b7a", "#5a6475", "#1f8cd9",
    ];
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Share of each group reaching each stage\" width=\"{width:.0}\" height=\"{:.0}\" viewBox=\"0 0 {width:.0} {:.0}\">",
        chart_h + 70.0,
        chart_h + 70.0
    );
    for (si, stage) in stages.iter().enumerate() {
        let x0 = 50.0 + group_w * si as f64;
        for (gi, (_, counts)) in groups.iter().enumerate() {
            let x = x0 + (bar_w + gap) * gi as f64;
            let share = match (counts[si], counts[0]) {
                (Some(n), Some(all)) if all > 0 => n as f64 / all as f64,
                (Some(_), Some(_)) => 0.0,
                _ => {
                    let _ = write!(
                        svg,
                        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                        x + bar_w / 2.0,
                        chart_h + 6.0,
                        crate::measures::SUPPRESSED_SYMBOL
                    );
                    continue;
                }
            };
            let h = share * chart_h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w}\" height=\"{h:.1}\" fill=\"{}\"><title>{:.1}%</title></rect>",
                10.0 + chart_h - h,
                colours[gi % colours.len()],
                share * 100.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x0 + (group_w - 18.0) / 2.0,
            chart_h + 28.0,
            esc(stage)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"16\">100%</text><text x=\"0\" y=\"{:.0}\">0%</text>",
        chart_h + 10.0
    );
    for (gi, (name, _)) in groups.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{:.0}\">{}</text>",
            50.0 + 120.0 * gi as f64,
            chart_h + 48.0,
            colours[gi % colours.len()],
            64.0 + 120.0 * gi as f64,
            chart_h + 57.0,
            esc(name)
        );
    }
    svg.push_str("</svg>");
    svg
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
    // Drift chart: the gap per quarter with ±2 SE whiskers.
    let pts: Vec<(String, f64, f64)> = s
        .drift
        .periods
        .iter()
        .filter_map(|p| Some((p.period.clone(), p.gap?, p.se.unwrap_or(0.0))))
        .collect();
    if pts.len() >= 2 {
        let max = pts
            .iter()
            .map(|p| p.1.abs() + 2.0 * p.2)
            .fold(0.1_f64, f64::max);
        let (w, ht, left) = (80.0 * pts.len() as f64 + 60.0, 180.0, 50.0);
        let y = |v: f64| 10.0 + (1.0 - (v + max) / (2.0 * max)) * ht;
        let mut svg = format!(
            "<svg role=\"img\" aria-label=\"Score gap by quarter\" width=\"{w:.0}\" height=\"{:.0}\" viewBox=\"0 0 {w:.0} {:.0}\"><line x1=\"{left}\" x2=\"{w:.0}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\"/>",
            ht + 40.0,
            ht + 40.0,
            y(0.0),
            y(0.0)
        );
        let mut path = String::new();
        for (i, (label, gap, se)) in pts.iter().enumerate() {
            let x = left + 30.0 + 80.0 * i as f64;
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#8fa3c8\"/><circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#2b4c8c\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                y(gap - 2.0 * se),
                y(gap + 2.0 * se),
                y(*gap),
                ht + 32.0,
                esc(label)
            );
            let _ = write!(
                path,
                "{}{x:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                y(*gap)
            );
        }
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"#2b4c8c\"/><text x=\"0\" y=\"{:.1}\">0</text></svg>",
            y(0.0) + 4.0
        );
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
