//! National extracts arrive as many files per table: a folder of parts,
//! hive-partitioned folders (`organisation=ORG001/part-0.parquet`), globs,
//! and gzip or zstd compressed CSV. Each must audit exactly as the same
//! rows in one plain file do.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use polars::prelude::*;
use serde_json::Value;

const STAMP: &str = "2026-01-01T00:00:00Z";

fn generate(dir: &Path, format: &str) {
    generate_funnel(dir, 4000, format);
    assert!(
        !dir.join(format!("scores.{format}")).exists(),
        "--funnel-only"
    );
}

fn audit(args: &[&str]) -> Value {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    all.extend([
        "--by",
        "organisation",
        "--format",
        "json",
        "--generated-at",
        STAMP,
    ]);
    run_json(&all)
}

/// What depends on the files rather than the rows.
fn rows_only(mut doc: Value) -> Value {
    let o = doc.as_object_mut().unwrap();
    o.remove("provenance");
    o.remove("inputs");
    o["data_quality"].as_object_mut().unwrap().remove("tables");
    doc
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn write_parquet(path: &Path, df: &mut DataFrame) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(df)
        .unwrap();
}

#[test]
fn hive_partitioned_parquet_and_parts_match_one_file() {
    let work = tempfile::tempdir().unwrap();
    let whole = work.path().join("whole");
    generate(&whole, "parquet");
    let expected = audit(&[whole.to_str().unwrap()]);

    // applications/organisation=ORGnnn/part-0.parquet, the column itself
    // dropped from the files (it lives in the folder names), and
    // stage_events as two parts of a folder.
    let parts = work.path().join("parts");
    let apps = read_parquet(&whole.join("applications.parquet"));
    let orgs = apps.column("organisation").unwrap().unique().unwrap();
    let orgs: Vec<String> = orgs
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(String::from)
        .collect();
    for org in &orgs {
        let mut part = apps
            .clone()
            .lazy()
            .filter(col("organisation").eq(lit(org.as_str())))
            .drop(cols(["organisation"]))
            .collect()
            .unwrap();
        write_parquet(
            &parts.join(format!("applications/organisation={org}/part-0.parquet")),
            &mut part,
        );
    }
    let events = read_parquet(&whole.join("stage_events.parquet"));
    let half = events.height() / 2;
    write_parquet(
        &parts.join("stage_events/part-0.parquet"),
        &mut events.slice(0, half),
    );
    write_parquet(
        &parts.join("stage_events/part-1.parquet"),
        &mut events.slice(half as i64, events.height() - half),
    );
    // Markers and hidden files that Spark and editors leave are skipped.
    std::fs::write(parts.join("stage_events/_SUCCESS"), "").unwrap();

    let doc = audit(&[parts.to_str().unwrap()]);
    assert_eq!(rows_only(doc.clone()), rows_only(expected.clone()));
    let input = &doc["inputs"][0];
    assert_eq!(input["rows"], 4000);
    assert!(input["path"].as_str().unwrap().ends_with("applications"));

    // The same through a glob naming the parts.
    let glob = parts.join("applications/*/part-*.parquet");
    let doc = audit(&[
        "--applications",
        glob.to_str().unwrap(),
        "--stage-events",
        parts.join("stage_events").to_str().unwrap(),
    ]);
    assert_eq!(rows_only(doc), rows_only(expected));
}

#[test]
fn gzip_and_zstd_csv_match_plain_csv() {
    let work = tempfile::tempdir().unwrap();
    let plain = work.path().join("plain");
    generate(&plain, "csv");
    let expected = audit(&[plain.to_str().unwrap()]);
    for (ext, compress) in [
        ("gz", gzip as fn(&[u8]) -> Vec<u8>),
        ("zst", |b: &[u8]| zstd::encode_all(b, 3).unwrap()),
    ] {
        let dir = work.path().join(ext);
        std::fs::create_dir_all(&dir).unwrap();
        for t in ["applications", "stage_events"] {
            let text = std::fs::read(plain.join(format!("{t}.csv"))).unwrap();
            std::fs::write(dir.join(format!("{t}.csv.{ext}")), compress(&text)).unwrap();
        }
        let doc = audit(&[dir.to_str().unwrap()]);
        assert_eq!(rows_only(doc), rows_only(expected.clone()), "{ext}");
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_bad_line_in_a_compressed_part_names_the_part() {
    let ds = Dataset::new();
    std::fs::create_dir_all(ds.path().join("applications")).unwrap();
    ds.write(
        "applications/part-0.csv",
        "application_id,vacancy_id,ethnicity,furthest_stage\nA1,V1,Indian,applied\n",
    );
    std::fs::write(
        ds.path().join("applications/part-1.csv.gz"),
        gzip(b"application_id,vacancy_id,ethnicity,furthest_stage\nA2,V1,Indian,applied\nA3,V1,White British,applied,extra\n"),
    )
    .unwrap();
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(err.contains("part-1.csv.gz: line 3"), "{err}");
    assert!(err.contains("has 5 fields; expected 4"), "{err}");
}

#[test]
fn unusable_many_file_inputs_are_clear_errors() {
    let ds = Dataset::new();
    let err = run_error(&[
        "audit",
        "--applications",
        ds.path().join("nothing-*.csv").to_str().unwrap(),
    ]);
    assert!(
        err.contains("matches no files for the applications table"),
        "{err}"
    );

    std::fs::create_dir_all(ds.path().join("applications")).unwrap();
    ds.write(
        "applications/a.csv",
        "application_id,vacancy_id,ethnicity\n",
    );
    ds.write("applications/b.parquet", "not really");
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(err.contains("holds both CSV and Parquet files"), "{err}");

    // A part lacking a required column is named.
    std::fs::remove_file(ds.path().join("applications/b.parquet")).unwrap();
    ds.write(
        "applications/a.csv",
        "application_id,vacancy_id,ethnicity,furthest_stage\nA1,V1,Indian,applied\n",
    );
    ds.write(
        "applications/c.csv",
        "application_id,vacancy_id,furthest_stage\nA2,V1,applied\n",
    );
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(
        err.contains("c.csv") && err.contains("no column 'ethnicity'"),
        "{err}"
    );
}

/// A Parquet scores table whose scores are floating point (3.5 is a score
/// some forms give) reads as the same scores written as text; an id stored
/// as a float is still refused (7.0 is not the id "7").
#[test]
fn parquet_scores_may_be_fractional() {
    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let ds = Dataset::sample(&["applications.csv", "stage_events.csv", "panel_members.csv"]);
    let mut scores = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(format!("{SAMPLE}/scores.csv").into()))
        .unwrap()
        .finish()
        .unwrap();
    let as_float = scores
        .column("score")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    scores.with_column(as_float).unwrap();
    write_parquet(&ds.path().join("scores.parquet"), &mut scores);
    let with_floats = audit(&[ds.path().to_str().unwrap()]);
    let text = Dataset::sample(&[
        "applications.csv",
        "stage_events.csv",
        "panel_members.csv",
        "scores.csv",
    ]);
    let with_text = audit(&[text.path().to_str().unwrap()]);
    assert!(with_text["scoring"].is_object());
    assert_eq!(with_floats["scoring"], with_text["scoring"]);

    let ids = scores
        .column("application_id")
        .unwrap()
        .str()
        .unwrap()
        .len();
    let mut bad = DataFrame::new_infer_height(vec![
        Column::new("application_id".into(), vec![7.0f64; ids]),
        scores.column("stage").unwrap().clone(),
        scores.column("assessor_id").unwrap().clone(),
        scores.column("score").unwrap().clone(),
    ])
    .unwrap();
    write_parquet(&ds.path().join("scores.parquet"), &mut bad);
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(
        err.contains("has type f64; expected text, a category or a whole number"),
        "{err}"
    );
}

/// A table's rows read as text, every column.
fn read_csv_text(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.into()))
        .unwrap()
        .finish()
        .unwrap()
}

/// A text column's values.
fn texts(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    let values = df.column(column).unwrap().str().unwrap();
    values.iter().map(|v| v.map(str::to_string)).collect()
}

/// `df` with `column` null in rows `rows`.
fn without(df: &DataFrame, column: &str, rows: std::ops::Range<usize>) -> DataFrame {
    let mut values = texts(df, column);
    values[rows].fill(None);
    let mut out = df.clone();
    out.with_column(Column::new(column.into(), values)).unwrap();
    out
}

/// The pre-passes over stage values read the ids only when a Parquet
/// file's statistics cannot say that none is missing. Either way, and as
/// CSV, the rows missing an id are counted as such, before their stage is
/// looked at: a row with no application id and a stage on no ladder is
/// excluded, not an unknown stage. The sample's tables as they are (no id
/// missing: the statistics vouch) and with ids taken out (they do not).
#[test]
fn rows_missing_ids_count_alike_from_parquet_statistics_and_csv() {
    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let tables = ["applications", "stage_events", "panel_members", "scores"];
    let clean: Vec<DataFrame> = tables
        .iter()
        .map(|t| read_csv_text(&Path::new(SAMPLE).join(format!("{t}.csv"))))
        .collect();
    let mut events = without(&clean[1], "application_id", 0..5);
    let mut stages = texts(&events, "stage");
    stages[0] = Some("Not a stage".into());
    events
        .with_column(Column::new("stage".into(), stages))
        .unwrap();
    let gapped = vec![
        clean[0].clone(),
        events,
        without(&clean[2], "member_id", 10..12),
        without(
            &without(&clean[3], "assessor_id", 0..3),
            "application_id",
            20..22,
        ),
    ];
    let excluded = |doc: &Value, table: &str| -> Vec<Value> {
        let tables = doc["data_quality"]["tables"].as_array().unwrap();
        let t = tables.iter().find(|t| t["table"] == table).unwrap();
        t["excluded"].as_array().unwrap().clone()
    };
    let missing = |doc: &Value, table: &str, reason: &str| -> u64 {
        excluded(doc, table)
            .iter()
            .find(|e| e["reason"] == reason)
            .map_or(0, |e| e["rows"].as_u64().unwrap())
    };
    for (frames, gaps) in [(&clean, false), (&gapped, true)] {
        let mut audits = Vec::new();
        for format in ["csv", "parquet"] {
            let ds = Dataset::new();
            for (table, df) in tables.iter().zip(frames.iter()) {
                let path = ds.path().join(format!("{table}.{format}"));
                let mut df = df.clone();
                match format {
                    "csv" => CsvWriter::new(std::fs::File::create(&path).unwrap())
                        .finish(&mut df)
                        .unwrap(),
                    _ => write_parquet(&path, &mut df),
                }
            }
            let doc = audit(&[ds.path().to_str().unwrap()]);
            for table in &tables[1..] {
                audits.push((format, table, excluded(&doc, table)));
            }
            let expected = |n: u64| if gaps { n } else { 0 };
            assert_eq!(
                missing(&doc, "stage_events", "missing application_id"),
                expected(5),
                "{format}"
            );
            assert_eq!(
                missing(&doc, "panel_members", "missing vacancy_id or member_id"),
                expected(2),
                "{format}"
            );
            assert_eq!(
                missing(&doc, "scores", "missing application_id or assessor_id"),
                expected(5),
                "{format}"
            );
            assert!(doc["scoring"].is_object() && doc["panels"].is_object());
            audits.push((format, &"all", vec![rows_only(doc)]));
        }
        let (csv, parquet) = audits.split_at(audits.len() / 2);
        for (c, p) in csv.iter().zip(parquet) {
            assert_eq!((c.1, &c.2), (p.1, &p.2), "csv and parquet differ");
        }
    }
}
