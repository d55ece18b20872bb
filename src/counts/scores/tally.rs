//! One slice's score rows reduced to the three score tables in one sweep.
//!
//! polars reads, filters and joins the score rows (stage ranks, numbers
//! for score values, the applications' labels and stages), and gives each
//! row a status; this reduces what comes out. It was four chained polars
//! group-bys on multi-column keys (the repeat check, the histograms, the
//! application means and totals joined back, the differentials), which
//! spent most of their time hashing and comparing row-encoded keys: here
//! the rows are grouped once, by application and stage, and every table
//! is added up from the groups. On a 10M national extract this takes
//! 4–13% less CPU for the same bytes of output, and the scores counted in
//! one slice 9–16% less time (benches/RESULTS.md, seventh round).

use std::sync::Arc;

use polars::prelude::*;

use super::{UNKNOWN_APPLICATION, USED};
use crate::taxonomy::Taxonomy;

/// Which of the three tables a row of the tally's result belongs to.
pub(super) const PART: &str = "part";
pub(super) const ASSESSOR_LEVEL: i32 = 0;
pub(super) const APPLICATION_LEVEL: i32 = 1;
pub(super) const DIFFERENTIALS: i32 = 2;

/// The columns the tally reads, in this order: the application (its id, or
/// the id's hash), the scored stage's rank, the assessor, the score, the
/// row's number in the file, the row's status (as `status_of_row` says),
/// and the application's label, sex and period.
pub(super) const INPUT: [&str; 9] = [
    "application_id",
    "stage_rank",
    "assessor_id",
    "value",
    "row",
    "status",
    "ethnicity",
    "sex",
    "period",
];

/// The tally's result: the three tables stacked, told apart by [`PART`];
/// each fills its own columns and leaves the others null.
///
/// - assessor level: status, stage_rank, ethnicity, sex, period, value
///   (the score), n (scores), rows (score rows, repeats included);
/// - application level: stage_rank, ethnicity, sex, period, value (the mean
///   of the application's used scores), n (applications);
/// - differentials: assessor_id, stage_rank, applicants (the raw label, or
///   with `classes` its class's code), scorers, n, sum_e, sum_e2.
///
/// Key columns keep the input's types (categoricals stay categoricals).
pub(super) fn schema(input: &Schema, classes: bool) -> PolarsResult<SchemaRef> {
    let of = |name: &str| -> PolarsResult<DataType> {
        input
            .get(name)
            .cloned()
            .ok_or_else(|| polars_err!(ColumnNotFound: "score tally: no column {name}"))
    };
    let applicants = if classes {
        DataType::Int32
    } else {
        of("ethnicity")?
    };
    Ok(Arc::new(Schema::from_iter([
        Field::new(PART.into(), DataType::Int32),
        Field::new("status".into(), DataType::Int32),
        Field::new("stage_rank".into(), of("stage_rank")?),
        Field::new("ethnicity".into(), of("ethnicity")?),
        Field::new("sex".into(), of("sex")?),
        Field::new("period".into(), of("period")?),
        Field::new("value".into(), DataType::Float64),
        Field::new("n".into(), DataType::UInt64),
        Field::new("rows".into(), DataType::UInt64),
        Field::new("assessor_id".into(), of("assessor_id")?),
        Field::new(super::APPLICANTS.into(), applicants),
        Field::new("scorers".into(), DataType::UInt64),
        Field::new("sum_e".into(), DataType::Float64),
        Field::new("sum_e2".into(), DataType::Float64),
    ])))
}

/// An assessor-level cell: status, stage, label, sex, period, score.
type LevelKey = (i32, i32, u32, u32, i32, u64);
/// An application-level cell: stage, label, sex, period, mean score.
type MeanKey = (i32, u32, u32, i32, u64);
/// A differentials cell: assessor, applicants, stage, scorers.
type DiffKey = (u32, u32, i32, u32);

/// A histogram cell: how many, and the input row that names its keys.
struct Counted {
    row: u32,
    n: u64,
    /// Score rows, repeats included (assessor level), or the mean score
    /// (application level, as its bits).
    extra: u64,
}

/// A differentials cell: n, Σe, Σe², and the input row that names its
/// keys.
struct Summed {
    row: u32,
    n: u64,
    sum_e: f64,
    sum_e2: f64,
}

/// One assessor's score of one application at one stage, repeats folded.
struct Score {
    assessor: u32,
    /// The input row kept: the first in the file.
    row: u32,
    /// Its number in the file.
    order: u64,
    copies: u64,
    /// Whether any of its rows belongs to no application of the table.
    unknown: bool,
}

/// The input's columns as numbers (keys as codes, equal where the values
/// are).
struct Rows {
    application: Vec<u64>,
    stage: Vec<i32>,
    assessor: Vec<u32>,
    value: Vec<f64>,
    order: Vec<u64>,
    status: Vec<i32>,
    label: Vec<u32>,
    sex: Vec<u32>,
    period: Vec<i32>,
    /// The differentials' applicants: the label's class code, or the
    /// label's code.
    applicants: Vec<u32>,
}

impl Rows {
    fn read(df: &DataFrame, classes: Option<&Taxonomy>) -> PolarsResult<Rows> {
        let label = codes32(df.column("ethnicity")?)?;
        let applicants = match classes {
            None => label.clone(),
            Some(taxonomy) => {
                // Each label classified once (the text read from its first
                // row).
                let ethnicity = df.column("ethnicity")?;
                let mut class_of: PlHashMap<u32, u32> = PlHashMap::new();
                let mut applicants = Vec::with_capacity(label.len());
                for (row, code) in label.iter().enumerate() {
                    let class = match class_of.get(code) {
                        Some(class) => *class,
                        None => {
                            let text = ethnicity.get(row)?;
                            let class = taxonomy.classify(text.get_str()).code() as u32;
                            class_of.insert(*code, class);
                            class
                        }
                    };
                    applicants.push(class);
                }
                applicants
            }
        };
        Ok(Rows {
            application: codes64(df.column("application_id")?)?,
            stage: i32s(df.column("stage_rank")?)?,
            assessor: codes32(df.column("assessor_id")?)?,
            value: f64s(df.column("value")?)?,
            order: codes64(df.column("row")?)?,
            status: i32s(df.column("status")?)?,
            sex: codes32(df.column("sex")?)?,
            period: i32s(df.column("period")?)?,
            label,
            applicants,
        })
    }
}

/// The rows grouped by application and stage: row numbers in group order
/// (each group's in the order they came), and where each group starts.
struct Groups {
    sorted: Vec<u32>,
    starts: Vec<u32>,
}

impl Groups {
    /// A counting sort on each pair's number, numbered in order of first
    /// appearance. A row of the same pair as the row before it (the usual
    /// case: exports list an application's scores together) skips the
    /// look-up.
    fn of(rows: &Rows) -> Groups {
        let height = rows.application.len();
        let mut numbers: PlHashMap<(u64, i32), u32> = PlHashMap::with_capacity(height / 2);
        let mut group = Vec::with_capacity(height);
        for r in 0..height {
            let key = (rows.application[r], rows.stage[r]);
            let same = r > 0 && (rows.application[r - 1], rows.stage[r - 1]) == key;
            let g = match group.last() {
                Some(&g) if same => g,
                _ => {
                    let next = numbers.len() as u32;
                    *numbers.entry(key).or_insert(next)
                }
            };
            group.push(g);
        }
        let groups = numbers.len();
        drop(numbers);
        let mut starts = vec![0u32; groups + 1];
        for &g in &group {
            starts[g as usize + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut fill = starts.clone();
        let mut sorted = vec![0u32; height];
        for (r, &g) in group.iter().enumerate() {
            sorted[fill[g as usize] as usize] = r as u32;
            fill[g as usize] += 1;
        }
        Groups { sorted, starts }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn rows(&self, g: usize) -> &[u32] {
        &self.sorted[self.starts[g] as usize..self.starts[g + 1] as usize]
    }
}

/// The three tables' cells (the differentials' still to add up).
struct Sweep {
    level: PlHashMap<LevelKey, Counted>,
    means: PlHashMap<MeanKey, Counted>,
    differentials: Filed,
}

/// The differentials' scores, filed by assessor into partitions as they
/// come, and added up one partition at a time. On a national extract a
/// slice has a cell for nearly every other score (an assessor scores few
/// applications), and one table of all the cells cost a miss in the cache
/// for each score; a partition's table stays in the cache.
struct Filed {
    parts: Vec<Vec<(DiffKey, u32, f64)>>,
}

impl Filed {
    /// Partitions for about `scores` scores: a few thousand each.
    fn for_scores(scores: usize) -> Filed {
        let parts = (scores / 4096).next_power_of_two().clamp(1, 1024);
        Filed {
            parts: (0..parts).map(|_| Vec::new()).collect(),
        }
    }

    /// Files one score's (k − 1)·d, `e`, from input row `row`.
    fn push(&mut self, key: DiffKey, row: u32, e: f64) {
        // A multiplicative hash of the assessor: its top bits pick the
        // partition, whatever pattern the codes follow.
        let bits = self.parts.len().trailing_zeros();
        let part = match bits {
            0 => 0,
            _ => (key.0.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize,
        };
        self.parts[part].push((key, row, e));
    }

    /// Scores filed.
    fn scores(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// The cells, partition by partition; within a cell the scores are
    /// added in the order they were filed.
    fn cells(self) -> impl Iterator<Item = (DiffKey, Summed)> {
        self.parts.into_iter().flat_map(|part| {
            let mut cells: PlHashMap<DiffKey, Summed> = PlHashMap::with_capacity(part.len());
            for (key, row, e) in part {
                let cell = cells.entry(key).or_insert(Summed {
                    row,
                    n: 0,
                    sum_e: 0.0,
                    sum_e2: 0.0,
                });
                cell.n += 1;
                cell.sum_e += e;
                cell.sum_e2 += e * e;
            }
            cells
        })
    }
}

/// Reduces the rows (columns [`INPUT`]) to the tables of [`schema`].
pub(super) fn tally(df: DataFrame, classes: Option<&Taxonomy>) -> PolarsResult<DataFrame> {
    let mut rows = Rows::read(&df, classes)?;
    let groups = Groups::of(&rows);
    let sweep = sweep(&rows, &groups);
    // What the output does not read is freed before it is built: the
    // tally runs as the slice's other queries finish, at its peak.
    drop(groups);
    let values = std::mem::take(&mut rows.value);
    drop(rows);
    let keys = df.select(["stage_rank", "ethnicity", "sex", "period", "assessor_id"])?;
    drop(df);
    output(&keys, &values, sweep, classes.is_some())
}

/// The tables added up, group by group.
fn sweep(rows: &Rows, groups: &Groups) -> Sweep {
    let mut out = Sweep {
        level: PlHashMap::new(),
        means: PlHashMap::new(),
        differentials: Filed::for_scores(rows.value.len()),
    };
    let mut scores: Vec<Score> = Vec::new();
    let mut used: Vec<u32> = Vec::new();
    for g in 0..groups.len() {
        scores.clear();
        for &r in groups.rows(g) {
            let i = r as usize;
            let unknown = rows.status[i] == UNKNOWN_APPLICATION;
            match scores.iter_mut().find(|s| s.assessor == rows.assessor[i]) {
                Some(s) => {
                    s.copies += 1;
                    s.unknown |= unknown;
                    if rows.order[i] < s.order {
                        s.order = rows.order[i];
                        s.row = r;
                    }
                }
                None => scores.push(Score {
                    assessor: rows.assessor[i],
                    row: r,
                    order: rows.order[i],
                    copies: 1,
                    unknown,
                }),
            }
        }
        // Added in file order: the same sums however the rows arrived.
        scores.sort_unstable_by_key(|s| s.order);
        used.clear();
        let mut total = 0.0;
        for s in &scores {
            let i = s.row as usize;
            let code = if s.unknown {
                UNKNOWN_APPLICATION
            } else {
                rows.status[i]
            };
            let key = (
                code,
                rows.stage[i],
                rows.label[i],
                rows.sex[i],
                rows.period[i],
                value_key(rows.value[i]),
            );
            let cell = out.level.entry(key).or_insert(Counted {
                row: s.row,
                n: 0,
                extra: 0,
            });
            cell.n += 1;
            cell.extra += s.copies;
            if code == USED {
                used.push(s.row);
                total += rows.value[i];
            }
        }
        let Some(&first) = used.first() else {
            continue;
        };
        let k = used.len();
        let i = first as usize;
        let mean = total / k as f64;
        let key = (
            rows.stage[i],
            rows.label[i],
            rows.sex[i],
            rows.period[i],
            value_key(mean),
        );
        let cell = out.means.entry(key).or_insert(Counted {
            row: first,
            n: 0,
            extra: mean.to_bits(),
        });
        cell.n += 1;
        if k < 2 {
            continue;
        }
        // d = value − (total − value) / (k − 1), summed as (k − 1)·d =
        // k·value − total and divided by k − 1 when read: whole numbers
        // when the scores are (or any binary fraction), so the sums are
        // exact and the same in whatever order they are added.
        for &r in &used {
            let i = r as usize;
            let e = rows.value[i] * k as f64 - total;
            let key = (
                rows.assessor[i],
                rows.applicants[i],
                rows.stage[i],
                k as u32,
            );
            out.differentials.push(key, r, e);
        }
    }
    out
}

/// The three tables' cells as one frame of [`schema`].
fn output(df: &DataFrame, values: &[f64], sweep: Sweep, classes: bool) -> PolarsResult<DataFrame> {
    let height = sweep.level.len() + sweep.means.len() + sweep.differentials.scores();
    let mut out = Columns::with_capacity(height);
    for ((status, ..), c) in sweep.level {
        let own = Own {
            status: Some(status),
            value: Some(values[c.row as usize]),
            rows: Some(c.extra),
            ..Own::default()
        };
        out.push(ASSESSOR_LEVEL, c.row, c.n, own);
    }
    for c in sweep.means.into_values() {
        let own = Own {
            value: Some(f64::from_bits(c.extra)),
            ..Own::default()
        };
        out.push(APPLICATION_LEVEL, c.row, c.n, own);
    }
    for ((_, applicants, _, scorers), c) in sweep.differentials.cells() {
        let own = Own {
            scorers: Some(u64::from(scorers)),
            sums: Some((c.sum_e, c.sum_e2)),
            class: Some(applicants as i32),
            ..Own::default()
        };
        out.push(DIFFERENTIALS, c.row, c.n, own);
    }
    let take = |name: &str, rows: &[Option<IdxSize>]| -> PolarsResult<Column> {
        let idx: IdxCa = rows.iter().copied().collect();
        df.column(name)?.take(&idx)
    };
    let applicants = if classes {
        Column::new(super::APPLICANTS.into(), out.class)
    } else {
        take("ethnicity", &out.assessed)?.with_name(super::APPLICANTS.into())
    };
    DataFrame::new_infer_height(vec![
        Column::new(PART.into(), out.part),
        Column::new("status".into(), out.status),
        take("stage_rank", &out.any)?,
        take("ethnicity", &out.labelled)?,
        take("sex", &out.labelled)?,
        take("period", &out.labelled)?,
        Column::new("value".into(), out.value),
        Column::new("n".into(), out.n),
        Column::new("rows".into(), out.rows),
        take("assessor_id", &out.assessed)?,
        applicants,
        Column::new("scorers".into(), out.scorers),
        Column::new("sum_e".into(), out.sum_e),
        Column::new("sum_e2".into(), out.sum_e2),
    ])
}

/// The result's columns as they are filled, cell by cell; a cell's key
/// columns are taken from the input row that named it.
#[derive(Default)]
struct Columns {
    part: Vec<i32>,
    status: Vec<Option<i32>>,
    value: Vec<Option<f64>>,
    n: Vec<u64>,
    rows: Vec<Option<u64>>,
    scorers: Vec<Option<u64>>,
    sum_e: Vec<Option<f64>>,
    sum_e2: Vec<Option<f64>>,
    class: Vec<Option<i32>>,
    /// Input rows for the label, sex and period (the two histograms').
    labelled: Vec<Option<IdxSize>>,
    /// Input rows for the assessor and applicants (the differentials').
    assessed: Vec<Option<IdxSize>>,
    /// Input rows for the stage (every cell's).
    any: Vec<Option<IdxSize>>,
}

/// The columns one table has and the others leave null.
#[derive(Default)]
struct Own {
    status: Option<i32>,
    value: Option<f64>,
    rows: Option<u64>,
    scorers: Option<u64>,
    sums: Option<(f64, f64)>,
    class: Option<i32>,
}

impl Columns {
    fn with_capacity(height: usize) -> Columns {
        let mut out = Columns::default();
        out.part.reserve(height);
        out
    }

    /// A cell of `part` named by input row `row`, with the columns of its
    /// own table.
    fn push(&mut self, part: i32, row: u32, n: u64, own: Own) {
        let row = Some(row as IdxSize);
        let differential = part == DIFFERENTIALS;
        self.part.push(part);
        self.status.push(own.status);
        self.value.push(own.value);
        self.n.push(n);
        self.rows.push(own.rows);
        self.scorers.push(own.scorers);
        self.sum_e.push(own.sums.map(|s| s.0));
        self.sum_e2.push(own.sums.map(|s| s.1));
        self.class.push(own.class);
        self.labelled.push((!differential).then_some(row).flatten());
        self.assessed.push(differential.then_some(row).flatten());
        self.any.push(row);
    }
}

/// A score as a key: equal scores, equal keys (0 and −0 alike, as polars
/// groups them).
fn value_key(v: f64) -> u64 {
    if v == 0.0 { 0 } else { v.to_bits() }
}

/// An application key column's values as numbers, equal where the
/// values are: the ids' hash as it is, or a text id's number.
fn codes64(c: &Column) -> PolarsResult<Vec<u64>> {
    let s = c.as_materialized_series();
    if let Ok(text) = s.str() {
        return Ok(numbered(text)
            .into_iter()
            .map(|n| {
                if n == u32::MAX {
                    u64::MAX
                } else {
                    u64::from(n)
                }
            })
            .collect());
    }
    let s = s.cast(&DataType::UInt64)?;
    Ok(s.u64()?.iter().map(|v| v.unwrap_or(u64::MAX)).collect())
}

/// A key column's values as numbers, equal where the values are: a
/// categorical's codes, or a text's numbers; null as `u32::MAX`.
fn codes32(c: &Column) -> PolarsResult<Vec<u32>> {
    let s = c.as_materialized_series();
    if let Ok(text) = s.str() {
        return Ok(numbered(text));
    }
    let physical = s.to_physical_repr().cast(&DataType::UInt32)?;
    Ok(physical
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(u32::MAX))
        .collect())
}

/// Each text's number in order of first appearance; null as `u32::MAX`.
fn numbered(text: &StringChunked) -> Vec<u32> {
    let mut numbers: PlHashMap<&str, u32> = PlHashMap::new();
    text.iter()
        .map(|t| match t {
            None => u32::MAX,
            Some(t) => {
                let next = numbers.len() as u32;
                *numbers.entry(t).or_insert(next)
            }
        })
        .collect()
}

fn i32s(c: &Column) -> PolarsResult<Vec<i32>> {
    let s = c.cast(&DataType::Int32)?;
    Ok(s.i32()?.iter().map(|v| v.unwrap_or(i32::MIN)).collect())
}

fn f64s(c: &Column) -> PolarsResult<Vec<f64>> {
    let s = c.cast(&DataType::Float64)?;
    Ok(s.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Score rows as the tally reads them (text keys, as the exact plan
    /// gives them): application, stage, assessor, score, row in the file,
    /// status, label.
    type Row<'a> = (&'a str, i32, &'a str, f64, u32, i32, &'a str);

    fn rows(rows: &[Row]) -> DataFrame {
        let n = rows.len();
        let text = |pick: fn(&Row) -> String| rows.iter().map(pick).collect::<Vec<_>>();
        DataFrame::new_infer_height(vec![
            Column::new("application_id".into(), text(|r| r.0.to_string())),
            Column::new(
                "stage_rank".into(),
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            ),
            Column::new("assessor_id".into(), text(|r| r.2.to_string())),
            Column::new("value".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
            Column::new("row".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            Column::new(
                "status".into(),
                rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            ),
            Column::new("ethnicity".into(), text(|r| r.6.to_string())),
            Column::new("sex".into(), vec!["F"; n]),
            Column::new("period".into(), vec![Some(20251i32); n]),
        ])
        .unwrap()
    }

    /// The tally's cells of one part, as sorted tuples of the given
    /// columns read as text.
    fn part(df: &DataFrame, which: i32, columns: &[&str]) -> Vec<Vec<String>> {
        let mask = df
            .column(PART)
            .unwrap()
            .as_materialized_series()
            .equal(which)
            .unwrap();
        let df = df.filter(&mask).unwrap();
        let mut out: Vec<Vec<String>> = (0..df.height())
            .map(|i| {
                columns
                    .iter()
                    .map(|c| df.column(c).unwrap().get(i).unwrap().to_string())
                    .collect()
            })
            .collect();
        out.sort();
        out
    }

    fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect();
        out.sort();
        out
    }

    /// One application scored 3, 4 and 5 by A, B and C: each assessor's
    /// differential is their score minus the mean of the other two
    /// (3 − 4.5 = −1.5, 0, +1.5), kept as (k − 1)·d = −3, 0, 3; the
    /// application's mean is 4.
    #[test]
    fn differentials_and_means_of_one_application() {
        let df = rows(&[
            ("a1", 3, "A", 3.0, 0, USED, "Indian"),
            ("a1", 3, "B", 4.0, 1, USED, "Indian"),
            ("a1", 3, "C", 5.0, 2, USED, "Indian"),
        ]);
        let out = tally(df, None).unwrap();
        assert_eq!(
            part(
                &out,
                DIFFERENTIALS,
                &["assessor_id", "scorers", "n", "sum_e", "sum_e2"]
            ),
            strings(&[
                &["\"A\"", "3", "1", "-3.0", "9.0"],
                &["\"B\"", "3", "1", "0.0", "0.0"],
                &["\"C\"", "3", "1", "3.0", "9.0"],
            ])
        );
        assert_eq!(
            part(&out, APPLICATION_LEVEL, &["value", "n"]),
            strings(&[&["4.0", "1"]])
        );
        assert_eq!(
            part(&out, ASSESSOR_LEVEL, &["status", "value", "n", "rows"]),
            strings(&[
                &["0", "3.0", "1", "1"],
                &["0", "4.0", "1", "1"],
                &["0", "5.0", "1", "1"]
            ])
        );
    }

    /// A repeat keeps the first row in the file, whatever order the rows
    /// arrive in and however far apart; a repeat of an application not in
    /// the table makes the score unknown; rows of two applications
    /// interleaved are told apart.
    #[test]
    fn repeats_fold_into_the_first_row_in_the_file() {
        let df = rows(&[
            ("a1", 3, "A", 2.0, 7, USED, "Indian"),
            ("a2", 3, "A", 1.0, 1, UNKNOWN_APPLICATION, "Indian"),
            ("a1", 3, "B", 4.0, 3, USED, "Indian"),
            ("a2", 3, "A", 1.0, 2, USED, "Indian"),
            ("a1", 3, "A", 5.0, 4, USED, "Indian"),
        ]);
        let out = tally(df, None).unwrap();
        // a1: A's first row in the file is row 4 (score 5), kept with one
        // repeat; B scores 4. a2: A's score, one copy unknown.
        assert_eq!(
            part(&out, ASSESSOR_LEVEL, &["status", "value", "n", "rows"]),
            strings(&[
                &["0", "4.0", "1", "1"],
                &["0", "5.0", "1", "2"],
                &["1", "1.0", "1", "2"],
            ])
        );
        assert_eq!(
            part(&out, APPLICATION_LEVEL, &["value", "n"]),
            strings(&[&["4.5", "1"]])
        );
        // 2·5 − 9 = 1 and 2·4 − 9 = −1.
        assert_eq!(
            part(
                &out,
                DIFFERENTIALS,
                &["assessor_id", "scorers", "n", "sum_e"]
            ),
            strings(&[&["\"A\"", "2", "1", "1.0"], &["\"B\"", "2", "1", "-1.0"]])
        );
    }

    /// Enough scores to file the differentials in several partitions
    /// (20,000 scores: four), checked against each assessor's sums worked
    /// out here from the definition: with two scorers, (k − 1)·d is the
    /// assessor's score minus the other's.
    #[test]
    fn differentials_filed_in_partitions_add_up_as_one_table() {
        let assessors = 300;
        let mut scores = Vec::new();
        let mut expected: BTreeMap<String, (u64, f64, f64)> = BTreeMap::new();
        let names: Vec<String> = (0..assessors).map(|a| format!("A{a}")).collect();
        let ids: Vec<String> = (0..10_000).map(|i| format!("app{i}")).collect();
        for i in 0..10_000usize {
            let a = i % assessors;
            let b = match (i * 7 + 1) % assessors {
                b if b == a => (a + 1) % assessors,
                b => b,
            };
            let (va, vb) = ((i % 5 + 1) as f64, ((i / 5) % 5 + 1) as f64);
            for (me, mine, theirs) in [(a, va, vb), (b, vb, va)] {
                let cell = expected.entry(format!("\"{}\"", names[me])).or_default();
                cell.0 += 1;
                cell.1 += mine - theirs;
                cell.2 += (mine - theirs) * (mine - theirs);
            }
            scores.push((i, a, va));
            scores.push((i, b, vb));
        }
        let rows_in: Vec<Row> = scores
            .iter()
            .enumerate()
            .map(|(row, &(i, a, v))| (&*ids[i], 3, &*names[a], v, row as u32, USED, "Indian"))
            .collect();
        assert!(Filed::for_scores(rows_in.len()).parts.len() > 1);
        let out = tally(rows(&rows_in), None).unwrap();
        let got = part(
            &out,
            DIFFERENTIALS,
            &["assessor_id", "scorers", "n", "sum_e", "sum_e2"],
        );
        let want: Vec<Vec<String>> = {
            let mut want: Vec<Vec<String>> = expected
                .iter()
                .map(|(a, (n, e, e2))| {
                    let f = |x: f64| AnyValue::Float64(x).to_string();
                    vec![a.clone(), "2".into(), n.to_string(), f(*e), f(*e2)]
                })
                .collect();
            want.sort();
            want
        };
        assert_eq!(got, want);
    }

    /// With a taxonomy the differentials are added up by the class of the
    /// applicants' labels: two labels of one class are one cell.
    #[test]
    fn differentials_by_class_add_labels_of_one_class() {
        let df = rows(&[
            ("a1", 3, "A", 3.0, 0, USED, "Indian"),
            ("a1", 3, "B", 5.0, 1, USED, "Indian"),
            ("a2", 3, "A", 4.0, 2, USED, "Pakistani"),
            ("a2", 3, "B", 2.0, 3, USED, "Pakistani"),
        ]);
        let taxonomy = Taxonomy::plain(crate::taxonomy::grouping::Scheme::wres());
        assert_eq!(
            taxonomy.classify(Some("Indian")),
            taxonomy.classify(Some("Pakistani"))
        );
        let out = tally(df, Some(&taxonomy)).unwrap();
        let class = taxonomy.classify(Some("Indian")).code().to_string();
        // A: 2·3 − 8 = −2 and 2·4 − 6 = 2; B: 2 and −2.
        assert_eq!(
            part(
                &out,
                DIFFERENTIALS,
                &["assessor_id", APPLICANTS_COLUMN, "n", "sum_e", "sum_e2"]
            ),
            strings(&[
                &["\"A\"", &class, "2", "0.0", "8.0"],
                &["\"B\"", &class, "2", "0.0", "8.0"],
            ])
        );
    }

    const APPLICANTS_COLUMN: &str = super::super::APPLICANTS;
}
