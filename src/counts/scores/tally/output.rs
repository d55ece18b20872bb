//! The tally's cells written as one frame of the tally's schema.

use polars::prelude::*;

use super::{APPLICATION_LEVEL, ASSESSOR_LEVEL, DIFFERENTIALS, Filed, PART, Sweep};

/// The three tables' cells as one frame of [`schema`]: the histograms'
/// on this thread, the differentials' (their partitions' two halves) on
/// two more (polars waits while the tally runs, and this was most of its
/// time on one core), stacked in that order.
pub(super) fn output(
    df: &DataFrame,
    values: &[f64],
    sweep: Sweep,
    classes: bool,
) -> PolarsResult<DataFrame> {
    let Sweep {
        level,
        means,
        differentials,
    } = sweep;
    let (first, second) = differentials.halves();
    let (histograms, differentials) = std::thread::scope(|scope| {
        let half = |filed: Filed| scope.spawn(move || differentials_frame(df, filed, classes));
        let halves = [half(first), half(second)];
        // Every column's room taken at once: grown a push at a time, they
        // were copied over and over, a third of this function's time.
        let mut out = Columns::with_capacity(level.len() + means.len());
        for ((status, ..), c) in level {
            let own = Own {
                status: Some(status),
                value: Some(values[c.row as usize]),
                rows: Some(c.rows),
                ..Own::default()
            };
            out.push(ASSESSOR_LEVEL, c.row, c.n, own);
        }
        for c in means.into_values() {
            let own = Own {
                value: Some(c.mean),
                ..Own::default()
            };
            out.push(APPLICATION_LEVEL, c.row, c.n, own);
        }
        let histograms = out.frame(df, classes);
        let differentials =
            halves.map(|half| half.join().expect("writing the differentials' cells"));
        (histograms, differentials)
    });
    let mut frame = histograms?;
    for half in differentials {
        frame.vstack_mut(&half?)?;
    }
    Ok(frame)
}

/// The differentials' cells filed in `filed`, added up, as a frame of
/// [`schema`].
fn differentials_frame(df: &DataFrame, filed: Filed, classes: bool) -> PolarsResult<DataFrame> {
    let differentials = filed.cells();
    let mut out = Columns::with_capacity(differentials.iter().map(|p| p.len()).sum());
    for ((_, applicants, _, scorers), c) in differentials.into_iter().flatten() {
        let own = Own {
            scorers: Some(u64::from(scorers)),
            sums: Some((c.sum_e, c.sum_e2)),
            class: Some(applicants as i32),
            ..Own::default()
        };
        out.push(DIFFERENTIALS, c.row, c.n, own);
    }
    out.frame(df, classes)
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

    /// The cells as a frame of [`schema`], their key columns taken from
    /// `df`'s rows that named them.
    fn frame(self, df: &DataFrame, classes: bool) -> PolarsResult<DataFrame> {
        let take = |name: &str, rows: &[Option<IdxSize>]| -> PolarsResult<Column> {
            let idx: IdxCa = rows.iter().copied().collect();
            df.column(name)?.take(&idx)
        };
        let applicants = if classes {
            Column::new(super::super::APPLICANTS.into(), self.class)
        } else {
            take("ethnicity", &self.assessed)?.with_name(super::super::APPLICANTS.into())
        };
        DataFrame::new_infer_height(vec![
            Column::new(PART.into(), self.part),
            Column::new("status".into(), self.status),
            take("stage_rank", &self.any)?,
            take("ethnicity", &self.labelled)?,
            take("sex", &self.labelled)?,
            take("period", &self.labelled)?,
            Column::new("value".into(), self.value),
            Column::new("n".into(), self.n),
            Column::new("rows".into(), self.rows),
            take("assessor_id", &self.assessed)?,
            applicants,
            Column::new("scorers".into(), self.scorers),
            Column::new("sum_e".into(), self.sum_e),
            Column::new("sum_e2".into(), self.sum_e2),
        ])
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
