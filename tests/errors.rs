//! Bad input: every case exits with status 2 and a message naming the file,
//! the column or line, and what was expected. Never a panic.

mod common;

use common::*;
use polars::prelude::*;

fn minimal() -> Dataset {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Indian\nA3,V2,Chinese\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA2,shortlisted\nA3,appointed\n",
    );
    ds
}

fn audit_error(ds: &Dataset, extra: &[&str]) -> String {
    let mut args = vec!["audit", ds.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    run_error(&args)
}

#[test]
fn missing_dataset_folder() {
    let err = run_error(&["audit", "/no/such/export"]);
    assert!(
        err.contains("/no/such/export") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn folder_without_applications() {
    let ds = Dataset::new();
    ds.write("stage_events.csv", "application_id,stage\nA1,applied\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv or applications.parquet"),
        "{err}"
    );
}

#[test]
fn missing_required_column_is_named() {
    let ds = minimal();
    ds.write(
        "applications.csv",
        "application_id,vacancy,ethnicity\nA1,V1,White\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(err.contains("applications.csv"), "{err}");
    assert!(err.contains("'vacancy_id'"), "{err}");
    assert!(err.contains("vacancy"), "its columns are listed: {err}");
}

#[test]
fn stage_events_without_stage_column() {
    let ds = minimal();
    ds.write("stage_events.csv", "application_id,status\nA1,applied\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events.csv") && err.contains("'stage'"),
        "{err}"
    );
}

#[test]
fn unknown_stage_values_are_listed_with_counts_and_a_hint() {
    let ds = minimal();
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA1,Phone screen\nA2,Phone screen\nA3,Assessment centre\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(err.contains("column 'stage'"), "{err}");
    assert!(err.contains("'Phone screen' (2 rows)"), "{err}");
    assert!(err.contains("'Assessment centre' (1 row)"), "{err}");
    assert!(err.contains("[stage_values]"), "hint to map them: {err}");
}

#[test]
fn empty_tables() {
    let ds = minimal();
    ds.write("applications.csv", "application_id,vacancy_id,ethnicity\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv") && err.contains("no rows"),
        "{err}"
    );

    let ds = minimal();
    ds.write("stage_events.csv", "application_id,stage\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events.csv") && err.contains("no rows"),
        "{err}"
    );

    let ds = minimal();
    ds.write("applications.csv", "");
    let err = audit_error(&ds, &[]);
    assert!(err.contains("applications.csv"), "{err}");
}

#[test]
fn ragged_line_is_named() {
    let ds = minimal();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Indian,extra\nA3,V2,Chinese\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv") && err.contains("line 3"),
        "{err}"
    );
    assert!(err.contains("4 fields; expected 3"), "{err}");

    let ds = minimal();
    ds.write("stage_events.csv", "application_id,stage\nA1,applied\nA2\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn unterminated_quote_is_named() {
    let ds = minimal();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\n\"A2,V1,Indian\nA3,V2,Chinese\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn text_that_is_not_utf8_is_named() {
    let ds = minimal();
    std::fs::write(
        ds.path().join("applications.csv"),
        b"application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Fran\xe7aise\n",
    )
    .unwrap();
    let err = audit_error(&ds, &[]);
    assert!(err.contains("line 3") && err.contains("UTF-8"), "{err}");
}

#[test]
fn wrong_column_type_in_parquet() {
    let ds = minimal();
    let mut df = df!(
        "application_id" => ["A1", "A2", "A3"],
        "vacancy_id" => ["V1", "V1", "V2"],
        "ethnicity" => [1.5f64, 2.5, 3.5],
    )
    .unwrap();
    std::fs::remove_file(ds.path().join("applications.csv")).unwrap();
    let file = std::fs::File::create(ds.path().join("applications.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    let err = audit_error(&ds, &[]);
    assert!(err.contains("applications.parquet"), "{err}");
    assert!(err.contains("ethnicity"), "{err}");
    assert!(
        err.contains("f64") || err.contains("float") || err.contains("Float"),
        "{err}"
    );
}

#[test]
fn not_a_parquet_file() {
    let ds = minimal();
    std::fs::remove_file(ds.path().join("applications.csv")).unwrap();
    ds.write("applications.parquet", "this is not parquet");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.parquet") && err.contains("Parquet"),
        "{err}"
    );
}

#[test]
fn bad_profile_names_its_line() {
    let ds = minimal();
    let profile = ds.write(
        "p.toml",
        "name = \"x\"\n[columns.applications]\nethnicity\n",
    );
    let err = audit_error(&ds, &["--profile", profile.to_str().unwrap()]);
    assert!(err.contains("p.toml") && err.contains("line 3"), "{err}");
    let err = audit_error(&ds, &["--profile", "/no/such/profile.toml"]);
    assert!(
        err.contains("profile.toml") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn profile_mapping_to_a_stage_not_on_the_ladder() {
    let ds = minimal();
    let profile = ds.write("p.toml", "[stage_values]\n\"applied\" = \"hired\"\n");
    let err = audit_error(&ds, &["--profile", profile.to_str().unwrap()]);
    assert!(err.contains("p.toml") && err.contains("hired"), "{err}");
}

#[test]
fn bad_grouping_file() {
    let ds = minimal();
    let g = ds.write(
        "g.toml",
        "reference = \"White\"\n[groups]\nWhite = [\"white\"]\n",
    );
    let err = audit_error(&ds, &["--grouping", g.to_str().unwrap()]);
    assert!(
        err.contains("g.toml") && err.contains("in no group"),
        "{err}"
    );
    let g = ds.write(
        "g2.toml",
        "reference = \"White\"\n[groups]\nWhite = [\"white\", \"indian\"]\nOther = [\"asian\", \"black\", \"mixed\", \"other\"]\n",
    );
    let err = audit_error(&ds, &["--grouping", g.to_str().unwrap()]);
    assert!(
        err.contains("'indian'") && err.contains("two groups"),
        "{err}"
    );
    let err = audit_error(&ds, &["--grouping", "nonsense"]);
    assert!(err.contains("nonsense") && err.contains("wres"), "{err}");
}

#[test]
fn bad_options() {
    let ds = minimal();
    let err = audit_error(&ds, &["--by", "region"]);
    assert!(
        err.contains("'region'") && err.contains("applications"),
        "{err}"
    );
    let err = audit_error(&ds, &["--confidence", "1.2"]);
    assert!(err.contains("--confidence"), "{err}");
    let err = audit_error(&ds, &["--reference", "Purple"]);
    assert!(
        err.contains("Purple") && err.contains("White, BME"),
        "{err}"
    );
    let err = audit_error(&ds, &["--format", "pdf"]);
    assert!(err.contains("pdf"), "{err}");
}

#[test]
fn no_stage_information_at_all() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events") && err.contains("furthest_stage"),
        "{err}"
    );
}

#[test]
fn unwritable_output() {
    let ds = minimal();
    let err = audit_error(&ds, &["--output", "/no/such/dir/out.json"]);
    assert!(err.contains("/no/such/dir/out.json"), "{err}");
}
