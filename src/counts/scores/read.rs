//! The score queries' results read into cells, with the row account.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::{
    APPLICANTS, Applicants, AssessorCell, NOT_ON_PANEL, NOT_REACHED, PeriodFrom, ScoreCell,
    ScoreCounts, ScorePrep, UNKNOWN_APPLICATION, USED,
};
use crate::counts::columns::column;
use crate::counts::{f64_column, i32_column, push_exclusion, str_column, u64_column};
use crate::error::{Error, Result};
use crate::taxonomy::grouping::Class;

/// Reads the score queries' results.
pub(crate) fn read(
    prep: &ScorePrep,
    results: &[DataFrame],
    period_from: PeriodFrom,
) -> Result<ScoreCounts> {
    let [by_status, application_level, differentials] = results else {
        return Err(Error::Internal(
            "score queries: wrong number of results".into(),
        ));
    };
    let mut account = prep.account.clone();
    let status = i32_column(by_status, "status")?;
    let scores = u64_column(by_status, "n")?;
    let rows = u64_column(by_status, "rows")?;
    let duplicates: u64 = rows.iter().sum::<u64>() - scores.iter().sum::<u64>();
    let mut per_status: BTreeMap<i32, u64> = BTreeMap::new();
    for (code, n) in status.iter().zip(&scores) {
        *per_status.entry(code.unwrap_or(USED)).or_default() += n;
    }
    push_exclusion(
        &mut account.excluded,
        "repeat of a score already recorded (same application, stage and assessor)",
        duplicates,
    );
    for (code, n) in per_status {
        let reason = match code {
            UNKNOWN_APPLICATION => "score for an application not in the applications table",
            NOT_REACHED => "score at a stage the application never reached",
            NOT_ON_PANEL => "assessor not on the vacancy's panel",
            _ => continue,
        };
        push_exclusion(&mut account.excluded, reason, n);
    }
    account.rows_excluded = account.excluded.iter().map(|e| e.rows).sum();
    account.rows_used = account.rows_read - account.rows_excluded;
    let used = by_status
        .filter(
            &by_status
                .column("status")
                .and_then(|c| c.as_materialized_series().equal(USED))
                .map_err(|e| Error::Internal(e.to_string()))?,
        )
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ScoreCounts {
        assessor_level: score_cells(&used)?,
        application_level: score_cells(application_level)?,
        assessors: assessor_cells(differentials)?,
        account,
        period_from,
        dated_stage: match period_from {
            PeriodFrom::Applied => None,
            PeriodFrom::Interview => prep.main_stage,
        },
    })
}

fn score_cells(df: &DataFrame) -> Result<Vec<ScoreCell>> {
    let stage = i32_column(df, "stage_rank")?;
    let label = str_column(df, "ethnicity")?;
    let sex = str_column(df, "sex")?;
    let period = i32_column(df, "period")?;
    let value = f64_column(df, "value")?;
    let n = u64_column(df, "n")?;
    let mut cells: Vec<ScoreCell> = (0..df.height())
        .filter_map(|i| {
            Some(ScoreCell {
                stage: stage[i]? as u8,
                label: label[i].clone(),
                sex: sex[i].clone(),
                period: period[i],
                value: value[i]?,
                n: n[i],
            })
        })
        .collect();
    cells.sort_by(|a, b| {
        (a.stage, &a.label, &a.sex, a.period)
            .cmp(&(b.stage, &b.label, &b.sex, b.period))
            .then(a.value.total_cmp(&b.value))
    });
    Ok(cells)
}

fn assessor_cells(df: &DataFrame) -> Result<Vec<AssessorCell>> {
    let df = &presorted(df)?;
    let assessor = str_column(df, "assessor_id")?;
    let stage = i32_column(df, "stage_rank")?;
    let applicants = applicants_column(df)?;
    let scorers = u64_column(df, "scorers")?;
    let n = u64_column(df, "n")?;
    let sum_e = f64_column(df, "sum_e")?;
    let sum_e2 = f64_column(df, "sum_e2")?;
    let mut rows: Vec<(AssessorCell, u64)> = (0..df.height())
        .filter_map(|i| {
            let k = scorers[i] as f64 - 1.0;
            let cell = AssessorCell {
                assessor: assessor[i].clone()?,
                stage: stage[i]? as u8,
                applicants: applicants[i].clone(),
                n: n[i],
                sum: sum_e[i].unwrap_or(0.0) / k,
                sum_sq: sum_e2[i].unwrap_or(0.0) / (k * k),
            };
            Some((cell, scorers[i]))
        })
        .collect();
    // Each (assessor, stage, applicants, scorers) is one row: no order to
    // keep among equals. The cells of one assessor, stage and applicants
    // are added in order of their number of scorers, the same every run.
    // Already in this order (`presorted`), so the sort only checks it.
    rows.sort_unstable_by(|(a, ka), (b, kb)| {
        (&a.assessor, a.stage, &a.applicants, ka).cmp(&(&b.assessor, b.stage, &b.applicants, kb))
    });
    let mut cells: Vec<AssessorCell> = Vec::with_capacity(rows.len());
    for (cell, _) in rows {
        match cells.last_mut() {
            Some(last)
                if (&last.assessor, last.stage, &last.applicants)
                    == (&cell.assessor, cell.stage, &cell.applicants) =>
            {
                last.n += cell.n;
                last.sum += cell.sum;
                last.sum_sq += cell.sum_sq;
            }
            _ => cells.push(cell),
        }
    }
    Ok(cells)
}

/// The differentials' applicants column read back: class codes (a null
/// code as unmapped) or raw labels.
fn applicants_column(df: &DataFrame) -> Result<Vec<Applicants>> {
    Ok(match column(df, APPLICANTS)?.dtype() {
        DataType::Int32 => i32_column(df, APPLICANTS)?
            .into_iter()
            .map(|c| Applicants::Class(c.map_or(Class::Unmapped, Class::from_code)))
            .collect(),
        _ => str_column(df, APPLICANTS)?
            .into_iter()
            .map(Applicants::Label)
            .collect(),
    })
}

/// The differentials in the order `assessor_cells` adds them up in
/// (assessor, stage, applicants as [`Applicants`] orders them, scorers),
/// sorted by polars on both cores: a national audit's million rows took
/// 1.8 s to sort by their text in Rust, and a sorted slice is checked in
/// one pass. Classes sort as [`Class`] does (groups, then declined, not
/// known, unmapped; a null code reads as unmapped), labels as text with
/// null first, as `Option<String>` does.
fn presorted(df: &DataFrame) -> Result<DataFrame> {
    let applicants = match column(df, APPLICANTS)?.dtype() {
        DataType::Int32 => {
            let code = col(APPLICANTS).fill_null(lit(Class::Unmapped.code()));
            when(code.clone().gt_eq(lit(0)))
                .then(code.clone().cast(DataType::Int64))
                .otherwise(lit(i64::from(i32::MAX)) - code.cast(DataType::Int64))
        }
        _ => col(APPLICANTS),
    };
    df.clone()
        .lazy()
        // Assessors arrive as categoricals (see the score queries).
        .with_column(col("assessor_id").cast(DataType::String))
        .sort_by_exprs(
            [
                col("assessor_id"),
                col("stage_rank"),
                applicants,
                col("scorers"),
            ],
            SortMultipleOptions::default().with_maintain_order(false),
        )
        .collect()
        .map_err(|e| Error::Internal(format!("sorting the assessors' differentials: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// polars' order of the differentials is the order `assessor_cells`
    /// adds them up in, for classes (whose codes do not sort as the
    /// classes do) and for labels (null first).
    #[test]
    fn presorted_rows_are_in_the_order_cells_are_added_in() {
        let codes = [
            Some(-1),
            Some(1),
            None,
            Some(0),
            Some(-2),
            Some(-3),
            Some(0),
        ];
        let labels = [
            Some("b"),
            None,
            Some("a"),
            Some("B"),
            None,
            Some("a"),
            Some("é"),
        ];
        let assessors = ["A2", "A1", "A1", "A1", "A2", "A2", "A10"];
        let scorers = [2u64, 3, 2, 2, 2, 3, 4];
        let stages = [3i32, 3, 3, 2, 3, 3, 3];
        let frame = |applicants: Column| {
            DataFrame::new_infer_height(vec![
                Column::new("assessor_id".into(), assessors),
                Column::new("stage_rank".into(), stages),
                applicants,
                Column::new("scorers".into(), scorers),
            ])
            .unwrap()
        };
        for df in [
            frame(Column::new(APPLICANTS.into(), codes)),
            frame(Column::new(APPLICANTS.into(), labels)),
        ] {
            let sorted = presorted(&df).unwrap();
            let key = |df: &DataFrame| -> Vec<(String, i32, Applicants, u64)> {
                let assessor = str_column(df, "assessor_id").unwrap();
                let stage = i32_column(df, "stage_rank").unwrap();
                let scorers = u64_column(df, "scorers").unwrap();
                let applicants = applicants_column(df).unwrap();
                (0..df.height())
                    .map(|i| {
                        (
                            assessor[i].clone().unwrap(),
                            stage[i].unwrap(),
                            applicants[i].clone(),
                            scorers[i],
                        )
                    })
                    .collect()
            };
            let mut expected = key(&df);
            expected.sort();
            assert_eq!(key(&sorted), expected);
        }
    }
}
