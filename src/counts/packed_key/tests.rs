use super::*;

fn global() -> DataType {
    DataType::from_categories(Categories::global())
}

/// Rows of a frame as text, sorted: the same multiset of rows compares
/// equal whatever order a group-by gave them in.
fn sorted_rows(df: &DataFrame) -> Vec<String> {
    let mut rows: Vec<String> = (0..df.height())
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| format!("{:?}", c.get(i).unwrap().into_static()))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

/// A per-application-like frame: a flag, two categoricals with nulls, a
/// stage rank of 0..=5, and values to add.
fn frame() -> LazyFrame {
    let n = 5000;
    let labels = ["White British", "Indian", "Black African", "Not stated"];
    let label: Vec<Option<&str>> = (0..n)
        .map(|i| (i % 17 != 0).then(|| labels[i % labels.len()]))
        .collect();
    let org: Vec<Option<String>> = (0..n)
        .map(|i| (i % 23 != 0).then(|| format!("ORG{:03}", (i / 7) % 40)))
        .collect();
    let flag: Vec<bool> = (0..n).map(|i| (i / 11) % 5 == 0).collect();
    let reached: Vec<i32> = (0..n).map(|i| ((i / 3) % 6) as i32).collect();
    let value: Vec<u64> = (0..n).map(|i| (i % 9) as u64).collect();
    df!(
        "flag" => flag,
        "organisation" => org,
        "ethnicity" => label,
        "reached" => reached,
        "value" => value,
    )
    .unwrap()
    .lazy()
    .with_columns([
        col("organisation").cast(global()),
        col("ethnicity").cast(global()),
    ])
}

fn aggs() -> Vec<Expr> {
    vec![
        len().cast(DataType::UInt64).alias("applications"),
        col("value").sum().alias("value"),
    ]
}

const KEYS: [&str; 4] = ["flag", "organisation", "ethnicity", "reached"];

/// Grouped by the packed key, the cells are those of polars' group-by by
/// the columns: the same columns and types, the same rows (nulls kept as
/// their own keys).
#[test]
fn packed_groups_are_those_of_the_columns() {
    let frame = frame().collect().unwrap();
    let packed = PackedKey::new(frame.schema(), &KEYS, &[("reached", 8)]).expect("fits");
    let ours = packed
        .group_by(frame.clone().lazy(), aggs())
        .collect()
        .unwrap();
    let theirs = frame
        .lazy()
        .group_by(KEYS.map(col))
        .agg(aggs())
        .collect()
        .unwrap();
    assert_eq!(ours.schema(), theirs.schema());
    assert!(ours.height() > 1000, "{} cells", ours.height());
    assert_eq!(sorted_rows(&ours), sorted_rows(&theirs));
}

/// Keys that are text, integers of no known range, or too many bits are
/// not packed (the caller groups by the columns).
#[test]
fn keys_that_do_not_fit_are_not_packed() {
    let frame = frame()
        .with_column(col("ethnicity").cast(DataType::String).alias("text"))
        .collect()
        .unwrap();
    let schema = frame.schema();
    assert!(PackedKey::new(schema, &["flag", "text"], &[]).is_none());
    assert!(PackedKey::new(schema, &["flag", "reached"], &[]).is_none());
    assert!(
        PackedKey::new(
            schema,
            &["reached", "value"],
            &[("reached", 40), ("value", 30)]
        )
        .is_none()
    );
    assert!(
        PackedKey::new(
            schema,
            &["reached", "value"],
            &[("reached", 40), ("value", 20)]
        )
        .is_some()
    );
}

/// A category made after the packing was planned (cast while the query
/// runs) has a code past the bits planned: the query fails rather than
/// count it in another key's cell.
#[test]
fn a_code_past_the_planned_bits_fails_the_query() {
    let frame = frame().collect().unwrap();
    let packed = PackedKey::new(frame.schema(), &KEYS, &[("reached", 8)]).expect("fits");
    let unseen = format!("never seen before {:?}", std::time::Instant::now());
    let later = frame.lazy().with_column(
        when(col("flag"))
            .then(lit(unseen).cast(global()))
            .otherwise(col("ethnicity"))
            .alias("ethnicity"),
    );
    let err = packed.group_by(later, aggs()).collect().unwrap_err();
    assert!(err.to_string().contains("outgrew"), "{err}");
}
