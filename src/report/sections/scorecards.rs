//! Scorecards: one card per agency (or other breakdown value), ranked on the
//! whole funnel.

use super::{Detail, ci_header, section, step_name};
use crate::audit::Audit;
use crate::report::model::{Block, Cell, Section, Table};

/// Every card: its title, summary lines, stage make-up and step ratios.
pub(super) fn scorecards(audit: &Audit, _: Detail) -> Option<Section> {
    if audit.scorecards.is_empty() {
        return None;
    }
    let ranked = audit.scorecards.iter().filter(|c| c.rank.is_some()).count();
    let mut blocks = vec![Block::Note("Cards are ranked on the whole funnel (first stage → last): rank 1 has the relative likelihood closest to 1 (on the log scale, so 1.5 and 1/1.5 count as equally uneven). The ranking orders point estimates: where intervals overlap the order may be chance.".into())];
    if ranked == 0 {
        blocks.push(Block::Note("Not ranked: the whole funnel's ratio is undefined or withheld for every card (e.g. no one has reached the last stage yet).".into()));
    }
    for c in &audit.scorecards {
        blocks.push(Block::Heading(format!(
            "{} = {}{}",
            c.column,
            c.value,
            c.rank
                .map(|r| format!(" (rank {r} of {ranked})"))
                .unwrap_or_default()
        )));
        let mut lines = vec![format!(
            "Ethnicity stated by {} of applicants.",
            Cell::Rate(c.disclosure_rate).shown()
        )];
        if let Some(share) = c.panels_share_diverse {
            lines.push(format!(
                "{} of its vacancies had a diverse panel.",
                Cell::Rate(Some(share)).shown()
            ));
        }
        lines.extend(c.warnings.iter().map(|w| format!("Note: {w}.")));
        blocks.push(Block::List(lines));

        let mut groups: Vec<String> = c
            .stages
            .first()
            .map(|s| s.groups.keys().cloned().collect())
            .unwrap_or_default();
        groups.sort();
        let mut header = vec!["Stage".to_string()];
        header.extend(groups.iter().cloned());
        header.extend([
            "Unknown".to_string(),
            format!("Share outside {}", audit.settings.reference_group),
        ]);
        let mut stages = Table::new(header);
        for s in &c.stages {
            let mut row = vec![Cell::text(&s.stage)];
            row.extend(groups.iter().map(|g| match s.groups.get(g) {
                Some(n) => Cell::Count(*n),
                None => Cell::Blank,
            }));
            row.push(Cell::Count(s.unknown));
            row.push(Cell::Rate(s.focal_share));
            stages.row(row);
        }
        blocks.push(Block::Table(stages));

        let mut steps = Table::new([
            "Step".to_string(),
            "Comparison".into(),
            "Relative likelihood".into(),
            ci_header(audit.settings.confidence),
            "Adjusted p".into(),
            "Significant".into(),
        ]);
        for s in &c.steps {
            steps.row(vec![
                Cell::text(step_name(&s.from, &s.to, None)),
                Cell::text(format!("{} vs {}", audit.settings.reference_group, s.focal)),
                Cell::Ratio(s.relative_likelihood),
                Cell::Interval(s.ci_low, s.ci_high),
                Cell::P(s.p_adjusted),
                Cell::YesNo(s.significant),
            ]);
        }
        blocks.push(Block::Table(steps));
    }
    section("scorecards", "Scorecards", blocks)
}
