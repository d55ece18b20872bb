//! The tally's cells written as one frame of the tally's schema.

use polars::prelude::*;

use super::{APPLICATION_LEVEL, ASSESSOR_LEVEL, DIFFERENTIALS, PART, Sweep};

/// The three tables' cells as one frame of [`schema`].
pub(super) fn output(
    df: &DataFrame,
    values: &[f64],
    sweep: Sweep,
    classes: bool,
) -> PolarsResult<DataFrame> {
    let differentials = sweep.differentials.cells();
    // Every column's room taken at once: grown a push at a time, they were
    // copied over and over, a third of this function's time.
    let cells = sweep.level.len()
        + sweep.means.len()
        + differentials.iter().map(|part| part.len()).sum::<usize>();
    let mut out = Columns::with_capacity(cells);
    for ((status, ..), c) in sweep.level {
        let own = Own {
            status: Some(status),
            value: Some(values[c.row as usize]),
            rows: Some(c.rows),
            ..Own::default()
        };
        out.push(ASSESSOR_LEVEL, c.row, c.n, own);
    }
    for c in sweep.means.into_values() {
        let own = Own {
            value: Some(c.mean),
            ..Own::default()
        };
        out.push(APPLICATION_LEVEL, c.row, c.n, own);
    }
    for ((_, applicants, _, scorers), c) in differentials.into_iter().flatten() {
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
        Column::new(super::super::APPLICANTS.into(), out.class)
    } else {
        take("ethnicity", &out.assessed)?.with_name(super::super::APPLICANTS.into())
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
    fn with_capacity(cells: usize) -> Columns {
        Columns {
            part: Vec::with_capacity(cells),
            status: Vec::with_capacity(cells),
            value: Vec::with_capacity(cells),
            n: Vec::with_capacity(cells),
            rows: Vec::with_capacity(cells),
            scorers: Vec::with_capacity(cells),
            sum_e: Vec::with_capacity(cells),
            sum_e2: Vec::with_capacity(cells),
            class: Vec::with_capacity(cells),
            labelled: Vec::with_capacity(cells),
            assessed: Vec::with_capacity(cells),
            any: Vec::with_capacity(cells),
        }
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
