//! Data quality: how many applications stated an ethnicity, declined, or
//! have none recorded; which labels could not be mapped; row accounting.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Count, is_false};
use crate::counts::{FunnelCounts, StageSource, TableAccount};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;

/// A raw label and how many applications carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelCount {
    /// The label as it appears in the export.
    pub label: String,
    /// Applications with it.
    pub count: Count,
    /// Why it could not be placed under the grouping in use.
    pub reason: String,
}

/// The `data_quality` section of an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataQuality {
    /// Applications counted (after duplicates and rows without an id).
    pub applications: Count,
    /// Applications placed in a known group.
    pub ethnicity_known: Count,
    /// Applications whose applicant declined to say.
    pub ethnicity_declined: Count,
    /// Applications with no ethnicity recorded.
    pub ethnicity_not_known: Count,
    /// Applications whose label could not be placed.
    pub ethnicity_unmapped: Count,
    /// Share of applications placed in a known group; null when none.
    pub disclosure_rate: Option<f64>,
    /// Labels that could not be placed, most frequent first.
    pub unmapped_labels: Vec<LabelCount>,
    /// Where reached stages came from.
    pub stage_source: StageSource,
    /// Applications with no usable stage record, counted as applied.
    pub applications_without_stage: u64,
    /// Applicants of unknown category a counts file gives with no later
    /// counts (an LL144 return's unknown row): in no step, never rated,
    /// counted with the LL144 tables' unknown applicants.
    #[serde(skip_serializing_if = "is_zero")]
    pub unrated_applications: u64,
    /// The first and last applied_on (ISO dates) of the applications, when
    /// the applications table has dates: the period the report covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_between: Option<[String; 2]>,
    /// Rows read, used and excluded, per input table.
    pub tables: Vec<TableAccount>,
    /// Disclosure at every stage: of the applicants who reached it, how
    /// many stated an ethnicity rung could place. A low or falling rate is
    /// itself a finding.
    pub disclosure_by_stage: Vec<StageDisclosure>,
    /// Candidates whose applications carry different ethnicity labels
    /// (each application counts under its own); absent without candidate_id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates_with_differing_ethnicity: Option<u64>,
    /// Application ids that recur with a different vacancy_id (they look
    /// like applicant ids); present when the applications table repeats ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids_across_vacancies: Option<u64>,
    /// Publication mode: a count in this section is suppressed.
    #[serde(skip_serializing_if = "is_false")]
    pub suppressed: bool,
}

/// Disclosure among the applicants who reached one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageDisclosure {
    /// The stage.
    pub stage: String,
    /// Applicants who reached it.
    pub applicants: Count,
    /// Of those, placed in a known group.
    pub known: Count,
    /// known ÷ applicants.
    pub rate: Option<f64>,
}

/// The labels that cannot be placed under the scheme, each with its count
/// and reason, most frequent first.
fn unmapped_labels(counts: &FunnelCounts, taxonomy: &Taxonomy) -> Vec<LabelCount> {
    let mut unmapped: Vec<LabelCount> = counts
        .label_totals()
        .into_iter()
        .filter_map(|(label, n)| {
            let e = taxonomy.explain(label.as_deref());
            (e.class == Class::Unmapped).then(|| LabelCount {
                label: super::shown_label(label.as_deref().unwrap_or_default()),
                count: n.into(),
                reason: e.reason.unwrap_or_default(),
            })
        })
        .collect();
    unmapped.sort_by(|a, b| {
        b.count
            .value
            .cmp(&a.count.value)
            .then(a.label.cmp(&b.label))
    });
    unmapped
}

/// Computes the data-quality section.
pub fn data_quality(counts: &FunnelCounts, taxonomy: &Taxonomy) -> DataQuality {
    let mut by_class: BTreeMap<Class, u64> = BTreeMap::new();
    for (label, n) in counts.label_totals() {
        let key = match taxonomy.classify(label.as_deref()) {
            Class::Group(_) => Class::Group(0),
            other => other,
        };
        *by_class.entry(key).or_insert(0) += n;
    }
    let unmapped = unmapped_labels(counts, taxonomy);
    let get = |c| by_class.get(&c).copied().unwrap_or(0);
    let stages = counts.ladder.stages();
    let mut reached = vec![(0u64, 0u64); stages.len()];
    for cell in &counts.cells {
        let known = matches!(taxonomy.classify(cell.label.as_deref()), Class::Group(_));
        for r in reached.iter_mut().take(cell.reached as usize + 1) {
            r.0 += cell.applications;
            if known {
                r.1 += cell.applications;
            }
        }
    }
    let disclosure_by_stage = stages
        .iter()
        .zip(reached)
        .map(|(stage, (applicants, known))| StageDisclosure {
            stage: stage.clone(),
            applicants: applicants.into(),
            known: known.into(),
            rate: crate::stats::rate(known, applicants),
        })
        .collect();
    let applications = counts.applications();
    let known = get(Class::Group(0));
    DataQuality {
        applications: applications.into(),
        ethnicity_known: known.into(),
        ethnicity_declined: get(Class::Declined).into(),
        ethnicity_not_known: get(Class::NotKnown).into(),
        ethnicity_unmapped: get(Class::Unmapped).into(),
        disclosure_rate: crate::stats::rate(known, applications),
        unmapped_labels: unmapped,
        stage_source: counts.stage_source,
        applications_without_stage: counts.applications_without_stage,
        unrated_applications: counts.unrated_applications(),
        applied_between: counts.applied_between.clone(),
        tables: counts.tables.clone(),
        disclosure_by_stage,
        candidates_with_differing_ethnicity: counts.candidates_with_differing_ethnicity,
        ids_across_vacancies: counts.ids_across_vacancies,
        suppressed: false,
    }
}

/// For serde: leave a zero count out.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `--strict-labels`: an error listing every label that cannot be placed
/// under the grouping, with its count and reason; `Ok` when there are
/// none or the taxonomy is not strict.
pub fn refuse_unmapped(
    counts: &FunnelCounts,
    taxonomy: &Taxonomy,
    path: &std::path::Path,
) -> crate::error::Result<()> {
    if !taxonomy.strict {
        return Ok(());
    }
    let unmapped = unmapped_labels(counts, taxonomy);
    if unmapped.is_empty() {
        return Ok(());
    }
    let total: u64 = unmapped.iter().map(|u| u.count.value).sum();
    let list: Vec<String> = unmapped
        .iter()
        .map(|u| format!("\"{}\" ({}: {})", u.label, u.count.value, u.reason))
        .collect();
    Err(crate::error::Error::input(
        path,
        format!(
            "--strict-labels: {} ethnicity label(s) on {total} application(s) cannot be placed under the {} grouping: {}",
            unmapped.len(),
            taxonomy.scheme.name,
            list.join("; ")
        ),
    )
    .with_column("ethnicity")
    .with_hint("place them in a profile's [ethnicity_labels]; `rung labels DATASET --unmapped-toml` writes the block to fill in"))
}

/// How one distinct raw label was mapped (`rung labels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelMapping {
    /// The raw label; null when the cell was empty.
    pub label: Option<String>,
    /// Applications with it.
    pub count: u64,
    /// ONS 2021 or EEO-1 category id, `heading:<id>`, `set:<id>`,
    /// `group:<name>`, "declined", "not_known" or "unmapped".
    pub resolved_to: String,
    /// The ONS category or heading name, in words.
    pub description: String,
    /// Group under the scheme in use, or the unknown class.
    pub group: String,
    /// Why the label is unmapped under the scheme in use; null otherwise.
    pub reason: Option<String>,
}

/// Every distinct label with its mapping, most frequent first.
pub fn label_mappings(counts: &FunnelCounts, taxonomy: &Taxonomy) -> Vec<LabelMapping> {
    let mut out: Vec<LabelMapping> = counts
        .label_totals()
        .into_iter()
        .map(|(label, count)| {
            let e = taxonomy.explain(label.as_deref());
            LabelMapping {
                label: label.as_deref().map(super::shown_label),
                count,
                resolved_to: e.resolved_to,
                description: e.description,
                group: taxonomy.scheme.class_name(e.class).to_string(),
                reason: e.reason,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    out
}
