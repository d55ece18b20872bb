//! Terminal sections for panels and scoring, after the funnel tables.

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::{fmt_interval, fmt_num, fmt_p, fmt_rate};
use crate::measures::panels::{Compliance, PanelReport, PanelSummary};
use crate::measures::pooling::PooledComparison;
use crate::measures::quality::DataQuality;
use crate::measures::scoring::{Level, ScoringReport};
use crate::stats::Confidence;

fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    t
}

fn summary_row(t: &mut Table, label: String, s: &PanelSummary) {
    t.add_row(vec![
        Cell::new(label),
        right(s.vacancies),
        right(s.vacancies_with_panel),
        right(format!(
            "{} ({})",
            s.vacancies_diverse,
            fmt_rate(s.share_diverse)
        )),
        right(format!(
            "{} ({})",
            s.vacancies_all_white,
            fmt_rate(s.share_all_white)
        )),
        right(s.vacancies_other),
        right(s.vacancies_shortlisted_without_panel),
    ]);
}

fn compliance_row(t: &mut Table, label: String, c: &Compliance) {
    t.add_row(vec![
        Cell::new(label),
        right(c.covered),
        right(c.compliant),
        right(c.non_compliant),
        right(c.no_panel),
        right(fmt_rate(c.share_compliant)),
    ]);
}

/// Writes the panels section.
pub fn write_panels(
    p: &PanelReport,
    confidence: Confidence,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Selection panels (panel type from the panels at stage: {})",
        p.panel_stage.as_deref().unwrap_or("–")
    )?;
    let members: Vec<String> = p
        .members_by_group
        .iter()
        .map(|(g, n)| format!("{g}: {n}"))
        .collect();
    writeln!(
        out,
        "  Members: {} · unknown ethnicity: {}",
        members.join(" · "),
        p.members_unknown
    )?;
    if p.panels_for_unknown_vacancies > 0 {
        writeln!(
            out,
            "  Panels for vacancies not in the applications table: {}",
            p.panels_for_unknown_vacancies
        )?;
    }
    if let Some(n) = p.members_not_in_staff.filter(|n| n.value > 0) {
        writeln!(
            out,
            "  Panel members with no record in the staff file: {n} (ethnicity from the panel file, or unknown)"
        )?;
    }
    let mut t = table(&[
        "Vacancies",
        "All",
        "With panel",
        "Diverse",
        "All White",
        "Other",
        "Shortlisted, no panel",
    ]);
    summary_row(&mut t, "all".into(), &p.summary);
    for b in &p.breakdowns {
        let label: Vec<String> = b
            .breakdown
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        summary_row(&mut t, label.join(", "), b);
    }
    writeln!(out, "{t}")?;

    if !p.panel_type_difference.is_empty() {
        writeln!(
            out,
            "Outcomes by panel type (relative likelihood with diverse vs all-White panels)"
        )?;
        let ci = format!("{}% CI", (confidence.percent()).round());
        let mut t = table(&[
            "Step",
            "Focal",
            "RL diverse",
            "RL all White",
            "Ratio",
            ci.as_str(),
            "p",
        ]);
        for d in &p.panel_type_difference {
            t.add_row(vec![
                Cell::new(format!("{} → {}", d.from, d.to)),
                Cell::new(&d.focal),
                right(fmt_num(d.rl_diverse, 2)),
                right(fmt_num(d.rl_all_white, 2)),
                right(fmt_num(d.ratio_of_rl, 2)),
                right(fmt_interval(d.ci_low, d.ci_high)),
                right(fmt_p(d.p)),
            ]);
        }
        writeln!(out, "{t}")?;
        for b in &p.by_panel_type {
            for tr in &b.transitions {
                let counts: Vec<String> = tr
                    .groups
                    .iter()
                    .map(|g| format!("{} {}/{}", g.group, g.progressed, g.entered))
                    .collect();
                writeln!(
                    out,
                    "  {} panels ({} vacancies), {} → {}: {}",
                    b.panel_type,
                    b.vacancies,
                    tr.from,
                    tr.to,
                    counts.join(", ")
                )?;
            }
        }
    }

    if let Some(policy) = &p.policy {
        writeln!(
            out,
            "Panel policy{} ({})",
            policy
                .policy
                .name
                .as_ref()
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default(),
            policy.policy.file
        )?;
        let mut t = table(&[
            "Vacancies",
            "Covered",
            "Compliant",
            "Not compliant",
            "No panel",
            "Share compliant",
        ]);
        compliance_row(&mut t, "all".into(), &policy.total);
        for g in &policy.by_grade {
            compliance_row(
                &mut t,
                format!("grade {}", g.grade.as_deref().unwrap_or("–")),
                g,
            );
        }
        for b in &policy.by_breakdown {
            let label: Vec<String> = b
                .breakdown
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            compliance_row(&mut t, label.join(", "), b);
        }
        writeln!(out, "{t}")?;
        if policy.vacancies_without_grade > 0 {
            writeln!(
                out,
                "  Vacancies with no grade (grade rules cannot place them): {}",
                policy.vacancies_without_grade
            )?;
        }
        for v in policy.non_compliant_vacancies.iter().take(20) {
            writeln!(
                out,
                "  {} ({}): {}",
                v.vacancy_id,
                v.grade.as_deref().unwrap_or("no grade"),
                v.reasons.join("; ")
            )?;
        }
        if policy.non_compliant_vacancies.len() > 20 {
            writeln!(
                out,
                "  … and {} more (all are in the JSON output)",
                policy.non_compliant_vacancies.len() - 20
            )?;
        }
    }
    Ok(())
}

/// Writes the scoring section.
pub fn write_scoring(
    s: &ScoringReport,
    confidence: Confidence,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Interview scores (stage: {})", s.stage)?;
    if s.other_stage_scores > 0 {
        writeln!(
            out,
            "  {} scores at other stages are not analysed here.",
            s.other_stage_scores
        )?;
    }
    let mut t = table(&["Group", "Level", "n", "Mean", "SD", "Median"]);
    for g in &s.groups {
        let name = if g.known {
            g.group.clone()
        } else {
            format!("({})", g.group)
        };
        t.add_row(vec![
            Cell::new(name),
            Cell::new(level(g.level)),
            right(g.n),
            right(fmt_num(g.mean, 2)),
            right(fmt_num(g.sd, 2)),
            right(fmt_num(g.median, 2)),
        ]);
    }
    writeln!(out, "{t}")?;
    let ci = format!("{}% CI", (confidence.percent()).round());
    let mut t = table(&[
        "Comparison",
        "Level",
        "Mean gap",
        ci.as_str(),
        "Hedges' g",
        "g CI",
        "Mann-Whitney p",
        "Welch p",
    ]);
    for c in &s.comparisons {
        t.add_row(vec![
            Cell::new(format!("{} − {}", c.focal, c.reference)),
            Cell::new(level(c.level)),
            right(fmt_num(c.mean_gap, 2)),
            right(interval(c.gap_ci_low, c.gap_ci_high)),
            right(fmt_num(c.hedges_g, 2)),
            right(interval(c.g_ci_low, c.g_ci_high)),
            right(fmt_p(c.p_mann_whitney)),
            right(fmt_p(c.p_welch)),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "  Assessor level: every assessor's score counts once. Application level: one score per application, the mean of its assessors'."
    )?;

    writeln!(
        out,
        "Scoring rate (NYC Local Law 144): share of applications scoring above the median ({})",
        fmt_num(s.ll144.median, 2)
    )?;
    let mut t = table(&[
        "Category",
        "n",
        "Above median",
        "Scoring rate",
        "Impact ratio",
        "Under 2%",
    ]);
    for c in &s.ll144.categories {
        t.add_row(vec![
            Cell::new(&c.category),
            right(c.n),
            right(c.above_median),
            right(fmt_rate(c.scoring_rate)),
            right(fmt_num(c.impact_ratio, 2)),
            right(if c.excludable { "yes" } else { "" }),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "  Unknown ethnicity: {} · unknown sex: {}",
        s.ll144.unknown_ethnicity, s.ll144.unknown_sex
    )?;

    let d = &s.drift;
    writeln!(out, "Score gap by quarter (application level)")?;
    let mut t = table(&["Quarter", "n reference", "n focal", "Gap", "SE"]);
    for p in &d.periods {
        t.add_row(vec![
            Cell::new(&p.period),
            right(p.n_reference),
            right(p.n_focal),
            right(fmt_num(p.gap, 2)),
            right(fmt_num(p.se, 2)),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "  {}", d.summary)?;
    if d.undated > 0 {
        writeln!(out, "  Applications without a usable date: {}", d.undated)?;
    }
    for st in &d.stability {
        writeln!(
            out,
            "  Score distribution shift {} → {} for {}: PSI {}",
            st.from,
            st.to,
            st.group,
            fmt_num(st.psi, 3)
        )?;
    }

    writeln!(
        out,
        "Assessor check: {} assessors with at least {} candidates of each group checked; {} flagged (Benjamini-Hochberg)",
        s.assessors_checked, s.min_assessor_candidates, s.assessors_flagged
    )?;
    if s.ids_removed {
        writeln!(out, "  Assessor ids are left out of published reports.")?;
    }
    let flagged: Vec<_> = s.assessors.iter().filter(|a| a.flagged).collect();
    if !flagged.is_empty() {
        let mut t = table(&[
            "Assessor",
            "n reference",
            "n focal",
            "Differential",
            ci.as_str(),
            "p",
            "p adjusted",
        ]);
        for a in flagged {
            t.add_row(vec![
                Cell::new(&a.assessor_id),
                right(a.n_reference),
                right(a.n_focal),
                right(fmt_num(a.differential, 2)),
                right(interval(a.ci_low, a.ci_high)),
                right(fmt_p(a.p)),
                right(fmt_p(a.p_adjusted)),
            ]);
        }
        writeln!(out, "{t}")?;
        writeln!(
            out,
            "  Differential: the assessor's score minus the other panel members' mean, for focal minus reference candidates."
        )?;
    }
    Ok(())
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Assessor => "assessor",
        Level::Application => "application",
    }
}

fn interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{l:.2} to {h:.2}"),
        _ => "–".into(),
    }
}

/// Writes the pooled comparisons: crude and Mantel-Haenszel side by side.
pub fn write_pooled(
    pooled: &[PooledComparison],
    confidence: Confidence,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Pooled across breakdown rows (Mantel-Haenszel; CMH test; homogeneity: Breslow-Day with Tarone's correction)"
    )?;
    let (names, rows) = super::pooled_table(pooled, confidence);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut t = table(&names);
    let mut notes = Vec::new();
    for (p, cells) in pooled.iter().zip(rows) {
        t.add_row(
            cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| if i >= 3 { right(c) } else { Cell::new(c) }),
        );
        if let Some(n) = &p.note {
            notes.push(format!("  {} → {} by {}: {n}", p.from, p.to, p.by));
        }
    }
    writeln!(out, "{t}")?;
    for n in notes {
        writeln!(out, "{n}")?;
    }
    Ok(())
}

/// Writes disclosure at every stage.
pub fn write_disclosure(q: &DataQuality, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out)?;
    let parts: Vec<String> = q
        .disclosure_by_stage
        .iter()
        .map(|d| format!("{} {} of {}", d.stage, fmt_rate(d.rate), d.applicants))
        .collect();
    writeln!(
        out,
        "Ethnicity known, by stage reached: {}",
        parts.join(" · ")
    )
}
