//! `rung sql` proved on a real engine: the emitted DuckDB query, run by
//! DuckDB over the same files, must give exactly the counts rung's own pass
//! gives, and `rung audit --counts` on its result the same audit.
//!
//! DuckDB comes from Python: these tests are ignored by a plain `cargo
//! test` and run by `.ci/run`, which installs duckdb into a virtual
//! environment and names its python in RUNG_PYTHON.

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
    let mut all = vec!["sql", "--dialect", "duckdb"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
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
    let o = run(&[
        "counts",
        data.to_str().unwrap(),
        "--by",
        "organisation",
        "--by",
        "agency",
        "--out",
        from_rung.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let (d, r) = (sorted_rows(&from_duckdb), sorted_rows(&from_rung));
    assert!(r.len() > 100, "a real table of counts");
    assert_eq!(d, r);

    let audit = |source: &[&str]| {
        let mut a = vec!["audit"];
        a.extend_from_slice(source);
        a.extend(["--format", "json", "--generated-at", STAMP]);
        a.extend(by);
        without_provenance(run_json(&a))
    };
    assert_eq!(
        audit(&["--counts", from_duckdb.to_str().unwrap()]),
        audit(&[data.to_str().unwrap()])
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
    let o = run(&[
        "counts",
        fixture,
        "--profile",
        "greenhouse",
        "--by",
        "organisation",
        "--out",
        from_rung.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
