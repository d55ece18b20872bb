//! Selection panels: who sat on them, how many were diverse or all White,
//! whether outcomes differ by panel type, and compliance with a panel
//! policy.

use super::{Detail, ci_header, describe_breakdown, section, step_name};
use crate::audit::Audit;
use crate::measures::panels::{Compliance, PanelSummary};
use crate::report::model::{Block, Cell, Section, Table};

/// Non-compliant vacancies listed in a report (all are in the JSON).
const VACANCIES_LISTED: usize = 20;

/// The panels section.
pub(super) fn panels(audit: &Audit, _: Detail) -> Option<Section> {
    let p = audit.panels.as_ref()?;
    let s = &p.summary;
    let mut blocks = vec![Block::Paragraph(format!(
        "{} vacancies; {} with a panel recorded; {} diverse ({}), {} all White ({}); {} shortlisted with no panel recorded. Panel type is taken from the panels at the {} stage.",
        s.vacancies,
        s.vacancies_with_panel,
        s.vacancies_diverse,
        Cell::Rate(s.share_diverse).shown(),
        s.vacancies_all_white,
        Cell::Rate(s.share_all_white).shown(),
        s.vacancies_shortlisted_without_panel,
        p.panel_stage.as_deref().unwrap_or("–")
    ))];
    let members: Vec<String> = p
        .members_by_group
        .iter()
        .map(|(g, n)| format!("{g}: {n}"))
        .collect();
    let mut lines = vec![format!(
        "Panel members: {}; unknown ethnicity: {}.",
        members.join(", "),
        p.members_unknown
    )];
    if p.panels_for_unknown_vacancies > 0 {
        lines.push(format!(
            "Panels for vacancies not in the applications table: {}.",
            p.panels_for_unknown_vacancies
        ));
    }
    if let Some(n) = p.members_not_in_staff.filter(|n| n.value > 0) {
        lines.push(format!(
            "Panel members with no record in the staff file: {n} (ethnicity from the panel file, or unknown)."
        ));
    }
    blocks.push(Block::List(lines));

    let mut summary = Table::new([
        "Vacancies",
        "All",
        "With panel",
        "Diverse",
        "Diverse share",
        "All White",
        "All-White share",
        "Other",
        "Shortlisted, no panel",
    ]);
    summary_row(&mut summary, "all".into(), s);
    for b in &p.breakdowns {
        summary_row(&mut summary, describe_breakdown(&b.breakdown), b);
    }
    blocks.push(Block::Table(summary));

    if !p.panel_type_difference.is_empty() {
        blocks.push(Block::Heading(
            "Outcomes by panel type (relative likelihood with diverse vs all-White panels)".into(),
        ));
        let mut t = Table::new([
            "Step".to_string(),
            "Group".into(),
            "RL diverse panels".into(),
            "RL all-White panels".into(),
            "Ratio".into(),
            ci_header(audit.settings.confidence),
            "p".into(),
        ]);
        for d in &p.panel_type_difference {
            t.row(vec![
                Cell::text(step_name(&d.from, &d.to, None)),
                Cell::text(&d.focal),
                Cell::Ratio(d.rl_diverse),
                Cell::Ratio(d.rl_all_white),
                Cell::Ratio(d.ratio_of_rl),
                Cell::Interval(d.ci_low, d.ci_high),
                Cell::P(d.p),
            ]);
        }
        blocks.push(Block::Table(t));
        let mut counts = Table::new([
            "Panel type",
            "Vacancies",
            "Step",
            "Group",
            "Entered",
            "Progressed",
        ]);
        for b in &p.by_panel_type {
            for tr in &b.transitions {
                for g in &tr.groups {
                    counts.row(vec![
                        Cell::text(b.panel_type),
                        Cell::count(b.vacancies),
                        Cell::text(step_name(&tr.from, &tr.to, None)),
                        Cell::text(&g.group),
                        Cell::Count(g.entered),
                        Cell::Count(g.progressed),
                    ]);
                }
            }
        }
        if !counts.rows.is_empty() {
            blocks.push(Block::Table(counts));
        }
    }

    if let Some(policy) = &p.policy {
        blocks.push(Block::Heading(format!(
            "Panel policy{} ({})",
            policy
                .policy
                .name
                .as_ref()
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default(),
            policy.policy.file
        )));
        let mut t = Table::new([
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
            compliance_row(&mut t, describe_breakdown(&b.breakdown), b);
        }
        blocks.push(Block::Table(t));
        if policy.vacancies_without_grade > 0 {
            blocks.push(Block::Note(format!(
                "Vacancies with no grade (grade rules cannot place them): {}.",
                policy.vacancies_without_grade
            )));
        }
        let listed = &policy.non_compliant_vacancies;
        if !listed.is_empty() {
            let mut lines: Vec<String> = listed
                .iter()
                .take(VACANCIES_LISTED)
                .map(|v| {
                    format!(
                        "{} ({}): {}",
                        v.vacancy_id,
                        v.grade.as_deref().unwrap_or("no grade"),
                        v.reasons.join("; ")
                    )
                })
                .collect();
            if listed.len() > VACANCIES_LISTED {
                lines.push(format!(
                    "… and {} more (all are in the JSON output)",
                    listed.len() - VACANCIES_LISTED
                ));
            }
            blocks.push(Block::Note("Vacancies not compliant:".into()));
            blocks.push(Block::List(lines));
        }
    }
    section("panels", "Selection panels", blocks)
}

fn summary_row(t: &mut Table, label: String, s: &PanelSummary) {
    t.row(vec![
        Cell::text(label),
        Cell::count(s.vacancies),
        Cell::count(s.vacancies_with_panel),
        Cell::count(s.vacancies_diverse),
        Cell::Rate(s.share_diverse),
        Cell::count(s.vacancies_all_white),
        Cell::Rate(s.share_all_white),
        Cell::count(s.vacancies_other),
        Cell::count(s.vacancies_shortlisted_without_panel),
    ]);
}

fn compliance_row(t: &mut Table, label: String, c: &Compliance) {
    t.row(vec![
        Cell::text(label),
        Cell::count(c.covered),
        Cell::count(c.compliant),
        Cell::count(c.non_compliant),
        Cell::count(c.no_panel),
        Cell::Rate(c.share_compliant),
    ]);
}
