//! Helpers shared by the integration tests: write small datasets, run the
//! binary, read its JSON.
#![allow(dead_code)]

pub mod contract;
pub mod workbook;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary dataset folder.
pub struct Dataset {
    pub dir: tempfile::TempDir,
}

impl Dataset {
    pub fn new() -> Dataset {
        Dataset {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A dataset of some of the bundled sample's tables
    /// (sample-data/quarterly), copied.
    pub fn sample(tables: &[&str]) -> Dataset {
        let ds = Dataset::new();
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
        for t in tables {
            std::fs::copy(format!("{sample}/{t}"), ds.path().join(t)).unwrap();
        }
        ds
    }

    /// `rung audit` of this dataset as JSON, with extra flags.
    pub fn audit(&self, extra: &[&str]) -> Value {
        let mut args = vec!["audit", self.path().to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        run_json(&args)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` (e.g. "applications.csv") with the given text.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write test file");
        path
    }
}

/// Builds CSV text from a header and rows.
pub fn csv(header: &str, rows: &[String]) -> String {
    let mut s = String::from(header);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// The canonical ladder.
pub const STAGES: [&str; 5] = [
    "applied",
    "shortlisted",
    "interviewed",
    "offered",
    "appointed",
];

/// One application per (id, ethnicity, furthest stage): returns the
/// applications and stage_events CSV texts, with an event for every stage up
/// to the furthest one.
pub fn funnel_tables(
    people: &[(String, String, usize)],
    org: impl Fn(usize) -> String,
) -> (String, String) {
    let mut apps = Vec::new();
    let mut events = Vec::new();
    for (i, (id, ethnicity, reached)) in people.iter().enumerate() {
        apps.push(format!("{id},V{},\"{ethnicity}\",{}", i % 7, org(i)));
        for stage in STAGES.iter().take(reached + 1) {
            events.push(format!("{id},{stage}"));
        }
    }
    (
        csv("application_id,vacancy_id,ethnicity,organisation", &apps),
        csv("application_id,stage", &events),
    )
}

pub fn rung() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rung"))
}

/// Runs rung with arguments and returns its output.
pub fn run(args: &[&str]) -> Output {
    rung().args(args).output().expect("run rung")
}

/// Runs `rung audit` on `dataset` with `extra` flags in `format`, expects
/// success, and returns what it wrote.
pub fn output(dataset: &Path, format: &str, extra: &[&str]) -> String {
    let mut args = vec!["audit", dataset.to_str().unwrap(), "--format", format];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "rung {args:?} failed with {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// Runs `rung audit` on `dataset` and reads its JSON through the typed
/// model of the contract.
pub fn audit(dataset: &Path, extra: &[&str]) -> contract::Audit {
    let text = output(dataset, "json", extra);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the JSON does not fit the contract: {e}"))
}

/// Runs rung, expects success, parses stdout as JSON.
pub fn run_json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "rung {args:?} failed with {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Runs rung, expects exit status 2, returns stderr.
pub fn run_error(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "rung {args:?} should exit 2; stderr:\n{stderr}\nstdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The transition `from → to` for a breakdown (`{}` for the whole dataset).
pub fn transition<'a>(doc: &'a Value, from: &str, to: &str, breakdown: &Value) -> &'a Value {
    doc["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .find(|t| t["from"] == from && t["to"] == to && &t["breakdown"] == breakdown)
        .unwrap_or_else(|| panic!("no transition {from}→{to} for {breakdown}"))
}

/// A group's row in a transition (known groups or unknowns).
pub fn group<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["groups"]
        .as_array()
        .unwrap()
        .iter()
        .chain(t["unknown"].as_array().unwrap().iter())
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {t}"))
}

/// The comparison of `focal` with the reference group in a transition.
pub fn comparison<'a>(t: &'a Value, focal: &str) -> &'a Value {
    t["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["focal"] == focal)
        .unwrap_or_else(|| panic!("no comparison for {focal} in {t}"))
}

/// Asserts `actual` is within `rel` relative error of `expected`.
pub fn assert_close(actual: f64, expected: f64, rel: f64, what: &str) {
    let scale = expected.abs().max(1e-300);
    assert!(
        (actual - expected).abs() <= rel * scale,
        "{what}: got {actual}, expected {expected} (relative tolerance {rel})"
    );
}

pub fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

pub fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a count, got {v}"))
}

/// Writes a synthetic search-firm export (`rung generate --ladder search`)
/// into `dir/search` and returns its path.
pub fn generate_search(dir: &Path, applications: u64, seed: u64) -> PathBuf {
    let out = dir.join("search");
    let status = rung()
        .args([
            "generate",
            "--ladder",
            "search",
            "--applications",
            &applications.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "rung generate failed");
    out
}

/// An audit without what depends on the files rather than the counts:
/// provenance, inputs, row accounting, where stages came from, and the
/// period the applications cover (a counts file does not carry dates).
pub fn without_provenance(mut doc: Value) -> Value {
    let o = doc.as_object_mut().unwrap();
    for k in ["provenance", "inputs"] {
        o.remove(k);
    }
    let q = o["data_quality"].as_object_mut().unwrap();
    for k in [
        "tables",
        "stage_source",
        "applications_without_stage",
        "candidates_with_differing_ethnicity",
        "applied_between",
    ] {
        q.remove(k);
    }
    doc
}

/// A funnel-only synthetic extract (applications and stage events) of `n`
/// applications in `dir`, as CSV or Parquet.
pub fn generate_funnel(dir: &Path, n: u64, format: &str) {
    let status = rung()
        .args([
            "generate",
            "--applications",
            &n.to_string(),
            "--funnel-only",
        ])
        .args(["--format", format, "--out", dir.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "rung generate failed");
}

/// The audit of the dataset folder `data` (by organisation, its report
/// dated `2026-01-01T00:00:00Z`) counted under the memory budget `memory`
/// (bytes: below what `--memory` accepts, to count small extracts in
/// slices), and its JSON.
pub fn audit_json_with_memory(data: &Path, memory: u64) -> (rung::audit::Audit, Vec<u8>) {
    use rung::audit::{self, AuditSpec};
    use rung::counts::PeriodFrom;
    use rung::ingest::{Dataset as Files, Profile};
    use rung::measures::funnel::Direction;
    use rung::stats::Confidence;
    use rung::stats::pooling::Adjust;
    use rung::taxonomy::{Taxonomy, grouping::Scheme};

    let spec = AuditSpec {
        dataset: Files::locate(Some(data), &[]).unwrap(),
        profile: Profile::canonical(),
        profile_path: None,
        taxonomy: Taxonomy::plain(Scheme::wres()),
        by: vec![vec!["organisation".to_string()]],
        confidence: Confidence::new(0.95).unwrap(),
        direction: Direction::NhsWres,
        policy: None,
        period_from: PeriodFrom::Applied,
        min_assessor_candidates: 10,
        publish: false,
        title: None,
        suppress_below: 5,
        adjust: Adjust::Bh,
        command: vec!["rung".into(), "audit".into()],
        generated_at: Some("2026-01-01T00:00:00Z".into()),
        previous: None,
        availability: None,
        intersect: None,
        scorecard: None,
        ll144: None,
        memory,
    };
    let audit = audit::run(&spec).unwrap();
    let mut out = Vec::new();
    rung::report::json::write(&audit, &mut out).unwrap();
    (audit, out)
}

/// A synthetic extract of the national shape with all four tables
/// (`rung generate --shape national`): `n` applications from `seed`, as
/// CSV or Parquet, in `dir`.
pub fn generate_national(dir: &Path, n: u64, seed: u64, format: &str) {
    let status = rung()
        .args(["generate", "--applications", &n.to_string()])
        .args(["--seed", &seed.to_string(), "--shape", "national"])
        .args(["--format", format, "--out", dir.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "rung generate failed");
}

/// Rewrites the CSV file `path` through `edit`, which is given its header
/// and may change, add or remove records.
pub fn edit_csv(path: &Path, edit: impl FnOnce(&csv::StringRecord, &mut Vec<csv::StringRecord>)) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    edit(&header, &mut rows);
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(&header).unwrap();
    for r in &rows {
        writer.write_record(r).unwrap();
    }
    writer.flush().unwrap();
}
