//! The HTML report's charts, drawn as inline SVG from the report model's
//! chart data alone: the forest plot of relative likelihoods, the funnel by
//! group and the score drift. Each carries its values as text and reads in
//! grey print (significance is a filled square, not only a colour; bars
//! carry patterns' worth of contrast and their values).

use std::fmt::Write as _;

use super::esc;
use crate::measures::SUPPRESSED_SYMBOL;
use crate::report::model::{DriftPoint, Forest, FunnelBars, SlateBars};

/// A forest plot on a log scale, with the 0.80–1.25 band shaded, the line
/// of no difference at 1, and the axis saying which side favours whom.
pub(super) fn forest_plot(f: &Forest) -> String {
    let (lo, hi) = (0.25_f64, 4.0_f64);
    let (left, width, row_h) = (430.0, 480.0, 26.0);
    let x = |v: f64| left + (v.clamp(lo, hi).ln() - lo.ln()) / (hi.ln() - lo.ln()) * width;
    let top = 10.0;
    let plot_h = row_h * f.rows.len() as f64 + 10.0;
    let height = top + plot_h + 46.0;
    let total_w = left + width + 90.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Forest plot of relative likelihoods\" width=\"{total_w}\" height=\"{height}\" viewBox=\"0 0 {total_w} {height}\">"
    );
    let _ = write!(
        svg,
        "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{plot_h:.1}\" fill=\"#e6ece6\"/>",
        x(0.8),
        x(1.25) - x(0.8),
    );
    for tick in [0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0] {
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{1:.1}\" stroke=\"{2}\" stroke-width=\"1\"/><text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\">{4}</text>",
            x(tick),
            top + plot_h,
            if tick == 1.0 { "#333" } else { "#d5dbe5" },
            top + plot_h + 14.0,
            tick
        );
    }
    let axis_y = top + plot_h + 34.0;
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{axis_y:.1}\" text-anchor=\"end\" font-weight=\"600\">{}</text><text x=\"{:.1}\" y=\"{axis_y:.1}\" font-weight=\"600\">{}</text>",
        x(1.0) - 8.0,
        esc(&f.below_one),
        x(1.0) + 8.0,
        esc(&f.above_one)
    );
    for (i, row) in f.rows.iter().enumerate() {
        let y = top + 16.0 + row_h * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + 4.0,
            esc(&row.label)
        );
        match row.estimate {
            Some((rl, l, h)) => {
                // Filled and dark when significant, hollow otherwise: the
                // difference survives grey printing.
                let (colour, fill) = if row.significant {
                    ("#a11d1d", "#a11d1d")
                } else {
                    ("#2b4c8c", "#ffffff")
                };
                let _ = write!(
                    svg,
                    "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">{rl:.2}{}</text>",
                    x(l),
                    x(h),
                    x(rl) - 4.5,
                    y - 4.5,
                    left + width + 8.0,
                    y + 4.0,
                    if row.significant { " *" } else { "" }
                );
            }
            None => {
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
        "<figure>{svg}<figcaption class=\"note\">{} (* significant.)</figcaption></figure>",
        esc(&f.caption)
    )
}

/// Bars: of each group's applicants, the share reaching each stage, with
/// the share and count written above each bar.
pub(super) fn funnel_chart(f: &FunnelBars) -> String {
    let stages = &f.stages;
    let (bar_w, gap, chart_h) = (44.0, 8.0, 180.0);
    let group_w = (bar_w + gap) * f.groups.len() as f64 + 24.0;
    let width = (60.0 + group_w * stages.len() as f64).max(400.0);
    let top = 34.0;
    let height = top + chart_h + 80.0;
    // Dark to light, so neighbouring bars differ in grey print too.
    let colours = [
        "#1f3a68", "#d98c1f", "#6f9bd1", "#7a2e6a", "#9aa5b5", "#3b8c5a",
    ];
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Share of each group reaching each stage\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\">"
    );
    let _ = write!(
        svg,
        "<line x1=\"46\" x2=\"{width:.0}\" y1=\"{0:.1}\" y2=\"{0:.1}\" stroke=\"#555\"/><text x=\"40\" y=\"{1:.1}\" text-anchor=\"end\">100%</text><text x=\"40\" y=\"{0:.1}\" text-anchor=\"end\">0%</text>",
        top + chart_h,
        top + 4.0
    );
    for (si, stage) in stages.iter().enumerate() {
        let x0 = 56.0 + group_w * si as f64;
        for (gi, (_, counts)) in f.groups.iter().enumerate() {
            let x = x0 + (bar_w + gap) * gi as f64;
            let mid = x + bar_w / 2.0;
            let (share, n) = match (counts.get(si).copied().flatten(), counts[0]) {
                (Some(n), Some(all)) if all > 0 => (n as f64 / all as f64, n),
                (Some(n), Some(_)) => (0.0, n),
                _ => {
                    let _ = write!(
                        svg,
                        "<text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{SUPPRESSED_SYMBOL}</text>",
                        top + chart_h - 4.0
                    );
                    continue;
                }
            };
            let h = share * chart_h;
            let y = top + chart_h - h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w}\" height=\"{h:.1}\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"><title>{:.1}% ({n})</title></rect><text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{:.0}%</text><text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#5a6475\">{n}</text>",
                colours[gi % colours.len()],
                share * 100.0,
                y - 14.0,
                share * 100.0,
                y - 3.0,
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>",
            x0 + (group_w - 24.0) / 2.0,
            top + chart_h + 18.0,
            esc(stage)
        );
    }
    let mut lx = 56.0;
    for (gi, (name, _)) in f.groups.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect x=\"{lx:.0}\" y=\"{:.0}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/><text x=\"{:.0}\" y=\"{:.0}\">{}</text>",
            top + chart_h + 40.0,
            colours[gi % colours.len()],
            lx + 17.0,
            top + chart_h + 50.0,
            esc(name)
        );
        lx += 30.0 + 7.5 * name.chars().count() as f64;
    }
    svg.push_str("</svg>");
    format!(
        "<figure>{svg}<figcaption class=\"note\">{}</figcaption></figure>",
        esc(&f.caption)
    )
}

/// The drift chart: the score gap per quarter with ±2 SE whiskers.
pub(super) fn drift_chart(pts: &[DriftPoint]) -> String {
    let max = pts
        .iter()
        .map(|p| p.gap.abs() + 2.0 * p.se)
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
    for (i, p) in pts.iter().enumerate() {
        let x = left + 30.0 + 80.0 * i as f64;
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#8fa3c8\"/><circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#2b4c8c\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y(p.gap - 2.0 * p.se),
            y(p.gap + 2.0 * p.se),
            y(p.gap),
            ht + 32.0,
            esc(&p.period)
        );
        let _ = write!(
            path,
            "{}{x:.1},{:.1}",
            if i == 0 { "M" } else { " L" },
            y(p.gap)
        );
    }
    let _ = write!(
        svg,
        "<path d=\"{path}\" fill=\"none\" stroke=\"#2b4c8c\"/><text x=\"0\" y=\"{:.1}\">0</text></svg>",
        y(0.0) + 4.0
    );
    svg
}

/// A bar per assignment: the share of its known shortlist from outside the
/// reference group, with the count written beside it; an assignment whose
/// rules were not met is outlined, shaded and says so in words.
pub(super) fn slate_chart(b: &SlateBars) -> String {
    let (left, width, row_h) = (260.0, 420.0, 22.0);
    let top = 24.0;
    let height = top + row_h * b.rows.len() as f64 + 34.0;
    let total_w = left + width + 200.0;
    let mut svg = format!(
        "<figure><svg role=\"img\" aria-label=\"Shortlists by assignment\" width=\"{total_w}\" height=\"{height}\" viewBox=\"0 0 {total_w} {height}\">"
    );
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"14\" font-weight=\"600\">Share of each known shortlist who are {}</text>",
        esc(&b.counted)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = left + tick * width;
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#d5dbe5\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.0}%</text>",
            top + row_h * b.rows.len() as f64,
            top + row_h * b.rows.len() as f64 + 14.0,
            tick * 100.0
        );
    }
    for (i, r) in b.rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let unmet = r.met == Some(false);
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\"{}>{}</text>",
            left - 8.0,
            y + 15.0,
            if unmet { " font-weight=\"600\"" } else { "" },
            esc(&r.label)
        );
        let (value, words) = match (r.focal, r.known) {
            (Some(f), Some(k)) if k > 0 => (Some(f as f64 / k as f64), format!("{f} of {k}")),
            (Some(_), Some(_)) => (None, "none of known ethnicity".to_string()),
            _ => (None, SUPPRESSED_SYMBOL.to_string()),
        };
        if let Some(v) = value {
            let _ = write!(
                svg,
                "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"{}\"/>",
                y + 4.0,
                (v * width).max(1.0),
                row_h - 8.0,
                if unmet { "#e9b3b3" } else { "#5b7db1" },
                if unmet { "#a11d1d" } else { "none" },
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\"{}>{}{}</text>",
            left + width + 8.0,
            y + 15.0,
            if unmet {
                " fill=\"#a11d1d\" font-weight=\"600\""
            } else {
                ""
            },
            esc(&words),
            if unmet { " — NOT MET" } else { "" }
        );
    }
    svg.push_str("</svg>");
    let _ = write!(svg, "<figcaption>{}</figcaption></figure>", esc(&b.caption));
    svg
}
