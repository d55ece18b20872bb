//! `rung sql` proved on a real engine: the emitted DuckDB query, run by
//! DuckDB over the same files, must give exactly the counts rung's own pass
//! gives, and `rung audit --counts` on its result the same audit.
//!
//! DuckDB comes from Python: these tests are ignored by a plain `cargo
//! test` and run by `.ci/run`, which installs duckdb into a virtual
//! environment and names its python in RUNG_PYTHON. The PostgreSQL tests
//! need a server: `.ci/run` starts one from Debian's packages and names it
//! in RUNG_PG.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const STAMP: &str = "2026-01-01T00:00:00Z";

/// Runs a query in DuckDB and writes its result as CSV.
fn duckdb(sql: &str, out: &Path) {
    let python = std::env::var("RUNG_PYTHON")
        .expect("RUNG_PYTHON must name a python with duckdb installed (see .ci/run)");
    let script = "import duckdb, sys\n\
        sql = open(sys.argv[1]).read()\n\
        duckdb.sql(f\"COPY ({sql}) TO '{sys.argv[2]}' (HEADER)\")\n";
    let dir = out.parent().unwrap();
    let sql_file = dir.join("query.sql");
    std::fs::write(&sql_file, sql).unwrap();
    let o = Command::new(python)
        .args([
            "-c",
            script,
            sql_file.to_str().unwrap(),
            out.to_str().unwrap(),
        ])
        .output()
        .expect("run python");
    assert!(
        o.status.success(),
        "duckdb failed:\n{}\n{sql}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn sql(args: &[&str]) -> String {
    sql_in("duckdb", args)
}

fn sql_in(dialect: &str, args: &[&str]) -> String {
    let mut all = vec!["sql", "--dialect", dialect];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The audit of rows or counts (`--counts FILE`), provenance aside.
fn audit(source: &[&str], by: &[&str]) -> serde_json::Value {
    let mut a = vec!["audit"];
    a.extend_from_slice(source);
    a.extend(["--format", "json", "--generated-at", STAMP]);
    a.extend(by);
    without_provenance(run_json(&a))
}

fn sorted_rows(path: &Path) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    rows.sort();
    rows
}

#[test]
#[ignore = "needs DuckDB (RUNG_PYTHON); run by .ci/run"]
fn duckdb_counts_equal_rungs_on_generated_data() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_funnel(&data, 20000, "csv");
    let by = ["--by", "organisation", "--by", "agency"];
    let mut args = vec![data.to_str().unwrap()];
    args.extend(by);
    let from_duckdb = work.path().join("duckdb.csv");
    duckdb(&sql(&args), &from_duckdb);

    let from_rung = work.path().join("rung.csv");
    rung_counts(&data, &by, &from_rung);
    let (d, r) = (sorted_rows(&from_duckdb), sorted_rows(&from_rung));
    assert!(r.len() > 100, "a real table of counts");
    assert_eq!(d, r);

    assert_eq!(
        audit(&["--counts", from_duckdb.to_str().unwrap()], &by),
        audit(&[data.to_str().unwrap()], &by)
    );
}

/// A bundled profile's column names, stage values and outcome column, and
/// a furthest-stage column instead of events.
#[test]
#[ignore = "needs DuckDB (RUNG_PYTHON); run by .ci/run"]
fn duckdb_counts_equal_rungs_through_a_profile() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/greenhouse");
    let work = tempfile::tempdir().unwrap();
    let from_duckdb = work.path().join("duckdb.csv");
    duckdb(
        &sql(&[fixture, "--profile", "greenhouse", "--by", "organisation"]),
        &from_duckdb,
    );
    let from_rung = work.path().join("rung.csv");
    rung_counts(
        Path::new(fixture),
        &["--profile", "greenhouse", "--by", "organisation"],
        &from_rung,
    );
    assert_eq!(sorted_rows(&from_duckdb), sorted_rows(&from_rung));
}

/// A stage value nobody mapped comes through as a row `rung audit
/// --counts` stops on, naming it.
#[test]
#[ignore = "needs DuckDB (RUNG_PYTHON); run by .ci/run"]
fn unknown_stage_values_reach_the_audit() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,Indian\nA2,V1,White British\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA1,Phone screen\nA2, SHORTLISTED \n",
    );
    let out = ds.path().join("counts.csv");
    duckdb(&sql(&[ds.path().to_str().unwrap()]), &out);
    let rows = sorted_rows(&out);
    assert!(
        rows.iter()
            .any(|r| r[1] == "unknown stage value: Phone screen" && r[2] == "1"),
        "{rows:?}"
    );
    // " SHORTLISTED " is shortlisted in rung's loose form.
    assert!(
        rows.iter()
            .any(|r| r[0] == "White British" && r[1] == "shortlisted"),
        "{rows:?}"
    );
    let err = run_error(&["audit", "--counts", out.to_str().unwrap()]);
    assert!(err.contains("unknown stage value: Phone screen"), "{err}");
}

/// Loads CSV files into tables of text columns (named by their headers) in
/// a fresh schema of the PostgreSQL server RUNG_PG names (a libpq
/// connection string), runs `query` there, and writes its result as CSV.
fn postgres(tables: &[(&str, &Path)], query: &str, out: &Path) {
    let conn = std::env::var("RUNG_PG")
        .expect("RUNG_PG must name a PostgreSQL server, e.g. 'host=/tmp port=5432 user=postgres' (see .ci/run)");
    let schema = format!(
        "rung_test_{}_{}",
        std::process::id(),
        out.file_stem().unwrap().to_string_lossy().replace('-', "_")
    );
    let mut script = format!(
        "\\set ON_ERROR_STOP on\nDROP SCHEMA IF EXISTS {schema} CASCADE;\nCREATE SCHEMA {schema};\nSET search_path = {schema};\n"
    );
    for (name, file) in tables {
        let header = csv::Reader::from_path(file)
            .unwrap()
            .headers()
            .unwrap()
            .clone();
        let columns: Vec<String> = header.iter().map(|h| format!("\"{h}\" text")).collect();
        script += &format!("CREATE TABLE {name} ({});\n", columns.join(", "));
        script += &format!(
            "\\copy {name} FROM '{}' WITH (FORMAT csv, HEADER true)\n",
            file.display()
        );
    }
    // \copy takes one line; the query, over several, becomes a view.
    script += &format!("CREATE VIEW counted AS\n{query};\n");
    script += &format!(
        "\\copy (SELECT * FROM counted) TO '{}' WITH (FORMAT csv, HEADER true)\n",
        out.display()
    );
    script += &format!("DROP SCHEMA {schema} CASCADE;\n");
    let script_file = out.with_extension("psql");
    std::fs::write(&script_file, &script).unwrap();
    let o = Command::new("psql")
        .args([
            conn.as_str(),
            "-q",
            "-X",
            "-f",
            script_file.to_str().unwrap(),
        ])
        .output()
        .expect("run psql");
    assert!(
        o.status.success(),
        "psql failed:\n{}\n{script}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `rung counts DATA --out OUT OPTIONS…`.
fn rung_counts(data: &Path, options: &[&str], out: &Path) {
    let mut args = vec![
        "counts",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(options);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The PostgreSQL dialect on a real server: generated data loaded as text
/// tables gives exactly rung's counts, and the same audit.
#[test]
#[ignore = "needs a PostgreSQL server (RUNG_PG); run by .ci/run"]
fn postgres_counts_equal_rungs_on_generated_data() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_funnel(&data, 20000, "csv");
    let by = ["--by", "organisation", "--by", "agency"];
    let mut args = vec![
        "--applications",
        "applications",
        "--stage-events",
        "stage_events",
    ];
    args.extend(by);
    let query = sql_in("postgres", &args);
    let from_postgres = work.path().join("postgres.csv");
    postgres(
        &[
            ("applications", &data.join("applications.csv")),
            ("stage_events", &data.join("stage_events.csv")),
        ],
        &query,
        &from_postgres,
    );
    let from_rung = work.path().join("rung.csv");
    rung_counts(&data, &by, &from_rung);
    let (p, r) = (sorted_rows(&from_postgres), sorted_rows(&from_rung));
    assert!(r.len() > 100, "a real table of counts");
    assert_eq!(p, r);
    assert_eq!(
        audit(&["--counts", from_postgres.to_str().unwrap()], &by),
        audit(&[data.to_str().unwrap()], &by)
    );
}

/// The loose stage matching (case, runs of spaces, `_` and `-`) of the
/// ladder's names and a profile's values, rows without an id, events for
/// unknown applications and a repeated event, in PostgreSQL's regular
/// expressions: the same counts as rung's.
#[test]
#[ignore = "needs a PostgreSQL server (RUNG_PG); run by .ci/run"]
fn postgres_matches_stage_values_as_rung_does() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,organisation\n\
         A1,V1,Indian,ORG1\nA2,V1,White British,ORG1\nA3,V2,,ORG2\n,V2,Chinese,ORG2\nA4,V2,African,\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA1, SHORTLISTED \nA1,shortlisted\nA2,Invited_to-Interview\n\
         A3,conditional  offer\nA3, OFFERED\nA4,APPOINTED\nA9,appointed\n,interviewed\nA2,Withdrawn\n",
    );
    let profile = ds.path().join("profile.toml");
    std::fs::write(
        &profile,
        "[stage_values]\n\"Invited to interview\" = \"interviewed\"\n\"Conditional offer\" = \"offered\"\n\"withdrawn\" = \"ignore\"\n",
    )
    .unwrap();
    let profile = profile.to_str().unwrap();
    let options = ["--by", "organisation", "--profile", profile];
    let mut args = vec![
        "--applications",
        "applications",
        "--stage-events",
        "stage_events",
    ];
    args.extend(options);
    let query = sql_in("postgres", &args);
    let from_postgres = ds.path().join("postgres-loose.csv");
    postgres(
        &[
            ("applications", &ds.path().join("applications.csv")),
            ("stage_events", &ds.path().join("stage_events.csv")),
        ],
        &query,
        &from_postgres,
    );
    let from_rung = ds.path().join("rung-loose.csv");
    rung_counts(ds.path(), &options, &from_rung);
    let rows = sorted_rows(&from_postgres);
    assert_eq!(rows, sorted_rows(&from_rung));
    // A1 reached shortlisted, A2 interviewed, A3 offered, whatever the
    // spelling.
    for (label, stage) in [
        ("Indian", "shortlisted"),
        ("White British", "interviewed"),
        ("", "offered"),
    ] {
        assert!(
            rows.iter()
                .any(|r| r[1] == label && r[2] == stage && r[3] == "1"),
            "{label} {stage}: {rows:?}"
        );
    }
}
