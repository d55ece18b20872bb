//! The canonical tables of a dataset and the file formats rung reads.

use std::path::Path;

use serde::Serialize;

/// The canonical tables of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// One row per application (candidate × vacancy).
    Applications,
    /// One row per application × stage reached.
    StageEvents,
    /// One row per panel seat.
    PanelMembers,
    /// One row per assessor × application × stage.
    Scores,
    /// One row per employee: the HR record panel members' and assessors'
    /// ethnicity comes from, joined on member_id.
    Staff,
    /// Counts already reduced from rows (`rung counts`, or a WRES-style
    /// return): a dataset of its own, never found in a folder.
    Counts,
}

impl TableKind {
    /// Every table of rows a dataset folder can hold, in data-model order.
    pub const ALL: [TableKind; 5] = [
        TableKind::Applications,
        TableKind::StageEvents,
        TableKind::PanelMembers,
        TableKind::Scores,
        TableKind::Staff,
    ];

    /// The table's file stem and name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Applications => "applications",
            TableKind::StageEvents => "stage_events",
            TableKind::PanelMembers => "panel_members",
            TableKind::Scores => "scores",
            TableKind::Staff => "staff",
            TableKind::Counts => "counts",
        }
    }

    /// All table names, for messages.
    pub fn names() -> String {
        TableKind::ALL.map(TableKind::name).join(", ")
    }

    /// A table by its name.
    pub fn from_name(name: &str) -> Option<TableKind> {
        TableKind::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Columns every file of this table must have.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Applications => &["application_id", "vacancy_id", "ethnicity"],
            TableKind::StageEvents => &["application_id", "stage"],
            TableKind::PanelMembers => &["vacancy_id", "stage", "member_id", "member_ethnicity"],
            TableKind::Scores => &["application_id", "stage", "assessor_id", "score"],
            TableKind::Staff => &["member_id", "member_ethnicity"],
            TableKind::Counts => &["ethnicity"],
        }
    }

    /// Every canonical column of this table.
    pub fn all_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Applications => &[
                "application_id",
                "vacancy_id",
                "ethnicity",
                "candidate_id",
                "organisation",
                "agency",
                "grade",
                "sex",
                "applied_on",
                "furthest_stage",
                "outcome",
                "exit_reason",
            ],
            TableKind::StageEvents => &["application_id", "stage", "entered_at"],
            TableKind::PanelMembers => &[
                "vacancy_id",
                "stage",
                "member_id",
                "member_ethnicity",
                "member_sex",
                "role",
            ],
            TableKind::Scores => &["application_id", "stage", "assessor_id", "score"],
            TableKind::Staff => &["member_id", "member_ethnicity", "member_sex"],
            TableKind::Counts => &["ethnicity", "furthest_stage", "applications"],
        }
    }
}

/// File formats rung reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated text with a header line (delimiter from the profile).
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format a file name says, looking through a compression suffix
    /// (`applications.csv.gz`, `.csv.zst`): compressed CSV is read as it
    /// streams. Parquet compresses inside the file.
    pub(super) fn from_path(path: &Path) -> Option<Format> {
        let full = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = ["gz", "zst", "zstd"]
            .iter()
            .find_map(|z| full.strip_suffix(&format!(".{z}")))
            .unwrap_or(&full);
        match name.rsplit_once('.')?.1 {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" if name.len() == full.len() => Some(Format::Parquet),
            _ => None,
        }
    }
}
