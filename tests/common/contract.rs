//! A typed model of the audit's JSON contract (docs/output.md), as a reader
//! of it would write one: tests that read the JSON through it name fields
//! the compiler checks, and `deny_unknown_fields` makes a renamed or new
//! field in the output fail here instead of passing unnoticed. Sections a
//! test does not look into are kept as JSON values.

use serde::Deserialize;
use serde_json::Value;

/// The whole audit document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    pub tool: Tool,
    pub settings: Settings,
    pub inputs: Vec<InputFile>,
    pub data_quality: DataQuality,
    pub headline: Vec<String>,
    pub findings: Vec<Finding>,
    pub transitions: Vec<Transition>,
    pub panels: Option<Value>,
    pub scoring: Option<Value>,
    pub exits: Option<Value>,
    pub pooled: Vec<Value>,
    pub sensitivity: Vec<Sensitivity>,
    #[serde(default)]
    pub changes: Vec<Value>,
    #[serde(default)]
    pub wres_indicator_2: Vec<Value>,
    #[serde(default)]
    pub scorecards: Vec<Value>,
    #[serde(default)]
    pub intersectional: Vec<Value>,
    pub ll144: Option<Ll144>,
    pub availability: Vec<Value>,
    pub publication: Option<Publication>,
    pub provenance: Provenance,
}

/// The three NYC Local Law 144 tables (`--ll144`, `--grouping eeo1`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ll144 {
    pub from: String,
    pub to: String,
    pub exclude_under_2_percent: bool,
    pub sex_column: Option<String>,
    pub tables: Vec<Ll144Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ll144Table {
    pub characteristic: String,
    pub categories: Vec<Ll144Row>,
    pub comparator: Option<String>,
    pub applicants: Option<u64>,
    pub unknown_applicants: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ll144Row {
    pub category: String,
    #[serde(default)]
    pub race_ethnicity: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    pub applicants: Option<u64>,
    pub selected: Option<u64>,
    pub selection_rate: Option<f64>,
    pub impact_ratio: Option<f64>,
    pub below_four_fifths: bool,
    pub under_2_percent: bool,
    pub excluded_under_2_percent: bool,
    #[serde(default)]
    pub suppressed: bool,
}

impl Ll144 {
    /// The table by `characteristic` ("sex", "race_ethnicity",
    /// "intersectional").
    pub fn table(&self, characteristic: &str) -> &Ll144Table {
        self.tables
            .iter()
            .find(|t| t.characteristic == characteristic)
            .unwrap_or_else(|| panic!("no {characteristic} table"))
    }
}

impl Ll144Table {
    pub fn row(&self, category: &str) -> &Ll144Row {
        self.categories
            .iter()
            .find(|r| r.category == category)
            .unwrap_or_else(|| panic!("no {category} row"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub grouping: String,
    pub reference_group: String,
    pub focal_groups: Vec<String>,
    pub confidence: f64,
    pub direction: String,
    pub direction_meaning: String,
    pub by: Vec<String>,
    pub ladder: Vec<String>,
    pub profile: Option<String>,
    pub profile_name: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub adjust: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub table: String,
    pub path: String,
    pub format: String,
    pub rows: Option<u64>,
    pub sha256: String,
}

/// A count: `null` when publication mode suppressed it.
pub type Count = Option<u64>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataQuality {
    pub applications: Count,
    pub ethnicity_known: Count,
    pub ethnicity_declined: Count,
    pub ethnicity_not_known: Count,
    pub ethnicity_unmapped: Count,
    pub disclosure_rate: Option<f64>,
    pub unmapped_labels: Vec<Value>,
    pub stage_source: String,
    pub applications_without_stage: u64,
    #[serde(default)]
    pub unrated_applications: u64,
    #[serde(default)]
    pub applied_between: Option<[String; 2]>,
    pub tables: Vec<TableAccount>,
    pub disclosure_by_stage: Vec<Value>,
    pub candidates_with_differing_ethnicity: Option<u64>,
    pub ids_across_vacancies: Option<u64>,
    #[serde(default)]
    pub suppressed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableAccount {
    pub table: String,
    pub path: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_excluded: u64,
    pub excluded: Vec<Exclusion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub reason: String,
    pub rows: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub text: String,
    pub source: String,
    pub priority: Priority,
}

/// How much a finding matters, most first (the order findings are listed
/// in).
#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    FiguresAtRisk,
    Investigate,
    Watch,
    MoreThanChance,
    DataQuality,
    Context,
}

/// One step for the whole dataset (`breakdown` empty) or a breakdown row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub breakdown: std::collections::BTreeMap<String, String>,
    pub groups: Vec<GroupRate>,
    pub unknown: Vec<GroupRate>,
    pub comparisons: Vec<Comparison>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRate {
    pub group: String,
    pub entered: Count,
    pub progressed: Count,
    pub rate: Option<f64>,
    pub impact_ratio: Option<f64>,
    #[serde(default)]
    pub suppressed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    pub reference: String,
    pub focal: String,
    pub direction: String,
    pub relative_likelihood: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub confidence: f64,
    pub p_fisher: Option<f64>,
    pub p_z: Option<f64>,
    pub p_adjusted: Option<f64>,
    pub outside_range: Option<bool>,
    pub significant: Option<bool>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    pub from: String,
    pub to: String,
    pub breakdown: std::collections::BTreeMap<String, String>,
    pub focal: String,
    pub unknown_entered: Count,
    pub rl: Option<f64>,
    pub rl_unknowns_all_reference: Option<f64>,
    pub rl_unknowns_all_focal: Option<f64>,
    pub rl_lowest: Option<f64>,
    pub rl_highest: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub threshold: u64,
    pub cells: u64,
    pub primary: u64,
    pub secondary: u64,
    pub equations: u64,
    pub withheld: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub version: String,
    pub command: String,
    pub settings: Settings,
    pub inputs: Vec<InputFile>,
    #[serde(default)]
    pub previous_inputs: Vec<InputFile>,
    pub generated_at: String,
}

impl Audit {
    /// The step `from → to` of a breakdown row (`&[]` for the whole data).
    pub fn step(&self, from: &str, to: &str, breakdown: &[(&str, &str)]) -> &Transition {
        self.transitions
            .iter()
            .find(|t| {
                t.from == from
                    && t.to == to
                    && t.breakdown.len() == breakdown.len()
                    && breakdown
                        .iter()
                        .all(|(k, v)| t.breakdown.get(*k).map(String::as_str) == Some(*v))
            })
            .unwrap_or_else(|| panic!("no step {from} → {to} for {breakdown:?}"))
    }
}

impl Transition {
    /// A known group's or unknown class's row.
    pub fn group(&self, name: &str) -> &GroupRate {
        self.groups
            .iter()
            .chain(&self.unknown)
            .find(|g| g.group == name)
            .unwrap_or_else(|| panic!("no group {name} in {} → {}", self.from, self.to))
    }

    /// The comparison of `focal` with the reference group.
    pub fn comparison(&self, focal: &str) -> &Comparison {
        self.comparisons
            .iter()
            .find(|c| c.focal == focal)
            .unwrap_or_else(|| panic!("no comparison for {focal} in {} → {}", self.from, self.to))
    }
}
