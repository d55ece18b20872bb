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
use input::{Groups, Rows};
use output::output;

/// Which of the three tables a row of the tally's result belongs to.
pub(super) const PART: &str = "part";
pub(super) const ASSESSOR_LEVEL: i32 = 0;
pub(super) const APPLICATION_LEVEL: i32 = 1;
pub(super) const DIFFERENTIALS: i32 = 2;

/// The columns the tally reads, in this order: the application (its id, or
/// the id's hash), the scored stage's rank, the assessor, the score, the
/// row's number in the file, the row's status (as the score queries give
/// it from its application and panel), and the application's label, sex
/// and period.
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

/// An assessor-level cell: scores, score rows (repeats included), and the
/// input row that names its keys.
struct Scored {
    row: u32,
    n: u64,
    rows: u64,
}

/// An application-level cell: applications, their mean score, and the
/// input row that names its keys.
struct Averaged {
    row: u32,
    n: u64,
    mean: f64,
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

/// The three tables' cells (the differentials' still to add up).
struct Sweep {
    level: PlHashMap<LevelKey, Scored>,
    means: PlHashMap<MeanKey, Averaged>,
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

    /// The cells, a table a partition; within a cell the scores are added
    /// in the order they were filed. (Adding half the partitions on a
    /// second thread took longer: 33–45 ms a slice at 10M against 13–20.)
    fn cells(self) -> Vec<PlHashMap<DiffKey, Summed>> {
        self.parts.into_iter().map(add_up).collect()
    }

    /// The first half of the partitions and the second, to be added up
    /// apart (their cells are different cells).
    fn halves(mut self) -> (Filed, Filed) {
        let second = self.parts.split_off(self.parts.len() / 2);
        (self, Filed { parts: second })
    }

    /// Another sweep's filed scores, after these (partition by partition).
    fn absorb(&mut self, other: Filed) {
        for (mine, theirs) in self.parts.iter_mut().zip(other.parts) {
            mine.extend(theirs);
        }
    }
}

/// One partition's scores added up by cell.
fn add_up(part: Vec<(DiffKey, u32, f64)>) -> PlHashMap<DiffKey, Summed> {
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
}

impl Sweep {
    /// Another sweep's cells added to these: counts added, and a cell
    /// named by the earlier of the two input rows (either names the same
    /// keys), so the result does not depend on which half came first.
    fn absorb(&mut self, other: Sweep) {
        for (key, theirs) in other.level {
            let mine = self.level.entry(key).or_insert(Scored {
                row: theirs.row,
                n: 0,
                rows: 0,
            });
            mine.n += theirs.n;
            mine.rows += theirs.rows;
            mine.row = mine.row.min(theirs.row);
        }
        for (key, theirs) in other.means {
            match self.means.get_mut(&key) {
                Some(mine) => {
                    mine.n += theirs.n;
                    if theirs.row < mine.row {
                        mine.row = theirs.row;
                        mine.mean = theirs.mean;
                    }
                }
                None => {
                    self.means.insert(key, theirs);
                }
            }
        }
        self.differentials.absorb(other.differentials);
    }
}

/// Reduces the rows (columns [`INPUT`]) to the tables of [`schema`].
pub(super) fn tally(df: DataFrame, classes: Option<&Taxonomy>) -> PolarsResult<DataFrame> {
    let mut rows = Rows::read(&df, classes)?;
    let sweep = sweep_in_halves(&rows);
    // What the output does not read is freed before it is built: the
    // tally runs as the slice's other queries finish, at its peak.
    let values = std::mem::take(&mut rows.value);
    drop(rows);
    let keys = df.select(["stage_rank", "ethnicity", "sex", "period", "assessor_id"])?;
    drop(df);
    output(&keys, &values, sweep, classes.is_some())
}

/// The tables added up on two threads: the applications dealt into two
/// halves by a bit of their key (an application's rows all in one), each
/// grouped and swept on its own, the halves' cells then put together.
/// polars' engine waits while the tally runs, so the second core would
/// otherwise idle: at 10M national applications it took a slice's tally
/// from about 230 ms to 185 (its grouping and sweep from 110 to 58).
fn sweep_in_halves(rows: &Rows) -> Sweep {
    let (second, first): (Vec<u32>, Vec<u32>) = (0..rows.application.len() as u32)
        .partition(|&r| in_second_half(rows.application[r as usize]));
    let (mut swept, other) = std::thread::scope(|scope| {
        let other = scope.spawn(|| sweep(rows, &Groups::of(rows, &second)));
        let swept = sweep(rows, &Groups::of(rows, &first));
        (swept, other.join().expect("sweeping half the scores"))
    });
    swept.absorb(other);
    swept
}

/// Which half an application's rows are swept in: the top bit of a
/// multiplicative hash of its key (a hash already, or a text id's number).
fn in_second_half(application: u64) -> bool {
    application.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63 == 1
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
            let cell = out.level.entry(key).or_insert(Scored {
                row: s.row,
                n: 0,
                rows: 0,
            });
            cell.n += 1;
            cell.rows += s.copies;
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
        let cell = out.means.entry(key).or_insert(Averaged {
            row: first,
            n: 0,
            mean,
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

/// A score as a key: equal scores, equal keys (0 and −0 alike, as polars
/// groups them).
fn value_key(v: f64) -> u64 {
    if v == 0.0 { 0 } else { v.to_bits() }
}

mod input;
mod output;

#[cfg(test)]
mod tests;
