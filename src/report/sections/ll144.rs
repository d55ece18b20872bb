//! The three NYC Local Law 144 tables, laid out as the rules' example and
//! published bias-audit summaries lay them out: a table per characteristic,
//! applicants, selected, selection rate and impact ratio per category, and
//! the applicants of unknown category beneath.

use super::{Detail, section, step_name};
use crate::audit::Audit;
use crate::measures::ll144::{Characteristic, Ll144Table};
use crate::report::model::{Block, Cell, Section, Table};

/// The tables at the step `--ll144-step` chose.
pub(super) fn ll144(audit: &Audit, _: Detail) -> Option<Section> {
    let r = audit.ll144.as_ref()?;
    let mut blocks = vec![Block::Note(format!(
        "NYC Local Law 144 bias-audit tables (6 RCNY § 5-301) at the step {}: \"selected\" means reaching {}. Selection rate = selected ÷ applicants. Impact ratio = a category's selection rate ÷ that of the most selected category, so 1.00 is the most selected and under 0.80 fails the four-fifths rule; it runs the other way up from the relative likelihoods above. {}",
        step_name(&r.from, &r.to, None),
        r.to,
        if r.exclude_under_2_percent {
            "Categories under 2% of a table's applicants are left out of the impact ratios, as the rules allow (they keep their selection rate and cannot be the comparator; --ll144-exclude-under-2=false rates them)."
        } else {
            "Categories under 2% of a table's applicants are rated like the others (--ll144-exclude-under-2=false)."
        }
    ))];
    for t in &r.tables {
        blocks.push(Block::Heading(t.characteristic.title().into()));
        blocks.push(Block::Table(layout(t)));
        blocks.push(Block::Note(unknown_note(t)));
    }
    if r.sex_column.is_none() {
        blocks.push(Block::Note(
            "No sex or intersectional table: the audit has no sex breakdown. Add --ll144 (it reads the sex column) to draw them.".into(),
        ));
    }
    section("ll144", "NYC Local Law 144 tables", blocks)
}

fn layout(t: &Ll144Table) -> Table {
    let intersectional = t.characteristic == Characteristic::Intersectional;
    let mut header: Vec<&str> = if intersectional {
        vec!["Race/ethnicity", "Sex"]
    } else {
        vec!["Category"]
    };
    header.extend([
        "Applicants",
        "Selected",
        "Selection rate",
        "Impact ratio",
        "Note",
    ]);
    let mut table = Table::new(header);
    for row in &t.categories {
        let mut cells = if intersectional {
            vec![
                Cell::text(row.race_ethnicity.clone().unwrap_or_default()),
                Cell::text(row.sex.clone().unwrap_or_default()),
            ]
        } else {
            vec![Cell::text(&row.category)]
        };
        let note = if row.excluded_under_2_percent {
            "under 2%: not rated"
        } else if t.comparator.as_deref() == Some(row.category.as_str()) {
            "most selected"
        } else if row.below_four_fifths {
            "below 0.80"
        } else if row.under_2_percent {
            "under 2%"
        } else {
            ""
        };
        cells.extend([
            Cell::Count(row.applicants),
            Cell::Count(row.selected),
            Cell::Rate(row.selection_rate),
            Cell::Ratio(row.impact_ratio),
            Cell::text(note),
        ]);
        table.row(cells);
    }
    table
}

fn unknown_note(t: &Ll144Table) -> String {
    let what = match t.characteristic {
        Characteristic::Sex => "sex",
        Characteristic::RaceEthnicity => "race/ethnicity",
        Characteristic::Intersectional => "sex or race/ethnicity",
    };
    format!(
        "Applicants of unknown {what}: {}, not included in the calculations above.",
        t.unknown_applicants
    )
}
