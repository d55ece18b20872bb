//! What the audit read: data quality (ethnicity disclosure, unmapped
//! labels, rows used and excluded) and the provenance of its inputs.

use std::path::Path;

use super::{Detail, section};
use crate::audit::Audit;
use crate::provenance::InputFile;
use crate::report::model::{Block, Cell, Section, Table, date_in_words};

/// Disclosure, unmapped labels, applications without a stage and every
/// table's rows read, used and excluded (with the reasons).
pub(super) fn data_quality(audit: &Audit, _: Detail) -> Option<Section> {
    let q = &audit.data_quality;
    let mut blocks = vec![Block::Paragraph(format!(
        "{} applications; ethnicity stated for {} ({}), declined {}, not known {}, unmapped {}.",
        q.applications,
        q.ethnicity_known,
        Cell::Rate(q.disclosure_rate).shown(),
        q.ethnicity_declined,
        q.ethnicity_not_known,
        q.ethnicity_unmapped
    ))];
    if q.applications_without_stage > 0 {
        blocks.push(Block::Paragraph(format!(
            "Applications with no stage recorded (counted as applied): {}.",
            q.applications_without_stage
        )));
    }
    if q.unrated_applications > 0 {
        blocks.push(Block::Paragraph(format!(
            "Applicants of unknown category given with no later-stage counts (in no step; counted as unknown in the LL144 tables): {}.",
            q.unrated_applications
        )));
    }
    if let Some(n) = q.ids_across_vacancies.filter(|&n| n > 0) {
        blocks.push(Block::Paragraph(format!(
            "Application ids that recur with a different vacancy: {n}."
        )));
    }
    if let Some(n) = q.candidates_with_differing_ethnicity.filter(|&n| n > 0) {
        blocks.push(Block::Paragraph(format!(
            "Candidates whose ethnicity differs between their applications: {n}."
        )));
    }
    if !q.unmapped_labels.is_empty() {
        blocks.push(Block::Note(
            "Labels that could not be mapped to a category (left out of rates; see `rung labels`):"
                .into(),
        ));
        let mut labels = Table::new(["Label", "Applications", "Why"]);
        for l in &q.unmapped_labels {
            labels.row(vec![
                Cell::text(&l.label),
                Cell::Count(l.count),
                Cell::text(&l.reason),
            ]);
        }
        blocks.push(Block::Table(labels));
    }
    let mut tables = Table::new(["Table", "File", "Rows read", "Used", "Excluded", "Reasons"]);
    for t in &q.tables {
        tables.row(vec![
            Cell::text(t.table_name()),
            Cell::text(file_name(&t.path)),
            Cell::count(t.rows_read),
            Cell::count(t.rows_used),
            Cell::count(t.rows_excluded),
            Cell::text(
                t.excluded
                    .iter()
                    .map(|e| format!("{}: {}", e.reason, e.rows))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ]);
    }
    blocks.push(Block::Table(tables));
    let mut stages = Table::new(["Stage reached", "Applicants", "Ethnicity known", "Rate"]);
    for d in &q.disclosure_by_stage {
        stages.row(vec![
            Cell::text(&d.stage),
            Cell::Count(d.applicants),
            Cell::Count(d.known),
            Cell::Rate(d.rate),
        ]);
    }
    if !stages.rows.is_empty() {
        blocks.push(Block::Note(
            "Ethnicity known, by the furthest stage reached:".into(),
        ));
        blocks.push(Block::Table(stages));
    }
    section("quality", "Data quality", blocks)
}

/// The inputs by file name, rows and SHA-256 digest: enough to show which
/// files were audited without giving away where they sit on someone's disk
/// (the JSON output, without `--publish`, holds the full paths and the
/// command).
pub(super) fn provenance(audit: &Audit, _: Detail) -> Option<Section> {
    let p = &audit.provenance;
    section(
        "provenance",
        "Provenance",
        provenance_blocks(
            p.version,
            &p.generated_at,
            p.inputs.iter().chain(&p.previous_inputs),
        ),
    )
}

/// What produced a report, fit to publish: the version and date, and each
/// input's file name (no folders), rows and SHA-256.
pub(crate) fn provenance_blocks<'a>(
    version: &str,
    generated_at: &str,
    inputs: impl Iterator<Item = &'a InputFile>,
) -> Vec<Block> {
    let mut table = Table::new(["Table", "File", "Rows", "SHA-256"]);
    for i in inputs {
        table.row(vec![
            Cell::text(i.table.name()),
            Cell::text(file_name(&i.path)),
            match i.rows {
                Some(r) => Cell::count(r),
                None => Cell::text("–"),
            },
            Cell::text(&i.sha256),
        ]);
    }
    vec![
        Block::Paragraph(format!(
            "rung {version}, {}. The JSON output holds the command and settings in full.",
            date_in_words(generated_at)
        )),
        Block::Table(table),
    ]
}

/// A path's last part ("applications.csv"), or the text itself when it has
/// none; a glob's pattern stays as written.
fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}
