//! The bundled sample data: the README's first command must work on it, and
//! the effects the generator injected (docs/generator.md) must show.

mod common;

use common::*;
use serde_json::json;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");

#[test]
fn sample_audit_runs_and_accounts_for_every_row() {
    let doc = run_json(&["audit", SAMPLE, "--format", "json"]);
    let dq = &doc["data_quality"];
    assert_eq!(u(&dq["applications"]), 3000);
    let stated = u(&dq["ethnicity_known"]);
    let unknown = u(&dq["ethnicity_declined"]) + u(&dq["ethnicity_not_known"]);
    let unmapped: u64 = dq["unmapped_labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| u(&l["count"]))
        .sum();
    assert_eq!(stated + unknown + unmapped, 3000);
    // The generator makes 10–15% unknown.
    let share = unknown as f64 / 3000.0;
    assert!((0.10..=0.15).contains(&share), "unknown share {share}");
    for t in dq["tables"].as_array().unwrap() {
        assert_eq!(
            u(&t["rows_used"]) + u(&t["rows_excluded"]),
            u(&t["rows_read"])
        );
        let by_reason: u64 = t["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| u(&e["rows"]))
            .sum();
        assert_eq!(by_reason, u(&t["rows_excluded"]));
    }
    // Four input files, each with its hash.
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 4);
}

#[test]
fn sample_shows_the_injected_disadvantage() {
    // BME applicants' chances are multiplied by 0.85 at shortlisting (the
    // strongest step effect) and by about 0.68 from application to
    // appointment; 3,000 applications are few for the later steps, so the
    // test asks for the shortlisting gap to be significant after adjustment
    // and the overall one to point the right way.
    let doc = run_json(&["audit", SAMPLE, "--format", "json"]);
    let c = comparison(
        transition(&doc, "applied", "shortlisted", &json!({})),
        "BME",
    );
    assert!(f(&c["relative_likelihood"]) > 1.1, "{c}");
    assert_eq!(c["significant"], true, "{c}");
    let c = comparison(transition(&doc, "applied", "appointed", &json!({})), "BME");
    assert!(f(&c["relative_likelihood"]) > 1.2, "{c}");
    // Agency C shortlists BME applicants less often still.
    let doc = run_json(&["audit", SAMPLE, "--format", "json", "--by", "agency"]);
    let rl = |agency: &str| {
        f(&comparison(
            transition(&doc, "applied", "shortlisted", &json!({ "agency": agency })),
            "BME",
        )["relative_likelihood"])
    };
    assert!(
        rl("Agency C") > rl("Direct"),
        "Agency C {} vs Direct {}",
        rl("Agency C"),
        rl("Direct")
    );
}

#[test]
fn sample_data_is_what_the_generator_makes() {
    // The committed files are reproducible: regenerate and compare bytes.
    let dir = tempfile::tempdir().unwrap();
    let status = rung()
        .args([
            "generate",
            "--applications",
            "3000",
            "--seed",
            "2026",
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    for table in ["applications", "stage_events", "panel_members", "scores"] {
        let name = format!("{table}.csv");
        let committed = std::fs::read(std::path::Path::new(SAMPLE).join(&name)).unwrap();
        let fresh = std::fs::read(dir.path().join(&name)).unwrap();
        assert!(
            committed == fresh,
            "{name} differs from `rung generate --seed 2026` output"
        );
    }
}

#[test]
fn sample_terminal_report() {
    // Whole lines, so phrases are not split by the wrapping to 100 columns.
    let out = run(&["audit", SAMPLE, "--wide"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "3000 applications;",
        "shortlisted → appointed (NHS WRES indicator 2)",
        "applied → appointed",
        "White vs BME",
        "unmapped 0.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // Issue 15: every label of the sample is an official wording rung
    // places, so none is listed as unmapped.
    assert!(!text.contains("Labels that could not be mapped"), "{text}");
}

#[test]
fn sample_csv_is_rectangular_with_panel_rows() {
    let out = run(&["audit", SAMPLE, "--format", "csv", "--by", "agency"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    assert!(header.iter().any(|h| h == "panel_type"));
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("every row as wide as the header"))
        .collect();
    let panel_col = header.iter().position(|h| h == "panel_type").unwrap();
    assert!(rows.iter().any(|r| &r[panel_col] == "diverse"));
}

/// A vacancy whose applications span two quarters counts under one quarter
/// on every run (the earliest), so panel rows by quarter, and the whole
/// report, are the same from run to run.
#[test]
fn panels_by_quarter_are_the_same_on_every_run() {
    let run_once = || {
        let out = run(&[
            "audit",
            SAMPLE,
            "--by",
            "quarter",
            "--format",
            "json",
            "--generated-at",
            "2026-01-01T00:00:00Z",
        ]);
        assert!(out.status.success());
        out.stdout
    };
    let first = run_once();
    for _ in 0..4 {
        assert!(run_once() == first, "a re-run differs");
    }
}
