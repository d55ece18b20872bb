//! The score statistics file written beside a counts file (see
//! `crate::ingest::scores_path`): histograms of assessor and application
//! scores and assessors' differentials, one long table.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::{format_of, text_column, write_frame};
use crate::counts::scores::{Applicants, AssessorCell, PeriodFrom, ScoreCell, ScoreCounts};
use crate::counts::{account, collect};
use crate::error::{Error, Result};
use crate::ingest::{self, Format, Profile, Source};
use crate::taxonomy::ladder::Ladder;

/// The score statistics file's record kinds.
const ASSESSOR_SCORE: &str = "assessor_score";
const APPLICATION_SCORE: &str = "application_score";
const DIFFERENTIAL: &str = "assessor_differential";

/// Writes the score statistics (histograms of assessor and application
/// scores, assessors' differentials against the rest of their panel) as one
/// long table: a `record` column says which, `stage` names the scored stage
/// on `ladder`, and every row carries how periods were dated. Assessor ids
/// are written: the audit needs them to flag assessors (`--publish` keeps
/// them out of its report, not out of this file).
pub fn write_scores(scores: &ScoreCounts, ladder: &Ladder, path: &Path) -> Result<()> {
    let format = format_of(path)?;
    let mut record = Vec::new();
    let mut stage = Vec::new();
    let mut label: Vec<Option<String>> = Vec::new();
    let mut sex: Vec<Option<String>> = Vec::new();
    let mut period: Vec<Option<i32>> = Vec::new();
    let mut score: Vec<Option<f64>> = Vec::new();
    let mut assessor: Vec<Option<String>> = Vec::new();
    let mut n = Vec::new();
    let mut sum: Vec<Option<f64>> = Vec::new();
    let mut sum_sq: Vec<Option<f64>> = Vec::new();
    for (kind, cells) in [
        (ASSESSOR_SCORE, &scores.assessor_level),
        (APPLICATION_SCORE, &scores.application_level),
    ] {
        for c in cells {
            record.push(kind);
            stage.push(ladder.name(c.stage).to_string());
            label.push(c.label.clone());
            sex.push(c.sex.clone());
            period.push(c.period);
            score.push(Some(c.value));
            assessor.push(None);
            n.push(c.n);
            sum.push(None);
            sum_sq.push(None);
        }
    }
    for c in &scores.assessors {
        let Applicants::Label(applicants) = &c.applicants else {
            return Err(Error::Internal(
                "a counts file keeps assessors' differentials by label: count with assessors_by_label".into(),
            ));
        };
        record.push(DIFFERENTIAL);
        stage.push(ladder.name(c.stage).to_string());
        label.push(applicants.clone());
        sex.push(None);
        period.push(None);
        score.push(None);
        assessor.push(Some(c.assessor.clone()));
        n.push(c.n);
        sum.push(Some(c.sum));
        sum_sq.push(Some(c.sum_sq));
    }
    let rows = record.len();
    let period_from = match scores.period_from {
        PeriodFrom::Applied => "applied",
        PeriodFrom::Interview => "interview",
    };
    let dated_stage = scores.dated_stage.map(|s| ladder.name(s).to_string());
    let columns = vec![
        Column::new("record".into(), record),
        Column::new("stage".into(), stage),
        Column::new("ethnicity".into(), label),
        Column::new("sex".into(), sex),
        Column::new("period".into(), period),
        Column::new("score".into(), score),
        Column::new("assessor".into(), assessor),
        Column::new("n".into(), n),
        Column::new("sum".into(), sum),
        Column::new("sum_sq".into(), sum_sq),
        Column::new("period_from".into(), vec![period_from; rows]),
        Column::new("dated_stage".into(), vec![dated_stage; rows]),
    ];
    write_frame(columns, path, format)
}

/// Reads the score statistics `write_scores` wrote, stages placed on
/// `ladder`. Every value is checked; a bad one stops with its line (CSV) or
/// row (Parquet) and column.
pub fn read_scores(source: &Source, ladder: &Ladder) -> Result<ScoreCounts> {
    const COLUMNS: [&str; 12] = [
        "record",
        "stage",
        "ethnicity",
        "sex",
        "period",
        "score",
        "assessor",
        "n",
        "sum",
        "sum_sq",
        "period_from",
        "dated_stage",
    ];
    let profile = Profile::canonical();
    let scan = ingest::scan_requiring(source, &profile, &COLUMNS, &[])?;
    let df = collect(scan.frame.clone(), &[source], &profile)?;
    let text: BTreeMap<&str, Vec<Option<String>>> = COLUMNS
        .iter()
        .map(|c| Ok((*c, text_column(&df, c, source.format)?)))
        .collect::<Result<_>>()?;
    let at = |column: &str, row: usize, what: String| match source.format {
        Format::Csv => Error::input(&source.path, what)
            .with_column(column)
            .with_line(row as u64 + 2),
        Format::Parquet => {
            Error::input(&source.path, format!("row {}: {what}", row + 1)).with_column(column)
        }
    };
    let value = |column: &str, row: usize| text[column][row].as_deref().map(str::trim);
    let owned = |column: &str, row: usize| text[column][row].clone();
    let number = |column: &str, row: usize| -> Result<Option<f64>> {
        match value(column, row) {
            None | Some("") => Ok(None),
            Some(t) => t
                .parse::<f64>()
                .map(Some)
                .map_err(|_| at(column, row, format!("'{t}' is not a number"))),
        }
    };
    let required = |column: &str, row: usize| -> Result<f64> {
        number(column, row)?.ok_or_else(|| at(column, row, "is empty; expected a number".into()))
    };
    let mut out = ScoreCounts {
        assessor_level: Vec::new(),
        application_level: Vec::new(),
        assessors: Vec::new(),
        account: account(source, df.height() as u64, df.height() as u64, Vec::new()),
        period_from: PeriodFrom::Applied,
        dated_stage: None,
    };
    for row in 0..df.height() {
        let stage_name = value("stage", row).unwrap_or("");
        let stage = ladder.rank(stage_name).ok_or_else(|| {
            at(
                "stage",
                row,
                format!(
                    "'{stage_name}' is not a stage of the ladder ({})",
                    ladder.stages().join(" < ")
                ),
            )
        })?;
        let n = required("n", row)?;
        if n < 0.0 || n.fract() != 0.0 {
            return Err(at("n", row, format!("'{n}' is not a whole number")));
        }
        let n = n as u64;
        out.period_from = match value("period_from", row) {
            Some("interview") => PeriodFrom::Interview,
            _ => PeriodFrom::Applied,
        };
        out.dated_stage = value("dated_stage", row)
            .filter(|s| !s.is_empty())
            .and_then(|s| ladder.rank(s));
        let label = owned("ethnicity", row);
        match value("record", row) {
            Some(kind @ (ASSESSOR_SCORE | APPLICATION_SCORE)) => {
                let period = number("period", row)?.map(|p| p as i32);
                let cell = ScoreCell {
                    stage,
                    label,
                    sex: owned("sex", row),
                    period,
                    value: required("score", row)?,
                    n,
                };
                if kind == ASSESSOR_SCORE {
                    out.assessor_level.push(cell);
                } else {
                    out.application_level.push(cell);
                }
            }
            Some(DIFFERENTIAL) => out.assessors.push(AssessorCell {
                assessor: owned("assessor", row).unwrap_or_default(),
                stage,
                applicants: Applicants::Label(label),
                n,
                sum: required("sum", row)?,
                sum_sq: required("sum_sq", row)?,
            }),
            other => {
                return Err(at(
                    "record",
                    row,
                    format!(
                        "'{}' is not a record kind; expected {ASSESSOR_SCORE}, {APPLICATION_SCORE} or {DIFFERENTIAL}",
                        other.unwrap_or("")
                    ),
                ));
            }
        }
    }
    Ok(out)
}
