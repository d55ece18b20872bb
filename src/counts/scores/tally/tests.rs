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

/// The applications are swept in two halves (by a bit of their key) on two
/// threads: cells both halves fill are added up. 1,000 applications, each
/// scored 3 by A and 5 by B (B's row first in the file for the odd ones):
/// every cell counts all of them, whichever half each fell in.
#[test]
fn cells_of_both_halves_are_added_up() {
    let ids: Vec<String> = (0..1000).map(|i| format!("app{i}")).collect();
    let mut rows_in: Vec<Row> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (a, b) = (2 * i as u32, 2 * i as u32 + 1);
        let (a, b) = if i % 2 == 1 { (b, a) } else { (a, b) };
        rows_in.push((id, 3, "A", 3.0, a, USED, "Indian"));
        rows_in.push((id, 3, "B", 5.0, b, USED, "Indian"));
    }
    let numbers = input::Rows::read(&rows(&rows_in), None).unwrap();
    let halves: Vec<bool> = numbers
        .application
        .iter()
        .map(|&a| in_second_half(a))
        .collect();
    assert!(
        halves.contains(&false) && halves.contains(&true),
        "one half empty"
    );
    let out = tally(rows(&rows_in), None).unwrap();
    assert_eq!(
        part(&out, ASSESSOR_LEVEL, &["value", "n", "rows"]),
        strings(&[&["3.0", "1000", "1000"], &["5.0", "1000", "1000"]])
    );
    assert_eq!(
        part(&out, APPLICATION_LEVEL, &["value", "n"]),
        strings(&[&["4.0", "1000"]])
    );
    // A: 2·3 − 8 = −2 each time; B: +2.
    assert_eq!(
        part(
            &out,
            DIFFERENTIALS,
            &["assessor_id", "n", "sum_e", "sum_e2"]
        ),
        strings(&[
            &["\"A\"", "1000", "-2000.0", "4000.0"],
            &["\"B\"", "1000", "2000.0", "4000.0"],
        ])
    );
}
