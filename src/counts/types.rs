//! The counts the counting pass returns: cells by breakdown, label and
//! reached stage, exits, the row accounting of each table, and the request
//! that asks for them.

use std::collections::BTreeMap;

use polars::prelude::{InitHashMaps, PlHashMap};
use serde::Serialize;

use super::{PanelCounts, PeriodFrom, ScoreCounts};
use crate::ingest::TableKind;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::ladder::Ladder;

/// Applications counted in one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelCell {
    /// Values of the breakdown columns, in [`FunnelCounts::by`] order.
    pub keys: Vec<Option<String>>,
    /// The raw ethnicity label, `None` when missing.
    pub label: Option<String>,
    /// Rank of the highest stage reached.
    pub reached: u8,
    /// Number of applications.
    pub applications: u64,
}

/// Applicants a counts file gives with no count at the later stages (a
/// published audit's "unknown category" row): counted, never rated. Only
/// labels of unknown category may be left so; the audit checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnratedCell {
    /// Values of the breakdown columns, in [`FunnelCounts::by`] order.
    pub keys: Vec<Option<String>>,
    /// The raw ethnicity label, `None` when missing.
    pub label: Option<String>,
    /// Applicants.
    pub applications: u64,
    /// The file's line of the first such row (CSV).
    pub line: Option<u64>,
}

/// A cell's breakdown values, raw label and reached rank.
pub(crate) type CellKey = (Vec<Option<String>>, Option<String>, u8);

/// Applications that stopped at one stage, by label and raw exit value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitCell {
    /// The raw ethnicity label.
    pub label: Option<String>,
    /// Rank of the highest stage reached.
    pub reached: u8,
    /// The raw exit value (exit_reason), `None` when empty.
    pub exit: Option<String>,
    /// Number of applications.
    pub applications: u64,
}

/// Rows excluded from one table for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    /// Why, in words.
    pub reason: String,
    /// How many rows.
    pub rows: u64,
}

/// Rows read, used and excluded for one input table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableAccount {
    /// The table.
    pub table: TableKind,
    /// Its file.
    pub path: String,
    /// Data rows read (header not counted).
    pub rows_read: u64,
    /// Rows that contributed to the counts.
    pub rows_used: u64,
    /// Rows excluded, all reasons together.
    pub rows_excluded: u64,
    /// Rows excluded, by reason.
    pub excluded: Vec<Exclusion>,
}

/// Where reached stages came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageSource {
    /// The stage_events table.
    StageEvents,
    /// The applications table's furthest_stage column.
    FurthestStage,
    /// A counts file of furthest stages (`rung counts`).
    Counts,
    /// A counts file with a column per stage reached (a WRES-style return).
    CountsByStage,
}

/// The sufficient statistics of a funnel audit.
#[derive(Debug, Clone, Serialize)]
pub struct FunnelCounts {
    /// Breakdown columns, in key order.
    pub by: Vec<String>,
    /// The ladder the ranks refer to.
    pub ladder: Ladder,
    /// The counts.
    pub cells: Vec<FunnelCell>,
    /// Row accounting per input table.
    pub tables: Vec<TableAccount>,
    /// Where reached stages came from.
    pub stage_source: StageSource,
    /// Applications with no usable stage record, counted as applied.
    pub applications_without_stage: u64,
    /// The first and last applied_on (ISO dates) of the applications
    /// counted, when the applications table has dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_between: Option<[String; 2]>,
    /// Applicants a counts file gives without later-stage counts: counted,
    /// never rated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrated: Vec<UnratedCell>,
    /// Candidates (candidate_id) whose applications carry more than one
    /// distinct ethnicity label; `None` when there is no candidate_id.
    pub candidates_with_differing_ethnicity: Option<u64>,
    /// Application ids that recur with a different vacancy_id (so look like
    /// applicant ids); looked for only when the applications table repeats
    /// ids, and `None` when there are none.
    pub ids_across_vacancies: Option<u64>,
    /// Applications by label, reached stage and exit value; `None` when the
    /// applications table has no exit_reason column.
    pub exits: Option<Vec<ExitCell>>,
}

impl TableAccount {
    /// The table's name.
    pub fn table_name(&self) -> &'static str {
        self.table.name()
    }
}

impl FunnelCounts {
    /// Total applications counted.
    pub fn applications(&self) -> u64 {
        self.cells.iter().map(|c| c.applications).sum()
    }

    /// The same counts without one breakdown key (cells that differ only
    /// in it added together); unchanged when `key` is not a breakdown.
    pub fn without_key(mut self, key: &str) -> FunnelCounts {
        let Some(i) = self.by.iter().position(|b| b == key) else {
            return self;
        };
        self.by.remove(i);
        let mut merged: BTreeMap<CellKey, u64> = BTreeMap::new();
        for mut c in self.cells {
            c.keys.remove(i);
            *merged.entry((c.keys, c.label, c.reached)).or_default() += c.applications;
        }
        self.cells = merged
            .into_iter()
            .map(|((keys, label, reached), applications)| FunnelCell {
                keys,
                label,
                reached,
                applications,
            })
            .collect();
        // Unrated rows are few (one per file row): their keys lose the
        // column and stay as rows.
        for u in &mut self.unrated {
            u.keys.remove(i);
        }
        self
    }

    /// Applicants given without later-stage counts, all together.
    pub fn unrated_applications(&self) -> u64 {
        self.unrated.iter().map(|u| u.applications).sum()
    }

    /// Applications per raw label.
    pub fn label_totals(&self) -> BTreeMap<Option<String>, u64> {
        // Added up by a hash of the label and copied once per label: a
        // national extract has hundreds of thousands of cells over a few
        // hundred labels, and a search of the ordered map per cell was a
        // sixth of the 10M national audit's measures.
        let mut totals: PlHashMap<Option<&str>, u64> = PlHashMap::new();
        for c in &self.cells {
            *totals.entry(c.label.as_deref()).or_default() += c.applications;
        }
        totals
            .into_iter()
            .map(|(label, n)| (label.map(str::to_string), n))
            .collect()
    }
}

/// What to count.
pub struct CountRequest<'a> {
    /// Breakdown columns of the applications table.
    pub by: &'a [String],
    /// Labels → groups (panel types need it before the main pass).
    pub taxonomy: &'a Taxonomy,
    /// Count panels, when the dataset has a panel_members table.
    pub panels: bool,
    /// Count scores, when the dataset has a scores table.
    pub scores: bool,
    /// Where score periods come from.
    pub period_from: PeriodFrom,
    /// The counting pass's memory budget in bytes ([`DEFAULT_MEMORY`]
    /// unless told).
    pub memory: u64,
    /// Keep each assessor's differentials per raw applicant label, as a
    /// counts file does (its audit may group the labels another way).
    /// Otherwise they are added up in the pass by the class `taxonomy`
    /// puts each label in: all the assessor check needs, and at national
    /// scale a few rows per assessor instead of one per label seen.
    pub assessors_by_label: bool,
}

/// Everything the measures need, as counts.
#[derive(Debug, Clone)]
pub struct Counts {
    /// The funnel. When panels are counted its last key is `panel_type`.
    pub funnel: FunnelCounts,
    /// Panels, if counted.
    pub panels: Option<PanelCounts>,
    /// Scores, if counted.
    pub scores: Option<ScoreCounts>,
}

/// The breakdown derived from applied_on when the table has no such column.
pub const QUARTER: &str = "quarter";
/// `--by fy-quarter`: the UK financial-year quarter of applied_on (April to
/// March, as the NHS and local government report), e.g. "2025/26 Q2".
pub const FY_QUARTER: &str = "fy-quarter";
/// `--by fy`: the financial year of applied_on, e.g. "2025/26".
pub const FY: &str = "fy";
/// The period columns rung derives from applied_on when the table has no
/// column of that name.
pub const PERIODS: [&str; 3] = [QUARTER, FY_QUARTER, FY];

/// The breakdown key panel types are counted under.
pub const PANEL_TYPE: &str = "panel_type";
