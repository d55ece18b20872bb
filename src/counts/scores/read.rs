//! The score queries' results read into cells, with the row account.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::{
    APPLICANTS, Applicants, AssessorCell, NOT_ON_PANEL, NOT_REACHED, PeriodFrom, ScoreCell,
    ScoreCounts, ScorePrep, UNKNOWN_APPLICATION, USED,
};
use crate::counts::columns::column;
use crate::counts::{
    f64_column, i32_column, push_exclusion, ranked_str_column, str_column, u64_column,
};
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
    let (assessor, assessors) = ranked_str_column(df, "assessor_id")?;
    let stage = i32_column(df, "stage_rank")?;
    let (applicants, applicant_values) = ranked_applicants(df)?;
    let scorers = u64_column(df, "scorers")?;
    let n = u64_column(df, "n")?;
    let sum_e = f64_column(df, "sum_e")?;
    let sum_e2 = f64_column(df, "sum_e2")?;
    // Rows by (assessor, stage, applicants, scorers), compared by ranks
    // that order as the values do: each such key is one row, so there is
    // no order to keep among equals, and the rows of one assessor, stage
    // and applicants are added in order of their number of scorers, the
    // same every run. (Sorted by their text, the 10M national audit's
    // differentials took 0.4 s in polars on both cores; about a million
    // rows took 1.8 s in Rust on one.)
    let mut order: Vec<(u32, i32, u32, u64, u32)> = (0..df.height())
        .filter(|&i| assessors[assessor[i] as usize].is_some())
        .filter_map(|i| {
            let row = i as u32;
            Some((assessor[i], stage[i]?, applicants[i], scorers[i], row))
        })
        .collect();
    order.sort_unstable();
    let mut cells: Vec<AssessorCell> = Vec::new();
    let mut last = None;
    for (who, stage, whom, scorers, row) in order {
        let i = row as usize;
        let k = scorers as f64 - 1.0;
        let (sum, sum_sq) = (
            sum_e[i].unwrap_or(0.0) / k,
            sum_e2[i].unwrap_or(0.0) / (k * k),
        );
        match cells.last_mut() {
            Some(cell) if last == Some((who, stage, whom)) => {
                cell.n += n[i];
                cell.sum += sum;
                cell.sum_sq += sum_sq;
            }
            _ => cells.push(AssessorCell {
                assessor: assessors[who as usize].clone().expect("a named assessor"),
                stage: stage as u8,
                applicants: applicant_values[whom as usize].clone(),
                n: n[i],
                sum,
                sum_sq,
            }),
        }
        last = Some((who, stage, whom));
    }
    Ok(cells)
}

/// The differentials' applicants column read back, as ranks that order as
/// [`Applicants`] does, and the values in rank order: class codes (a null
/// code as unmapped) or raw labels (null first).
fn ranked_applicants(df: &DataFrame) -> Result<(Vec<u32>, Vec<Applicants>)> {
    if column(df, APPLICANTS)?.dtype() != &DataType::Int32 {
        let (ranks, labels) = ranked_str_column(df, APPLICANTS)?;
        return Ok((ranks, labels.into_iter().map(Applicants::Label).collect()));
    }
    let classes: Vec<Applicants> = i32_column(df, APPLICANTS)?
        .into_iter()
        .map(|c| Applicants::Class(c.map_or(Class::Unmapped, Class::from_code)))
        .collect();
    let distinct: Vec<Applicants> = classes
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ranks = classes
        .iter()
        .map(|c| distinct.binary_search(c).expect("a class seen") as u32)
        .collect();
    Ok((ranks, distinct))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The differentials come out as cells in (assessor, stage, applicants)
    /// order as their texts and [`Applicants`] order, for classes (whose
    /// codes do not sort as the classes do) and labels (null first), each
    /// the sum of its rows added in order of their number of scorers; rows
    /// without an assessor are left out.
    #[test]
    fn differentials_are_added_up_in_order() {
        let codes = [
            Some(-1),
            Some(1),
            None,
            Some(0),
            Some(-2),
            Some(-3),
            Some(0),
            Some(1),
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
            None,
            Some("é"),
        ];
        let assessors = [
            Some("A2"),
            Some("A1"),
            Some("A1"),
            Some("A1"),
            Some("A2"),
            Some("A2"),
            Some("A10"),
            Some("A1"),
            None,
        ];
        let scorers = [2u64, 3, 2, 2, 2, 3, 4, 2, 2];
        let stages = [3i32, 3, 3, 2, 3, 3, 3, 3, 3];
        let n = [1u64, 2, 3, 4, 5, 6, 7, 8, 9];
        let sum_e = [0.1, 0.7, -0.3, 1.1, 0.2, 0.9, -1.3, 0.45, 2.0];
        let sum_e2 = [0.3, 1.7, 0.8, 2.1, 0.05, 1.9, 2.3, 0.35, 4.0];
        let frame = |applicants: Column| {
            DataFrame::new_infer_height(vec![
                Column::new("assessor_id".into(), assessors),
                Column::new("stage_rank".into(), stages),
                applicants,
                Column::new("scorers".into(), scorers),
                Column::new("n".into(), n),
                Column::new("sum_e".into(), sum_e),
                Column::new("sum_e2".into(), sum_e2),
            ])
            .unwrap()
        };
        let class = |c: Option<i32>| Applicants::Class(c.map_or(Class::Unmapped, Class::from_code));
        let label = |l: Option<&str>| Applicants::Label(l.map(str::to_string));
        let cases = [
            (
                frame(Column::new(APPLICANTS.into(), codes)),
                codes.iter().map(|c| class(*c)).collect::<Vec<_>>(),
            ),
            (
                frame(Column::new(APPLICANTS.into(), labels)),
                labels.iter().map(|l| label(*l)).collect(),
            ),
        ];
        for (df, applicants) in cases {
            // By the definition: each key's rows, by scorers, added.
            let mut rows: BTreeMap<(String, u8, Applicants), Vec<(u64, usize)>> = BTreeMap::new();
            for i in 0..n.len() {
                let Some(assessor) = assessors[i] else {
                    continue;
                };
                let key = (assessor.to_string(), stages[i] as u8, applicants[i].clone());
                rows.entry(key).or_default().push((scorers[i], i));
            }
            let expected: Vec<AssessorCell> = rows
                .into_iter()
                .map(|((assessor, stage, applicants), mut of)| {
                    of.sort();
                    let mut cell = AssessorCell {
                        assessor,
                        stage,
                        applicants,
                        n: 0,
                        sum: 0.0,
                        sum_sq: 0.0,
                    };
                    for (i, (k, row)) in of.into_iter().enumerate() {
                        let k = k as f64 - 1.0;
                        let (sum, sum_sq) = (sum_e[row] / k, sum_e2[row] / (k * k));
                        cell.n += n[row];
                        (cell.sum, cell.sum_sq) = match i {
                            0 => (sum, sum_sq),
                            _ => (cell.sum + sum, cell.sum_sq + sum_sq),
                        };
                    }
                    cell
                })
                .collect();
            assert!(expected.len() < n.len() - 1, "some cells add rows");
            assert_eq!(assessor_cells(&df).unwrap(), expected);
        }
    }
}
