//! The report's sections, each built once from the audit into the
//! [`model`](super::model), in the one order every human format shows them.
//! A new measure adds one builder here and one line in [`SECTIONS`]; the
//! renderers lay out whatever blocks they are given.

mod funnel;
mod ll144;
mod panels;
mod quality;
pub(crate) use quality::provenance_blocks;
mod scorecards;
mod scoring;
mod tables;

use std::collections::BTreeMap;

use super::model::{Block, Report, Section, date_in_words, day_in_words};
use crate::audit::Audit;
use crate::stats::Confidence;

/// How much a report shows where a section is long: the terminal keeps
/// whole-dataset rows of the availability and sensitivity tables (and says
/// how many more the other formats hold); documents show every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// A terminal report, read on screen.
    Terminal,
    /// A document: Markdown, HTML, XLSX.
    Document,
}

/// A section builder: `None` when the audit has nothing for it.
type Builder = fn(&Audit, Detail) -> Option<Section>;

/// Every section, in report order.
const SECTIONS: [Builder; 18] = [
    funnel::headline,
    funnel::findings,
    funnel::forest,
    funnel::funnel_chart,
    quality::data_quality,
    funnel::steps,
    funnel::sensitivity,
    tables::pooled,
    tables::changes,
    scorecards::scorecards,
    tables::intersectional,
    ll144::ll144,
    tables::availability,
    tables::exits,
    tables::wres,
    panels::panels,
    scoring::scoring,
    quality::provenance,
];

/// The report of an audit, for people.
pub fn report(audit: &Audit, detail: Detail) -> Report {
    Report {
        title: title(audit),
        meta: meta(audit),
        sections: SECTIONS.iter().filter_map(|b| b(audit, detail)).collect(),
    }
}

/// The report's title: `--title` when given; otherwise "Recruitment
/// funnel audit", with the organisation when the audit is of one or a few
/// (named by its `--by organisation` rows), the profile's name when it
/// gives one, and the period the applications cover ("1 July 2025 to 30
/// September 2025", from applied_on).
pub fn title(audit: &Audit) -> String {
    let s = &audit.settings;
    if let Some(t) = &s.title {
        return t.clone();
    }
    let mut title = "Recruitment funnel audit".to_string();
    let organisations: std::collections::BTreeSet<&str> = audit
        .transitions
        .iter()
        .filter(|t| t.breakdown.len() == 1)
        .filter_map(|t| t.breakdown.get("organisation"))
        .map(String::as_str)
        .collect();
    if (1..=3).contains(&organisations.len()) {
        let names: Vec<&str> = organisations.into_iter().collect();
        title = format!("{}: {title}", names.join(", "));
    }
    if let Some(n) = &s.profile_name {
        title.push_str(&format!(" — {n}"));
    }
    if let Some([first, last]) = &audit.data_quality.applied_between {
        title.push_str(&format!(
            ", applications of {} to {}",
            day_in_words(first),
            day_in_words(last)
        ));
    }
    title
}

/// The sentences under the title: what produced the report, how to read its
/// ratios and p values, and what publication mode withheld.
pub fn meta(audit: &Audit) -> Vec<String> {
    let s = &audit.settings;
    let mut lines = vec![
        format!(
            "Produced by rung {} on {}.",
            audit.provenance.version,
            date_in_words(&audit.provenance.generated_at)
        ),
        format!(
            "Grouping {} (reference group {}). Ratios in the {} direction: {}.",
            s.grouping,
            s.reference_group,
            s.direction.name(),
            s.direction_meaning
        ),
        format!(
            "Confidence {}%: \"significant\" means Fisher's exact p, adjusted for the {} comparisons in this report ({}), is below {}.",
            s.confidence.percent(),
            audit.comparisons_tested(),
            s.adjust.describe(),
            (s.confidence.alpha() * 1e9).round() / 1e9
        ),
    ];
    lines.extend(audit.publication.as_ref().map(super::publication_text));
    lines
}

/// A step for people: "shortlisted → appointed", with its label when it
/// has one ("applied → appointed (whole funnel)").
pub fn step_name(from: &str, to: &str, label: Option<&str>) -> String {
    match label {
        Some(l) => format!("{from} → {to} ({l})"),
        None => format!("{from} → {to}"),
    }
}

/// A breakdown row for people: "organisation = ORG001, grade = Band 5", or
/// "all applications".
pub fn describe_breakdown(b: &BTreeMap<String, String>) -> String {
    if b.is_empty() {
        "all applications".to_string()
    } else {
        b.iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The interval column's name: "95% CI".
pub fn ci_header(confidence: Confidence) -> String {
    format!("{}% CI", confidence.percent())
}

/// A section of these blocks, or `None` when there are none.
fn section(id: &'static str, title: impl Into<String>, blocks: Vec<Block>) -> Option<Section> {
    (!blocks.is_empty()).then(|| Section {
        id,
        title: title.into(),
        blocks,
    })
}

/// The rows shown of a table that runs to a row per breakdown value: every
/// row in documents, the whole-dataset rows (`whole`) on a terminal; and
/// how many were left out.
fn rows_for<T>(items: &[T], detail: Detail, whole: impl Fn(&T) -> bool) -> (Vec<&T>, usize) {
    let (shown, left_out): (Vec<&T>, Vec<&T>) = items
        .iter()
        .partition(|item| detail == Detail::Document || whole(item));
    (shown, left_out.len())
}

/// The line under a table cut for the terminal: how many rows the other
/// formats hold.
fn more_rows_note(more: usize) -> Option<Block> {
    (more > 0).then(|| {
        Block::Note(format!(
            "{more} more rows by breakdown in the JSON, HTML, Markdown and XLSX outputs."
        ))
    })
}
