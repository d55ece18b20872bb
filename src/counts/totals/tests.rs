//! The running sums against one grouping by polars of every slice.

use super::super::plan::{Combine, add_slices};
use super::*;

fn label(values: &[Option<&str>]) -> Column {
    Column::new("label".into(), values)
        .cast(&DataType::from_categories(Categories::global()))
        .unwrap()
}

/// A slice's result: keys (flag, label, stage, scorers) and sums.
fn slice(
    flag: &[bool],
    labels: &[Option<&str>],
    stage: &[Option<i32>],
    scorers: &[u64],
    n: &[u64],
    sum_e: &[f64],
) -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("flag".into(), flag),
        label(labels),
        Column::new("stage".into(), stage),
        Column::new("scorers".into(), scorers),
        Column::new("n".into(), n),
        Column::new("sum_e".into(), sum_e),
    ])
    .unwrap()
}

fn slices() -> Vec<DataFrame> {
    vec![
        slice(
            &[true, true, false, true],
            &[Some("White"), Some("Asian"), Some("White"), None],
            &[Some(1), Some(1), Some(2), None],
            &[2, 3, 2, 2],
            &[1, 2, 3, 4],
            &[0.5, -1.25, 2.0, 0.1],
        ),
        slice(
            &[true, true, true],
            &[Some("Asian"), None, Some("Black")],
            &[Some(1), None, Some(-3)],
            &[3, 2, 2],
            &[10, 20, 30],
            &[0.25, 0.2, 1.5],
        ),
        // A stage 0 beside the null stage: two cells.
        slice(
            &[false, true, true],
            &[Some("White"), Some("Asian"), None],
            &[Some(2), Some(1), Some(0)],
            &[2, 4, 2],
            &[100, 200, 300],
            &[-2.0, 3.0, 0.5],
        ),
    ]
}

const KEYS: [&str; 4] = ["flag", "label", "stage", "scorers"];

/// Rows as text, sorted, to compare frames whatever their row order.
fn rows(df: &DataFrame) -> Vec<String> {
    let mut out: Vec<String> = (0..df.height())
        .map(|i| format!("{:?}", df.get_row(i).unwrap().0))
        .collect();
    out.sort();
    out
}

/// `out` and `expected` hold the same rows, in any order.
fn assert_same_rows(out: &DataFrame, expected: &DataFrame) {
    let names = out.get_column_names().into_iter().cloned();
    assert_eq!(rows(out), rows(&expected.select(names).unwrap()));
}

fn stacked(frames: &[DataFrame]) -> DataFrame {
    let mut stacked = frames[0].clone();
    for f in &frames[1..] {
        stacked.vstack_mut(f).unwrap();
    }
    stacked
}

/// The slices stacked and grouped once by polars: what adding them up
/// slice by slice must give.
fn grouped_once(frames: &[DataFrame]) -> DataFrame {
    stacked(frames)
        .lazy()
        .group_by(KEYS.map(col))
        .agg([col("n").sum(), col("sum_e").sum()])
        .collect()
        .unwrap()
}

fn keys() -> Vec<String> {
    KEYS.map(String::from).to_vec()
}

/// Cells with the same keys in several slices add up, null keys
/// included, and the keys come back with their types (a categorical's
/// text, a negative stage).
#[test]
fn running_sums_equal_one_grouping_of_every_slice() {
    let frames = slices();
    let mut sums = RunningSums::start(&frames[0], Some(&keys())).expect("numeric keys");
    for f in &frames[1..] {
        assert!(sums.add(f));
    }
    let out = sums.into_frame().unwrap();
    assert_eq!(out.schema(), frames[0].schema());
    let expected = grouped_once(&frames);
    assert_eq!(out.height(), 7);
    assert_same_rows(&out, &expected);
}

/// Slices large enough to be dealt into many partitions, with keys
/// that repeat within and across slices (nulls and negative numbers
/// among them), add up as one grouping of them all.
#[test]
fn many_partitions_add_up_as_one_grouping() {
    // A generator of numbers (64-bit LCG, Knuth's MMIX constants).
    let mut state = 7u64;
    let mut next = move |below: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % below
    };
    let labels = [Some("White"), Some("Asian"), Some("Black"), None];
    let mut frames = Vec::new();
    for _ in 0..3 {
        let rows = 6000;
        let (mut flag, mut label, mut stage, mut scorers, mut n, mut sum_e) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..rows {
            flag.push(next(2) == 0);
            label.push(labels[next(4) as usize]);
            stage.push(match next(50) {
                0 => None,
                s => Some(s as i32 - 25),
            });
            scorers.push(next(40));
            n.push(next(1000));
            sum_e.push(next(64) as f64 / 8.0 - 4.0);
        }
        frames.push(slice(&flag, &label, &stage, &scorers, &n, &sum_e));
    }
    let mut sums = RunningSums::start(&frames[0], Some(&keys())).expect("numeric keys");
    assert!(sums.parts.len() > 1, "{} partitions", sums.parts.len());
    for f in &frames[1..] {
        assert!(sums.add(f));
    }
    let out = sums.into_frame().unwrap();
    let expected = grouped_once(&frames);
    // Keys repeat: fewer cells than rows.
    assert!(expected.height() < 18000, "{} cells", expected.height());
    assert_same_rows(&out, &expected);
}

/// Text keys, or a key too large for a word, are left to polars: the
/// plan's addition still gives the one grouping's sums.
#[test]
fn what_does_not_fit_is_added_by_polars() {
    let text = DataFrame::new_infer_height(vec![
        Column::new("label".into(), ["a", "b"]),
        Column::new("n".into(), [1u64, 2]),
    ])
    .unwrap();
    assert!(RunningSums::start(&text, None).is_none());

    let mut frames = slices();
    let big = slice(
        &[true],
        &[Some("White")],
        &[Some(1)],
        &[1 << 40],
        &[7],
        &[1.0],
    );
    frames.push(big);
    let how = [Combine::SumBy { keys: keys() }];
    let mut sums = RunningSums::start(&frames[0], Some(&keys())).unwrap();
    // Refused whole: nothing of the slice added.
    assert!(!sums.add(&frames[3]));
    let mut total = vec![Total::Sums(sums)];
    for f in &frames[1..] {
        total = add_slices(total, vec![f.clone()], &how).unwrap();
    }
    assert!(matches!(total[0], Total::Frame(_)));
    let out = total.pop().unwrap().into_frame().unwrap();
    let expected = grouped_once(&frames);
    assert_same_rows(&out, &expected);
}

/// Under `AddCounts` the keys are every column but the UInt64 counts;
/// a Float64 column is then a key, which is not a number word: polars.
#[test]
fn add_counts_sums_the_uint64_columns() {
    let frames: Vec<DataFrame> = slices()
        .into_iter()
        .map(|f| f.drop("sum_e").unwrap())
        .collect();
    let how = [Combine::AddCounts];
    let mut total = vec![Total::Sums(
        RunningSums::start(&frames[0], None).expect("numeric keys"),
    )];
    for f in &frames[1..] {
        total = add_slices(total, vec![f.clone()], &how).unwrap();
    }
    assert!(matches!(total[0], Total::Sums(_)));
    let out = total.pop().unwrap().into_frame().unwrap();
    // scorers is UInt64: a count here, added, not a key.
    let expected = {
        stacked(&frames)
            .lazy()
            .group_by([col("flag"), col("label"), col("stage")])
            .agg([col("scorers").sum(), col("n").sum()])
            .collect()
            .unwrap()
    };
    assert_same_rows(&out, &expected);
    assert!(RunningSums::start(&slices()[0], None).is_none());
}
