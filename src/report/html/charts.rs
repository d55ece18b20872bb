//! The HTML report's charts, drawn as inline SVG: the forest plot of
//! relative likelihoods, the funnel by group and the score drift.

use std::fmt::Write as _;

use super::{esc, title};
use crate::audit::Audit;
use crate::measures::scoring::Drift;

/// A forest plot of the whole-dataset comparisons on a log scale, with the
/// 0.80–1.25 band shaded and the line of no difference at 1.
pub(super) fn forest_plot(audit: &Audit) -> String {
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
        audit.settings.confidence.percent()
    )
}

/// Bars: of each group's applicants, the share reaching each stage.
pub(super) fn funnel_chart(audit: &Audit) -> String {
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

/// The drift chart: the score gap per quarter with ±2 SE whiskers;
/// `None` with fewer than two quarters.
pub(super) fn drift_chart(drift: &Drift) -> Option<String> {
    let pts: Vec<(String, f64, f64)> = drift
        .periods
        .iter()
        .filter_map(|p| Some((p.period.clone(), p.gap?, p.se.unwrap_or(0.0))))
        .collect();
    if pts.len() < 2 {
        return None;
    }
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
    Some(svg)
}
